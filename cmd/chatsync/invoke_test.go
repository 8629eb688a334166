package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

const eventsDir = "../../events"

// apiReply decodes an API Gateway response and its envelope body.
func apiReply(t *testing.T, out string) (int, chat.Envelope) {
	t.Helper()
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil || resp.StatusCode == 0 {
		t.Fatalf("not an API Gateway response: %s", out)
	}
	var env chat.Envelope
	if err := json.Unmarshal([]byte(resp.Body), &env); err != nil {
		t.Fatalf("body is not an envelope: %s", resp.Body)
	}
	return resp.StatusCode, env
}

func envelope(t *testing.T, out string) chat.Envelope {
	t.Helper()
	var env chat.Envelope
	if err := json.Unmarshal([]byte(out), &env); err != nil {
		t.Fatalf("not an envelope: %s", out)
	}
	return env
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestInvokeEveryEvent(t *testing.T) {
	type check func(t *testing.T, in []byte, r result)
	returnsEvent := func(logLine string) check {
		return func(t *testing.T, in []byte, r result) {
			if !sameJSON(in, []byte(r.stdout)) {
				t.Errorf("the reply is not the event:\n%s", r.stdout)
			}
			if !strings.Contains(r.stderr, logLine) {
				t.Errorf("no %s log line:\n%s", logLine, r.stderr)
			}
		}
	}
	httpOK := func(items int) check {
		return func(t *testing.T, in []byte, r result) {
			status, env := apiReply(t, r.stdout)
			if status != 200 || !env.OK() || len(env.ResultItem) != items {
				t.Errorf("status %d, envelope %+v", status, env)
			}
			for _, it := range env.ResultItem {
				if it.ResultCode != 0 {
					t.Errorf("%s: ResultCode %d, want 0 (the emulator was seeded)", it.UserID, it.ResultCode)
				}
			}
		}
	}
	lifecycleReply := func(verdict, why string) check {
		return func(t *testing.T, in []byte, r result) {
			var reply struct{ Verdict, Reason string }
			if err := json.Unmarshal([]byte(r.stdout), &reply); err != nil || reply.Verdict != verdict || !strings.Contains(reply.Reason, why) {
				t.Errorf("reply %s (%v), want verdict %s with %q", r.stdout, err, verdict, why)
			}
		}
	}
	batchDone := func(logged string) check {
		return func(t *testing.T, in []byte, r result) {
			var resp struct{ BatchItemFailures []any }
			if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil || resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("reply %s, want no batch item failures", r.stdout)
			}
			if !strings.Contains(r.stderr, logged) {
				t.Errorf("the log does not say %q:\n%s", logged, r.stderr)
			}
		}
	}
	envelopeOK := func(t *testing.T, in []byte, r result) {
		if env := envelope(t, r.stdout); !env.OK() {
			t.Errorf("envelope %+v", env)
		}
	}
	events := map[string]struct {
		fn    string
		check check
	}{
		"cognito-signup.json":          {"import", returnsEvent(`"message":"import done"`)},
		"cognito-forgot-password.json": {"import", returnsEvent(`"message":"trigger ignored"`)},
		"http-import.json":             {"import", httpOK(0)},
		"http-import-batch.json":       {"import", httpOK(0)},
		"rest-import.json":             {"import", httpOK(0)},
		"direct-import.json":           {"import", envelopeOK},
		"direct-import-batch.json":     {"import", envelopeOK},
		"sqs-retry.json": {"import", func(t *testing.T, in []byte, r result) {
			var resp struct{ BatchItemFailures []any }
			if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil || resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("reply %s, want no batch item failures", r.stdout)
			}
			if !strings.Contains(r.stderr, `"dave"`) {
				t.Errorf("no log of dave's import:\n%s", r.stderr)
			}
		}},
		// From their queues: the wrapper names the pool; the delete is done
		// (alice was never in the emulator: 70107 counts as done), the
		// create refused for want of Cognito, both acknowledged.
		"sqs-lifecycle-delete.json": {"delete", batchDone(`"message":"lifecycle event done"`)},
		"sqs-lifecycle-import.json": {"import", batchDone("no Cognito client is wired")},
		// Without USER_POOL_ID (or the stack's wrapper) a lifecycle event
		// cannot be matched to a pool; locally there is no Cognito to read
		// users from.
		"cloudtrail-admin-delete-user.json":            {"delete", lifecycleReply("refused", "USER_POOL_ID")},
		"cloudtrail-admin-delete-user-hidden.json":     {"delete", lifecycleReply("refused", "USER_POOL_ID")},
		"cloudtrail-delete-user.json":                  {"delete", lifecycleReply("refused", "USER_POOL_ID")},
		"cloudtrail-admin-create-user.json":            {"import", lifecycleReply("refused", "USER_POOL_ID")},
		"cloudtrail-admin-create-user-wrapped.json":    {"import", lifecycleReply("refused", "no Cognito client is wired")},
		"cloudtrail-admin-update-user-attributes.json": {"import", lifecycleReply("refused", "USER_POOL_ID")},
		"cloudtrail-update-user-attributes.json":       {"import", lifecycleReply("refused", "USER_POOL_ID")},
		"http-delete-path.json":                        {"delete", httpOK(1)},
		"http-delete-body.json":                        {"delete", httpOK(2)},
		"http-usersig-get.json":                        {"usersig", userSigIssued(true, "3f6c2a9e5b1d4c8e9a7f1e2d3c4b5a60")},
		"http-usersig-post.json":                       {"usersig", userSigIssued(true, "alice")},
		"direct-usersig.json":                          {"usersig", userSigIssued(false, "alice")},
		"direct-delete.json": {"delete", func(t *testing.T, in []byte, r result) {
			env := envelope(t, r.stdout)
			if !env.OK() || len(env.ResultItem) != 1 || env.ResultItem[0].ResultCode != 0 {
				t.Errorf("envelope %+v", env)
			}
			if !strings.Contains(r.stderr, "emulator: created carol") {
				t.Errorf("no seeding note:\n%s", r.stderr)
			}
		}},
	}

	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events: %v", err)
	}
	var names []string
	for _, f := range files {
		// The sync function's events need Cognito and SQS, which invoke
		// does not emulate; functions/sync_e2e_test.go runs them.
		if name := filepath.Base(f); name != "env.json" && name != "env.local.json" && !strings.HasPrefix(name, "sync-") {
			names = append(names, name)
		}
	}
	for name := range events {
		if !slices.Contains(names, name) {
			t.Errorf("events/%s is gone: update this test", name)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			ev, ok := events[name]
			if !ok {
				t.Fatalf("events/%s has no expectation here: add it", name)
			}
			path := filepath.Join(eventsDir, name)
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := run(t, "invoke", ev.fn, path)
			r.want(t, exitOK, "backend: embedded Chat emulator", "REPORT")
			ev.check(t, in, r)
		})
	}
}

func TestInvokeVariants(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		check func(t *testing.T, r result)
	}{
		{"stdin", `{"UserID":"x","Nick":"X"}`, []string{"invoke", "import", "-"}, exitOK, func(t *testing.T, r result) {
			if env := envelope(t, r.stdout); !env.OK() {
				t.Errorf("envelope %+v", env)
			}
		}},
		{"unseeded delete answers 70107, still OK", "", []string{"invoke", "-seed=false", "delete", eventsDir + "/http-delete-body.json"}, exitOK, func(t *testing.T, r result) {
			status, env := apiReply(t, r.stdout)
			if status != 200 || !env.OK() || len(env.ResultItem) != 2 || env.ResultItem[0].ResultCode != chat.CodeAccountNotFound {
				t.Errorf("status %d, envelope %+v", status, env)
			}
			if strings.Contains(r.stderr, "emulator: created") {
				t.Error("seeded despite -seed=false")
			}
		}},
		{"quiet", "", []string{"invoke", "-q", "import", eventsDir + "/direct-import.json"}, exitOK, func(t *testing.T, r result) {
			if strings.Contains(r.stderr, `"message"`) {
				t.Errorf("log lines despite -q:\n%s", r.stderr)
			}
		}},
		{"flags after the arguments", "", []string{"invoke", "import", eventsDir + "/direct-import.json", "-q"}, exitOK, nil},
		{"refused input is a FAIL envelope", `{"UserID":""}`, []string{"invoke", "import", "-"}, exitOK, func(t *testing.T, r result) {
			if env := envelope(t, r.stdout); env.ActionStatus != "FAIL" || env.ErrorCode != chat.CodeInvalidParameter {
				t.Errorf("envelope %+v", env)
			}
		}},
		{"wrong function is a function error", "", []string{"invoke", "import", eventsDir + "/direct-delete.json"}, exitFailure, func(t *testing.T, r result) {
			var fe struct{ ErrorMessage, ErrorType string }
			if err := json.Unmarshal([]byte(r.stdout), &fe); err != nil || !strings.Contains(fe.ErrorMessage, "unrecognized event") || fe.ErrorType == "" {
				t.Errorf("error document %s", r.stdout)
			}
			if !strings.Contains(r.stderr, "hint: this looks like an event for the delete function") {
				t.Errorf("no hint:\n%s", r.stderr)
			}
		}},
		{"unknown event is a function error", `"hello"`, []string{"invoke", "delete", "-"}, exitFailure, func(t *testing.T, r result) {
			if !strings.Contains(r.stdout, `"errorMessage"`) || !strings.Contains(r.stderr, "DeleteFunction returned an error") {
				t.Errorf("stdout %s\nstderr %s", r.stdout, r.stderr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{stdin: tt.stdin}, tt.args...)
			r.want(t, tt.code)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestDeleteTargets(t *testing.T) {
	tests := []struct {
		event string
		want  []string
	}{
		{`{"DeleteItem":[{"UserID":"a"},{"UserID":"b"}]}`, []string{"a", "b"}},
		{`{"version":"2.0","rawPath":"/accounts/a%20b","requestContext":{}}`, []string{"a b"}},
		{`{"version":"2.0","rawPath":"/prod/accounts/c","requestContext":{}}`, []string{"c"}},
		{`{"version":"2.0","rawPath":"/accounts/a%2541","pathParameters":{"userId":"a%41"},"requestContext":{}}`, []string{"a%41"}},
		{`{"httpMethod":"DELETE","path":"/accounts/d","requestContext":{}}`, []string{"d"}},
		{`{"version":"2.0","rawPath":"/accounts/delete","body":"{\"DeleteItem\":[{\"UserID\":\"e\"}]}"}`, []string{"e"}},
		{`{"version":"2.0","rawPath":"/accounts/delete","isBase64Encoded":true,"body":"eyJEZWxldGVJdGVtIjpbeyJVc2VySUQiOiJmIn1dfQ=="}`, []string{"f"}},
		{`{"version":"2.0","rawPath":"/accounts/delete","body":"nope"}`, nil},
		{`{"UserID":"g"}`, nil},
		{`[]`, nil},
	}
	for _, tt := range tests {
		if got := deleteTargets([]byte(tt.event)); !slices.Equal(got, tt.want) {
			t.Errorf("deleteTargets(%s) = %q, want %q", tt.event, got, tt.want)
		}
	}
}

// TestInvokeLifecycleDelete: with USER_POOL_ID naming the event's pool, a
// user deleted in Cognito disappears from Chat.
func TestInvokeLifecycleDelete(t *testing.T) {
	r := runCLI(t, runOpts{env: map[string]string{"USER_POOL_ID": "us-east-1_EXAMPLE"}}, "invoke", "delete", filepath.Join(eventsDir, "cloudtrail-admin-delete-user.json"))
	r.want(t, exitOK, `"message":"lifecycle event done"`, `"command":"account_delete"`)
	var reply struct{ Verdict, UserID string }
	if err := json.Unmarshal([]byte(r.stdout), &reply); err != nil || reply.Verdict != "done" || reply.UserID != "0f3c9a527a5e4c1b9d3e2b8f6a1c4d7e" {
		t.Errorf("reply %s (%v)", r.stdout, err)
	}
}

// TestInvokeDeleteMe: a jwt-mode DELETE /accounts/me seeds the emulator
// with the caller's account (mapped from the token's claims, as the delete
// function maps it), never with an account named "me", and the reply shows
// the caller's account deleted.
func TestInvokeDeleteMe(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(eventsDir, "http-usersig-get.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	ev["routeKey"], ev["rawPath"] = "DELETE /accounts/{userId}", "/accounts/me"
	ev["pathParameters"] = map[string]any{"userId": "me"}
	rc := ev["requestContext"].(map[string]any)
	rc["routeKey"] = "DELETE /accounts/{userId}"
	h := rc["http"].(map[string]any)
	h["method"], h["path"] = "DELETE", "/accounts/me"
	b, _ := json.Marshal(ev)
	file := writeFile(t, "delete-me.json", string(b))
	const caller = "3f6c2a9e5b1d4c8e9a7f1e2d3c4b5a60" // the token's sub, without hyphens
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, caller},
		{map[string]string{"USER_ID_ATTRIBUTE": "username"}, "alice"},
	} {
		r := runCLI(t, runOpts{env: tc.env}, "invoke", "-q", "delete", file)
		r.want(t, exitOK, "emulator: created "+tc.want+", named by the event")
		if strings.Contains(r.stderr, "created me,") {
			t.Errorf("seeded an account named me:\n%s", r.stderr)
		}
		status, env := apiReply(t, r.stdout)
		if status != 200 || len(env.ResultItem) != 1 || env.ResultItem[0].UserID != tc.want || env.ResultItem[0].ResultCode != 0 {
			t.Errorf("reply %d %+v, want %s deleted (ResultCode 0)", status, env, tc.want)
		}
	}
}

// TestInvokeLifecycleImportSaysWhy: a lifecycle import through invoke is
// refused because invoke wires no Cognito client, and says so, even with
// USER_POOL_ID set; it never blames USER_POOL_ID or a permission.
func TestInvokeLifecycleImportSaysWhy(t *testing.T) {
	for _, f := range []string{"cloudtrail-admin-create-user.json", "cloudtrail-admin-update-user-attributes.json"} {
		r := runCLI(t, runOpts{env: map[string]string{"USER_POOL_ID": "us-east-1_EXAMPLE"}}, "invoke", "-q", "import", filepath.Join(eventsDir, f))
		r.want(t, exitOK, "note: chatsync invoke wires no Cognito client", `"verdict": "refused"`, "no Cognito client is wired into this function")
		if strings.Contains(r.stdout+r.stderr, "USER_POOL_ID or permission") {
			t.Errorf("%s: blames USER_POOL_ID or a permission:\n%s%s", f, r.stdout, r.stderr)
		}
	}
	r := runCLI(t, runOpts{env: map[string]string{"USER_POOL_ID": "us-east-1_EXAMPLE"}}, "invoke", "-q", "delete", filepath.Join(eventsDir, "cloudtrail-admin-delete-user.json"))
	if strings.Contains(r.stderr, "wires no Cognito client") {
		t.Errorf("the note on a lifecycle delete, which works:\n%s", r.stderr)
	}
}
