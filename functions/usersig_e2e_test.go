package functions_test

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/lambdatest"
)

// userSigReply is the UserSig function's reply.
type userSigReply struct {
	SDKAppID uint64
	UserID   string
	UserSig  string
	ExpireAt int64
}

// TestUserSigBootstrap runs the UserSig function's sample events through its
// compiled bootstrap, in iam mode (the POST and direct events) and in jwt
// mode (the GET event, with an ID token's claims), and logs in with each
// UserSig as the Chat SDK would.
func TestUserSigBootstrap(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	bin := build(t, "usersig")
	iam := start(t, bin, append(w.env, "HTTP_AUTH_MODE=iam"))
	jwt := start(t, bin, append(w.env, "HTTP_AUTH_MODE=jwt", "USER_SIG_TTL=1h"))

	tests := []struct {
		file string
		p    *lambdatest.Process
		http bool
		user string
		ttl  time.Duration
	}{
		{"http-usersig-post.json", iam, true, "alice", 24 * time.Hour},
		{"direct-usersig.json", iam, false, "alice", 24 * time.Hour},
		{"http-usersig-get.json", jwt, true, "3f6c2a9e5b1d4c8e9a7f1e2d3c4b5a60", time.Hour}, // the token's sub, hyphens removed
	}
	var sigs []string
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			before := time.Now().Unix()
			r := call(t, tt.p, readEvent(t, tt.file), 10*time.Second)
			if r.Failed() {
				t.Fatalf("function error: %s", r.Error)
			}
			body := r.Payload
			if tt.http {
				var resp struct {
					StatusCode int               `json:"statusCode"`
					Headers    map[string]string `json:"headers"`
					Body       string            `json:"body"`
				}
				if err := json.Unmarshal(r.Payload, &resp); err != nil || resp.StatusCode != 200 {
					t.Fatalf("reply %s, want 200", r.Payload)
				}
				if resp.Headers["Cache-Control"] != "no-store" || resp.Headers["Content-Type"] != "application/json" {
					t.Errorf("headers %v", resp.Headers)
				}
				body = []byte(resp.Body)
			}
			var rep userSigReply
			if err := json.Unmarshal(body, &rep); err != nil || rep.SDKAppID != 1400000000 || rep.UserID != tt.user || rep.UserSig == "" {
				t.Fatalf("reply %s, want a UserSig for %s", body, tt.user)
			}
			if exp := rep.ExpireAt - int64(tt.ttl/time.Second); exp < before || exp > time.Now().Unix() {
				t.Errorf("ExpireAt %d is not the issue time + %v", rep.ExpireAt, tt.ttl)
			}
			if err := w.emu.Login(tt.user, rep.UserSig); err != nil {
				t.Errorf("the emulator refuses the login: %v", err)
			}
			sigs = append(sigs, rep.UserSig)
		})
	}
	t.Run("admin identifier refused", func(t *testing.T) {
		r := call(t, iam, []byte(`{"UserID":"administrator"}`), 10*time.Second)
		var env struct{ ActionStatus, ErrorInfo string }
		if json.Unmarshal(r.Payload, &env); env.ActionStatus != "FAIL" || strings.Contains(string(r.Payload), `"UserSig"`) {
			t.Errorf("reply %s, want FAIL and no UserSig", r.Payload)
		}
	})
	t.Run("unknown event is a function error", func(t *testing.T) {
		if r := call(t, iam, []byte(`"hello"`), 5*time.Second); !r.Failed() {
			t.Errorf("reply %s, want a function error", r.Payload)
		}
	})
	if n := w.emu.TotalRequests(); n != 0 {
		t.Errorf("the UserSig function made %d Chat requests", n)
	}
	for _, p := range []*lambdatest.Process{iam, jwt} {
		waitForLog(t, p, `"usersig done"`)
		out := p.Stdout.String()
		assertNoSecrets(t, out)
		for _, sig := range sigs {
			if strings.Contains(out, sig) {
				t.Errorf("a log carries a UserSig")
			}
		}
	}
}

// TestUserSigBadTTLFailsInit: a USER_SIG_TTL out of bounds stops the process
// at init, with one line naming it.
func TestUserSigBadTTLFailsInit(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	if out := initOutput(t, "usersig", "CHAT_SECRET_ID=s", "CHAT_REGION=tokyo", "USER_SIG_TTL=200d"); strings.Contains(out, "\n") || !strings.Contains(out, `USER_SIG_TTL "200d"`) {
		t.Errorf("init output %q, want one line naming USER_SIG_TTL", out)
	}
}

// TestUserSigNeedsNoChatRegion: the UserSig function makes no Chat call, so
// it starts and issues UserSigs with neither CHAT_REGION nor CHAT_BASE_URL
// set (the import and delete functions refuse to start without one).
func TestUserSigNeedsNoChatRegion(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	var env []string
	for _, kv := range w.env {
		if !strings.HasPrefix(kv, "CHAT_BASE_URL=") && !strings.HasPrefix(kv, "CHAT_REGION=") {
			env = append(env, kv)
		}
	}
	p := start(t, build(t, "usersig"), append(env, "HTTP_AUTH_MODE=iam"))
	r := call(t, p, readEvent(t, "direct-usersig.json"), 10*time.Second)
	var rep userSigReply
	if r.Failed() || json.Unmarshal(r.Payload, &rep) != nil || rep.UserSig == "" {
		t.Fatalf("reply %s (%s), want a UserSig", r.Payload, r.Error)
	}
	if err := w.emu.Login(rep.UserID, rep.UserSig); err != nil {
		t.Errorf("the emulator refuses the login: %v", err)
	}
	if out := initOutput(t, "delete", "CHAT_SECRET_ID=s"); !strings.Contains(out, "CHAT_REGION") {
		t.Errorf("the delete function started without a Chat region: %q", out)
	}
}
