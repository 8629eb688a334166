package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// issuedSig matches the UserSig field of a reply on stdout, also inside an
// HTTP reply's escaped body: the one place a UserSig may be printed.
var issuedSig = regexp.MustCompile(`(\\?"UserSig\\?"\s*:\s*\\?")[A-Za-z0-9*_-]+`)

// withoutIssuedSigs blanks the UserSigs the UserSig function's replies
// carry, so that the leak check searches the rest.
func withoutIssuedSigs(stdout string) string {
	return issuedSig.ReplaceAllString(stdout, "${1}<UserSig>")
}

// userSigIssued checks an invoke of the UserSig function: a reply (HTTP 200
// with no-store, or direct) with a UserSig for user, which stays out of
// stderr.
func userSigIssued(http bool, user string) func(t *testing.T, in []byte, r result) {
	return func(t *testing.T, in []byte, r result) {
		body := []byte(r.stdout)
		if http {
			var resp struct {
				StatusCode int               `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
				Body       string            `json:"body"`
			}
			if err := json.Unmarshal(body, &resp); err != nil || resp.StatusCode != 200 || resp.Headers["Cache-Control"] != "no-store" {
				t.Fatalf("reply %s, want 200 with Cache-Control: no-store", r.stdout)
			}
			body = []byte(resp.Body)
		}
		var rep handler.UserSigReply
		if err := json.Unmarshal(body, &rep); err != nil || rep.UserID != user || rep.UserSig == "" || rep.SDKAppID != testAppID {
			t.Fatalf("reply %s, want a UserSig for %s", body, user)
		}
		if strings.Contains(r.stderr, rep.UserSig) {
			t.Errorf("stderr carries the UserSig:\n%s", r.stderr)
		}
	}
}

func TestUserSigCommand(t *testing.T) {
	t.Run("emulator", func(t *testing.T) {
		before := time.Now().Unix()
		r := runCLI(t, runOpts{env: map[string]string{"USER_SIG_TTL": "90m"}}, "usersig", "alice")
		r.want(t, exitOK, "backend: embedded Chat emulator", "logs in nowhere else")
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		var rep handler.UserSigReply
		if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &rep) != nil {
			t.Fatalf("stdout %q, want one JSON line", r.stdout)
		}
		if rep.UserID != "alice" || rep.SDKAppID != testAppID || rep.ExpireAt < before+5400 || rep.ExpireAt > time.Now().Unix()+5400 {
			t.Errorf("reply %+v, want alice's for 90m", rep)
		}
		if strings.Contains(r.stderr, rep.UserSig) {
			t.Errorf("stderr carries the UserSig")
		}
	})
	t.Run("real app key", func(t *testing.T) {
		// Signed with the given key: it logs in to an app with that key.
		emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: testAppID, Key: testKey})
		r := runCLI(t, runOpts{env: map[string]string{"CHAT_SECRET_KEY": testKey}}, "usersig", "-sdkappid", "1400000000", "-base-url", emu.URL, "bob")
		r.want(t, exitOK)
		var rep handler.UserSigReply
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("stdout %q", r.stdout)
		}
		if err := emu.Login("bob", rep.UserSig); err != nil {
			t.Errorf("login with the printed UserSig: %v", err)
		}
		if emu.TotalRequests() != 0 {
			t.Errorf("%d Chat requests", emu.TotalRequests())
		}
	})
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"admin identifier", nil, []string{"usersig", "administrator"}, exitFailure, "admin identifier"},
		{"no USERID", nil, []string{"usersig"}, exitUsage, "want one USERID"},
		{"two USERIDs", nil, []string{"usersig", "a", "b"}, exitUsage, "want one USERID"},
		{"USERID too long", nil, []string{"usersig", strings.Repeat("x", 33)}, exitUsage, "at most 32"},
		{"bad TTL", map[string]string{"USER_SIG_TTL": "3d"}, []string{"usersig", "alice"}, exitUsage, `USER_SIG_TTL "3d"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{env: tt.env}, tt.args...)
			r.want(t, tt.code, tt.want)
			if strings.Contains(r.stdout, "UserSig") {
				t.Errorf("a refusal printed a UserSig: %s", r.stdout)
			}
		})
	}
}

// TestUserSigNeedsNoRegion: chatsync usersig signs locally, so a key with
// no Chat region or base URL is enough.
func TestUserSigNeedsNoRegion(t *testing.T) {
	key := writeFile(t, "secret.json", `{"sdkAppId":1400000000,"secretKey":"`+testKey+`","adminIdentifier":"administrator"}`)
	r := run(t, "usersig", "-key-file", key, "alice")
	r.want(t, exitOK, "no Chat endpoint (UserSigs only")
	var rep struct{ UserID, UserSig string }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.UserID != "alice" || rep.UserSig == "" {
		t.Fatalf("reply %q: %v", r.stdout, err)
	}
	emu := chatemu.New(chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	if err := emu.Login("alice", rep.UserSig); err != nil {
		t.Errorf("the UserSig does not log in: %v", err)
	}
	// Commands that call Chat still want a region.
	run(t, "accounts", "-key-file", key, "-sdkappid", "1400000000", "check", "alice").want(t, exitUsage, "no Chat region")
}
