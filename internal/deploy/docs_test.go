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

// TestDevelopmentDocsBootstraps: docs/development.md counts and names the
// bootstraps the Makefile builds: one per function, in bin/<name>, through
// build-<Name>Function.
func TestDevelopmentDocsBootstraps(t *testing.T) {
	doc := string(readRootFile(t, "docs/development.md"))
	mk := string(readRootFile(t, "Makefile"))
	m := regexp.MustCompile(`(?m)^FUNCTIONS := (.+)$`).FindStringSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile has no FUNCTIONS list")
	}
	fns := strings.Fields(m[1])
	words := map[int]string{2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
	for n, w := range words {
		for _, phrase := range []string{w + " bootstraps", "both bootstraps"} {
			if n != len(fns) && strings.Contains(doc, phrase) {
				t.Errorf("docs/development.md says %q; the Makefile builds %d", phrase, len(fns))
			}
		}
	}
	if !strings.Contains(doc, words[len(fns)]+" bootstraps") {
		t.Errorf("docs/development.md does not say the Makefile builds %s bootstraps", words[len(fns)])
	}
	for _, f := range fns {
		for _, want := range []string{"bin/" + strings.ToLower(f), "`build-" + f + "Function`"} {
			if !strings.Contains(doc, want) {
				t.Errorf("docs/development.md does not name %s", want)
			}
		}
	}
}

// TestUserSigDocsSize: the bootstrap size docs/usersig.md gives is the one
// the last benchmark report measured (BENCHMARKS.md), and the goal is the
// same.
func TestUserSigDocsSize(t *testing.T) {
	doc := string(readRootFile(t, "docs/usersig.md"))
	bench := string(readRootFile(t, "BENCHMARKS.md"))
	m := regexp.MustCompile(`(?m)^\| size of usersig, linux/arm64 \| ([0-9.]+ MiB) \| ≤ ([0-9.]+ MiB) \|`).FindStringSubmatch(bench)
	if m == nil {
		t.Fatal("BENCHMARKS.md reports no size of usersig")
	}
	if !strings.Contains(doc, m[1]+" for linux/arm64") || !strings.Contains(doc, "at most "+m[2]) {
		t.Errorf("docs/usersig.md does not give the measured size %s (goal %s)", m[1], m[2])
	}
	for _, s := range regexp.MustCompile(`[0-9.]+ MiB for linux/arm64`).FindAllString(doc, -1) {
		if s != m[1]+" for linux/arm64" {
			t.Errorf("docs/usersig.md says %q; BENCHMARKS.md measured %s", s, m[1])
		}
	}
}
