package local_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

// counted counts a function's invocations.
type counted struct {
	fn local.Function
	n  atomic.Int32
}

func (c *counted) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	c.n.Add(1)
	return c.fn.Invoke(ctx, payload)
}

// jwtGateway serves a jwt-mode stack behind a Gateway that verifies k's
// tokens, and returns the stack, the URL and the functions' invocation
// count.
func jwtGateway(t *testing.T, k local.TokenKey) (*local.Stack, string, func() int32) {
	t.Helper()
	s, err := local.StartEmulator(context.Background(), local.Options{AuthMode: handler.AuthJWT})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	imp, del, sig := &counted{fn: s.Import}, &counted{fn: s.Delete}, &counted{fn: s.UserSig}
	srv := httptest.NewServer(&local.Gateway{Import: imp, Delete: del, UserSig: sig, Tokens: &k})
	t.Cleanup(srv.Close)
	return s, srv.URL, func() int32 { return imp.n.Load() + del.n.Load() + sig.n.Load() }
}

func issue(t *testing.T, k local.TokenKey, c local.TokenClaims, at time.Time, ttl time.Duration) string {
	t.Helper()
	tok, err := k.Issue(c, at, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestGatewayJWT: in jwt mode the handlers' own rules apply to the token's
// caller, as behind API Gateway's JWT authorizer: a caller acts on itself,
// a member of the admin group on anyone.
func TestGatewayJWT(t *testing.T) {
	k := local.NewTokenKey()
	s, base, _ := jwtGateway(t, k)
	s.Emulator.Seed("bob", "carol", "dave")
	alice := issue(t, k, local.TokenClaims{Sub: "alice"}, time.Now(), time.Hour)
	admin := issue(t, k, local.TokenClaims{Sub: "root", Groups: []string{"staff", handler.DefaultAdminGroup}}, time.Now(), time.Hour)
	other := issue(t, k, local.TokenClaims{Sub: "erin", Groups: []string{"chat-admins-not"}}, time.Now(), time.Hour)
	tests := []struct {
		name, token, method, path, body string
		status                          int
		code                            string
	}{
		{"import self, no UserID", alice, "POST", "/accounts", `{"Nick":"Alice"}`, 200, ""},
		{"import self by UserID", alice, "POST", "/accounts", `{"UserID":"alice"}`, 200, ""},
		{"import someone else", alice, "POST", "/accounts", `{"UserID":"mallory"}`, 403, "forbidden"},
		{"delete someone else", alice, "DELETE", "/accounts/bob", "", 403, "forbidden"},
		{"delete someone else in a batch", alice, "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"alice"},{"UserID":"bob"}]}`, 403, "forbidden"},
		{"someone else's UserSig", alice, "POST", "/usersig", `{"UserID":"bob"}`, 403, "forbidden"},
		{"a group named like the admin group", other, "DELETE", "/accounts/bob", "", 403, "forbidden"},
		{"admin deletes someone else", admin, "DELETE", "/accounts/bob", "", 200, ""},
		{"admin batch", admin, "POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"carol"}]}`, 200, ""},
		{"admin imports someone else", admin, "POST", "/accounts", `{"UserID":"frank"}`, 200, ""},
		{"admin gets someone else's UserSig", admin, "POST", "/usersig", `{"UserID":"dave"}`, 200, ""},
		{"delete me", alice, "DELETE", "/accounts/me", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := guardRequest{tt.method, tt.path, tt.body, map[string]string{"Authorization": "Bearer " + tt.token}}.send(t, base)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" {
				wantAPIError(t, r, tt.code)
			}
		})
	}
	for id, want := range map[string]bool{"alice": false, "bob": false, "carol": false, "dave": true, "frank": true, "mallory": false} {
		if s.Emulator.Has(id) != want {
			t.Errorf("account %s exists: %v, want %v", id, !want, want)
		}
	}
}

// TestGatewayJWTUserSig: GET /usersig without a UserID gives the caller its
// own UserSig, which verifies with the app's key.
func TestGatewayJWTUserSig(t *testing.T) {
	k := local.NewTokenKey()
	s, base, _ := jwtGateway(t, k)
	tok := issue(t, k, local.TokenClaims{Sub: "alice", Username: "Alice"}, time.Now(), time.Hour)
	r := guardRequest{"GET", "/usersig", "", map[string]string{"Authorization": "Bearer " + tok}}.send(t, base)
	var rep handler.UserSigReply
	if r.status != 200 || json.Unmarshal(r.body, &rep) != nil || rep.UserID != "alice" {
		t.Fatalf("GET /usersig: %d %s", r.status, r.body)
	}
	creds, err := s.Credentials().Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := usersig.Verify(rep.UserSig, []byte(creds.Key), creds.SDKAppID, "alice", time.Now()); err != nil {
		t.Errorf("the UserSig does not verify for alice: %v", err)
	}
	if _, err := usersig.Verify(rep.UserSig, []byte(creds.Key), creds.SDKAppID, "Alice", time.Now()); err == nil {
		t.Error("the UserSig verifies for another UserID")
	}
}

// TestGatewayJWTRefuses: a request without a token that verifies is
// answered 401 as API Gateway answers it, and no function runs.
func TestGatewayJWTRefuses(t *testing.T) {
	k := local.NewTokenKey()
	s, base, invocations := jwtGateway(t, k)
	s.Emulator.Seed("alice")
	good := issue(t, k, local.TokenClaims{Sub: "alice"}, time.Now(), time.Hour)
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	tests := []struct{ name, auth string }{
		{"no Authorization", ""},
		{"no scheme", good},
		{"Basic", "Basic " + good},
		{"Bearer and nothing", "Bearer "},
		{"not a JWT", "Bearer abc"},
		{"another key", "Bearer " + issue(t, local.NewTokenKey(), local.TokenClaims{Sub: "alice"}, time.Now(), time.Hour)},
		{"expired", "Bearer " + issue(t, k, local.TokenClaims{Sub: "alice"}, time.Now().Add(-2*time.Hour), time.Hour)},
		{"alg none", "Bearer " + none},
		{"signature of another token", "Bearer " + parts[0] + "." + parts[1] + "." + strings.Split(issue(t, k, local.TokenClaims{Sub: "bob"}, time.Now(), time.Hour), ".")[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.auth != "" {
				h["Authorization"] = tt.auth
			}
			for _, req := range []guardRequest{{"DELETE", "/accounts/me", "", h}, {"GET", "/usersig", "", h}, {"GET", "/nowhere", "", h}} {
				r := req.send(t, base)
				if r.status != 401 || string(r.body) != `{"message":"Unauthorized"}` || r.header.Get("Content-Type") != "application/json" {
					t.Errorf("%s %s: %d %s", req.method, req.path, r.status, r.body)
				}
				// API Gateway names the requests it refuses too.
				if r.header.Get("Apigw-Requestid") == "" {
					t.Errorf("%s %s: a 401 without Apigw-Requestid", req.method, req.path)
				}
			}
		})
	}
	if n := invocations(); n != 0 {
		t.Errorf("%d function invocations", n)
	}
	if !s.Emulator.Has("alice") {
		t.Error("alice was deleted")
	}
	r := guardRequest{"DELETE", "/accounts/me", "", map[string]string{"Authorization": "bearer " + good}}.send(t, base)
	if r.status != 200 || s.Emulator.Has("alice") {
		t.Errorf("the good token (scheme in lower case): %d %s", r.status, r.body)
	}
}
