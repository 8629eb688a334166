package handler_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// TestAdminIdentifierRefused: the secret's adminIdentifier (the account
// every request is signed for) is never imported, updated, kicked or
// deleted, on any path, and costs no Chat call: HTTP answers 403 with a
// message, direct invocation a FAIL envelope with 70402, a sign-up or a
// retry message is parked with the reason, and a lifecycle event is
// skipped and logged.
func TestAdminIdentifierRefused(t *testing.T) {
	m := chat.Mapping{UserIDAttribute: "username"}
	e := newEnv(t, envOpts{mapping: m, auth: handler.Auth{Mapping: m}})
	admin := e.emu.Credentials().Admin
	creds := chatapi.StaticCredentials(e.emu.Credentials())
	e.emu.Seed(admin)
	imp := handler.NewImportHandler(handler.ImportConfig{Chat: e.client, Mapping: m, Credentials: creds, UserPoolID: "us-east-1_EXAMPLE", Logger: e.log, RetryQueue: e.retry, DeadLetterQueue: e.dlq,
		Users: &quotaPool{users: []quotaUser{{User: handler.User{Username: admin, Status: "CONFIRMED", Attributes: map[string]string{"sub": carolSub}}}}}})
	del := handler.NewDeleteHandler(handler.DeleteConfig{Chat: e.client, Auth: handler.Auth{Mapping: m}, UserPoolID: "us-east-1_EXAMPLE", Users: &quotaPool{}, Credentials: creds, Logger: e.log})

	t.Run("http", func(t *testing.T) {
		for _, tc := range []struct {
			h       invoker
			payload []byte
		}{
			{imp, mustJSON(t, httpV2("POST", "/accounts", `{"UserID":`+quote(admin)+`}`))},
			{imp, mustJSON(t, httpV2("POST", "/accounts", `{"AccountList":[{"UserID":"u1"},{"UserID":`+quote(admin)+`}]}`))},
			{del, mustJSON(t, httpV2("DELETE", "/accounts/"+admin, ""))},
			{del, mustJSON(t, httpV2("POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"u1"},{"UserID":`+quote(admin)+`}]}`))},
		} {
			r := invokeHTTP(t, tc.h, tc.payload)
			if r.Status != http.StatusForbidden || !strings.Contains(r.Err.Message, "admin identifier") {
				t.Errorf("status %d %+v, want 403 saying why", r.Status, r.Err)
			}
		}
	})
	t.Run("direct", func(t *testing.T) {
		for _, tc := range []struct {
			h       invoker
			payload string
		}{
			{imp, `{"UserID":` + quote(admin) + `}`},
			{imp, `{"AccountList":[{"UserID":` + quote(admin) + `}]}`},
			{del, `{"DeleteItem":[{"UserID":` + quote(admin) + `}]}`},
		} {
			env := invokeEnv(t, tc.h, []byte(tc.payload))
			if env.ActionStatus != chat.StatusFail || env.ErrorCode != chat.CodeInvalidParameter || !strings.Contains(env.ErrorInfo, "admin identifier") {
				t.Errorf("%s: envelope %+v, want FAIL 70402", tc.payload, env)
			}
		}
	})
	t.Run("sign-up", func(t *testing.T) {
		ev := strings.Replace(string(signUp("PostConfirmation_ConfirmSignUp", subAttrs)), `"userName":"jdoe"`, `"userName":`+quote(admin), 1)
		if raw, err := invoke(t, imp, []byte(ev)); err != nil || string(raw) != ev {
			t.Fatalf("reply %s, %v: want the event back", raw, err)
		}
		if e.dlq.len() != 1 || e.retry.len() != 0 {
			t.Errorf("dead-letter %d, retry %d: want the sign-up parked", e.dlq.len(), e.retry.len())
		}
	})
	t.Run("retry message", func(t *testing.T) {
		before := e.dlq.len()
		msg := mustJSON(t, chat.PendingImport{Version: chat.PendingVersion, Account: chat.Account{UserID: admin}, Reason: "test"})
		raw, err := invoke(t, imp, sqsBatch(t, msg))
		if err != nil || len(batchFailures(t, raw)) != 0 || e.dlq.len() != before+1 {
			t.Errorf("reply %s, %v, dead-letter %d: want the message parked", raw, err, e.dlq.len())
		}
	})
	t.Run("lifecycle", func(t *testing.T) {
		for _, tc := range []struct {
			h     invoker
			event []byte
		}{
			{del, []byte(strings.ReplaceAll(string(fixture(t, "cloudtrail-admin-delete-user.json", "")), `"alice"`, quote(admin)))},
			{imp, fixture(t, "cloudtrail-admin-create-user.json", "")},
		} {
			raw, err := invoke(t, tc.h, tc.event)
			if r := lifecycleReply(t, raw, err); r["verdict"] != "skipped" {
				t.Errorf("reply %v, want skipped", r)
			}
		}
		if e.logs.has(t, "lifecycle event skipped") == nil {
			t.Error("no log line says the event was skipped")
		}
	})
	if n := e.emu.TotalRequests(); n != 0 || !e.emu.Has(admin) {
		t.Errorf("%d Chat requests; admin account exists: %v", n, e.emu.Has(admin))
	}
	if a, _ := e.emu.Account(admin); a.Nick != "" {
		t.Errorf("the admin account's profile was overwritten: %+v", a)
	}
}
