package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// allFunctions are the template's functions; SyncFunction exists only when
// SyncSchedule is set.
var allFunctions = []string{"ImportFunction", "DeleteFunction", "UserSigFunction", "SyncFunction"}

// functionPackages maps each function to the package its Makefile target builds.
var functionPackages = map[string]string{
	"ImportFunction":  "./functions/import",
	"DeleteFunction":  "./functions/delete",
	"UserSigFunction": "./functions/usersig",
	"SyncFunction":    "./functions/sync",
}

// The one way the template names the user pool: the created one, or the
// existing one given as a parameter.
const (
	poolIDJSON  = `{"Fn::If":["CreatesUserPool",{"Ref":"UserPool"},{"Ref":"ExistingUserPoolId"}]}`
	poolArnJSON = `{"Fn::If":["CreatesUserPool",{"Fn::GetAtt":["UserPool","Arn"]},{"Fn::Sub":"arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/${ExistingUserPoolId}"}]}`
)

var (
	poolID  = jv(poolIDJSON)
	poolArn = jv(poolArnJSON)
)

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const testSecretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-admin-key-AbCdEf"

// --- translation with parameter values ---------------------------------------

var (
	translateWithMu    sync.Mutex
	translateWithCache = map[string]templates{}
)

// translateWith runs the SAM translator with parameter values, as
// CloudFormation's transform does at deploy time.
func translateWith(t *testing.T, params map[string]string) map[string]any {
	t.Helper()
	loadTemplates(t)             // skips or fails as the plain translation does
	b, _ := json.Marshal(params) // map keys are sorted: a stable cache key
	key := string(b)
	translateWithMu.Lock()
	defer translateWithMu.Unlock()
	if tpl, ok := translateWithCache[key]; ok {
		return tpl.Transformed
	}
	var lastErr string
	for _, py := range []string{"python3", filepath.Join(repoRoot(t), ".venv", "bin", "python")} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		r := run(t, 2*time.Minute, path, "-c", translateScript, "template.yaml", key)
		if r.err != nil {
			lastErr = r.combined()
			continue
		}
		var tpl templates
		if err := json.Unmarshal([]byte(r.stdout), &tpl); err != nil {
			t.Fatalf("translation output: %v", err)
		}
		translateWithCache[key] = tpl
		return tpl.Transformed
	}
	t.Fatalf("SAM translation with %s failed:\n%s", key, lastErr)
	return nil
}

// --- conditions and rules ------------------------------------------------------

// paramEnv evaluates the template's condition and rule functions for a set of
// parameter values (the rest take their defaults), as CloudFormation would.
type paramEnv struct {
	t     *testing.T
	src   map[string]any
	vals  map[string]string
	conds map[string]bool
}

func newParamEnv(t *testing.T, src map[string]any, params map[string]string) *paramEnv {
	t.Helper()
	e := &paramEnv{t: t, src: src, vals: map[string]string{
		"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
	}}
	for name, p := range asMap(src["Parameters"]) {
		if d, ok := asMap(p)["Default"]; ok {
			e.vals[name] = fmt.Sprint(d)
		}
	}
	for k, v := range params {
		if _, ok := asMap(src["Parameters"])[k]; !ok {
			t.Fatalf("no parameter %s in the template", k)
		}
		e.vals[k] = v
	}
	e.conds = map[string]bool{}
	for name := range asMap(src["Conditions"]) {
		e.conds[name] = e.cond(map[string]any{"Condition": name})
	}
	return e
}

func (e *paramEnv) str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if name, ok := x["Ref"].(string); ok {
			val, ok := e.vals[name]
			if !ok {
				e.t.Fatalf("Ref %s: no value", name)
			}
			return val
		}
	}
	e.t.Fatalf("cannot evaluate %v to a string", v)
	return ""
}

func (e *paramEnv) cond(v any) bool {
	m := asMap(v)
	if len(m) != 1 {
		e.t.Fatalf("not a condition function: %v", v)
	}
	for fn, arg := range m {
		args := asList(arg)
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			c, ok := asMap(e.src["Conditions"])[name]
			if !ok {
				e.t.Fatalf("no condition %s", name)
			}
			return e.cond(c)
		case "Fn::Equals":
			return e.str(args[0]) == e.str(args[1])
		case "Fn::Not":
			return !e.cond(args[0])
		case "Fn::And":
			for _, a := range args {
				if !e.cond(a) {
					return false
				}
			}
			return true
		case "Fn::Or":
			for _, a := range args {
				if e.cond(a) {
					return true
				}
			}
			return false
		case "Fn::Contains":
			s := e.str(args[1])
			for _, item := range asList(args[0]) {
				if e.str(item) == s {
					return true
				}
			}
			return false
		}
		e.t.Fatalf("unsupported function %s in %v", fn, v)
	}
	return false
}

// violated returns the names of the Rules whose assertions fail.
func (e *paramEnv) violated() []string {
	var out []string
	for name, r := range asMap(e.src["Rules"]) {
		rc, ok := asMap(r)["RuleCondition"]
		if ok && !e.cond(rc) {
			continue
		}
		for _, a := range asList(asMap(r)["Assertions"]) {
			if !e.cond(asMap(a)["Assert"]) {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// resolve drops the resources and outputs whose condition is false and
// evaluates every Fn::If, giving the template CloudFormation would deploy.
func (e *paramEnv) resolve(tpl map[string]any) map[string]any {
	out := map[string]any{}
	for _, section := range []string{"Resources", "Outputs"} {
		kept := map[string]any{}
		for id, r := range asMap(tpl[section]) {
			if c, ok := asMap(r)["Condition"].(string); ok && !e.conds[c] {
				continue
			}
			kept[id] = resolveIf(r, e.conds)
		}
		out[section] = kept
	}
	return out
}

// TestTemplateRules: the Rules section refuses the parameter combinations
// that cannot work, and accepts the ones that can.
func TestTemplateRules(t *testing.T) {
	src := loadTemplates(t).Source
	const ses = "arn:aws:ses:us-east-1:123456789012:identity/example.com"
	cases := []struct {
		name   string
		params map[string]string
		want   []string
	}{
		{"defaults", nil, nil},
		{"created pool, username", map[string]string{"UserIdAttribute": "username"}, []string{"CreatedPoolMapsFromSub"}},
		{"created pool, custom attribute", map[string]string{"UserIdAttribute": "custom:chat_id"}, []string{"CreatedPoolMapsFromSub"}},
		{"created pool, writable email", map[string]string{"UserIdAttribute": "email"}, []string{"CreatedPoolMapsFromSub"}},
		{"existing pool, username", map[string]string{"ExistingUserPoolId": "us-east-1_AbCdEf123", "UserIdAttribute": "username"}, nil},
		{"existing pool, custom attribute, jwt", map[string]string{
			"ExistingUserPoolId": "us-east-1_AbCdEf123", "ExistingUserPoolClientIds": "client1,client2",
			"HttpAuthMode": "jwt", "UserIdAttribute": "custom:chat_id",
		}, nil},
		{"existing pool, jwt without clients", map[string]string{"ExistingUserPoolId": "us-east-1_AbCdEf123", "HttpAuthMode": "jwt"}, []string{"ExistingPoolJwtNeedsClients"}},
		{"client IDs without an existing pool", map[string]string{"ExistingUserPoolClientIds": "client1"}, []string{"ClientIdsNeedExistingPool"}},
		{"created pool with SES", map[string]string{"SesSourceArn": ses, "SesFromAddress": "no-reply@example.com"}, nil},
		{"SES for an existing pool", map[string]string{"ExistingUserPoolId": "us-east-1_AbCdEf123", "SesSourceArn": ses}, []string{"SesOnlyForCreatedPool"}},
		{"SES sender without identity", map[string]string{"SesFromAddress": "no-reply@example.com"}, []string{"SesFromNeedsIdentity"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := newParamEnv(t, src, c.params).violated()
			if !slices.Equal(got, c.want) {
				t.Errorf("violated rules = %v, want %v", got, c.want)
			}
		})
	}
	// Each rule says what to do, in the parameters' own terms.
	for name, r := range asMap(src["Rules"]) {
		for _, a := range asList(asMap(r)["Assertions"]) {
			if d := fmt.Sprint(asMap(a)["AssertDescription"]); len(d) < 30 {
				t.Errorf("rule %s: AssertDescription %q does not explain the refusal", name, d)
			}
		}
	}
}

// TestParameterPatterns checks the AllowedPatterns that carry real rules
// (Go's regexp reads them as CloudFormation does: no lookaround is used).
func TestParameterPatterns(t *testing.T) {
	src := loadTemplates(t).Source
	cases := []struct {
		param, value string
		ok           bool
	}{
		{"ChatSecretArn", testSecretArn, true},
		{"ChatSecretArn", "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod/chat/admin-x1Y2z3", true},
		{"ChatSecretArn", "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:chat-AbCdEf", true},
		{"ChatSecretArn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-admin-key", false}, // no suffix
		{"ChatSecretArn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-AbCdE", false},     // 5 characters
		{"ChatSecretArn", "chat-admin-key", false},
		{"ChatSecretArn", "arn:aws:secretsmanager:us-east-1:12345678901:secret:chat-AbCdEf", false},
		{"ChatSecretArn", "arn:aws:ssm:us-east-1:123456789012:parameter/chat-AbCdEf", false},
		{"ChatSecretArn", "", false},
		{"UserSigTtl", "24h", true},
		{"UserSigTtl", "1m", true},
		{"UserSigTtl", "90m", true},
		{"UserSigTtl", "4320h", true},
		{"UserSigTtl", "259200m", true},
		{"UserSigTtl", "4321h", false},
		{"UserSigTtl", "259201m", false},
		{"UserSigTtl", "0m", false},
		{"UserSigTtl", "30s", false},
		{"UserSigTtl", "1h30m", false},
		{"UserSigTtl", "", false},
		{"CorsAllowOrigins", "", true},
		{"CorsAllowOrigins", "https://app.example.com", true},
		{"CorsAllowOrigins", "https://app.example.com,http://localhost:3000", true},
		{"CorsAllowOrigins", "*", true},
		{"CorsAllowOrigins", "https://a.example.com, https://b.example.com", false},
		{"CorsAllowOrigins", "app.example.com", false},
		{"SyncSchedule", "", true},
		{"SyncSchedule", "rate(1 day)", true},
		{"SyncSchedule", "cron(0 3 * * ? *)", true},
		{"SyncSchedule", "daily", false},
		{"ExistingUserPoolId", "", true},
		{"ExistingUserPoolId", "us-east-1_AbCdEf123", true},
		{"ExistingUserPoolId", "AbCdEf123", false},
		{"ExistingUserPoolClientIds", "1example23456789,2example23456789", true},
		{"ExistingUserPoolClientIds", "a, b", false},
		{"SesSourceArn", "arn:aws:ses:us-east-1:123456789012:identity/no-reply@example.com", true},
		{"SesSourceArn", "no-reply@example.com", false},
	}
	for _, c := range cases {
		t.Run(c.param+"="+c.value, func(t *testing.T) {
			pat := fmt.Sprint(at(src, "Parameters", c.param, "AllowedPattern"))
			re, err := regexp.Compile(pat)
			if err != nil {
				t.Fatalf("%s AllowedPattern %q: %v", c.param, pat, err)
			}
			if got := re.MatchString(c.value); got != c.ok {
				t.Errorf("%s AllowedPattern %q matches %q = %v, want %v", c.param, pat, c.value, got, c.ok)
			}
		})
	}
	// Every default passes its own pattern.
	for name, p := range asMap(src["Parameters"]) {
		pat, ok := asMap(p)["AllowedPattern"].(string)
		d, hasDefault := asMap(p)["Default"]
		if !ok || !hasDefault {
			continue
		}
		if !regexp.MustCompile(pat).MatchString(fmt.Sprint(d)) {
			t.Errorf("parameter %s: default %q fails its AllowedPattern", name, d)
		}
	}
}

func TestTemplateNewParameters(t *testing.T) {
	src := loadTemplates(t).Source
	for name, want := range map[string]string{
		"ExistingUserPoolId": "", "ExistingUserPoolClientIds": "", "SesSourceArn": "", "SesFromAddress": "",
		"CorsAllowOrigins": "", "UserSigTtl": "24h", "SyncSchedule": "", "LifecycleEvents": "false",
		"MetricsNamespace": "ChatAccounts", "Tracing": "PassThrough",
	} {
		p := asMap(at(src, "Parameters", name))
		if p == nil {
			t.Errorf("parameter %s missing", name)
			continue
		}
		if got := fmt.Sprint(p["Default"]); got != want {
			t.Errorf("parameter %s default = %q, want %q", name, got, want)
		}
		if p["Type"] != "String" {
			t.Errorf("parameter %s: type %v, want String", name, p["Type"])
		}
	}
	if !same(at(src, "Parameters", "Tracing", "AllowedValues"), jv(`["PassThrough","Active"]`)) {
		t.Errorf("Tracing AllowedValues = %v", at(src, "Parameters", "Tracing", "AllowedValues"))
	}
	if !same(at(src, "Parameters", "LifecycleEvents", "AllowedValues"), jv(`["true","false"]`)) {
		t.Errorf("LifecycleEvents AllowedValues = %v", at(src, "Parameters", "LifecycleEvents", "AllowedValues"))
	}
	// Every parameter appears in the console's parameter groups.
	grouped := map[string]bool{}
	for _, g := range asList(at(src, "Metadata", "AWS::CloudFormation::Interface", "ParameterGroups")) {
		for _, p := range asList(asMap(g)["Parameters"]) {
			grouped[fmt.Sprint(p)] = true
		}
	}
	for name := range asMap(src["Parameters"]) {
		if !grouped[name] {
			t.Errorf("parameter %s is in no ParameterGroup", name)
		}
	}
}

// --- HTTP API: CORS, access logs, throttling ----------------------------------

func TestTemplateCORS(t *testing.T) {
	tpls := loadTemplates(t)
	// As written: the whole object under Fn::If, origins split from a String.
	src := at(tpls.Source, "Resources", "HttpApi", "Properties", "CorsConfiguration")
	args := asList(at(src, "Fn::If"))
	if len(args) != 3 || args[0] != "HasCors" || !same(args[2], jv(`{"Ref":"AWS::NoValue"}`)) {
		t.Fatalf("CorsConfiguration = %v, want Fn::If [HasCors, {...}, AWS::NoValue] around the whole object", src)
	}
	if !same(at(args[1], "AllowOrigins"), jv(`{"Fn::Split":[",",{"Ref":"CorsAllowOrigins"}]}`)) {
		t.Errorf("AllowOrigins = %v, want Fn::Split of the CorsAllowOrigins String", at(args[1], "AllowOrigins"))
	}
	if at(tpls.Source, "Parameters", "CorsAllowOrigins", "Type") != "String" {
		t.Errorf("CorsAllowOrigins must be a String (SAM flattens a CommaDelimitedList reference)")
	}

	// As SAM translates it at deploy time, with origins given: the OpenAPI
	// body carries the CORS object, still under the condition.
	out := translateWith(t, map[string]string{"CorsAllowOrigins": "https://app.example.com,https://admin.example.com"})
	body := at(resource(t, out, "HttpApi", "AWS::ApiGatewayV2::Api"), "Properties", "Body")
	cors := at(body, "x-amazon-apigateway-cors")
	args = asList(at(cors, "Fn::If"))
	if len(args) != 3 || args[0] != "HasCors" || !same(args[2], jv(`{"Ref":"AWS::NoValue"}`)) {
		t.Fatalf("translated x-amazon-apigateway-cors = %v, want the object under Fn::If HasCors", cors)
	}
	obj := asMap(args[1])
	if !same(obj["allowOrigins"], jv(`{"Fn::Split":[",","https://app.example.com,https://admin.example.com"]}`)) &&
		!same(obj["allowOrigins"], jv(`["https://app.example.com","https://admin.example.com"]`)) {
		t.Errorf("allowOrigins = %v, want the two origins", obj["allowOrigins"])
	}
	var headers []string
	for _, h := range asList(obj["allowHeaders"]) {
		headers = append(headers, strings.ToLower(fmt.Sprint(h)))
	}
	for _, h := range []string{"authorization", "content-type"} {
		if !slices.Contains(headers, h) {
			t.Errorf("allowHeaders %v lacks %s", headers, h)
		}
	}
	methods := fmt.Sprint(obj["allowMethods"])
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if !strings.Contains(methods, m) {
			t.Errorf("allowMethods %v lacks %s", methods, m)
		}
	}
	// API Gateway answers the preflights only while no route takes
	// OPTIONS: no ANY and no OPTIONS route (docs/http-api.md: why a wrong
	// method gets API Gateway's own 404 rather than the functions' 405).
	paths := asMap(at(body, "paths"))
	if len(paths) < 4 {
		t.Fatalf("translated body has %d paths, want the API's routes", len(paths))
	}
	for path, item := range paths {
		for method := range asMap(item) {
			if method == "x-amazon-apigateway-any-method" || strings.EqualFold(method, "options") {
				t.Errorf("%s has a %s route: it would take the CORS preflights", path, method)
			}
		}
	}
	// Without origins (the default) the condition drops the object.
	e := newParamEnv(t, tpls.Source, nil)
	if _, ok := asMap(resolveIf(body, e.conds))["x-amazon-apigateway-cors"]; ok {
		t.Errorf("CORS configured with CorsAllowOrigins empty")
	}
}

func TestTemplateAccessLogs(t *testing.T) {
	out := loadTemplates(t).Transformed
	lg := resource(t, out, "ApiAccessLogGroup", "AWS::Logs::LogGroup")
	name := fmt.Sprint(at(lg, "Properties", "LogGroupName", "Fn::Sub"))
	if !strings.HasPrefix(name, "/aws/vendedlogs/") {
		t.Errorf("API access log group %q is not under /aws/vendedlogs/", name)
	}
	var found bool
	for _, s := range resourcesOfType(out, "AWS::ApiGatewayV2::Stage") {
		if same(at(s, "Properties", "AccessLogSettings", "DestinationArn"), jv(`{"Fn::GetAtt":["ApiAccessLogGroup","Arn"]}`)) {
			found = true
		}
	}
	if !found {
		t.Errorf("no stage logs to ApiAccessLogGroup")
	}
}

// TestTemplateThrottling: the batch routes get their own throttles, derived
// from Tencent's app-wide caps (100 calls/s for multiaccount_import and
// account_delete) and the batch size (1,000 accounts = 10 calls of 100); the
// queue consumers have a maximum concurrency.
func TestTemplateThrottling(t *testing.T) {
	out := loadTemplates(t).Transformed
	const capPerSecond, callsPerRequest = 100, 10
	var stage map[string]any
	for _, s := range resourcesOfType(out, "AWS::ApiGatewayV2::Stage") {
		stage = asMap(s["Properties"])
	}
	routes := asMap(stage["RouteSettings"])
	for _, key := range []string{"POST /accounts", "POST /accounts/delete"} {
		rs := asMap(routes[key])
		if rs == nil {
			t.Errorf("no route settings for %s", key)
			continue
		}
		rate := num(t, rs["ThrottlingRateLimit"], key+" rate")
		burst := num(t, rs["ThrottlingBurstLimit"], key+" burst")
		// API Gateway admits up to rate + burst requests in one second.
		if rate <= 0 || (rate+burst)*callsPerRequest > capPerSecond {
			t.Errorf("%s: rate %v burst %v; (rate + burst) x %d calls a request must stay within %d calls/s", key, rate, burst, callsPerRequest, capPerSecond)
		}
	}
	for id, esm := range resourcesOfType(out, "AWS::Lambda::EventSourceMapping") {
		if mc := num(t, at(esm, "Properties", "ScalingConfig", "MaximumConcurrency"), id+" MaximumConcurrency"); mc < 2 || mc > 5 {
			t.Errorf("%s: MaximumConcurrency %v, want 2-5", id, mc)
		}
	}
	// No role may consume every queue in the account: SAM's SQS event
	// attaches AWSLambdaSQSQueueExecutionRole (Resource "*").
	for id, role := range resourcesOfType(out, "AWS::IAM::Role") {
		for _, arn := range asList(at(role, "Properties", "ManagedPolicyArns")) {
			if s, _ := arn.(string); strings.Contains(s, "AWSLambdaSQSQueueExecutionRole") {
				t.Errorf("%s has %s: it may receive and delete messages of every queue", id, s)
			}
		}
	}
	// No reserved concurrency: it fails to deploy on accounts with the
	// default concurrency quota of 10.
	for id, f := range resourcesOfType(out, "AWS::Lambda::Function") {
		if at(f, "Properties", "ReservedConcurrentExecutions") != nil {
			t.Errorf("%s reserves concurrency", id)
		}
	}
}

// --- Cognito: protection, email, app client, existing pool --------------------

func TestTemplateUserPoolProtection(t *testing.T) {
	src := loadTemplates(t).Source
	out := loadTemplates(t).Transformed
	pool := resource(t, out, "UserPool", "AWS::Cognito::UserPool")
	if at(pool, "Properties", "DeletionProtection") != "ACTIVE" {
		t.Errorf("UserPool DeletionProtection = %v, want ACTIVE", at(pool, "Properties", "DeletionProtection"))
	}
	for id, cond := range map[string]string{"UserPool": "CreatesUserPool", "UserPoolClient": "CreatesUserPool", "AdminUserGroup": "CreatesAdminGroup"} {
		r := asMap(at(out, "Resources", id))
		if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain for both", id, r["DeletionPolicy"], r["UpdateReplacePolicy"])
		}
		if r["Condition"] != cond {
			t.Errorf("%s: condition %v, want %s", id, r["Condition"], cond)
		}
	}
	if !same(at(src, "Conditions", "CreatesAdminGroup"), jv(`{"Fn::And":[{"Condition":"IsJwt"},{"Condition":"CreatesUserPool"}]}`)) {
		t.Errorf("CreatesAdminGroup = %v", at(src, "Conditions", "CreatesAdminGroup"))
	}
}

func TestTemplateEmail(t *testing.T) {
	tpls := loadTemplates(t)
	pool := resource(t, tpls.Transformed, "UserPool", "AWS::Cognito::UserPool")
	ec := at(pool, "Properties", "EmailConfiguration")
	cases := []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"default", nil, `{"EmailSendingAccount":"COGNITO_DEFAULT"}`},
		{"ses", map[string]string{"SesSourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com"},
			`{"EmailSendingAccount":"DEVELOPER","SourceArn":{"Ref":"SesSourceArn"}}`},
		{"ses with sender", map[string]string{"SesSourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com", "SesFromAddress": "App <no-reply@example.com>"},
			`{"EmailSendingAccount":"DEVELOPER","SourceArn":{"Ref":"SesSourceArn"},"From":{"Ref":"SesFromAddress"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newParamEnv(t, tpls.Source, c.params)
			if got := resolveIf(ec, e.conds); !same(got, jv(c.want)) {
				t.Errorf("EmailConfiguration = %v, want %s", got, c.want)
			}
		})
	}
}

// TestTemplateAppClientAttributes: the app client's attribute permissions are
// explicit, and users can write neither the mapping attribute nor any custom
// attribute.
func TestTemplateAppClientAttributes(t *testing.T) {
	tpls := loadTemplates(t)
	client := resource(t, tpls.Transformed, "UserPoolClient", "AWS::Cognito::UserPoolClient")
	read := asList(at(client, "Properties", "ReadAttributes"))
	write := asList(at(client, "Properties", "WriteAttributes"))
	if len(read) == 0 || len(write) == 0 {
		t.Fatalf("UserPoolClient ReadAttributes %v / WriteAttributes %v: want explicit lists", read, write)
	}
	mapping := fmt.Sprint(at(tpls.Source, "Parameters", "UserIdAttribute", "Default"))
	for _, a := range write {
		s := fmt.Sprint(a)
		if s == mapping || strings.HasPrefix(s, "custom:") || s == "sub" {
			t.Errorf("WriteAttributes lists %s: users could rename their Chat account", s)
		}
		if !slices.Contains(read, a) {
			t.Errorf("WriteAttributes lists %s, which ReadAttributes does not", s)
		}
	}
	for _, a := range []string{"nickname", "picture"} {
		if !slices.Contains(read, any(a)) {
			t.Errorf("ReadAttributes lacks %s (copied to Chat)", a)
		}
	}
}

// TestTemplateExistingPool: with ExistingUserPoolId the stack creates no pool,
// client or group, and everything that names the pool names the parameter.
func TestTemplateExistingPool(t *testing.T) {
	tpls := loadTemplates(t)
	params := map[string]string{
		"ExistingUserPoolId": "us-east-1_AbCdEf123", "ExistingUserPoolClientIds": "client1,client2",
		"HttpAuthMode": "jwt", "UserIdAttribute": "custom:chat_id", "LifecycleEvents": "true", "SyncSchedule": "rate(1 day)",
	}
	e := newParamEnv(t, tpls.Source, params)
	if v := e.violated(); len(v) != 0 {
		t.Fatalf("parameters refused by rules %v", v)
	}
	deployed := e.resolve(translateWith(t, params))
	res := asMap(deployed["Resources"])
	for _, id := range []string{"UserPool", "UserPoolClient", "AdminUserGroup"} {
		if _, ok := res[id]; ok {
			t.Errorf("%s is created with an existing pool", id)
		}
	}
	// No reference to the created pool's resources survives.
	b, _ := json.Marshal(deployed)
	for _, ref := range []string{`"Ref":"UserPool"`, `"Ref":"UserPoolClient"`, `["UserPool",`, `${UserPool}`, `${UserPool.`} {
		if strings.Contains(string(b), ref) {
			t.Errorf("deployed template still refers to the created pool (%s)", ref)
		}
	}
	existing := jv(`{"Ref":"ExistingUserPoolId"}`)
	existingArn := jv(`{"Fn::Sub":"arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/${ExistingUserPoolId}"}`)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"DeleteFunction USER_POOL_ID", at(res, "DeleteFunction", "Properties", "Environment", "Variables", "USER_POOL_ID"), existing},
		{"SyncFunction USER_POOL_ID", at(res, "SyncFunction", "Properties", "Environment", "Variables", "USER_POOL_ID"), existing},
		{"Cognito invoke permission", at(res, "CognitoInvokeImportFunction", "Properties", "SourceArn"), existingArn},
	}
	for _, c := range checks {
		if !same(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	stmts := asList(at(res, "ImportFunctionLifecyclePolicy", "Properties", "PolicyDocument", "Statement"))
	if len(stmts) != 1 || !same(asMap(stmts[0])["Resource"], existingArn) {
		t.Errorf("lifecycle policy statements %v, want one on the existing pool", stmts)
	}
	api := asMap(res["HttpApi"])
	az := at(api, "Properties", "Body", "components", "securitySchemes", "CognitoJwt", "x-amazon-apigateway-authorizer", "jwtConfiguration")
	if !same(at(az, "audience"), jv(`{"Fn::Split":[",",{"Ref":"ExistingUserPoolClientIds"}]}`)) &&
		!same(at(az, "audience"), jv(`{"Fn::Split":[",","client1,client2"]}`)) {
		t.Errorf("jwt audience = %v, want the existing client IDs", at(az, "audience"))
	}
	if !same(at(az, "issuer", "Fn::Sub"), jv(`["https://cognito-idp.${AWS::Region}.amazonaws.com/${PoolId}",{"PoolId":{"Ref":"ExistingUserPoolId"}}]`)) {
		t.Errorf("jwt issuer = %v, want the existing pool", at(az, "issuer"))
	}
	for _, r := range []string{"LifecycleAdminDeleteRule", "LifecycleAdminImportRule"} {
		if !same(at(res, r, "Properties", "EventPattern", "detail", "requestParameters", "userPoolId"), jv(`[{"Ref":"ExistingUserPoolId"}]`)) {
			t.Errorf("%s filters pool %v, want the existing pool", r, at(res, r, "Properties", "EventPattern", "detail", "requestParameters", "userPoolId"))
		}
	}
	outs := asMap(deployed["Outputs"])
	if !same(at(outs, "UserPoolId", "Value"), existing) || !same(at(outs, "UserPoolClientId", "Value"), jv(`{"Ref":"ExistingUserPoolClientIds"}`)) {
		t.Errorf("outputs UserPoolId %v, UserPoolClientId %v, want the parameters", at(outs, "UserPoolId", "Value"), at(outs, "UserPoolClientId", "Value"))
	}
}

// --- the UserSig function -------------------------------------------------------

func TestTemplateUserSigFunction(t *testing.T) {
	out := loadTemplates(t).Transformed
	f := asMap(resource(t, out, "UserSigFunction", "AWS::Lambda::Function")["Properties"])
	env := asMap(at(f, "Environment", "Variables"))
	if !same(env["USER_SIG_TTL"], jv(`{"Ref":"UserSigTtl"}`)) {
		t.Errorf("USER_SIG_TTL = %v, want Ref UserSigTtl", env["USER_SIG_TTL"])
	}
	for _, k := range []string{"USER_POOL_ID", "RETRY_QUEUE_URL", "SYNC_QUEUE_URL"} {
		if _, ok := env[k]; ok {
			t.Errorf("UserSigFunction has %s: it needs no pool and no queue", k)
		}
	}
	if !same(at(f, "LoggingConfig", "LogGroup"), jv(`{"Ref":"UserSigFunctionLogGroup"}`)) {
		t.Errorf("UserSigFunction logs to %v, want its own log group", at(f, "LoggingConfig", "LogGroup"))
	}
	resource(t, out, "UserSigFunctionLogGroup", "AWS::Logs::LogGroup")
	checkSecretOnlyRole(t, out, "UserSigFunctionRole", nil)
}

// checkSecretOnlyRole: the role's inline statements read the one secret,
// decrypt with the KMS key when given, and allow only the extra actions listed.
func checkSecretOnlyRole(t *testing.T, out map[string]any, roleID string, extra map[string]any) {
	t.Helper()
	role := resource(t, out, roleID, "AWS::IAM::Role")
	seen := eachAllowed(t, role, func(action string, st stmt) {
		switch {
		case action == "secretsmanager:GetSecretValue":
			if st.cond != "" || !same(st.s["Resource"], jv(`{"Ref":"ChatSecretArn"}`)) {
				t.Errorf("%s: GetSecretValue on %v (condition %q)", roleID, st.s["Resource"], st.cond)
			}
		case action == "kms:Decrypt":
			if st.cond != "HasKmsKey" || !same(st.s["Resource"], jv(`{"Ref":"KmsKeyArn"}`)) {
				t.Errorf("%s: kms:Decrypt on %v (condition %q)", roleID, st.s["Resource"], st.cond)
			}
		case strings.HasPrefix(action, "dynamodb:"):
			// the ledger: TestTemplateLedger holds each role to its actions
		case extra[action] != nil:
			if !same(st.s["Resource"], extra[action]) {
				t.Errorf("%s: %s on %v, want %v", roleID, action, st.s["Resource"], extra[action])
			}
		default:
			t.Errorf("%s: unexpected permission %s on %v", roleID, action, st.s["Resource"])
		}
	})
	for _, want := range append([]string{"secretsmanager:GetSecretValue", "kms:Decrypt"}, slices.Collect(maps.Keys(extra))...) {
		if !seen[want] {
			t.Errorf("%s lacks %s", roleID, want)
		}
	}
	// Managed policies: logs, and the X-Ray write-only policy SAM attaches
	// whenever Tracing is set (here, to a parameter). Queue consumers get
	// statements scoped to their own queue instead of SAM's SQS policy.
	for _, arn := range asList(at(role, "Properties", "ManagedPolicyArns")) {
		s := fmt.Sprint(arn)
		if !strings.HasSuffix(s, "service-role/AWSLambdaBasicExecutionRole") && !strings.HasSuffix(s, "AWSXrayWriteOnlyAccess") {
			t.Errorf("%s: unexpected managed policy %s", roleID, s)
		}
	}
}

// --- scheduled sync --------------------------------------------------------------

func TestTemplateSync(t *testing.T) {
	tpls := loadTemplates(t)
	out := tpls.Transformed

	syncRes := []string{
		"SyncFunction", "SyncFunctionRole", "SyncFunctionLogGroup", "SyncQueue", "SyncDeadLetterQueue",
		"SyncQueuePolicy", "SyncDeadLetterQueuePolicy", "SyncDeadLetterQueueAlarm", "SyncStartSchedule", "SyncSchedulerRole",
	}
	for _, id := range syncRes {
		if c := at(out, "Resources", id, "Condition"); c != "SyncEnabled" {
			t.Errorf("%s: condition %v, want SyncEnabled", id, c)
		}
	}
	// Nothing else mentions a sync resource (or it would fail when off), and
	// the default (empty SyncSchedule) deploys none of them.
	for id, r := range asMap(out["Resources"]) {
		if slices.Contains(syncRes, id) || asMap(r)["Condition"] == "SyncEnabled" {
			continue
		}
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), `"Sync`) {
			t.Errorf("%s refers to a sync resource without the SyncEnabled condition: %s", id, b)
		}
	}
	e := newParamEnv(t, tpls.Source, nil)
	if e.conds["SyncEnabled"] {
		t.Errorf("sync is on by default")
	}
	if !newParamEnv(t, tpls.Source, map[string]string{"SyncSchedule": "rate(1 day)"}).conds["SyncEnabled"] {
		t.Errorf("SyncSchedule set does not enable sync")
	}

	f := asMap(resource(t, out, "SyncFunction", "AWS::Lambda::Function")["Properties"])
	env := asMap(at(f, "Environment", "Variables"))
	for k, want := range map[string]string{
		"USER_POOL_ID":       poolIDJSON,
		"SYNC_QUEUE_URL":     `{"Ref":"SyncQueue"}`,
		"NICK_ATTRIBUTE":     `{"Ref":"NickAttribute"}`,
		"FACE_URL_ATTRIBUTE": `{"Ref":"FaceUrlAttribute"}`,
		"USER_ID_ATTRIBUTE":  `{"Ref":"UserIdAttribute"}`,
		"METRICS_NAMESPACE":  `{"Ref":"MetricsNamespace"}`,
	} {
		if !same(env[k], jv(want)) {
			t.Errorf("SyncFunction %s = %v, want %s", k, env[k], want)
		}
	}
	timeout := num(t, f["Timeout"], "SyncFunction Timeout")
	q := asMap(resource(t, out, "SyncQueue", "AWS::SQS::Queue")["Properties"])
	if vt := num(t, q["VisibilityTimeout"], "SyncQueue VisibilityTimeout"); vt <= timeout {
		t.Errorf("SyncQueue VisibilityTimeout %v <= SyncFunction Timeout %v", vt, timeout)
	}
	rp := asMap(q["RedrivePolicy"])
	if !same(rp["deadLetterTargetArn"], jv(`{"Fn::GetAtt":["SyncDeadLetterQueue","Arn"]}`)) {
		t.Errorf("SyncQueue redrives to %v, want SyncDeadLetterQueue", rp["deadLetterTargetArn"])
	}
	for _, id := range []string{"SyncQueue", "SyncDeadLetterQueue"} {
		if at(out, "Resources", id, "Properties", "SqsManagedSseEnabled") != true {
			t.Errorf("%s is not encrypted", id)
		}
	}

	var esm map[string]any
	for _, m := range resourcesOfType(out, "AWS::Lambda::EventSourceMapping") {
		if same(at(m, "Properties", "EventSourceArn"), jv(`{"Fn::GetAtt":["SyncQueue","Arn"]}`)) {
			esm = asMap(m["Properties"])
			if m["Condition"] != "SyncEnabled" {
				t.Errorf("sync event source mapping: condition %v", m["Condition"])
			}
		}
	}
	if esm == nil {
		t.Fatalf("no event source mapping from SyncQueue")
	}
	if !same(esm["FunctionName"], jv(`{"Ref":"SyncFunction"}`)) || num(t, esm["BatchSize"], "BatchSize") != 1 ||
		!slices.Contains(asList(esm["FunctionResponseTypes"]), any("ReportBatchItemFailures")) {
		t.Errorf("sync event source mapping = %v, want SyncFunction, batch size 1, ReportBatchItemFailures", esm)
	}

	sched := asMap(resource(t, out, "SyncStartSchedule", "AWS::Scheduler::Schedule")["Properties"])
	if !same(sched["ScheduleExpression"], jv(`{"Ref":"SyncSchedule"}`)) {
		t.Errorf("schedule expression %v, want Ref SyncSchedule", sched["ScheduleExpression"])
	}
	tgt := asMap(sched["Target"])
	if !same(tgt["Arn"], jv(`{"Fn::GetAtt":["SyncFunction","Arn"]}`)) || !same(tgt["RoleArn"], jv(`{"Fn::GetAtt":["SyncSchedulerRole","Arn"]}`)) {
		t.Errorf("schedule target %v, want SyncFunction with SyncSchedulerRole", tgt)
	}
	var input map[string]any
	if err := json.Unmarshal([]byte(fmt.Sprint(tgt["Input"])), &input); err != nil || !same(input, jv(`{"sync":"start"}`)) {
		t.Errorf("schedule input %v (%v), want {\"sync\":\"start\"}", tgt["Input"], err)
	}
	role := resource(t, out, "SyncSchedulerRole", "AWS::IAM::Role")
	trust := fmt.Sprint(at(role, "Properties", "AssumeRolePolicyDocument"))
	if !strings.Contains(trust, "scheduler.amazonaws.com") {
		t.Errorf("SyncSchedulerRole trusts %s, want scheduler.amazonaws.com", trust)
	}
	for _, st := range roleStatements(t, role) {
		if !same(st.s["Action"], "lambda:InvokeFunction") || !same(st.s["Resource"], jv(`{"Fn::GetAtt":["SyncFunction","Arn"]}`)) {
			t.Errorf("SyncSchedulerRole may %v on %v, want only lambda:InvokeFunction on SyncFunction", st.s["Action"], st.s["Resource"])
		}
	}

	syncQueue := jv(`{"Fn::GetAtt":["SyncQueue","Arn"]}`)
	checkSecretOnlyRole(t, out, "SyncFunctionRole", map[string]any{
		"cognito-idp:ListUsers":       poolArn,
		"sqs:SendMessage":             syncQueue,
		"sqs:ReceiveMessage":          syncQueue,
		"sqs:DeleteMessage":           syncQueue,
		"sqs:ChangeMessageVisibility": syncQueue,
		"sqs:GetQueueAttributes":      syncQueue,
	})
}

// --- lifecycle events --------------------------------------------------------------

func TestTemplateLifecycle(t *testing.T) {
	tpls := loadTemplates(t)
	out := tpls.Transformed
	rules := []struct {
		id, fn, queue string
		names         []string
		pool          bool
	}{
		{"LifecycleAdminDeleteRule", "DeleteFunction", "LifecycleDeleteQueue", []string{"AdminDeleteUser"}, true},
		{"LifecycleSelfDeleteRule", "DeleteFunction", "LifecycleDeleteQueue", []string{"DeleteUser"}, false},
		{"LifecycleAdminImportRule", "ImportFunction", "LifecycleImportQueue", []string{"AdminCreateUser", "AdminUpdateUserAttributes"}, true},
		{"LifecycleSelfUpdateRule", "ImportFunction", "LifecycleImportQueue", []string{"UpdateUserAttributes"}, false},
	}
	perQueue := map[string][]any{} // the rules that send to each queue
	if n := len(resourcesOfType(out, "AWS::Events::Rule")); n != len(rules) {
		t.Errorf("%d event rules, want %d", n, len(rules))
	}
	var ruleArns []any
	for _, r := range rules {
		t.Run(r.id, func(t *testing.T) {
			res := resource(t, out, r.id, "AWS::Events::Rule")
			if res["Condition"] != "LifecycleEnabled" {
				t.Errorf("condition %v, want LifecycleEnabled", res["Condition"])
			}
			p := asMap(res["Properties"])
			if bus, ok := p["EventBusName"]; ok && bus != "default" {
				t.Errorf("event bus %v, want the default bus", bus)
			}
			pat := asMap(p["EventPattern"])
			if !same(pat["source"], jv(`["aws.cognito-idp"]`)) || !same(pat["detail-type"], jv(`["AWS API Call via CloudTrail"]`)) ||
				!same(at(pat, "detail", "eventSource"), jv(`["cognito-idp.amazonaws.com"]`)) {
				t.Errorf("pattern %v, want Cognito's CloudTrail API calls", pat)
			}
			var names []string
			for _, n := range asList(at(pat, "detail", "eventName")) {
				names = append(names, fmt.Sprint(n))
			}
			if !slices.Equal(sorted(names), sorted(r.names)) {
				t.Errorf("eventName %v, want %v", names, r.names)
			}
			filter := at(pat, "detail", "requestParameters", "userPoolId")
			if r.pool && !same(filter, []any{poolID}) {
				t.Errorf("pool filter %v, want [%s]", filter, poolIDJSON)
			}
			if !r.pool && at(pat, "detail", "requestParameters") != nil {
				t.Errorf("%v names no pool in its request, yet the rule filters on %v", r.names, at(pat, "detail", "requestParameters"))
			}
			targets := asList(p["Targets"])
			if len(targets) != 1 {
				t.Fatalf("targets %v, want one", targets)
			}
			tg := asMap(targets[0])
			// The rule sends to the function's queue, never to the
			// function: an asynchronous invocation is retried for minutes,
			// the queue for hours.
			if !same(tg["Arn"], jv(`{"Fn::GetAtt":["`+r.queue+`","Arn"]}`)) {
				t.Errorf("target %v, want %s (the queue of %s)", tg["Arn"], r.queue, r.fn)
			}
			checkLifecycleInput(t, at(tg, "InputTransformer"), r.names[0])
			if a := num(t, at(tg, "RetryPolicy", "MaximumRetryAttempts"), "MaximumRetryAttempts"); a < 1 || a > 185 {
				t.Errorf("MaximumRetryAttempts %v, want 1-185", a)
			}
			if age := num(t, at(tg, "RetryPolicy", "MaximumEventAgeInSeconds"), "MaximumEventAgeInSeconds"); age < 60 || age > 86400 {
				t.Errorf("MaximumEventAgeInSeconds %v, want 60-86400", age)
			}
			if !same(at(tg, "DeadLetterConfig", "Arn"), jv(`{"Fn::GetAtt":["LifecycleDeadLetterQueue","Arn"]}`)) {
				t.Errorf("dead-letter %v, want LifecycleDeadLetterQueue", at(tg, "DeadLetterConfig", "Arn"))
			}
			// EventBridge invokes no function itself.
			for id, perm := range resourcesOfType(out, "AWS::Lambda::Permission") {
				if at(perm, "Properties", "Principal") == "events.amazonaws.com" {
					t.Errorf("%s lets EventBridge invoke %v directly", id, at(perm, "Properties", "FunctionName"))
				}
			}
			perQueue[r.queue] = append(perQueue[r.queue], jv(`{"Fn::GetAtt":["`+r.id+`","Arn"]}`))
		})
		ruleArns = append(ruleArns, jv(`{"Fn::GetAtt":["`+r.id+`","Arn"]}`))
	}

	checkLifecycleQueues(t, out, perQueue)

	// The dead-letter queue accepts EventBridge's messages from these rules only.
	qp := resource(t, out, "LifecycleDeadLetterQueuePolicy", "AWS::SQS::QueuePolicy")
	var allowsEvents bool
	for _, s := range asList(at(qp, "Properties", "PolicyDocument", "Statement")) {
		st := asMap(s)
		if st["Effect"] != "Allow" {
			continue
		}
		allowsEvents = same(at(st, "Principal", "Service"), "events.amazonaws.com") && same(st["Action"], "sqs:SendMessage") &&
			same(st["Resource"], jv(`{"Fn::GetAtt":["LifecycleDeadLetterQueue","Arn"]}`)) &&
			same(at(st, "Condition", "ArnEquals", "aws:SourceArn"), ruleArns)
		if !allowsEvents {
			t.Errorf("queue policy statement %v, want events.amazonaws.com SendMessage from the four rules", st)
		}
	}
	if !allowsEvents {
		t.Errorf("LifecycleDeadLetterQueue does not accept EventBridge's dead letters")
	}
	checkNewMessagesAlarm(t, out, "LifecycleDeadLetterQueueAlarm", "LifecycleDeadLetterQueue")

	// The import function reads the pool's users through a policy of its own
	// (no cycle through the role), only with lifecycle events on.
	pol := resource(t, out, "ImportFunctionLifecyclePolicy", "AWS::IAM::Policy")
	if pol["Condition"] != "LifecycleEnabled" || !same(at(pol, "Properties", "Roles"), jv(`[{"Ref":"ImportFunctionRole"}]`)) {
		t.Errorf("ImportFunctionLifecyclePolicy: condition %v, roles %v", pol["Condition"], at(pol, "Properties", "Roles"))
	}
	stmts := asList(at(pol, "Properties", "PolicyDocument", "Statement"))
	if len(stmts) != 1 {
		t.Fatalf("ImportFunctionLifecyclePolicy statements %v, want one", stmts)
	}
	st := asMap(stmts[0])
	var actions []string
	for _, a := range asList(st["Action"]) {
		actions = append(actions, fmt.Sprint(a))
	}
	if st["Effect"] != "Allow" || !slices.Equal(sorted(actions), []string{"cognito-idp:AdminGetUser", "cognito-idp:ListUsers"}) || !same(st["Resource"], poolArn) {
		t.Errorf("ImportFunctionLifecyclePolicy allows %v on %v, want ListUsers and AdminGetUser on the pool", actions, st["Resource"])
	}
	// The delete function knows the pool from its environment (its
	// AdminGetUser statement is checked by TestTemplatePolicies).
	del := resource(t, out, "DeleteFunction", "AWS::Lambda::Function")
	if !same(at(del, "Properties", "Environment", "Variables", "USER_POOL_ID"), poolID) {
		t.Errorf("DeleteFunction USER_POOL_ID = %v", at(del, "Properties", "Environment", "Variables", "USER_POOL_ID"))
	}
	imp := resource(t, out, "ImportFunction", "AWS::Lambda::Function")
	if _, ok := asMap(at(imp, "Properties", "Environment", "Variables"))["USER_POOL_ID"]; ok {
		t.Errorf("ImportFunction names the pool in its environment: a cycle with the pool's trigger")
	}
}

// checkLifecycleQueues checks each function's lifecycle queue: only its
// rules may send to it (policy conditioned on their ARNs), it is consumed by
// its function through a declared event source mapping with partial batch
// failures, and its redrive policy keeps a failing event for at least 6
// hours before moving it whole to LifecycleDeadLetterQueue.
func checkLifecycleQueues(t *testing.T, out map[string]any, perQueue map[string][]any) {
	t.Helper()
	fn := map[string]string{"LifecycleDeleteQueue": "DeleteFunction", "LifecycleImportQueue": "ImportFunction"}
	for q, function := range fn {
		timeout := num(t, at(resource(t, out, function, "AWS::Lambda::Function"), "Properties", "Timeout"), function+" Timeout")
		res := resource(t, out, q, "AWS::SQS::Queue")
		if res["Condition"] != "LifecycleEnabled" {
			t.Errorf("%s: condition %v", q, res["Condition"])
		}
		p := asMap(res["Properties"])
		if p["SqsManagedSseEnabled"] != true {
			t.Errorf("%s is not encrypted", q)
		}
		vt := num(t, p["VisibilityTimeout"], q+" VisibilityTimeout")
		receives := num(t, at(p, "RedrivePolicy", "maxReceiveCount"), q+" maxReceiveCount")
		if !same(at(p, "RedrivePolicy", "deadLetterTargetArn"), jv(`{"Fn::GetAtt":["LifecycleDeadLetterQueue","Arn"]}`)) {
			t.Errorf("%s redrives to %v, want LifecycleDeadLetterQueue", q, at(p, "RedrivePolicy", "deadLetterTargetArn"))
		}
		if vt < 6*timeout {
			t.Errorf("%s: VisibilityTimeout %v s under six times %s's timeout (%v s)", q, vt, function, timeout)
		}
		// The first receive at 0, the last at (receives-1) x the visibility timeout.
		if span := (receives - 1) * vt; span < 6*3600 {
			t.Errorf("%s: retries span %v s ((%v - 1) x %v s), want at least 6 hours", q, span, receives, vt)
		}
		if r := num(t, p["MessageRetentionPeriod"], q+" MessageRetentionPeriod"); r <= receives*vt {
			t.Errorf("%s: MessageRetentionPeriod %v s would expire messages before their last retry", q, r)
		}
		var allowed bool
		for _, s := range asList(at(resource(t, out, q+"Policy", "AWS::SQS::QueuePolicy"), "Properties", "PolicyDocument", "Statement")) {
			st := asMap(s)
			if st["Effect"] != "Allow" {
				continue
			}
			allowed = same(at(st, "Principal", "Service"), "events.amazonaws.com") && same(st["Action"], "sqs:SendMessage") &&
				same(st["Resource"], jv(`{"Fn::GetAtt":["`+q+`","Arn"]}`)) && same(at(st, "Condition", "ArnEquals", "aws:SourceArn"), perQueue[q])
			if !allowed {
				t.Errorf("%sPolicy statement %v, want events.amazonaws.com SendMessage from %v only", q, st, perQueue[q])
			}
		}
		if !allowed {
			t.Errorf("%s accepts no events from its rules", q)
		}
		var mapped bool
		for id, esm := range resourcesOfType(out, "AWS::Lambda::EventSourceMapping") {
			ep := asMap(esm["Properties"])
			if !same(ep["EventSourceArn"], jv(`{"Fn::GetAtt":["`+q+`","Arn"]}`)) {
				continue
			}
			mapped = true
			if esm["Condition"] != "LifecycleEnabled" || !same(ep["FunctionName"], jv(`{"Ref":"`+function+`"}`)) {
				t.Errorf("%s: condition %v, function %v, want %s under LifecycleEnabled", id, esm["Condition"], ep["FunctionName"], function)
			}
			if !slices.Contains(asList(ep["FunctionResponseTypes"]), any("ReportBatchItemFailures")) {
				t.Errorf("%s lacks ReportBatchItemFailures: one failed event would repeat its whole batch", id)
			}
			if mc := num(t, at(ep, "ScalingConfig", "MaximumConcurrency"), id+" MaximumConcurrency"); mc != 2 {
				t.Errorf("%s: MaximumConcurrency %v, want 2 (the rate arithmetic counts two consumers)", id, mc)
			}
			if !same(esm["DependsOn"], function+"Role") && !same(esm["DependsOn"], []any{function + "Role"}) {
				t.Errorf("%s does not wait for %sRole (its consume statement): %v", id, function, esm["DependsOn"])
			}
		}
		if !mapped {
			t.Errorf("no event source mapping from %s", q)
		}
	}
}

// checkLifecycleInput renders the InputTransformer's template for a sample
// event and checks that the target receives {"userPoolId", "event"}.
func checkLifecycleInput(t *testing.T, it any, eventName string) {
	t.Helper()
	sub := asList(at(it, "InputTemplate", "Fn::Sub"))
	if len(sub) != 2 || !same(at(sub[1], "PoolId"), poolID) {
		t.Fatalf("InputTemplate = %v, want Fn::Sub with PoolId = the stack's pool", at(it, "InputTemplate"))
	}
	tmpl := fmt.Sprint(sub[0])
	if !strings.Contains(tmpl, "<aws.events.event.json>") {
		t.Fatalf("InputTemplate %q lacks <aws.events.event.json> (the whole original event)", tmpl)
	}
	if m := asMap(at(it, "InputPathsMap")); len(m) != 0 {
		t.Errorf("InputPathsMap %v: the predefined variable needs none", m)
	}
	sample := `{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.cognito-idp",` +
		`"detail":{"eventSource":"cognito-idp.amazonaws.com","eventName":"` + eventName + `",` +
		`"requestParameters":{"userPoolId":"us-east-1_AbCdEf123","username":"HIDDEN_DUE_TO_SECURITY_REASONS"},` +
		`"additionalEventData":{"sub":"8f5c2a1e-0000-4000-8000-000000000001"}}}`
	rendered := strings.ReplaceAll(strings.ReplaceAll(tmpl, "${PoolId}", "us-east-1_AbCdEf123"), "<aws.events.event.json>", sample)
	var got struct {
		UserPoolID string `json:"userPoolId"`
		Event      struct {
			Source string `json:"source"`
			Detail struct {
				EventName string `json:"eventName"`
			} `json:"detail"`
		} `json:"event"`
	}
	if err := json.Unmarshal([]byte(rendered), &got); err != nil {
		t.Fatalf("rendered input is not JSON: %v\n%s", err, rendered)
	}
	if got.UserPoolID != "us-east-1_AbCdEf123" || got.Event.Source != "aws.cognito-idp" || got.Event.Detail.EventName != eventName {
		t.Errorf("rendered input %+v, want the pool and the whole event", got)
	}
}

// --- metrics, dashboard, alarms, tracing ----------------------------------------

func TestTemplateMetricsAndTracing(t *testing.T) {
	out := loadTemplates(t).Transformed
	for _, id := range allFunctions {
		f := asMap(resource(t, out, id, "AWS::Lambda::Function")["Properties"])
		if !same(at(f, "Environment", "Variables", "METRICS_NAMESPACE"), jv(`{"Ref":"MetricsNamespace"}`)) {
			t.Errorf("%s METRICS_NAMESPACE = %v", id, at(f, "Environment", "Variables", "METRICS_NAMESPACE"))
		}
		if !same(at(f, "TracingConfig", "Mode"), jv(`{"Ref":"Tracing"}`)) {
			t.Errorf("%s TracingConfig = %v, want Mode Ref Tracing", id, f["TracingConfig"])
		}
	}
}

func TestTemplateDashboard(t *testing.T) {
	out := loadTemplates(t).Transformed
	d := resource(t, out, "Dashboard", "AWS::CloudWatch::Dashboard")
	body := fmt.Sprint(at(d, "Properties", "DashboardBody", "Fn::Sub"))
	body = strings.NewReplacer("${MetricsNamespace}", "TestNamespace", "${AWS::Region}", "us-east-1").Replace(body)
	if strings.Contains(body, "${") {
		t.Fatalf("dashboard body refers to unknown variables: %s", body)
	}
	var dash struct {
		Widgets []struct {
			Properties struct {
				Title   string  `json:"title"`
				Stat    string  `json:"stat"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &dash); err != nil {
		t.Fatalf("dashboard body is not JSON: %v", err)
	}
	type key struct{ metric, fn, stat string }
	seen := map[key]bool{}
	for _, w := range dash.Widgets {
		for _, m := range w.Properties.Metrics {
			if len(m) < 4 || m[0] != "TestNamespace" || m[2] != "Function" {
				t.Errorf("widget %q: metric %v, want [namespace, name, \"Function\", value]", w.Properties.Title, m)
				continue
			}
			fn := fmt.Sprint(m[3])
			if !slices.Contains([]string{"import", "delete", "usersig", "sync"}, fn) {
				t.Errorf("widget %q: Function %q is none of the functions' short names", w.Properties.Title, fn)
			}
			stat := w.Properties.Stat
			if len(m) > 4 {
				if s, ok := asMap(m[4])["stat"].(string); ok {
					stat = s
				}
			}
			seen[key{fmt.Sprint(m[1]), fn, stat}] = true
		}
	}
	for _, want := range []key{
		{"Imported", "import", "Sum"}, {"Queued", "import", "Sum"}, {"Parked", "import", "Sum"}, {"Lost", "import", "Sum"},
		{"Deleted", "delete", "Sum"}, {"Imported", "sync", "Sum"},
		{"ChatCalls", "import", "Sum"}, {"ChatErrors", "import", "Sum"}, {"ChatCalls", "delete", "Sum"}, {"ChatErrors", "delete", "Sum"},
		{"ChatLatency", "import", "p50"}, {"ChatLatency", "import", "p99"}, {"ChatLatency", "delete", "p50"}, {"ChatLatency", "delete", "p99"},
		{"SecretFetches", "import", "Sum"}, {"SecretFetches", "usersig", "Sum"}, {"UserSigsIssued", "usersig", "Sum"},
	} {
		if !seen[want] {
			t.Errorf("dashboard lacks %s (Function=%s, %s)", want.metric, want.fn, want.stat)
		}
	}
}

// TestTemplateFailedRateAlarm: the failure-rate alarm computes failed / all
// accounts across the functions, only once enough accounts were handled.
func TestTemplateFailedRateAlarm(t *testing.T) {
	out := loadTemplates(t).Transformed
	a := asMap(resource(t, out, "FailedRateAlarm", "AWS::CloudWatch::Alarm")["Properties"])
	ids := map[string]map[string]any{}
	var ret []string
	for _, m := range asList(a["Metrics"]) {
		mm := asMap(m)
		ids[fmt.Sprint(mm["Id"])] = mm
		if mm["ReturnData"] == true {
			ret = append(ret, fmt.Sprint(mm["Id"]))
		}
	}
	if len(ret) != 1 {
		t.Fatalf("FailedRateAlarm returns %v, want exactly one series", ret)
	}
	var failed, done []string
	for id, m := range ids {
		ms := asMap(m["MetricStat"])
		if ms == nil {
			continue
		}
		if !same(at(ms, "Metric", "Namespace"), jv(`{"Ref":"MetricsNamespace"}`)) {
			t.Errorf("metric %s namespace %v", id, at(ms, "Metric", "Namespace"))
		}
		fn := fmt.Sprint(at(asList(at(ms, "Metric", "Dimensions"))[0], "Value"))
		switch at(ms, "Metric", "MetricName") {
		case "Failed":
			failed = append(failed, fn)
		case "Imported", "Deleted":
			done = append(done, fn)
		}
	}
	for _, fn := range []string{"import", "delete", "sync"} {
		if !slices.Contains(failed, fn) || !slices.Contains(done, fn) {
			t.Errorf("FailedRateAlarm: failed %v, succeeded %v; want both for %s", failed, done, fn)
		}
	}
	expr := fmt.Sprint(ids[ret[0]]["Expression"])
	if !strings.Contains(expr, "IF(") || !strings.Contains(expr, "100") {
		t.Errorf("rate expression %q: want a percentage guarded by a minimum count", expr)
	}
	if th := num(t, a["Threshold"], "Threshold"); th <= 0 || th >= 100 {
		t.Errorf("threshold %v%%", th)
	}
}

// checkNewMessagesAlarm: the alarm goes off for every minute with new dead
// letters, so a new failure notifies again while older messages still wait.
func checkNewMessagesAlarm(t *testing.T, out map[string]any, alarmID, queue string) {
	t.Helper()
	a := asMap(resource(t, out, alarmID, "AWS::CloudWatch::Alarm")["Properties"])
	qn := jv(`{"Fn::GetAtt":["` + queue + `","QueueName"]}`)
	metrics := map[string]bool{}
	var exprs []string
	for _, m := range asList(a["Metrics"]) {
		mm := asMap(m)
		if e, ok := mm["Expression"].(string); ok {
			exprs = append(exprs, e)
			continue
		}
		met := at(mm, "MetricStat", "Metric")
		if at(met, "Namespace") == "AWS/SQS" && same(at(asList(at(met, "Dimensions"))[0], "Value"), qn) {
			metrics[fmt.Sprint(at(met, "MetricName"))] = true
		}
	}
	if !metrics["NumberOfMessagesSent"] || !metrics["ApproximateNumberOfMessagesVisible"] {
		t.Errorf("%s watches %v of %s, want messages sent and visible", alarmID, metrics, queue)
	}
	if !strings.Contains(strings.Join(exprs, " "), "DIFF(") {
		t.Errorf("%s expressions %v: want the rise in visible messages (DIFF)", alarmID, exprs)
	}
	if num(t, a["EvaluationPeriods"], "EvaluationPeriods") != 1 || a["TreatMissingData"] != "notBreaching" ||
		a["ComparisonOperator"] != "GreaterThanThreshold" || num(t, a["Threshold"], "Threshold") != 0 {
		t.Errorf("%s: %v periods, missing %v, %v %v; want 1, notBreaching, > 0", alarmID, a["EvaluationPeriods"], a["TreatMissingData"], a["ComparisonOperator"], a["Threshold"])
	}
}

func TestTemplateDeadLetterAlarms(t *testing.T) {
	out := loadTemplates(t).Transformed
	for alarm, queue := range map[string]string{
		"DeadLetterQueueNewMessagesAlarm": "DeadLetterQueue",
		"SyncDeadLetterQueueAlarm":        "SyncDeadLetterQueue",
		"LifecycleDeadLetterQueueAlarm":   "LifecycleDeadLetterQueue",
	} {
		checkNewMessagesAlarm(t, out, alarm, queue)
	}
}

// --- samconfig.toml ---------------------------------------------------------------

// TestSamconfigNoPlaceholder: samconfig.toml offers no fake secret ARN (or any
// ARN, account ID or region) as a default answer to a guided deploy.
func TestSamconfigNoPlaceholder(t *testing.T) {
	b := string(readRootFile(t, "samconfig.toml"))
	var lines []string
	for _, l := range strings.Split(b, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	settings := strings.Join(lines, "\n")
	for _, re := range []string{`arn:aws`, `\b[0-9]{12}\b`, `ChatSecretArn`, `(?m)^\s*region\s*=`} {
		if regexp.MustCompile(re).MatchString(settings) {
			t.Errorf("samconfig.toml settings match %s: a guided deploy would offer it as the default", re)
		}
	}
}

// TestCfnLintFeatureSets lints the combinations of the new parameters that
// change the template's shape; each set is one the Rules accept.
func TestCfnLintFeatureSets(t *testing.T) {
	t.Parallel()
	src := loadTemplates(t).Source
	lint := cfnLint(t)
	base := map[string]string{"ChatSecretArn": testSecretArn, "ChatRegion": "singapore"}
	sets := map[string]map[string]string{
		"existing-pool-jwt-everything-on": {
			"ExistingUserPoolId": "us-east-1_AbCdEf123", "ExistingUserPoolClientIds": "client1,client2", "HttpAuthMode": "jwt",
			"UserIdAttribute": "custom:chat_id", "SyncSchedule": "rate(1 day)", "LifecycleEvents": "true",
			"CorsAllowOrigins": "https://app.example.com,https://admin.example.com", "Tracing": "Active",
			"AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:chat-alarms", "MetricsNamespace": "ChatAccounts/prod",
		},
		"created-pool-ses-cors-sync-lifecycle": {
			"HttpAuthMode": "jwt", "SesSourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
			"SesFromAddress": "Example <no-reply@example.com>", "CorsAllowOrigins": "https://app.example.com",
			"SyncSchedule": "cron(0 3 * * ? *)", "LifecycleEvents": "true", "UserSigTtl": "90m",
		},
		"existing-pool-iam-username": {
			"ExistingUserPoolId": "us-east-1_AbCdEf123", "UserIdAttribute": "username", "LifecycleEvents": "true",
		},
	}
	for name, set := range sets {
		t.Run(name, func(t *testing.T) {
			params := maps.Clone(base)
			maps.Copy(params, set)
			if v := newParamEnv(t, src, params).violated(); len(v) != 0 {
				t.Fatalf("the template's Rules refuse this set: %v", v)
			}
			args := []string{"--parameters"}
			for k, v := range params {
				args = append(args, k+"="+v)
			}
			args = append(args, "--", "template.yaml")
			r := run(t, 3*time.Minute, lint, args...)
			if r.err != nil || r.combined() != "" {
				t.Fatalf("cfn-lint %s: %v\n%s", strings.Join(args, " "), errOrOK(r.err), r.combined())
			}
		})
	}
}

// TestTemplateRetryQueueConsumer: the import function may consume the retry
// queue and no other queue.
func TestTemplateRetryQueueConsumer(t *testing.T) {
	out := loadTemplates(t).Transformed
	esm := resource(t, out, "RetryQueueEventSource", "AWS::Lambda::EventSourceMapping")
	if !same(at(esm, "Properties", "EventSourceArn"), jv(`{"Fn::GetAtt":["RetryQueue","Arn"]}`)) || !same(at(esm, "Properties", "FunctionName"), jv(`{"Ref":"ImportFunction"}`)) {
		t.Errorf("RetryQueueEventSource = %v", esm["Properties"])
	}
	consume := map[string]bool{}
	for _, st := range roleStatements(t, resource(t, out, "ImportFunctionRole", "AWS::IAM::Role")) {
		for _, a := range actionsOf(st.s["Action"]) {
			if (a == "sqs:ReceiveMessage" || a == "sqs:DeleteMessage") && st.cond != "LifecycleEnabled" {
				consume[a] = true
				if !same(st.s["Resource"], jv(`{"Fn::GetAtt":["RetryQueue","Arn"]}`)) {
					t.Errorf("ImportFunctionRole may %s on %v, want the retry queue only", a, st.s["Resource"])
				}
			}
		}
	}
	if !consume["sqs:ReceiveMessage"] || !consume["sqs:DeleteMessage"] {
		t.Errorf("ImportFunctionRole cannot consume the retry queue: %v", consume)
	}
}

// actionsOf returns a statement's Action, a string or a list, as a list.
func actionsOf(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	var out []string
	for _, a := range asList(v) {
		out = append(out, fmt.Sprint(a))
	}
	return out
}
