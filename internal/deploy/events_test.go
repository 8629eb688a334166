package deploy

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func decodeEvent(t *testing.T, name string, v any) []byte {
	t.Helper()
	b := readRootFile(t, filepath.Join("events", name))
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("events/%s does not decode into %T: %v", name, v, err)
	}
	return b
}

// TestEventFilesListed: every events/*.json file is covered below.
func TestEventFilesListed(t *testing.T) {
	matches, err := filepath.Glob(filepath.Join(repoRoot(t), "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"env.json": true, "env.local.json": true}
	for _, n := range []string{
		"cognito-signup.json", "cognito-forgot-password.json",
		"http-import.json", "http-import-batch.json", "http-delete-path.json", "http-delete-body.json",
		"rest-import.json", "direct-import.json", "direct-import-batch.json", "direct-delete.json", "sqs-retry.json",
		"sync-schedule.json", "sync-page.json", // checked in sync_events_test.go
	} {
		known[n] = true
	}
	for _, n := range lifecycleEventFiles {
		known[n] = true
	}
	for n := range sqsLifecycleEventFiles {
		known[n] = true
	}
	for _, n := range userSigEventFiles {
		known[n] = true
	}
	var seen []string
	for _, m := range matches {
		n := filepath.Base(m)
		seen = append(seen, n)
		if !known[n] {
			t.Errorf("events/%s is not checked by this test: add it", n)
		}
	}
	sort.Strings(seen)
	if len(seen) != len(known) {
		t.Errorf("events/ holds %v, want %d files", seen, len(known))
	}
}

func TestCognitoEvents(t *testing.T) {
	for name, trigger := range map[string]string{
		"cognito-signup.json":          "PostConfirmation_ConfirmSignUp",
		"cognito-forgot-password.json": "PostConfirmation_ConfirmForgotPassword",
	} {
		t.Run(name, func(t *testing.T) {
			// userAttributes is map[string]string: a JSON boolean or number
			// in it would fail here, as it fails in the function.
			var ev events.CognitoEventUserPoolsPostConfirmation
			decodeEvent(t, name, &ev)
			if ev.TriggerSource != trigger {
				t.Errorf("triggerSource = %q, want %q", ev.TriggerSource, trigger)
			}
			if ev.UserPoolID == "" || ev.UserName == "" || ev.Region == "" || ev.CallerContext.ClientID == "" {
				t.Errorf("header incomplete: %+v", ev.CognitoEventUserPoolsHeader)
			}
			for _, a := range []string{"sub", "email", "email_verified", "nickname", "picture"} {
				if ev.Request.UserAttributes[a] == "" {
					t.Errorf("userAttributes.%s missing", a)
				}
			}
			if sub := ev.Request.UserAttributes["sub"]; len(strings.ReplaceAll(sub, "-", "")) != 32 {
				t.Errorf("sub %q is not a UUID", sub)
			}
		})
	}
}

func TestHTTPAPIEvents(t *testing.T) {
	cases := []struct {
		file, routeKey, method, rawPath string
		pathParams                      map[string]string
		bodyKey                         string
		items                           int
	}{
		{"http-import.json", "POST /accounts", "POST", "/accounts", nil, "UserID", 0},
		{"http-import-batch.json", "POST /accounts", "POST", "/accounts", nil, "AccountList", 3},
		{"http-delete-path.json", "DELETE /accounts/{userId}", "DELETE", "/accounts/alice", map[string]string{"userId": "alice"}, "", 0},
		{"http-delete-body.json", "POST /accounts/delete", "POST", "/accounts/delete", nil, "DeleteItem", 2},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			decodeEvent(t, c.file, &ev)
			if ev.Version != "2.0" || ev.RouteKey != c.routeKey || ev.RequestContext.RouteKey != c.routeKey {
				t.Errorf("version %q routeKey %q/%q, want 2.0 %q", ev.Version, ev.RouteKey, ev.RequestContext.RouteKey, c.routeKey)
			}
			if ev.RawPath != c.rawPath || ev.RequestContext.HTTP.Method != c.method || ev.RequestContext.HTTP.Path != c.rawPath {
				t.Errorf("rawPath %q method %q path %q, want %q %q", ev.RawPath, ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path, c.rawPath, c.method)
			}
			for k, v := range c.pathParams {
				if ev.PathParameters[k] != v {
					t.Errorf("pathParameters.%s = %q, want %q", k, ev.PathParameters[k], v)
				}
			}
			if az := ev.RequestContext.Authorizer; az == nil || az.IAM == nil || az.IAM.UserARN == "" {
				t.Errorf("requestContext.authorizer.iam.userArn missing")
			}
			if ev.RequestContext.RequestID == "" || ev.RequestContext.Stage == "" {
				t.Errorf("requestContext.requestId/stage missing")
			}
			checkBody(t, ev.Body, c.bodyKey, c.items)
		})
	}
}

func TestRESTAPIEvent(t *testing.T) {
	var ev events.APIGatewayProxyRequest
	decodeEvent(t, "rest-import.json", &ev)
	if ev.HTTPMethod != "POST" || ev.Resource != "/accounts" || ev.Path != "/accounts" {
		t.Errorf("httpMethod %q resource %q path %q, want POST /accounts /accounts", ev.HTTPMethod, ev.Resource, ev.Path)
	}
	if ev.RequestContext.HTTPMethod != "POST" || ev.RequestContext.ResourcePath != "/accounts" || ev.RequestContext.Identity.UserArn == "" {
		t.Errorf("requestContext incomplete: %+v", ev.RequestContext)
	}
	checkBody(t, ev.Body, "UserID", 0)
}

func checkBody(t *testing.T, body, key string, items int) {
	t.Helper()
	if key == "" {
		if body != "" {
			t.Errorf("unexpected body %q", body)
		}
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v", err)
	}
	raw, ok := m[key]
	if !ok {
		t.Fatalf("body lacks %s: %s", key, body)
	}
	if items > 0 {
		var list []map[string]any
		if err := json.Unmarshal(raw, &list); err != nil || len(list) != items {
			t.Errorf("%s: want %d items, got %s (%v)", key, items, raw, err)
		}
		for _, it := range list {
			if s, _ := it["UserID"].(string); s == "" {
				t.Errorf("%s item without a string UserID: %v", key, it)
			}
		}
	}
}

func TestDirectEvents(t *testing.T) {
	for name, want := range map[string]struct {
		key   string
		items int
	}{
		"direct-import.json":       {"UserID", 0},
		"direct-import-batch.json": {"AccountList", 3},
		"direct-delete.json":       {"DeleteItem", 1},
	} {
		t.Run(name, func(t *testing.T) {
			b := readRootFile(t, filepath.Join("events", name))
			checkBody(t, string(b), want.key, want.items)
		})
	}
}

func TestSQSRetryEvent(t *testing.T) {
	var ev events.SQSEvent
	decodeEvent(t, "sqs-retry.json", &ev)
	if len(ev.Records) == 0 {
		t.Fatal("no records")
	}
	for _, rec := range ev.Records {
		if rec.EventSource != "aws:sqs" || rec.MessageId == "" || rec.ReceiptHandle == "" || !strings.HasPrefix(rec.EventSourceARN, "arn:aws:sqs:") {
			t.Errorf("record incomplete: %+v", rec)
		}
		sum := md5.Sum([]byte(rec.Body))
		if rec.Md5OfBody != hex.EncodeToString(sum[:]) {
			t.Errorf("md5OfBody %s does not match the body", rec.Md5OfBody)
		}
		var msg struct {
			Version int `json:"version"`
			Account struct {
				UserID string `json:"UserID"`
			} `json:"account"`
			UserPoolID    string `json:"userPoolId"`
			UserName      string `json:"userName"`
			Reason        string `json:"reason"`
			FirstFailedAt string `json:"firstFailedAt"`
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(rec.Body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&msg); err != nil {
			t.Fatalf("message body: %v", err)
		}
		if msg.Version != 1 || msg.Account.UserID == "" || msg.UserPoolID == "" || msg.UserName == "" || msg.Reason == "" || msg.FirstFailedAt == "" {
			t.Errorf("message incomplete: %+v", msg)
		}
	}
}

// localOnly are the variables the template declares without a value by
// default (AWS::NoValue), for local runs; env.json, for runs against real
// AWS, leaves them out.
var localOnly = map[string]bool{
	"CHAT_BASE_URL":                              true,
	"AWS_ENDPOINT_URL_SECRETS_MANAGER":           true,
	"AWS_ENDPOINT_URL_SQS":                       true,
	"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": true,
}

// TestEnvJSON: events/env.json names only variables that the template sets
// on each function (sam local invoke ignores others), and all of them but the
// local-only ones.
func TestEnvJSON(t *testing.T) {
	var env map[string]map[string]string
	decodeEvent(t, "env.json", &env)
	out := loadTemplates(t).Transformed
	for _, id := range allFunctions {
		vars := asMap(at(resource(t, out, id, "AWS::Lambda::Function"), "Properties", "Environment", "Variables"))
		got, ok := env[id]
		if !ok {
			t.Errorf("env.json lacks %s", id)
			continue
		}
		for k, v := range got {
			if _, ok := vars[k]; !ok {
				t.Errorf("env.json %s.%s is not set on the function in template.yaml", id, k)
			}
			if strings.Contains(strings.ToLower(k), "key") || strings.Contains(v, "secretKey") {
				t.Errorf("env.json %s.%s looks like a secret", id, k)
			}
		}
		for k := range vars {
			if _, ok := got[k]; !ok && !localOnly[k] {
				t.Errorf("env.json %s lacks %s", id, k)
			}
		}
	}
	if len(env) != len(allFunctions) {
		t.Errorf("env.json has %d entries, want one for each of %v", len(env), allFunctions)
	}
}
