package handler_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

func TestDelete(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		fault   *chatemu.Fault
		status  int
		code    string
		allow   string
		results map[string]int // UserID: ResultCode
	}{
		{"path form", "DELETE", "/accounts/alice", "", nil, 200, "", "", map[string]int{"alice": 0}},
		{"absent account", "DELETE", "/accounts/ghost", "", nil, 200, "", "", map[string]int{"ghost": 70107}},
		{"body form", "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"alice"},{"UserID":"ghost"},{"UserID":"alice"}]}`, nil, 200, "", "", map[string]int{"alice": 0, "ghost": 70107}},
		{"body form, empty", "POST", "/accounts/delete", `{"DeleteItem":[]}`, nil, 400, "invalid_request", "", nil},
		{"body form, bad JSON", "POST", "/accounts/delete", `{`, nil, 400, "invalid_json", "", nil},
		{"body form, long id", "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"123456789012345678901234567890123"}]}`, nil, 400, "invalid_request", "", nil},
		{"wrong method on /accounts/delete", "GET", "/accounts/delete", "", nil, 405, "method_not_allowed", "DELETE, POST", nil},
		{"wrong method on an account", "PUT", "/accounts/alice", "", nil, 405, "method_not_allowed", "DELETE", nil},
		{"unknown route", "DELETE", "/accounts", "", nil, 404, "not_found", "", nil},
		{"nested route", "DELETE", "/accounts/a/b", "", nil, 404, "not_found", "", nil},
		{"deletion disabled in the console", "DELETE", "/accounts/alice", "", &chatemu.Fault{Code: 71000, Times: 5}, 502, "chat_rejected", "", nil},
		{"Chat down", "DELETE", "/accounts/alice", "", &chatemu.Fault{Status: 502, Times: 100}, 503, "chat_unavailable", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			e.emu.Seed("alice", "a@b")
			if tt.fault != nil {
				e.emu.Inject(*tt.fault)
			}
			r := invokeHTTP(t, e.del, mustJSON(t, httpV2(tt.method, tt.path, tt.body)))
			if r.Status != tt.status || r.Err.Code != tt.code || r.Headers["Allow"] != tt.allow {
				t.Fatalf("reply %d %+v Allow %q, want %d %q %q", r.Status, r.Err, r.Headers["Allow"], tt.status, tt.code, tt.allow)
			}
			if tt.status != http.StatusOK {
				if tt.fault == nil && e.emu.TotalRequests() != 0 {
					t.Errorf("refused request made %d Chat requests", e.emu.TotalRequests())
				}
				return
			}
			got := map[string]int{}
			for _, it := range r.Env.ResultItem {
				got[it.UserID] = it.ResultCode
			}
			if len(got) != len(tt.results) || len(r.Env.ResultItem) != len(tt.results) {
				t.Fatalf("ResultItem %+v, want %v", r.Env.ResultItem, tt.results)
			}
			for id, code := range tt.results {
				if c, ok := got[id]; !ok || c != code {
					t.Errorf("%s: code %d, want %d", id, c, code)
				}
				if e.emu.Has(id) {
					t.Errorf("%s still exists", id)
				}
			}
		})
	}
}

func TestDirectDelete(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.emu.Seed("carol")
	env := invokeEnv(t, e.del, []byte(`{"DeleteItem":[{"UserID":"carol"},{"UserID":"nobody"}]}`))
	if env.ActionStatus != "OK" || len(env.ResultItem) != 2 || env.ResultItem[1].ResultCode != chat.CodeAccountNotFound {
		t.Errorf("envelope %+v", env)
	}
	for _, tt := range []struct {
		payload string
		code    int
	}{
		{`{"DeleteItem":[]}`, 70206},
		{`{"DeleteItem":[{"UserID":""}]}`, 70402},
		{`{"DeleteItem":[{"UserID":7}]}`, 60015},
	} {
		before := e.emu.TotalRequests()
		env := invokeEnv(t, e.del, []byte(tt.payload))
		if env.ActionStatus != "FAIL" || env.ErrorCode != tt.code || e.emu.TotalRequests() != before {
			t.Errorf("%s: envelope %+v, want FAIL %d and no call", tt.payload, env, tt.code)
		}
	}
}

// TestDeletePathDecodedOnce: the UserID in DELETE /accounts/{userId} is
// decoded once, by API Gateway, and never again.
func TestDeletePathDecodedOnce(t *testing.T) {
	tests := []struct {
		name    string
		rawPath string
		params  map[string]string // pathParameters; nil behind a catch-all route
		status  int
		deleted string // the account gone afterwards
	}{
		{"route parameter holding a percent sign", "/accounts/a%2541", map[string]string{"userId": "a%41"}, 200, "a%41"},
		{"route parameter, rawPath already decoded", "/accounts/a%41", map[string]string{"userId": "a%41"}, 200, "a%41"},
		{"route parameter, encoded at sign", "/accounts/a%40b", map[string]string{"userId": "a@b"}, 200, "a@b"},
		{"catch-all route, plain id", "/accounts/alice", nil, 200, "alice"},
		{"catch-all route, percent sign", "/accounts/a%2541", nil, 400, ""},
	}
	for _, v2 := range []bool{true, false} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s v2=%v", tt.name, v2), func(t *testing.T) {
				e := newEnv(t, envOpts{})
				e.emu.Seed("alice", "a@b", "a%41", "aA")
				var payload []byte
				if v2 {
					ev := httpV2("DELETE", tt.rawPath, "")
					ev.PathParameters = tt.params
					payload = mustJSON(t, ev)
				} else {
					ev := httpV1("DELETE", tt.rawPath, "")
					ev.PathParameters = tt.params
					payload = mustJSON(t, ev)
				}
				r := invokeHTTP(t, e.del, payload)
				if r.Status != tt.status {
					t.Fatalf("status %d %+v, want %d", r.Status, r.Err, tt.status)
				}
				if !e.emu.Has("aA") {
					t.Error(`"aA", an account nobody named, was deleted`)
				}
				if tt.deleted == "" {
					if n := e.emu.TotalRequests(); n != 0 {
						t.Errorf("refused request made %d Chat requests", n)
					}
					return
				}
				if e.emu.Has(tt.deleted) {
					t.Errorf("%q still exists", tt.deleted)
				}
				if e.emu.Len() != 3 {
					t.Errorf("%d accounts left, want 3", e.emu.Len())
				}
			})
		}
	}
}

// oldUserSig is a UserSig for id as the UserSig function would have issued
// it a minute ago: valid at the emulator's login until id is kicked.
func oldUserSig(t *testing.T, emu *chatemu.Running, id string) string {
	t.Helper()
	creds := emu.Credentials()
	sig := usersig.Generate([]byte(creds.Key), creds.SDKAppID, id, time.Now().Add(-time.Minute), time.Hour)
	if err := emu.Login(id, sig); err != nil {
		t.Fatalf("login before the delete: %v", err)
	}
	return sig
}

// TestSingleDeleteKicksFirst: a delete of one account, over HTTP or by
// direct invocation, kicks it and then deletes it, as a lifecycle delete
// does, so that the UserSig the user holds is refused at login (70052)
// and cannot register the account again. The kick came first: the
// emulator records no kick of an account that no longer exists.
func TestSingleDeleteKicksFirst(t *testing.T) {
	tests := []struct {
		name   string
		http   bool
		method string
		path   string
		body   string
	}{
		{"DELETE /accounts/{userId}", true, "DELETE", "/accounts/alice", ""},
		{"POST /accounts/delete, one item", true, "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"alice"}]}`},
		{"POST /accounts/delete, one account named twice", true, "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"alice"},{"UserID":"alice"}]}`},
		{"direct, one item", false, "", "", `{"DeleteItem":[{"UserID":"alice"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			e.emu.Seed("alice", "bob")
			sig := oldUserSig(t, e.emu, "alice")
			var env chat.Envelope
			if tt.http {
				r := invokeHTTP(t, e.del, mustJSON(t, httpV2(tt.method, tt.path, tt.body)))
				if r.Status != http.StatusOK {
					t.Fatalf("status %d %+v", r.Status, r.Err)
				}
				env = r.Env
			} else {
				env = invokeEnv(t, e.del, []byte(tt.body))
			}
			if env.ActionStatus != chat.StatusOK || len(env.ResultItem) != 1 || env.ResultItem[0] != (chat.ResultItem{UserID: "alice"}) {
				t.Fatalf("envelope %+v, want alice deleted", env)
			}
			if _, kicked := e.emu.KickedAt("alice"); !kicked || e.emu.Has("alice") {
				t.Errorf("alice kicked %v, still exists %v; want kicked, then deleted", kicked, e.emu.Has("alice"))
			}
			if k, d := e.emu.Requests(chat.CmdKick), e.emu.Requests(chat.CmdDelete); k != 1 || d != 1 {
				t.Errorf("%d kick and %d account_delete requests, want 1 and 1", k, d)
			}
			if err := e.emu.Login("alice", sig); chat.ErrorCode(err) != chat.CodeSigInvalidated {
				t.Errorf("login with the UserSig issued before the delete: %v, want %d", err, chat.CodeSigInvalidated)
			}
			if e.emu.Has("alice") || !e.emu.Has("bob") {
				t.Errorf("alice back %v, bob kept %v: want alice gone, bob untouched", e.emu.Has("alice"), e.emu.Has("bob"))
			}
			if line := e.logs.has(t, "delete done"); line == nil || line["command"] != chat.CmdDelete {
				t.Errorf("outcome line %v, want \"delete done\" with command %s", line, chat.CmdDelete)
			}
		})
	}
}

// TestBatchDeleteDoesNotKick: a batch of two or more accounts is deleted
// without a kick (kick takes one account a call; the kicks of a large
// batch would not fit an HTTP request's time). A UserSig issued before
// stays good until it expires, and a login with it registers the account
// again: what the docs tell callers who need the login gone to avoid by
// deleting one account a request.
func TestBatchDeleteDoesNotKick(t *testing.T) {
	body := `{"DeleteItem":[{"UserID":"alice"},{"UserID":"bob"}]}`
	for _, viaHTTP := range []bool{true, false} {
		t.Run(map[bool]string{true: "http", false: "direct"}[viaHTTP], func(t *testing.T) {
			e := newEnv(t, envOpts{})
			e.emu.Seed("alice", "bob")
			sig := oldUserSig(t, e.emu, "alice")
			var env chat.Envelope
			if viaHTTP {
				r := invokeHTTP(t, e.del, mustJSON(t, httpV2("POST", "/accounts/delete", body)))
				if r.Status != http.StatusOK {
					t.Fatalf("status %d %+v", r.Status, r.Err)
				}
				env = r.Env
			} else {
				env = invokeEnv(t, e.del, []byte(body))
			}
			if env.ActionStatus != chat.StatusOK || len(env.ResultItem) != 2 || e.emu.Len() != 0 {
				t.Fatalf("envelope %+v, %d accounts left; want both deleted", env, e.emu.Len())
			}
			if k := e.emu.Requests(chat.CmdKick); k != 0 {
				t.Errorf("%d kick requests for a batch, want 0", k)
			}
			if err := e.emu.Login("alice", sig); err != nil || !e.emu.Has("alice") {
				t.Errorf("login with the earlier UserSig: %v, account registered %v; want it accepted, as Chat does for an account never kicked", err, e.emu.Has("alice"))
			}
		})
	}
}

// TestKickFailureKeepsAccount: a kick that fails stops the delete of one
// account: no account_delete is sent, the account stays, and the request
// fails as any Chat failure does (503 for a transient one, 502 for a
// refusal), so that the caller retries it; a later retry kicks and deletes.
func TestKickFailureKeepsAccount(t *testing.T) {
	tests := []struct {
		name   string
		fault  chatemu.Fault
		status int
		code   string
		env    int // the direct FAIL envelope's ErrorCode
	}{
		{"Chat down", chatemu.Fault{Command: chat.CmdKick, Status: http.StatusBadGateway, Times: 1 << 20}, 503, "chat_unavailable", chat.CodeServerError},
		{"transient code", chatemu.Fault{Command: chat.CmdKick, Code: chat.CodeServerError, Times: 1 << 20}, 503, "chat_unavailable", chat.CodeServerError},
		{"not an admin", chatemu.Fault{Command: chat.CmdKick, Code: 70403, Times: 1 << 20}, 502, "chat_rejected", 70403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			e.emu.Seed("alice")
			e.emu.Inject(tt.fault)
			r := invokeHTTP(t, e.del, mustJSON(t, httpV2("DELETE", "/accounts/alice", "")))
			if r.Status != tt.status || r.Err.Code != tt.code || !strings.Contains(r.Err.Message, chat.CmdKick) {
				t.Errorf("reply %d %+v, want %d %s naming the kick", r.Status, r.Err, tt.status, tt.code)
			}
			env := invokeEnv(t, e.del, []byte(`{"DeleteItem":[{"UserID":"alice"}]}`))
			if env.ActionStatus != chat.StatusFail || env.ErrorCode != tt.env {
				t.Errorf("direct envelope %+v, want FAIL %d", env, tt.env)
			}
			if !e.emu.Has("alice") || e.emu.Requests(chat.CmdDelete) != 0 {
				t.Fatalf("alice exists %v after %d account_delete requests; want kept, none sent", e.emu.Has("alice"), e.emu.Requests(chat.CmdDelete))
			}
			if line := e.logs.has(t, "delete failed"); line == nil || line["command"] != chat.CmdKick {
				t.Errorf("outcome line %v, want \"delete failed\" with command %s", line, chat.CmdKick)
			}
			e.emu.ClearFaults()
			if r := invokeHTTP(t, e.del, mustJSON(t, httpV2("DELETE", "/accounts/alice", ""))); r.Status != http.StatusOK || e.emu.Has("alice") {
				t.Errorf("retry once Chat is back: %d, alice exists %v", r.Status, e.emu.Has("alice"))
			}
		})
	}
}

// TestKickOfAbsentAccount: Chat answers the kick of an account that does
// not exist with 70107; the delete goes on and answers 70107 in its item,
// a success.
func TestKickOfAbsentAccount(t *testing.T) {
	e := newEnv(t, envOpts{})
	r := invokeHTTP(t, e.del, mustJSON(t, httpV2("DELETE", "/accounts/ghost", "")))
	if r.Status != http.StatusOK || r.Env.ActionStatus != chat.StatusOK || len(r.Env.ResultItem) != 1 || r.Env.ResultItem[0].ResultCode != chat.CodeAccountNotFound {
		t.Fatalf("reply %d %+v, want 200 with 70107 in ResultItem", r.Status, r.Env)
	}
	if k, d := e.emu.Requests(chat.CmdKick), e.emu.Requests(chat.CmdDelete); k != 1 || d != 1 {
		t.Errorf("%d kick and %d account_delete requests, want 1 and 1", k, d)
	}
	if _, kicked := e.emu.KickedAt("ghost"); kicked || e.emu.Len() != 0 {
		t.Errorf("ghost kicked %v, %d accounts: an absent account has nothing to kick", kicked, e.emu.Len())
	}
}
