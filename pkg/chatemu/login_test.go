package chatemu_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/testclock"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

func TestKickCommand(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		code   int
		kicked string // the account whose kick must be recorded
	}{
		{"existing account", `{"UserID":"alice"}`, 0, "alice"},
		{"unknown fields ignored", `{"UserID":"alice","Extra":1}`, 0, "alice"},
		{"absent account", `{"UserID":"nobody"}`, chat.CodeAccountNotFound, ""},
		{"empty UserID", `{"UserID":""}`, chat.CodeInvalidParameter, ""},
		{"missing UserID", `{}`, chat.CodeInvalidParameter, ""},
		{"UserID over 32 bytes", `{"UserID":"` + strings.Repeat("a", 33) + `"}`, chat.CodeInvalidParameter, ""},
		{"UserID not a string", `{"UserID":42}`, chat.CodeBadAccountType, ""},
		{"not JSON", `UserID=alice`, chat.CodeBadJSON, ""},
		{"array", `[{"UserID":"alice"}]`, chat.CodeBadJSON, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := start(t, chatemu.Options{})
			emu.Seed("alice")
			wantCode(t, call(t, emu, chat.CmdKick, tt.body), tt.code)
			if got := emu.Requests(chat.CmdKick); got != 1 {
				t.Errorf("Requests(kick) = %d, want 1", got)
			}
			for _, id := range []string{"alice", "nobody"} {
				at, ok := emu.KickedAt(id)
				if want := id == tt.kicked; ok != want {
					t.Errorf("KickedAt(%q) recorded = %v, want %v", id, ok, want)
				}
				if ok && !at.Equal(t0) {
					t.Errorf("KickedAt(%q) = %v, want the emulator's clock %v", id, at, t0)
				}
			}
			if !emu.Has("alice") {
				t.Error("kick removed the account")
			}
		})
	}
}

func TestKickNeedsAdmin(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Seed("alice")
	_, env := post(t, emu, chatemu.Prefix+chat.CmdKick, query("alice"), `{"UserID":"alice"}`)
	wantCode(t, env, chat.CodeNotAdmin)
	if _, ok := emu.KickedAt("alice"); ok {
		t.Error("a refused kick was recorded")
	}
}

func TestKickRateCap(t *testing.T) {
	if got := chatemu.DocumentedRateLimits()[chat.CmdKick]; got != 200 {
		t.Fatalf("documented kick cap = %d, want 200", got)
	}
	emu := start(t, chatemu.Options{RateLimits: map[string]int{chat.CmdKick: 2}})
	emu.Seed("alice")
	for i, want := range []int{0, 0, chat.CodeRateLimited} {
		env := call(t, emu, chat.CmdKick, `{"UserID":"alice"}`)
		if env.ErrorCode != want {
			t.Fatalf("kick %d: code %d, want %d", i+1, env.ErrorCode, want)
		}
	}
}

// userSig returns a UserSig for id made with k for app at issued, valid for
// an hour.
func userSig(k string, app uint64, id string, issued time.Time) string {
	return usersig.Generate([]byte(k), app, id, issued, time.Hour)
}

func TestLogin(t *testing.T) {
	kickAt := t0.Add(10*time.Second + 500*time.Millisecond) // mid-second
	tests := []struct {
		name   string
		id     string
		sig    string
		kick   bool          // kick alice at kickAt first
		now    time.Duration // emulator clock, after t0
		code   int           // 0: accepted
		rotate bool          // rotate the key before logging in
	}{
		{name: "valid", id: "alice", sig: userSig(key, appID, "alice", t0)},
		{name: "last valid second", id: "alice", sig: userSig(key, appID, "alice", t0), now: time.Hour},
		{name: "expired", id: "alice", sig: userSig(key, appID, "alice", t0), now: time.Hour + time.Second, code: chat.CodeSigExpired},
		{name: "another key", id: "alice", sig: userSig("another-key", appID, "alice", t0), code: chat.CodeSigKeyMismatch},
		{name: "key rotated since", id: "alice", sig: userSig(key, appID, "alice", t0), rotate: true, code: chat.CodeSigKeyMismatch},
		{name: "another app", id: "alice", sig: userSig(key, appID+1, "alice", t0), code: chat.CodeSDKAppIDMismatch},
		{name: "another user's UserSig", id: "alice", sig: userSig(key, appID, "bob", t0), code: chat.CodeSigIdentifierMismatch},
		{name: "admin's UserSig for a user", id: "alice", sig: userSig(key, appID, admin, t0), code: chat.CodeSigIdentifierMismatch},
		{name: "UserID differs only in case", id: "Alice", sig: userSig(key, appID, "alice", t0), code: chat.CodeSigIdentifierMismatch},
		{name: "garbage", id: "alice", sig: "not-a-usersig", code: chat.CodeSigDecodeFailed},
		{name: "empty UserSig", id: "alice", sig: "", code: chat.CodeSigDecodeFailed},
		{name: "empty UserID", id: "", sig: userSig(key, appID, "", t0), code: chat.CodeInvalidParameter},
		{name: "UserID over 32 bytes", id: strings.Repeat("a", 33), sig: userSig(key, appID, strings.Repeat("a", 33), t0), code: chat.CodeInvalidParameter},
		{name: "UserID outside printable ASCII", id: "caf\u00e9", sig: userSig(key, appID, "caf\u00e9", t0), code: chat.CodeInvalidParameter},
		{name: "UserID with a space", id: "a b", sig: userSig(key, appID, "a b", t0), code: chat.CodeInvalidParameter},
		{name: "issued before the kick", id: "alice", sig: userSig(key, appID, "alice", t0), kick: true, now: time.Minute, code: chat.CodeSigInvalidated},
		{name: "issued in the kick's second", id: "alice", sig: userSig(key, appID, "alice", kickAt), kick: true, now: time.Minute, code: chat.CodeSigInvalidated},
		{name: "issued the second after the kick", id: "alice", sig: userSig(key, appID, "alice", kickAt.Add(time.Second)), kick: true, now: time.Minute},
		{name: "kick of another account", id: "bob", sig: userSig(key, appID, "bob", t0), kick: true, now: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := testclock.New(t0)
			emu := start(t, chatemu.Options{Now: clk.Now})
			emu.Seed("alice", "bob")
			if tt.kick {
				clk.Advance(kickAt.Sub(t0))
				wantCode(t, call(t, emu, chat.CmdKick, `{"UserID":"alice"}`), 0)
			}
			clk.Advance(t0.Add(tt.now).Sub(clk.Now())) // to t0 + tt.now
			if tt.rotate {
				emu.RotateKey("the-next-key")
			}
			emu.ResetCounters()

			err := emu.Login(tt.id, tt.sig)
			if tt.code == 0 {
				if err != nil {
					t.Fatalf("Login: %v, want accepted", err)
				}
				if emu.Logins() != 1 {
					t.Errorf("Logins() = %d, want 1", emu.Logins())
				}
			} else {
				var ce *chat.Error
				if !errors.As(err, &ce) || ce.Code != tt.code {
					t.Fatalf("Login: %v, want code %d", err, tt.code)
				}
				if ce.Command != chatemu.LoginCommand {
					t.Errorf("Command = %q, want %q", ce.Command, chatemu.LoginCommand)
				}
				if emu.Logins() != 0 {
					t.Errorf("Logins() = %d after a refused login", emu.Logins())
				}
				if emu.Has(tt.id) && tt.id != "alice" && tt.id != "bob" {
					t.Errorf("a refused login registered %q", tt.id)
				}
				if tt.sig != "" && strings.Contains(err.Error(), tt.sig) || strings.Contains(err.Error(), key) {
					t.Errorf("error leaks the UserSig or the key: %v", err)
				}
			}
			if n := emu.TotalRequests(); n != 0 {
				t.Errorf("Login made %d requests", n)
			}
		})
	}
}

// The SDK's first login with a valid UserSig registers an unknown UserID, as
// Tencent documents; a refused login registers nothing, and the trial cap
// holds for registrations too.
func TestLoginRegistersUnknownUserID(t *testing.T) {
	emu := start(t, chatemu.Options{TrialCap: 2})
	emu.Seed("alice")
	if code := chat.ErrorCode(emu.Login("carol", userSig("another-key", appID, "carol", t0))); code != chat.CodeSigKeyMismatch {
		t.Fatalf("login with a bad UserSig: code %d", code)
	}
	if emu.Has("carol") || emu.Registered() != 0 {
		t.Fatal("a refused login registered the account")
	}
	if err := emu.Login("carol", userSig(key, appID, "carol", t0)); err != nil {
		t.Fatalf("first login: %v", err)
	}
	if a, ok := emu.Account("carol"); !ok || a != (chat.Account{UserID: "carol"}) {
		t.Fatalf("after the first login Account(carol) = %+v, %v; want a registered account without a profile", a, ok)
	}
	if err := emu.Login("carol", userSig(key, appID, "carol", t0)); err != nil {
		t.Fatalf("second login: %v", err)
	}
	if emu.Registered() != 1 || emu.Len() != 2 {
		t.Errorf("Registered() = %d, Len() = %d; want 1 and 2", emu.Registered(), emu.Len())
	}
	// account_check sees the registered account, as it would see an import.
	env := call(t, emu, chat.CmdCheck, items("CheckItem", "carol"))
	if len(env.ResultItem) != 1 || env.ResultItem[0].AccountStatus != "Imported" {
		t.Errorf("account_check after login: %+v", env.ResultItem)
	}
	if code := chat.ErrorCode(emu.Login("dave", userSig(key, appID, "dave", t0))); code != chat.CodeTrialCap {
		t.Errorf("login past the trial cap: code %d, want %d", code, chat.CodeTrialCap)
	}
	if emu.Has("dave") {
		t.Error("a login past the trial cap registered the account")
	}
}

// Chat's account API takes a UserID that only the SDK login refuses (its
// docs give only the length), so the emulator imports it.
func TestImportTakesWhatLoginRefuses(t *testing.T) {
	emu := start(t, chatemu.Options{})
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"caf\u00e9"}`), 0)
	if !emu.Has("caf\u00e9") {
		t.Fatal("account not imported")
	}
	if code := chat.ErrorCode(emu.Login("caf\u00e9", userSig(key, appID, "caf\u00e9", t0))); code != chat.CodeInvalidParameter {
		t.Errorf("login: code %d, want %d", code, chat.CodeInvalidParameter)
	}
}

// A kick invalidates a user's UserSigs but not the account: after it the
// user logs in again with a new UserSig, as Tencent documents.
func TestKickThenNewUserSig(t *testing.T) {
	clk := testclock.New(t0)
	emu := start(t, chatemu.Options{Now: clk.Now})
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"alice"}`), 0)
	old := userSig(key, appID, "alice", clk.Now())
	if err := emu.Login("alice", old); err != nil {
		t.Fatalf("login before the kick: %v", err)
	}
	clk.Advance(time.Second)
	wantCode(t, call(t, emu, chat.CmdKick, `{"UserID":"alice"}`), 0)
	clk.Advance(time.Second)
	if code := chat.ErrorCode(emu.Login("alice", old)); code != chat.CodeSigInvalidated {
		t.Fatalf("old UserSig after the kick: code %d, want %d", code, chat.CodeSigInvalidated)
	}
	if err := emu.Login("alice", userSig(key, appID, "alice", clk.Now())); err != nil {
		t.Fatalf("new UserSig after the kick: %v", err)
	}
	// Deleting and re-importing the account keeps the old UserSigs refused.
	wantCode(t, call(t, emu, chat.CmdDelete, items("DeleteItem", "alice")), 0)
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"alice"}`), 0)
	if code := chat.ErrorCode(emu.Login("alice", old)); code != chat.CodeSigInvalidated {
		t.Fatalf("old UserSig after delete and re-import: code %d, want %d", code, chat.CodeSigInvalidated)
	}
	if emu.Logins() != 2 {
		t.Errorf("Logins() = %d, want 2", emu.Logins())
	}
}

// The kick command over HTTP answers like every other command.
func TestKickOverHTTP(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Seed("alice")
	status, env := post(t, emu, chatemu.Prefix+chat.CmdKick, query(admin), `{"UserID":"alice"}`)
	if status != http.StatusOK {
		t.Fatalf("HTTP %d", status)
	}
	wantCode(t, env, 0)
	if env.ResultItem != nil || env.FailAccounts != nil {
		t.Errorf("kick reply carries items: %+v", env)
	}
}

func ExampleServer_Login() {
	emu := chatemu.New(chatemu.Options{SDKAppID: 1400000000, Key: "example-key", Now: func() time.Time { return time.Unix(1700000000, 0) }})
	emu.Seed("alice")
	creds := emu.Credentials()
	sig := usersig.Generate([]byte(creds.Key), creds.SDKAppID, "alice", time.Unix(1699999990, 0), 24*time.Hour)

	fmt.Println(emu.Login("alice", sig))
	fmt.Println(emu.Login("bob", sig))
	emu.RotateKey("the-next-key")
	fmt.Println(emu.Login("alice", sig))
	fmt.Println("logins accepted:", emu.Logins())
	// Output:
	// <nil>
	// chat login: code 70013 (configuration): UserID differs from the UserSig's
	// chat login: code 70009 (credentials): UserSig verification failed: it was not signed with this app's key
	// logins accepted: 1
}
