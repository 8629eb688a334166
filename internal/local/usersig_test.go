package local_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// TestGatewayUserSig: the gateway serves the UserSig routes through the
// stack's UserSig function (IAM mode), and the UserSig it hands out logs in
// to the stack's emulator.
func TestGatewayUserSig(t *testing.T) {
	s := newStack(t)
	srv := httptest.NewServer(&local.Gateway{Import: s.Import, Delete: s.Delete, UserSig: s.UserSig})
	t.Cleanup(srv.Close)

	r := send(t, "POST", srv.URL+"/usersig", `{"UserID":"alice"}`)
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST /usersig: %d %v %s", r.status, r.header, r.body)
	}
	var rep handler.UserSigReply
	if err := json.Unmarshal(r.body, &rep); err != nil || rep.UserID != "alice" || rep.SDKAppID != local.EmulatorSDKAppID {
		t.Fatalf("reply %s", r.body)
	}
	if err := s.Emulator.Login("alice", rep.UserSig); err != nil {
		t.Errorf("the emulator refuses the login: %v", err)
	}
	for _, tt := range []struct {
		method, body string
		status       int
		allow        string
	}{
		{"GET", "", 400, ""}, // IAM mode: a UserID is required
		{"POST", `{"UserID":"` + local.EmulatorAdmin + `"}`, 403, ""},
		{"PUT", "", 405, "GET, POST"},
	} {
		r := send(t, tt.method, srv.URL+"/usersig", tt.body)
		if r.status != tt.status || r.header.Get("Allow") != tt.allow || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s /usersig %s: %d Allow %q Cache-Control %q, want %d %q no-store", tt.method, tt.body, r.status, r.header.Get("Allow"), r.header.Get("Cache-Control"), tt.status, tt.allow)
		}
	}
	if n := s.Emulator.TotalRequests(); n != 0 {
		t.Errorf("%d Chat requests", n)
	}

	without := httptest.NewServer(&local.Gateway{Import: s.Import, Delete: s.Delete})
	t.Cleanup(without.Close)
	if r := send(t, "POST", without.URL+"/usersig", `{"UserID":"alice"}`); r.status != 404 {
		t.Errorf("a gateway without the function answers %d, want 404", r.status)
	}
}

// TestStackUserSigJWT: a jwt-mode stack signs for the caller the token
// names, as the sample GET event shows, and the stack knows the function.
func TestStackUserSigJWT(t *testing.T) {
	s, err := local.StartEmulator(context.Background(), local.Options{AuthMode: handler.AuthJWT, UserSigTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fn, timeout, ok := s.Function("UserSigFunction")
	if !ok || fn == nil || timeout != local.UserSigTimeout {
		t.Fatalf("Function(UserSigFunction) = %v, %v, %v", fn, timeout, ok)
	}
	ev, err := os.ReadFile(filepath.Join("..", "..", "events", "http-usersig-get.json"))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Unix()
	raw, _, err := local.Invoke(context.Background(), fn, "UserSigFunction", timeout, ev)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	var rep handler.UserSigReply
	if json.Unmarshal(raw, &resp) != nil || resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &rep) != nil {
		t.Fatalf("reply %s", raw)
	}
	const sub = "3f6c2a9e5b1d4c8e9a7f1e2d3c4b5a60"
	if rep.UserID != sub || rep.ExpireAt < before+3600 || rep.ExpireAt > time.Now().Unix()+3600 {
		t.Errorf("reply %+v, want the token's sub and an hour's life", rep)
	}
	if err := s.Emulator.Login(sub, rep.UserSig); err != nil {
		t.Errorf("login: %v", err)
	}
	if err := s.Emulator.Login("alice", rep.UserSig); chat.ErrorCode(err) != chat.CodeSigIdentifierMismatch {
		t.Errorf("another user's login: %v", err)
	}
}
