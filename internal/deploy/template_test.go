package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCfnLint: `cfn-lint template.yaml` prints nothing and exits 0. cfn-lint
// runs the SAM transform and checks every branch of the template's
// conditions, so this covers both HTTP auth modes.
func TestCfnLint(t *testing.T) {
	t.Parallel()
	readRootFile(t, "template.yaml")
	lint := cfnLint(t)
	r := run(t, 3*time.Minute, lint, "template.yaml")
	if r.err != nil || r.combined() != "" {
		t.Fatalf("cfn-lint template.yaml: %v\n%s", errOrOK(r.err), r.combined())
	}
}

// TestCfnLintParameterSets lints with parameter values that flip every
// condition: jwt mode, a customer-managed key, a base URL and an alarm topic.
func TestCfnLintParameterSets(t *testing.T) {
	t.Parallel()
	readRootFile(t, "template.yaml")
	lint := cfnLint(t)
	sets := map[string][]string{
		"iam-defaults": {
			"ChatSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-admin-key-AbCdEf",
			"ChatRegion=singapore",
		},
		"jwt-everything-set": {
			"ChatSecretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-admin-key-AbCdEf",
			"ChatRegion=frankfurt",
			"HttpAuthMode=jwt",
			"AdminGroup=ops",
			"KmsKeyArn=arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"ChatBaseUrl=https://adminapiger.my-imcloud.com",
			"AlarmTopicArn=arn:aws:sns:us-east-1:123456789012:chat-alarms",
			"ApiThrottlingRateLimit=10",
			"ApiThrottlingBurstLimit=20",
		},
	}
	for name, params := range sets {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"--parameters"}, params...)
			args = append(args, "--", "template.yaml")
			r := run(t, 3*time.Minute, lint, args...)
			if r.err != nil || r.combined() != "" {
				t.Fatalf("cfn-lint %s: %v\n%s", strings.Join(args, " "), errOrOK(r.err), r.combined())
			}
		})
	}
}

// translateScript decodes template.yaml with cfn-lint's loader (which knows
// the short intrinsic tags) and runs the SAM translator on it, printing
// {"source": ..., "transformed": ...} as JSON. An optional second argument
// is a JSON object of parameter values for the translator. Exit 3: a module
// is missing.
const translateScript = `
import json, sys
try:
    from cfnlint.decode import decode
    from samtranslator.parser import parser
    from samtranslator.translator.translator import Translator
except ImportError as e:
    sys.stderr.write("missing module: %s\n" % e)
    sys.exit(3)
tpl, matches = decode(sys.argv[1])
if matches:
    for m in matches:
        sys.stderr.write(str(m) + "\n")
    sys.exit(2)
src = json.loads(json.dumps(tpl, default=str))
doc = json.loads(json.dumps(src))
code = "s3://example-bucket/code.zip"
doc.setdefault("Globals", {}).setdefault("Function", {})["CodeUri"] = code
for res in doc.get("Resources", {}).values():
    if res.get("Type") == "AWS::Serverless::Function" and "CodeUri" in res.get("Properties", {}):
        res["Properties"]["CodeUri"] = code
params = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
out = Translator({}, parser.Parser()).translate(doc, parameter_values=params)
print(json.dumps({"source": src, "transformed": out}, default=str))
`

type templates struct {
	Source      map[string]any `json:"source"`
	Transformed map[string]any `json:"transformed"`
}

var (
	translateOnce sync.Once
	translated    templates
	translateErr  error
	translateSkip string
)

// loadTemplates returns template.yaml as written and as the SAM transform
// turns it into CloudFormation.
func loadTemplates(t *testing.T) templates {
	t.Helper()
	readRootFile(t, "template.yaml")
	translateOnce.Do(func() {
		pythons := []string{"python3", filepath.Join(repoRoot(t), ".venv", "bin", "python")}
		var tried []string
		for _, py := range pythons {
			path, err := exec.LookPath(py)
			if err != nil {
				tried = append(tried, py+": not found")
				continue
			}
			r := run(t, 2*time.Minute, path, "-c", translateScript, "template.yaml")
			var exit *exec.ExitError
			if errors.As(r.err, &exit) && exit.ExitCode() == 3 {
				tried = append(tried, py+": "+strings.TrimSpace(r.stderr))
				continue
			}
			if r.err != nil {
				translateErr = fmt.Errorf("%s: SAM translation failed: %v\n%s", py, r.err, r.combined())
				return
			}
			translateErr = json.Unmarshal([]byte(r.stdout), &translated)
			return
		}
		translateSkip = "no Python with cfn-lint and the SAM translator (" + strings.Join(tried, "; ") + "): pip install cfn-lint==1.51.0"
	})
	if translateSkip != "" {
		missingTool(t, "%s", translateSkip)
	}
	if translateErr != nil {
		t.Fatal(translateErr)
	}
	return translated
}

// --- small helpers over decoded JSON -----------------------------------------

func jv(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(fmt.Sprintf("bad JSON literal %q: %v", s, err))
	}
	return v
}

func at(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func num(t *testing.T, v any, what string) float64 {
	t.Helper()
	switch n := v.(type) {
	case float64:
		return n
	case string:
		var f float64
		if _, err := fmt.Sscanf(n, "%g", &f); err == nil {
			return f
		}
	}
	t.Fatalf("%s: want a number, got %#v", what, v)
	return 0
}

func same(a, b any) bool { return reflect.DeepEqual(a, b) }

func resource(t *testing.T, tpl map[string]any, id, typ string) map[string]any {
	t.Helper()
	r := asMap(at(tpl, "Resources", id))
	if r == nil {
		t.Fatalf("resource %s missing", id)
	}
	if r["Type"] != typ {
		t.Fatalf("resource %s: type %v, want %s", id, r["Type"], typ)
	}
	return r
}

func resourcesOfType(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range asMap(at(tpl, "Resources")) {
		if m := asMap(r); m != nil && m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

type noValueT struct{}

var noValue = noValueT{}

// resolveIf evaluates Fn::If with the given condition values and drops
// AWS::NoValue, as CloudFormation would.
func resolveIf(v any, conds map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		if args, ok := x["Fn::If"].([]any); ok && len(x) == 1 && len(args) == 3 {
			name, _ := args[0].(string)
			if conds[name] {
				return resolveIf(args[1], conds)
			}
			return resolveIf(args[2], conds)
		}
		if len(x) == 1 && x["Ref"] == "AWS::NoValue" {
			return noValue
		}
		out := map[string]any{}
		for k, e := range x {
			if r := resolveIf(e, conds); r != noValue {
				out[k] = r
			}
		}
		return out
	case []any:
		out := []any{}
		for _, e := range x {
			if r := resolveIf(e, conds); r != noValue {
				out = append(out, r)
			}
		}
		return out
	}
	return v
}

// --- structure ---------------------------------------------------------------

func TestTemplateParameters(t *testing.T) {
	src := loadTemplates(t).Source
	p := func(name string) map[string]any {
		m := asMap(at(src, "Parameters", name))
		if m == nil {
			t.Fatalf("parameter %s missing", name)
		}
		return m
	}
	regions := []string{"china", "singapore", "seoul", "tokyo", "frankfurt", "mumbai", "siliconvalley", "jakarta"}
	var got []string
	for _, v := range asList(p("ChatRegion")["AllowedValues"]) {
		got = append(got, fmt.Sprint(v))
	}
	if !slices.Equal(sorted(got), sorted(regions)) {
		t.Errorf("ChatRegion AllowedValues = %v, want %v", got, regions)
	}
	if _, ok := p("ChatSecretArn")["Default"]; ok {
		t.Errorf("ChatSecretArn must have no default")
	}
	for name, want := range map[string]string{
		"KmsKeyArn": "", "HttpAuthMode": "iam", "AdminGroup": "chat-admins",
		"UserIdAttribute": "sub", "AlarmTopicArn": "", "ChatBaseUrl": "",
	} {
		if got := fmt.Sprint(p(name)["Default"]); got != want {
			t.Errorf("parameter %s default = %q, want %q", name, got, want)
		}
	}
	if !same(p("HttpAuthMode")["AllowedValues"], jv(`["iam","jwt"]`)) {
		t.Errorf("HttpAuthMode AllowedValues = %v", p("HttpAuthMode")["AllowedValues"])
	}
	// Defaults below Chat's app-wide caps (multiaccount_import/account_delete
	// 100/s, account_import 200/s).
	if r := num(t, p("ApiThrottlingRateLimit")["Default"], "ApiThrottlingRateLimit"); r <= 0 || r >= 100 {
		t.Errorf("ApiThrottlingRateLimit default %v not in (0, 100)", r)
	}
	if b := num(t, p("ApiThrottlingBurstLimit")["Default"], "ApiThrottlingBurstLimit"); b <= 0 || b > 100 {
		t.Errorf("ApiThrottlingBurstLimit default %v not in (0, 100]", b)
	}
	conds := asMap(at(src, "Conditions"))
	for name, want := range map[string]string{
		"IsJwt":         `{"Fn::Equals":[{"Ref":"HttpAuthMode"},"jwt"]}`,
		"HasKmsKey":     `{"Fn::Not":[{"Fn::Equals":[{"Ref":"KmsKeyArn"},""]}]}`,
		"HasAlarmTopic": `{"Fn::Not":[{"Fn::Equals":[{"Ref":"AlarmTopicArn"},""]}]}`,
	} {
		if !same(conds[name], jv(want)) {
			t.Errorf("condition %s = %v, want %s", name, conds[name], want)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

var (
	commonEnv = []string{"CHAT_SECRET_ID", "CHAT_REGION", "CHAT_BASE_URL", "CHAT_SECRET_TTL", "HTTP_AUTH_MODE", "ADMIN_GROUP", "USER_ID_ATTRIBUTE", "METRICS_NAMESPACE"}
	importEnv = []string{"USER_ID_ATTRIBUTE", "NICK_ATTRIBUTE", "FACE_URL_ATTRIBUTE", "RETRY_QUEUE_URL", "DEAD_LETTER_QUEUE_URL"}
)

func TestTemplateFunctions(t *testing.T) {
	tpls := loadTemplates(t)
	src, out := tpls.Source, tpls.Transformed

	globals := asMap(at(src, "Globals", "Function"))
	timeouts := map[string]float64{}
	for _, id := range allFunctions {
		s := resource(t, src, id, "AWS::Serverless::Function")
		if got := at(s, "Metadata", "BuildMethod"); got != "makefile" {
			t.Errorf("%s Metadata.BuildMethod = %v, want makefile", id, got)
		}
		codeURI := at(s, "Properties", "CodeUri")
		if codeURI == nil {
			codeURI = globals["CodeUri"]
		}
		if codeURI != "." && codeURI != "./" {
			t.Errorf("%s CodeUri = %v, want . (the module root)", id, codeURI)
		}

		f := asMap(resource(t, out, id, "AWS::Lambda::Function")["Properties"])
		if f["Runtime"] != "provided.al2023" || !same(f["Architectures"], jv(`["arm64"]`)) || f["Handler"] != "bootstrap" {
			t.Errorf("%s: Runtime %v, Architectures %v, Handler %v; want provided.al2023, [arm64], bootstrap",
				id, f["Runtime"], f["Architectures"], f["Handler"])
		}
		if m := num(t, f["MemorySize"], id+" MemorySize"); m < 128 || m > 256 {
			t.Errorf("%s MemorySize = %v, want 128-256", id, m)
		}
		timeouts[id] = num(t, f["Timeout"], id+" Timeout")
		if at(f, "LoggingConfig", "LogFormat") != "JSON" {
			t.Errorf("%s LoggingConfig.LogFormat = %v, want JSON", id, at(f, "LoggingConfig", "LogFormat"))
		}
		env := asMap(at(f, "Environment", "Variables"))
		want := commonEnv
		if id == "ImportFunction" {
			want = append(slices.Clone(commonEnv), importEnv...)
		}
		for _, k := range want {
			if _, ok := env[k]; !ok {
				t.Errorf("%s environment lacks %s", id, k)
			}
		}
		if !same(env["CHAT_SECRET_ID"], jv(`{"Ref":"ChatSecretArn"}`)) {
			t.Errorf("%s CHAT_SECRET_ID = %v, want Ref ChatSecretArn", id, env["CHAT_SECRET_ID"])
		}
		// CHAT_BASE_URL only when the parameter is set.
		if !same(env["CHAT_BASE_URL"], jv(`{"Fn::If":["HasChatBaseUrl",{"Ref":"ChatBaseUrl"},{"Ref":"AWS::NoValue"}]}`)) {
			t.Errorf("%s CHAT_BASE_URL = %v", id, env["CHAT_BASE_URL"])
		}
	}
	// The import function's longest paths: a 1,000-account batch (10 calls of
	// 100, each bounded by Chat's 3 s server timeout, plus retries) and a queue batch.
	if timeouts["ImportFunction"] < 30 || timeouts["ImportFunction"] > 300 {
		t.Errorf("ImportFunction Timeout = %v s, want 30-300", timeouts["ImportFunction"])
	}
	if timeouts["DeleteFunction"] < 15 || timeouts["DeleteFunction"] > 300 {
		t.Errorf("DeleteFunction Timeout = %v s, want 15-300", timeouts["DeleteFunction"])
	}

	imp := asMap(resource(t, out, "ImportFunction", "AWS::Lambda::Function")["Properties"])
	env := asMap(at(imp, "Environment", "Variables"))
	if !same(env["RETRY_QUEUE_URL"], jv(`{"Ref":"RetryQueue"}`)) || !same(env["DEAD_LETTER_QUEUE_URL"], jv(`{"Ref":"DeadLetterQueue"}`)) {
		t.Errorf("queue URLs: RETRY_QUEUE_URL %v, DEAD_LETTER_QUEUE_URL %v", env["RETRY_QUEUE_URL"], env["DEAD_LETTER_QUEUE_URL"])
	}
	// The import log group is declared (fixed name, retention).
	if !same(at(imp, "LoggingConfig", "LogGroup"), jv(`{"Ref":"ImportFunctionLogGroup"}`)) {
		t.Errorf("ImportFunction LoggingConfig.LogGroup = %v, want Ref ImportFunctionLogGroup", at(imp, "LoggingConfig", "LogGroup"))
	}
	lg := resource(t, out, "ImportFunctionLogGroup", "AWS::Logs::LogGroup")
	if at(lg, "Properties", "RetentionInDays") == nil {
		t.Errorf("ImportFunctionLogGroup has no RetentionInDays")
	}

	// The queue's visibility timeout is at least 6x the consumer's timeout.
	q := resource(t, out, "RetryQueue", "AWS::SQS::Queue")
	if vt := num(t, at(q, "Properties", "VisibilityTimeout"), "RetryQueue VisibilityTimeout"); vt < 6*timeouts["ImportFunction"] {
		t.Errorf("RetryQueue VisibilityTimeout %v < 6 x ImportFunction Timeout %v", vt, timeouts["ImportFunction"])
	}
}

// statements returns a role's policy statements, each with the condition
// that guards it ("" when unconditional).
type stmt struct {
	cond string
	s    map[string]any
}

func roleStatements(t *testing.T, role map[string]any) []stmt {
	t.Helper()
	var out []stmt
	for _, p := range asList(at(role, "Properties", "Policies")) {
		cond := ""
		if args, ok := asMap(p)["Fn::If"].([]any); ok && len(args) == 3 {
			cond, _ = args[0].(string)
			if !same(args[2], jv(`{"Ref":"AWS::NoValue"}`)) {
				t.Errorf("conditional policy %v: else branch must be AWS::NoValue", p)
			}
			p = args[1]
		}
		for _, s := range asList(at(p, "PolicyDocument", "Statement")) {
			out = append(out, stmt{cond, asMap(s)})
		}
	}
	return out
}

// eachAllowed calls f with each action that an Allow statement of role
// grants, and the statement; it returns the actions seen.
func eachAllowed(t *testing.T, role map[string]any, f func(action string, st stmt)) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, st := range roleStatements(t, role) {
		if st.s["Effect"] != "Allow" {
			continue
		}
		for _, a := range asList(st.s["Action"]) {
			action := fmt.Sprint(a)
			seen[action] = true
			f(action, st)
		}
	}
	return seen
}

func TestTemplatePolicies(t *testing.T) {
	out := loadTemplates(t).Transformed
	secret := jv(`{"Ref":"ChatSecretArn"}`)
	key := jv(`{"Ref":"KmsKeyArn"}`)
	queues := jv(`[{"Fn::GetAtt":["RetryQueue","Arn"]},{"Fn::GetAtt":["DeadLetterQueue","Arn"]}]`)

	for _, id := range []string{"ImportFunction", "DeleteFunction"} {
		roleID := id + "Role"
		role := resource(t, out, roleID, "AWS::IAM::Role")
		seen := eachAllowed(t, role, func(action string, st stmt) {
			switch action {
			case "secretsmanager:GetSecretValue":
				if st.cond != "" || !same(st.s["Resource"], secret) {
					t.Errorf("%s: GetSecretValue on %v (condition %q), want the secret ARN only, unconditionally", roleID, st.s["Resource"], st.cond)
				}
			case "kms:Decrypt":
				if st.cond != "HasKmsKey" || !same(st.s["Resource"], key) {
					t.Errorf("%s: kms:Decrypt on %v under condition %q, want Ref KmsKeyArn under HasKmsKey", roleID, st.s["Resource"], st.cond)
				}
			case "sqs:SendMessage":
				if id != "ImportFunction" {
					t.Errorf("%s: sqs:SendMessage granted to the delete function", roleID)
				}
				res := asList(st.s["Resource"])
				sort.Slice(res, func(i, j int) bool { return fmt.Sprint(res[i]) > fmt.Sprint(res[j]) })
				if !same(res, queues) {
					t.Errorf("%s: sqs:SendMessage on %v, want the retry queue and the DLQ only", roleID, st.s["Resource"])
				}
			case "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes":
				// Each function consumes its own queues: the import function
				// the retry queue, and with lifecycle events each its own
				// lifecycle queue.
				own := map[string]string{"ImportFunction": "LifecycleImportQueue", "DeleteFunction": "LifecycleDeleteQueue"}[id]
				switch {
				case id == "ImportFunction" && st.cond == "" && same(st.s["Resource"], jv(`{"Fn::GetAtt":["RetryQueue","Arn"]}`)):
				case st.cond == "LifecycleEnabled" && same(st.s["Resource"], jv(`{"Fn::GetAtt":["`+own+`","Arn"]}`)):
				default:
					t.Errorf("%s: %s on %v (condition %q), want the import function on the retry queue, and each function on its own lifecycle queue", roleID, action, st.s["Resource"], st.cond)
				}
			case "cognito-idp:AdminGetUser":
				// The delete function reads the user before a lifecycle
				// delete; the role may name the pool (the pool names only
				// the import function).
				if id != "DeleteFunction" || st.cond != "LifecycleEnabled" || !same(st.s["Resource"], poolArn) {
					t.Errorf("%s: AdminGetUser on %v (condition %q), want the delete function on the pool, with lifecycle events only", roleID, st.s["Resource"], st.cond)
				}
			case "dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem":
				// the ledger: TestTemplateLedger
			default:
				t.Errorf("%s: unexpected inline permission %s on %v", roleID, action, st.s["Resource"])
			}
		})
		for _, want := range []string{"secretsmanager:GetSecretValue", "kms:Decrypt"} {
			if !seen[want] {
				t.Errorf("%s lacks %s", roleID, want)
			}
		}
		if id == "ImportFunction" && !seen["sqs:SendMessage"] {
			t.Errorf("%s lacks sqs:SendMessage", roleID)
		}
	}
}

func TestTemplateRetryQueue(t *testing.T) {
	out := loadTemplates(t).Transformed
	q := asMap(resource(t, out, "RetryQueue", "AWS::SQS::Queue")["Properties"])
	dlq := asMap(resource(t, out, "DeadLetterQueue", "AWS::SQS::Queue")["Properties"])
	for name, p := range map[string]map[string]any{"RetryQueue": q, "DeadLetterQueue": dlq} {
		if p["SqsManagedSseEnabled"] != true && p["KmsMasterKeyId"] == nil {
			t.Errorf("%s is not encrypted", name)
		}
	}
	if r := num(t, dlq["MessageRetentionPeriod"], "DLQ MessageRetentionPeriod"); r != 14*24*3600 {
		t.Errorf("DLQ MessageRetentionPeriod = %v, want 1209600 (14 days)", r)
	}
	rp := asMap(q["RedrivePolicy"])
	if !same(rp["deadLetterTargetArn"], jv(`{"Fn::GetAtt":["DeadLetterQueue","Arn"]}`)) || num(t, rp["maxReceiveCount"], "maxReceiveCount") != 5 {
		t.Errorf("RetryQueue RedrivePolicy = %v, want the DLQ after 5 receives", rp)
	}

	var found bool
	for id, esm := range resourcesOfType(out, "AWS::Lambda::EventSourceMapping") {
		p := asMap(esm["Properties"])
		if !same(p["EventSourceArn"], jv(`{"Fn::GetAtt":["RetryQueue","Arn"]}`)) {
			continue
		}
		found = true
		if !same(p["FunctionName"], jv(`{"Ref":"ImportFunction"}`)) {
			t.Errorf("%s feeds %v, want ImportFunction", id, p["FunctionName"])
		}
		if !slices.Contains(asList(p["FunctionResponseTypes"]), any("ReportBatchItemFailures")) {
			t.Errorf("%s: FunctionResponseTypes %v lacks ReportBatchItemFailures", id, p["FunctionResponseTypes"])
		}
		if mc := num(t, at(p, "ScalingConfig", "MaximumConcurrency"), "MaximumConcurrency"); mc < 2 || mc > 5 {
			t.Errorf("%s: MaximumConcurrency = %v, want 2-5 (Chat's caps are app-wide)", id, mc)
		}
		if bs := num(t, p["BatchSize"], "BatchSize"); bs < 1 || bs > 10 {
			t.Errorf("%s: BatchSize = %v, want 1-10", id, bs)
		}
	}
	if !found {
		t.Errorf("no event source mapping from RetryQueue")
	}
}

func TestTemplateAlarms(t *testing.T) {
	out := loadTemplates(t).Transformed
	alarmActions := jv(`{"Fn::If":["HasAlarmTopic",[{"Ref":"AlarmTopicArn"}],{"Ref":"AWS::NoValue"}]}`)

	// The "lost import" log-pattern filter gave way to the functions' own
	// Lost metric; no metric filter is left to keep in step with log text.
	if mf := resourcesOfType(out, "AWS::Logs::MetricFilter"); len(mf) != 0 {
		t.Errorf("metric filters %v: the embedded metrics replace them", slices.Collect(maps.Keys(mf)))
	}

	var dlqAlarm bool
	metricAlarms := map[string]bool{}
	for id, a := range resourcesOfType(out, "AWS::CloudWatch::Alarm") {
		p := asMap(a["Properties"])
		switch {
		case p["MetricName"] == "ApproximateNumberOfMessagesVisible":
			dims := asList(p["Dimensions"])
			if len(dims) == 1 && same(at(dims[0], "Value"), jv(`{"Fn::GetAtt":["DeadLetterQueue","QueueName"]}`)) {
				dlqAlarm = true
				if num(t, p["Threshold"], "Threshold") != 0 || p["ComparisonOperator"] != "GreaterThanThreshold" {
					t.Errorf("%s: want > 0, got %v %v", id, p["ComparisonOperator"], p["Threshold"])
				}
			}
		case same(p["Namespace"], jv(`{"Ref":"MetricsNamespace"}`)):
			metricAlarms[fmt.Sprint(p["MetricName"])] = true
			if !same(p["Dimensions"], jv(`[{"Name":"Function","Value":"import"}]`)) {
				t.Errorf("%s: dimensions %v, want Function=import", id, p["Dimensions"])
			}
			if num(t, p["Threshold"], "Threshold") != 0 || p["ComparisonOperator"] != "GreaterThanThreshold" || p["Statistic"] != "Sum" {
				t.Errorf("%s: %v %v %v, want Sum > 0: any one alarms", id, p["Statistic"], p["ComparisonOperator"], p["Threshold"])
			}
			if p["TreatMissingData"] != "notBreaching" {
				t.Errorf("%s: TreatMissingData %v, want notBreaching", id, p["TreatMissingData"])
			}
		}
		if !same(p["AlarmActions"], alarmActions) {
			t.Errorf("%s: AlarmActions %v, want the SNS topic when AlarmTopicArn is set", id, p["AlarmActions"])
		}
	}
	if !dlqAlarm {
		t.Errorf("no alarm on the DLQ's ApproximateNumberOfMessagesVisible")
	}
	for _, m := range []string{"Lost", "Parked"} {
		if !metricAlarms[m] {
			t.Errorf("no alarm on the %s metric", m)
		}
	}
}

func TestTemplateCognito(t *testing.T) {
	out := loadTemplates(t).Transformed
	pool := resource(t, out, "UserPool", "AWS::Cognito::UserPool")
	if !same(at(pool, "Properties", "LambdaConfig", "PostConfirmation"), jv(`{"Fn::GetAtt":["ImportFunction","Arn"]}`)) {
		t.Errorf("UserPool PostConfirmation trigger = %v, want ImportFunction", at(pool, "Properties", "LambdaConfig", "PostConfirmation"))
	}
	resource(t, out, "UserPoolClient", "AWS::Cognito::UserPoolClient")
	var invoke bool
	for _, p := range resourcesOfType(out, "AWS::Lambda::Permission") {
		if at(p, "Properties", "Principal") == "cognito-idp.amazonaws.com" &&
			same(at(p, "Properties", "FunctionName"), jv(`{"Ref":"ImportFunction"}`)) {
			invoke = true
			if !same(at(p, "Properties", "SourceArn"), poolArn) {
				t.Errorf("Cognito's invoke permission: SourceArn %v, want the stack's pool", at(p, "Properties", "SourceArn"))
			}
		}
	}
	if !invoke {
		t.Errorf("no permission for Cognito to invoke ImportFunction")
	}
	g := resource(t, out, "AdminUserGroup", "AWS::Cognito::UserPoolGroup")
	if !same(at(g, "Properties", "GroupName"), jv(`{"Ref":"AdminGroup"}`)) {
		t.Errorf("admin group name = %v, want Ref AdminGroup", at(g, "Properties", "GroupName"))
	}
}

// TestTemplateHTTPAPIAuth resolves the HTTP API's OpenAPI body for each auth
// mode and checks that exactly the three routes exist, each wired to its
// function and guarded by IAM (iam) or the user pool's JWT authorizer (jwt).
func TestTemplateHTTPAPIAuth(t *testing.T) {
	out := loadTemplates(t).Transformed
	api := resource(t, out, "HttpApi", "AWS::ApiGatewayV2::Api")
	routes := map[string]string{
		"post /accounts":            "ImportFunction",
		"delete /accounts/{userId}": "DeleteFunction",
		"post /accounts/delete":     "DeleteFunction",
		"get /usersig":              "UserSigFunction",
		"post /usersig":             "UserSigFunction",
	}
	for _, mode := range []string{"iam", "jwt"} {
		t.Run(mode, func(t *testing.T) {
			// The pool this stack creates; TestTemplateExistingPool covers the other.
			body := asMap(resolveIf(at(api, "Properties", "Body"), map[string]bool{"IsJwt": mode == "jwt", "CreatesUserPool": true}))
			schemes := asMap(at(body, "components", "securitySchemes"))
			seen := map[string]bool{}
			for path, item := range asMap(body["paths"]) {
				for method, op := range asMap(item) {
					if method == "parameters" {
						continue
					}
					route := method + " " + path
					fn, ok := routes[route]
					if !ok {
						t.Errorf("unexpected route %s", route)
						continue
					}
					seen[route] = true
					uri := fmt.Sprint(at(op, "x-amazon-apigateway-integration", "uri"))
					if !strings.Contains(uri, "${"+fn+".Arn}") {
						t.Errorf("%s integrates %s, want %s", route, uri, fn)
					}
					if v := at(op, "x-amazon-apigateway-integration", "payloadFormatVersion"); v != "2.0" {
						t.Errorf("%s payloadFormatVersion = %v, want 2.0", route, v)
					}
					sec := asList(at(op, "security"))
					if len(sec) != 1 || len(asMap(sec[0])) != 1 {
						t.Errorf("%s security = %v, want exactly one authorizer", route, at(op, "security"))
						continue
					}
					for name := range asMap(sec[0]) {
						checkScheme(t, mode, route, name, asMap(schemes[name]))
					}
				}
			}
			for route := range routes {
				if !seen[route] {
					t.Errorf("route %s missing", route)
				}
			}
		})
	}

	// Throttling and access logs on the stage.
	var stage map[string]any
	for _, s := range resourcesOfType(out, "AWS::ApiGatewayV2::Stage") {
		if same(at(s, "Properties", "ApiId"), jv(`{"Ref":"HttpApi"}`)) {
			stage = asMap(s["Properties"])
		}
	}
	if stage == nil {
		t.Fatalf("no stage for HttpApi")
	}
	if !same(at(stage, "DefaultRouteSettings", "ThrottlingRateLimit"), jv(`{"Ref":"ApiThrottlingRateLimit"}`)) ||
		!same(at(stage, "DefaultRouteSettings", "ThrottlingBurstLimit"), jv(`{"Ref":"ApiThrottlingBurstLimit"}`)) {
		t.Errorf("stage DefaultRouteSettings = %v, want the throttling parameters", stage["DefaultRouteSettings"])
	}
	if at(stage, "AccessLogSettings", "DestinationArn") == nil {
		t.Errorf("stage has no access logs")
	}
}

func checkScheme(t *testing.T, mode, route, name string, scheme map[string]any) {
	t.Helper()
	switch mode {
	case "iam":
		if scheme["x-amazon-apigateway-authtype"] != "awsSigv4" {
			t.Errorf("iam mode: %s uses %s = %v, want AWS_IAM (awsSigv4)", route, name, scheme)
		}
	case "jwt":
		az := asMap(scheme["x-amazon-apigateway-authorizer"])
		if az["type"] != "jwt" {
			t.Errorf("jwt mode: %s uses %s = %v, want a JWT authorizer", route, name, scheme)
			return
		}
		iss := at(az, "jwtConfiguration", "issuer")
		want := jv(`{"Fn::Sub":["https://cognito-idp.${AWS::Region}.amazonaws.com/${PoolId}",{"PoolId":{"Ref":"UserPool"}}]}`)
		if !same(iss, want) {
			t.Errorf("jwt issuer = %v, want the stack's user pool", iss)
		}
		if !same(at(az, "jwtConfiguration", "audience"), jv(`[{"Ref":"UserPoolClient"}]`)) {
			t.Errorf("jwt audience = %v, want the app client", at(az, "jwtConfiguration", "audience"))
		}
	}
}

func TestTemplateOutputs(t *testing.T) {
	out := loadTemplates(t).Transformed
	outputs := asMap(out["Outputs"])
	for _, name := range []string{
		"ApiUrl", "UserPoolId", "UserPoolClientId", "ImportFunctionArn", "DeleteFunctionArn", "UserSigFunctionArn",
		"RetryQueueUrl", "DeadLetterQueueUrl", "RetryQueueArn", "DeadLetterQueueArn", "DashboardName",
	} {
		if at(outputs, name, "Value") == nil {
			t.Errorf("output %s missing", name)
		}
	}
	// The redrive runbooks need ARNs; optional features' outputs exist with them.
	for name, want := range map[string]struct{ value, cond string }{
		"RetryQueueArn":               {`{"Fn::GetAtt":["RetryQueue","Arn"]}`, ""},
		"DeadLetterQueueArn":          {`{"Fn::GetAtt":["DeadLetterQueue","Arn"]}`, ""},
		"SyncQueueArn":                {`{"Fn::GetAtt":["SyncQueue","Arn"]}`, "SyncEnabled"},
		"SyncDeadLetterQueueArn":      {`{"Fn::GetAtt":["SyncDeadLetterQueue","Arn"]}`, "SyncEnabled"},
		"SyncFunctionArn":             {`{"Fn::GetAtt":["SyncFunction","Arn"]}`, "SyncEnabled"},
		"LifecycleDeadLetterQueueArn": {`{"Fn::GetAtt":["LifecycleDeadLetterQueue","Arn"]}`, "LifecycleEnabled"},
		"UserPoolId":                  {poolIDJSON, ""},
	} {
		o := asMap(outputs[name])
		if !same(o["Value"], jv(want.value)) || fmt.Sprint(o["Condition"]) != fmt.Sprint(orNil(want.cond)) {
			t.Errorf("output %s = %v (condition %v), want %s (condition %q)", name, o["Value"], o["Condition"], want.value, want.cond)
		}
	}
}
