package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

const testAppID = 1400000000

func TestAccountsOnEmulator(t *testing.T) {
	list := writeFile(t, "ids.txt", "\ufeff# operators' list\nalice\n\n  bob  \r\n# carol is not here\ndave\nalice\n")
	tests := []struct {
		name   string
		stdin  string
		args   []string
		stdout []string // exact lines
		stderr []string // substrings
	}{
		{"check from a file", "", []string{"accounts", "-emulator", "check", "-f", list},
			[]string{"alice\tNotImported", "bob\tNotImported", "dave\tNotImported"},
			[]string{"check: 3 UserIDs: 0 imported, 3 not imported, 0 failed (1 call, 1 request,", "no real account changes"}},
		{"import from stdin", "erin\nfrank\n# done\n", []string{"accounts", "-emulator", "import", "-"},
			nil, []string{"import: 2 UserIDs: 2 imported, 0 failed"}},
		{"import verbose, args and stdin", "frank\n", []string{"accounts", "-v", "-emulator", "import", "erin", "-"},
			[]string{"erin\timported", "frank\timported"}, []string{"import: 2 UserIDs: 2 imported"}},
		{"delete: absent counts as deleted", "", []string{"accounts", "-emulator", "-v", "delete", "ghost", "-f", list},
			[]string{"alice\tabsent", "bob\tabsent", "dave\tabsent", "ghost\tabsent"}, []string{"delete: 4 UserIDs: 0 deleted, 4 already absent, 0 failed"}},
		{"flags before the operation, list on stdin", "carol\n", []string{"accounts", "-emulator", "-f", "-", "check"},
			[]string{"carol\tNotImported"}, []string{"check: 1 UserID:"}},
		{"seeded emulator: check finds the accounts", "", []string{"accounts", "-emulator", "-seed", "alice,bob", "check", "alice", "bob", "carol"},
			[]string{"alice\tImported", "bob\tImported", "carol\tNotImported"}, []string{"check: 3 UserIDs: 2 imported, 1 not imported"}},
		{"seeded emulator: delete deletes", "", []string{"accounts", "-emulator", "-seed", "alice", "-v", "delete", "alice"},
			[]string{"alice\tdeleted"}, []string{"delete: 1 UserID: 1 deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{stdin: tt.stdin}, tt.args...)
			r.want(t, exitOK, tt.stderr...)
			if tt.stdout != nil {
				got := strings.Split(strings.TrimSpace(r.stdout), "\n")
				if !slices.Equal(got, tt.stdout) {
					t.Errorf("stdout lines %q, want %q", got, tt.stdout)
				}
			}
		})
	}
}

func TestAccountsProgress(t *testing.T) {
	var ids strings.Builder
	for i := range 450 {
		fmt.Fprintf(&ids, "user%04d\n", i)
	}
	r := runCLI(t, runOpts{stdin: ids.String()}, "accounts", "-emulator", "-progress", "import", "-")
	r.want(t, exitOK, "import: 450 UserIDs: 450 imported, 0 failed (5 calls, 5 requests,")
	for _, want := range []string{"\rimport [", "400/450", "450/450 100%"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("progress lacks %q:\n%q", want, r.stderr)
		}
	}
	// Without -progress, and with stderr not a terminal, there is no bar.
	r = runCLI(t, runOpts{stdin: ids.String()}, "accounts", "-emulator", "import", "-")
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("a progress bar on a non-terminal: %q", r.stderr)
	}
}

// startChat starts an emulator that plays the real service for a test.
func startChat(t *testing.T) *chatemu.Running {
	t.Helper()
	return chatemu.StartTest(t, chatemu.Options{SDKAppID: testAppID, Key: testKey})
}

func TestAccountsWithKey(t *testing.T) {
	emu := startChat(t)
	keyFile := writeFile(t, "key", testKey+"\n")
	docFile := writeFile(t, "secret.json", fmt.Sprintf(`{"sdkAppId":"%d","secretKey":%q}`, testAppID, testKey))
	ids := writeFile(t, "ids.txt", "alice\nbob\ncarol\n")
	withFile := []string{"-sdkappid", fmt.Sprint(testAppID), "-key-file", keyFile, "-base-url", emu.URL}
	withDoc := []string{"-key-file", docFile, "-base-url", emu.URL}
	envKey := map[string]string{"CHAT_SECRET_KEY": testKey, "CHAT_BASE_URL": emu.URL}

	r := runCLI(t, runOpts{}, append(append([]string{"accounts"}, withFile...), "import", "-f", ids)...)
	r.want(t, exitOK, "backend: Tencent Cloud Chat (real service), "+emu.URL, fmt.Sprintf("SDKAppID %d", testAppID), "import: 3 UserIDs: 3 imported")
	for _, id := range []string{"alice", "bob", "carol"} {
		if !emu.Has(id) {
			t.Errorf("%s not imported", id)
		}
	}

	r = runCLI(t, runOpts{}, append(append([]string{"accounts"}, withDoc...), "check", "alice", "zoe")...)
	r.want(t, exitOK, "check: 2 UserIDs: 1 imported, 1 not imported")
	if r.stdout != "alice\tImported\nzoe\tNotImported\n" {
		t.Errorf("stdout %q", r.stdout)
	}

	r = runCLI(t, runOpts{env: envKey}, "accounts", "-sdkappid", fmt.Sprint(testAppID), "delete", "bob", "ghost")
	r.want(t, exitOK, "delete: 2 UserIDs: 1 deleted, 1 already absent, 0 failed")
	if emu.Has("bob") {
		t.Error("bob not deleted")
	}

	// A call Chat refuses for good fails its accounts: exit status 1.
	emu.Inject(chatemu.Fault{Command: chat.CmdDelete, Code: 71000, Times: 1})
	r = runCLI(t, runOpts{}, append(append([]string{"accounts"}, withFile...), "delete", "alice", "carol")...)
	r.want(t, exitFailure, "alice\tfailed\tcode 71000", "carol\tfailed\tcode 71000", "delete: 2 UserIDs: 0 deleted, 0 already absent, 2 failed", "error: chat account_delete: code 71000")
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.Count(line, "71000") != 1 {
			t.Errorf("failure line names the code %d times: %q", strings.Count(line, "71000"), line)
		}
	}
	emu.Inject(chatemu.Fault{Command: chat.CmdMultiImport, Code: 70398, Times: 1})
	r = runCLI(t, runOpts{}, append(append([]string{"accounts"}, withFile...), "import", "dave")...)
	r.want(t, exitFailure, "dave\tfailed", "import: 1 UserID: 0 imported, 1 failed", "code 70398")
	// Every failure line has its reason column, and says the code once.
	if !strings.Contains(r.stdout, "dave\tfailed\tchat multiaccount_import: code 70398") {
		t.Errorf("import failure line without its reason: %q", r.stdout)
	}

	// A wrong key is a failure the operator can act on, not a hang.
	wrong := writeFile(t, "wrong", strings.Repeat("0", 64))
	r = runCLI(t, runOpts{}, "accounts", "-sdkappid", fmt.Sprint(testAppID), "-key-file", wrong, "-base-url", emu.URL, "check", "alice")
	r.want(t, exitFailure, "alice\tfailed\tcode 70009")
	if strings.Contains(r.stdout+r.stderr, strings.Repeat("0", 64)) {
		t.Error("the wrong key was printed")
	}
}

// fakeSecretsManager answers GetSecretValue for one secret, as Secrets
// Manager's JSON protocol does.
func fakeSecretsManager(t *testing.T, id, value string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ SecretId string }
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || in.SecretId != id {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + id, "Name": id, "SecretString": value, "VersionId": "v1"})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSecretsManagerBackend(t *testing.T) {
	emu := startChat(t)
	sm := fakeSecretsManager(t, "chat-admin", fmt.Sprintf(`{"sdkAppId":%d,"secretKey":%q,"adminIdentifier":"administrator"}`, testAppID, testKey))
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", sm.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	emu.Seed("alice")

	env := map[string]string{"CHAT_SECRET_ID": "chat-admin", "CHAT_BASE_URL": emu.URL}
	r := runCLI(t, runOpts{env: env}, "accounts", "check", "alice")
	r.want(t, exitOK, `key from Secrets Manager secret "chat-admin" (AWS region us-east-1)`, `SDKAppID 1400000000, admin "administrator"`, "alice\tImported")

	r = runCLI(t, runOpts{env: env}, "invoke", "-q", "delete", eventsDir+"/http-delete-path.json")
	r.want(t, exitOK, `\"ResultCode\":0`)
	if emu.Has("alice") {
		t.Error("alice not deleted through the real backend")
	}
	if strings.Contains(r.stderr, "emulator: created") {
		t.Error("seeded a real backend")
	}

	// Flags override the environment; -emulator overrides both.
	r = runCLI(t, runOpts{env: env}, "accounts", "-secret-id", "other", "-base-url", emu.URL, "check", "alice")
	r.want(t, exitFailure, `chat secret "other": the secret does not exist`)
	r = runCLI(t, runOpts{env: env}, "accounts", "-emulator", "check", "alice")
	r.want(t, exitOK, "backend: embedded Chat emulator")
}

func TestReadIDs(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"plain", "a\nb\n", []string{"a", "b"}, ""},
		{"comments, blanks, spaces, CRLF, BOM", "\ufeffa\r\n\n  # note\n\tb \n#c\n", []string{"a", "b"}, ""},
		{"no final newline", "a\nb", []string{"a", "b"}, ""},
		{"only comments", "# nothing\n\n", nil, ""},
		{"too long a UserID", "a\n" + strings.Repeat("x", 33) + "\n", nil, "list:2: UserID is 33 bytes"},
		{"not UTF-8", "a\n\xff\n", nil, "list:2: UserID is not valid UTF-8"},
		{"too long a line", strings.Repeat("x", maxLine+1), nil, "a line is over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readIDs(strings.NewReader(tt.in), "list")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("readIDs = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestAccountsDeleteKicksAndTombstones: accounts delete kicks every
// account before it deletes it, so that a UserSig issued before the
// delete can no longer log in (and register the account again); with the
// ledger, import records the accounts and delete tombstones them.
func TestAccountsDeleteKicksAndTombstones(t *testing.T) {
	w := newReconcileWorld(t, 1)
	accounts := func(args ...string) result {
		t.Helper()
		return runCLI(t, runOpts{env: map[string]string{}}, append(append([]string{"accounts"}, w.args...), args...)...)
	}
	accounts("import", "alice", "bob", "carol").want(t, exitOK, "import: 3 UserIDs: 3 imported")
	for _, id := range []string{"alice", "bob", "carol"} {
		if rec, ok, err := w.ledger.Get(context.Background(), id); err != nil || !ok || !rec.Live() || rec.Source != chat.SourceAPI {
			t.Fatalf("ledger item of %s after the import: %+v, %v, %v; want a live api item", id, rec, ok, err)
		}
	}
	sig := usersig.Generate([]byte("sync-test-key"), testAppID, "alice", time.Now(), time.Hour)
	if err := w.emu.Login("alice", sig); err != nil {
		t.Fatalf("alice's login before the delete: %v", err)
	}

	// A kick that fails for good: bob is reported failed and kept (his
	// UserSigs still work), with no account_delete call.
	w.emu.Inject(chatemu.Fault{Command: chat.CmdKick, Code: 71000, Times: 1})
	deletes := w.emu.Requests(chat.CmdDelete)
	accounts("delete", "bob").want(t, exitFailure, "delete: 1 UserID: 0 deleted, 0 already absent, 1 failed", "bob\tfailed\tkick failed, not deleted")
	if !w.emu.Has("bob") || w.emu.Requests(chat.CmdDelete) != deletes {
		t.Errorf("bob after a failed kick: in Chat %v, %d delete calls; want kept, none", w.emu.Has("bob"), w.emu.Requests(chat.CmdDelete)-deletes)
	}

	r := accounts("-v", "delete", "alice", "bob", "carol", "ghost")
	r.want(t, exitOK, "delete: 4 UserIDs: 3 deleted, 1 already absent, 0 failed", "ghost\tabsent")
	if w.emu.Has("alice") || w.emu.Has("bob") || w.emu.Has("carol") {
		t.Errorf("after the delete: alice %v, bob %v, carol %v in Chat; want none", w.emu.Has("alice"), w.emu.Has("bob"), w.emu.Has("carol"))
	}
	for _, id := range []string{"alice", "bob", "carol"} {
		if _, ok := w.emu.KickedAt(id); !ok {
			t.Errorf("%s deleted without a kick", id)
		}
	}
	if err := w.emu.Login("alice", sig); err == nil || w.emu.Has("alice") {
		t.Errorf("alice's old UserSig after the delete: %v, account back %v; want it refused", err, w.emu.Has("alice"))
	}
	for _, id := range []string{"alice", "bob", "carol", "ghost"} {
		if rec, ok, err := w.ledger.Get(context.Background(), id); err != nil || !ok || rec.Live() {
			t.Errorf("ledger item of %s after the delete: %+v, %v, %v; want a tombstone", id, rec, ok, err)
		}
	}

	// A later import clears the tombstone.
	accounts("import", "carol").want(t, exitOK, "import: 1 UserID: 1 imported")
	if rec, _, _ := w.ledger.Get(context.Background(), "carol"); !rec.Live() {
		t.Errorf("carol after a new import: %+v, want live", rec)
	}
}

// TestAccountsRefuseAdmin: import and delete never touch the app's admin
// identifier, and refuse the whole list before any Chat call.
func TestAccountsRefuseAdmin(t *testing.T) {
	emu := startChat(t)
	key := writeFile(t, "secret.json", fmt.Sprintf(`{"sdkAppId":%d,"secretKey":%q,"adminIdentifier":"administrator"}`, testAppID, testKey))
	for _, op := range []string{"import", "delete"} {
		before := emu.TotalRequests()
		r := runCLI(t, runOpts{}, "accounts", "-key-file", key, "-base-url", emu.URL, op, "alice", "administrator")
		r.want(t, exitUsage, `UserID "administrator" is the app's admin identifier: chatsync never imports or deletes it`)
		if n := emu.TotalRequests() - before; n != 0 {
			t.Errorf("%s: %d Chat requests, want none", op, n)
		}
	}
	runCLI(t, runOpts{}, "accounts", "-key-file", key, "-base-url", emu.URL, "check", "administrator").want(t, exitOK, "check: 1 UserID:")
}
