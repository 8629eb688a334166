package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEnvLocalJSON: events/env.local.json (sam local against chatsync
// emulator) sets only variables every function declares (Parameters) or the
// function declares, points the Chat base URL and the Secrets Manager
// endpoint at the emulator's address on docker.sh's bridge, and overrides
// every variable the template wires to a stack resource (SAM gives those
// the bare logical ID locally).
func TestEnvLocalJSON(t *testing.T) {
	var env map[string]map[string]string
	decodeEvent(t, "env.local.json", &env)
	src := loadTemplates(t).Source
	out := loadTemplates(t).Transformed
	declared := map[string]map[string]any{}
	for _, id := range allFunctions {
		declared[id] = asMap(at(resource(t, out, id, "AWS::Lambda::Function"), "Properties", "Environment", "Variables"))
		if _, ok := env[id]; !ok {
			t.Errorf("env.local.json lacks %s", id)
		}
	}
	for section, vars := range env {
		if section != "Parameters" && declared[section] == nil {
			t.Errorf("env.local.json: %s is not a function of the template", section)
		}
		for k := range vars {
			for id, d := range declared {
				if (section == "Parameters" || section == id) && d[k] == nil {
					t.Errorf("env.local.json %s.%s is not declared on %s: SAM would not pass it", section, k, id)
				}
			}
		}
	}
	p := env["Parameters"]
	script := readRootFile(t, "internal/samlocal/docker.sh")
	bridge := regexp.MustCompile(`(?m)^BRIDGE_IP=(\S+)$`).FindSubmatch(script)
	if bridge == nil {
		t.Fatal("docker.sh sets no BRIDGE_IP")
	}
	for _, k := range []string{"CHAT_BASE_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"} {
		if p[k] != "http://"+string(bridge[1])+":8400" {
			t.Errorf("env.local.json Parameters.%s = %q, want chatsync emulator on the bridge, http://%s:8400", k, p[k], bridge[1])
		}
	}
	if p["CHAT_SECRET_ID"] != "local/chat-admin" {
		t.Errorf("CHAT_SECRET_ID %q, want the emulator's secret", p["CHAT_SECRET_ID"])
	}
	// Variables wired to a resource: a Ref or GetAtt of something in
	// Resources (directly or inside an If) in the source template.
	globals := asMap(at(src, "Globals", "Function", "Environment", "Variables"))
	for _, id := range allFunctions {
		vars := map[string]any{}
		for k, v := range globals {
			vars[k] = v
		}
		for k, v := range asMap(at(src, "Resources", id, "Properties", "Environment", "Variables")) {
			vars[k] = v
		}
		for k, v := range vars {
			if !refersToResource(v, asMap(src["Resources"])) {
				continue
			}
			if _, ok := env[id][k]; !ok {
				if _, ok := p[k]; !ok {
					t.Errorf("env.local.json does not override %s.%s, which the template wires to a resource", id, k)
				}
			}
		}
	}
}

func refersToResource(v any, resources map[string]any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, arg := range x {
			if name, ok := arg.(string); ok && (k == "Ref" || k == "Fn::GetAtt") {
				if _, ok := resources[strings.Split(name, ".")[0]]; ok {
					return true
				}
			}
			if refersToResource(arg, resources) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if refersToResource(e, resources) {
				return true
			}
		}
	}
	return false
}

// TestTemplateLocalOnlyVariables: the variables declared for local runs are
// AWS::NoValue, so a stack deployed with its defaults has none of them, and
// the template never declares AWS_SAM_LOCAL, the switch that lets the
// functions use plain http to a private address (only the SAM CLI sets it).
func TestTemplateLocalOnlyVariables(t *testing.T) {
	src := loadTemplates(t).Source
	globals := asMap(at(src, "Globals", "Function", "Environment", "Variables"))
	for _, k := range []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"} {
		b, _ := json.Marshal(globals[k])
		if string(b) != `{"Ref":"AWS::NoValue"}` {
			t.Errorf("Globals %s = %s, want AWS::NoValue", k, b)
		}
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "AWS_SAM_LOCAL") {
		t.Error("template.yaml mentions AWS_SAM_LOCAL: a deployed function must never have it")
	}
}
