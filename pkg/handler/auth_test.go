package handler_test

import (
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// Claims as HTTP APIs pass them: an ID token carries cognito:username and
// custom attributes; an access token carries username and no attributes.
var (
	idToken = map[string]string{
		"sub": "a1b2c3d4-0000-4000-8000-123456789abc", "cognito:username": "jdoe", "custom:chat_id": "chat-jdoe",
		"token_use": "id", "aud": "client",
	}
	accessToken = map[string]string{
		"sub": "a1b2c3d4-0000-4000-8000-123456789abc", "username": "jdoe", "token_use": "access", "client_id": "client",
	}
	adminToken = map[string]string{
		"sub": "ffffffff-0000-4000-8000-000000000000", "username": "root", "cognito:groups": "[ops chat-admins]",
	}
)

func TestJWTAuth(t *testing.T) {
	jwt := handler.Auth{Mode: handler.AuthJWT}
	tests := []struct {
		name    string
		auth    handler.Auth
		mapping chat.Mapping
		fn      string // "import" or "delete"
		method  string
		path    string
		body    string
		claims  map[string]string
		status  int
		target  string // the account that must exist (import) or be gone (delete)
	}{
		{"import self, implicit", jwt, chat.Mapping{}, "import", "POST", "/accounts", ``, accessToken, 200, wantSub},
		{"import self, explicit", jwt, chat.Mapping{}, "import", "POST", "/accounts", `{"UserID":"` + wantSub + `","Nick":"JD"}`, idToken, 200, wantSub},
		{"import someone else", jwt, chat.Mapping{}, "import", "POST", "/accounts", `{"UserID":"mallory"}`, accessToken, 403, ""},
		{"import batch with someone else", jwt, chat.Mapping{}, "import", "POST", "/accounts", `{"AccountList":[{"UserID":"` + wantSub + `"},{"UserID":"x"}]}`, accessToken, 403, ""},
		{"admin imports anyone", jwt, chat.Mapping{}, "import", "POST", "/accounts", `{"UserID":"mallory"}`, adminToken, 200, "mallory"},
		{"custom admin group", handler.Auth{Mode: handler.AuthJWT, AdminGroup: "ops"}, chat.Mapping{}, "import", "POST", "/accounts", `{"UserID":"m2"}`, adminToken, 200, "m2"},
		{"no claims", jwt, chat.Mapping{}, "import", "POST", "/accounts", `{"UserID":"a"}`, nil, 403, ""},
		{"username mapping, access token", jwt, chat.Mapping{UserIDAttribute: "username"}, "import", "POST", "/accounts", ``, accessToken, 200, "jdoe"},
		{"username mapping, ID token", jwt, chat.Mapping{UserIDAttribute: "username"}, "import", "POST", "/accounts", ``, idToken, 200, "jdoe"},
		{"custom mapping, ID token", jwt, chat.Mapping{UserIDAttribute: "custom:chat_id"}, "import", "POST", "/accounts", ``, idToken, 200, "chat-jdoe"},
		{"custom mapping, access token", jwt, chat.Mapping{UserIDAttribute: "custom:chat_id"}, "import", "POST", "/accounts", ``, accessToken, 403, ""},
		{"delete me", jwt, chat.Mapping{}, "delete", "DELETE", "/accounts/me", ``, accessToken, 200, wantSub},
		{"delete self by id", jwt, chat.Mapping{}, "delete", "DELETE", "/accounts/" + wantSub, ``, accessToken, 200, wantSub},
		{"delete someone else", jwt, chat.Mapping{}, "delete", "DELETE", "/accounts/victim", ``, accessToken, 403, ""},
		{"delete others by body", jwt, chat.Mapping{}, "delete", "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"victim"}]}`, accessToken, 403, ""},
		{"admin deletes anyone", jwt, chat.Mapping{}, "delete", "DELETE", "/accounts/victim", ``, adminToken, 200, "victim"},
		{"iam mode: me is a UserID", handler.Auth{}, chat.Mapping{}, "delete", "DELETE", "/accounts/me", ``, nil, 200, "me"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := tt.auth
			auth.Mapping = tt.mapping
			e := newEnv(t, envOpts{auth: auth, mapping: tt.mapping})
			e.emu.Seed(wantSub, "victim", "me")
			ev := httpV2(tt.method, tt.path, tt.body)
			if tt.claims != nil || tt.auth.Mode == handler.AuthJWT {
				ev = withClaims(ev, tt.claims)
			}
			var h invoker = e.imp
			if tt.fn == "delete" {
				h = e.del
			}
			r := invokeHTTP(t, h, mustJSON(t, ev))
			if r.Status != tt.status {
				t.Fatalf("status %d (%+v), want %d", r.Status, r.Err, tt.status)
			}
			if tt.status == 403 {
				if r.Err.Code != "forbidden" || r.Err.Message == "" {
					t.Errorf("403 body %+v", r.Err)
				}
				if n := e.emu.TotalRequests(); n != 0 {
					t.Errorf("a forbidden request made %d Chat requests", n)
				}
				return
			}
			if has := e.emu.Has(tt.target); has != (tt.fn == "import") {
				t.Errorf("account %q exists: %v", tt.target, has)
			}
		})
	}
}

// TestAdminGroupClaim: only a whole group name in the claim's own form makes
// a caller an admin.
func TestAdminGroupClaim(t *testing.T) {
	tests := []struct {
		name   string
		v2     bool
		groups any // the cognito:groups claim as API Gateway passes it
		admin  bool
	}{
		{"HTTP API, member", true, "[readonly chat-admins]", true},
		{"HTTP API, only group", true, "[chat-admins]", true},
		{"HTTP API, commas are part of the name", true, "[chat-admins,readonly]", false},
		{"HTTP API, a group named with quotes", true, `["chat-admins"]`, false},
		{"HTTP API, a prefix of the name", true, "[chat-admins-x]", false},
		{"HTTP API, no brackets", true, "chat-admins", false},
		{"HTTP API, no groups", true, "[]", false},
		{"REST API, JSON array", false, []any{"readonly", "chat-admins"}, true},
		{"REST API, comma-separated", false, "readonly,chat-admins", true},
		{"REST API, a group named with quotes", false, []any{`"chat-admins"`}, false},
		{"REST API, bracketed string", false, "[chat-admins,readonly]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{auth: handler.Auth{Mode: handler.AuthJWT}})
			e.emu.Seed("victim")
			var payload []byte
			if tt.v2 {
				payload = mustJSON(t, withClaims(httpV2("DELETE", "/accounts/victim", ""), map[string]string{"sub": "a1b2c3d4-0000-4000-8000-123456789abc", "cognito:groups": tt.groups.(string)}))
			} else {
				ev := httpV1("DELETE", "/accounts/victim", "")
				ev.RequestContext.Authorizer = map[string]any{"claims": map[string]any{"sub": "a1b2c3d4-0000-4000-8000-123456789abc", "cognito:groups": tt.groups}}
				payload = mustJSON(t, ev)
			}
			r := invokeHTTP(t, e.del, payload)
			if want := map[bool]int{true: 200, false: 403}[tt.admin]; r.Status != want {
				t.Fatalf("status %d %+v, want %d", r.Status, r.Err, want)
			}
			if e.emu.Has("victim") == tt.admin {
				t.Errorf("victim exists: %v, admin %v", e.emu.Has("victim"), tt.admin)
			}
		})
	}
}
