package deploy

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDeployDocsParameters: docs/deploy.md describes every template
// parameter and names every alarm.
func TestDeployDocsParameters(t *testing.T) {
	doc := string(readRootFile(t, "docs/deploy.md"))
	tpls := loadTemplates(t)
	for name := range asMap(tpls.Source["Parameters"]) {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/deploy.md does not describe parameter %s", name)
		}
	}
	for id := range resourcesOfType(tpls.Transformed, "AWS::CloudWatch::Alarm") {
		if !strings.Contains(doc, "`"+id+"`") {
			t.Errorf("docs/deploy.md does not explain alarm %s", id)
		}
	}
}

// TestDeployDocsStackPolicy: the stack policy in docs/deploy.md is valid
// JSON, allows updates, and denies replacing the user pool and its app client
// by logical IDs that exist in the template.
func TestDeployDocsStackPolicy(t *testing.T) {
	doc := string(readRootFile(t, "docs/deploy.md"))
	out := loadTemplates(t).Transformed
	var policy struct {
		Statement []struct {
			Effect    string
			Principal string
			Action    any
			Resource  any
		}
	}
	var found bool
	for _, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		if !strings.Contains(m[1], "Update:Replace") {
			continue
		}
		found = true
		if err := json.Unmarshal([]byte(m[1]), &policy); err != nil {
			t.Fatalf("stack policy is not JSON: %v\n%s", err, m[1])
		}
	}
	if !found {
		t.Fatalf("docs/deploy.md has no stack policy denying Update:Replace")
	}
	var allows bool
	var denied []string
	for _, s := range policy.Statement {
		actions := asList(s.Action)
		switch s.Effect {
		case "Allow":
			allows = allows || slices.Contains(actions, any("Update:*")) && s.Resource == "*"
		case "Deny":
			if !slices.Contains(actions, any("Update:Replace")) {
				continue
			}
			for _, r := range asList(s.Resource) {
				id := strings.TrimPrefix(r.(string), "LogicalResourceId/")
				if _, ok := asMap(out["Resources"])[id]; !ok {
					t.Errorf("stack policy names %s, which the template does not have", r)
				}
				denied = append(denied, id)
			}
		}
	}
	if !allows {
		t.Errorf("stack policy does not allow other updates (Update:* on *)")
	}
	for _, id := range []string{"UserPool", "UserPoolClient"} {
		if !slices.Contains(denied, id) {
			t.Errorf("stack policy does not deny replacing %s (denies %v)", id, denied)
		}
	}
}
