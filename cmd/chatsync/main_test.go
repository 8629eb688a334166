package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/internal/syncbuf"
)

// testKey signs requests to the emulators the tests start as a "real"
// service; no output may ever contain it.
const testKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

type result struct {
	code           int
	stdout, stderr string
}

// runOpts is the environment of one in-process run.
type runOpts struct {
	ctx   context.Context
	env   map[string]string // the only variables the command sees through getenv
	stdin string
}

// runCLI runs chatsync in-process with args and returns what it printed.
func runCLI(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	if o.ctx == nil {
		o.ctx = context.Background()
	}
	var stdout, stderr syncbuf.Buffer
	c := &cli{
		stdin:  strings.NewReader(o.stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return o.env[k] },
	}
	code := c.run(o.ctx, args)
	r := result{code, stdout.String(), stderr.String()}
	assertNoSecrets(t, withoutIssuedSigs(r.stdout)+r.stderr)
	return r
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	return runCLI(t, runOpts{}, args...)
}

// assertNoSecrets fails if s carries the key, a UserSig or a signed URL.
func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, leak := range []string{testKey, "usersig=", "eJw", "eJy", "TLS.sig"} {
		if strings.Contains(s, leak) {
			t.Errorf("output leaks %q:\n%s", leak, s)
		}
	}
}

func (r result) want(t *testing.T, code int, substrings ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range substrings {
		if !strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", s, r.stdout, r.stderr)
		}
	}
}

// writeFile writes content to a new file in the test's directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"Usage:", "chatsync demo", "chatsync local", "chatsync invoke", "chatsync accounts", "CHAT_SECRET_ID", "Exit status"}},
		{[]string{"-h"}, []string{"Usage:"}},
		{[]string{"--help"}, []string{"Usage:"}},
		{[]string{"help", "accounts"}, []string{"chatsync accounts [flags] import|delete|check", "-key-file", "-progress"}},
		{[]string{"help", "local"}, []string{"sam local start-api", "-addr", "127.0.0.1:3000"}},
		{[]string{"help", "invoke"}, []string{"sam local invoke", "-seed"}},
		{[]string{"help", "demo"}, []string{"chatsync demo"}},
		{[]string{"accounts", "-h"}, []string{"chatsync accounts [flags]"}},
		{[]string{"invoke", "-help"}, []string{"chatsync invoke [flags]"}},
		{[]string{"help", "help"}, []string{"chatsync help [COMMAND]"}},
		{[]string{"help", "-h"}, []string{"Usage:", "chatsync demo"}},
		{[]string{"help", "demo", "-h"}, []string{"chatsync demo [-v]"}},
		{[]string{"help", "--help"}, []string{"Usage:"}},
		{[]string{"help", "doctor"}, []string{"chatsync doctor", "-stack", "-dlq", "-ledger-table"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, tt.args...)
			r.want(t, exitOK, tt.want...)
			if r.stderr != "" {
				t.Errorf("help wrote to stderr: %s", r.stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.txt")
	badIDs := writeFile(t, "ids.txt", "alice\n# fine\n\n"+strings.Repeat("x", 33)+"\n")
	notJSON := writeFile(t, "event.json", "{not json")
	empty := writeFile(t, "empty.json", "  \n")
	bareKey := writeFile(t, "key", "abc\n")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"no arguments", nil, nil, []string{"Usage:"}},
		{"unknown command", nil, []string{"frobnicate"}, []string{`unknown command "frobnicate"`, "chatsync help"}},
		{"help for an unknown command", nil, []string{"help", "nope"}, []string{`unknown command "nope"`}},
		{"unknown flag", nil, []string{"demo", "-nope"}, []string{"flag provided but not defined: -nope", "chatsync help demo"}},
		{"bad flag value", nil, []string{"accounts", "-sdkappid", "abc", "check", "x"}, []string{`invalid value "abc" for flag -sdkappid`}},
		{"demo argument", nil, []string{"demo", "extra"}, []string{`unexpected argument "extra"`}},
		{"key as a flag", nil, []string{"accounts", "-key=s3cr3t", "check", "x"}, []string{"never taken as a flag value", "-key-file"}},
		{"key as a double-dash flag", nil, []string{"local", "--secret-key", "s3cr3t"}, []string{"never taken as a flag value"}},
		{"local argument", nil, []string{"local", "extra"}, []string{`unexpected argument "extra"`}},
		{"local bad address", nil, []string{"local", "-addr", "nonsense"}, []string{`-addr "nonsense"`}},
		{"local bad seed", nil, []string{"local", "-seed", "ok," + strings.Repeat("y", 33)}, []string{"-seed", "at most 32"}},
		{"accounts seed with the real service", map[string]string{"CHAT_SECRET_KEY": "k"}, []string{"accounts", "-sdkappid", "1", "-region", "tokyo", "-seed", "a", "check", "a"}, []string{"-seed is for the emulator only"}},
		{"invoke without event", nil, []string{"invoke", "import"}, []string{"want a function and an event"}},
		{"invoke unknown function", nil, []string{"invoke", "update", "x.json"}, []string{`unknown function "update"`}},
		{"invoke missing file", nil, []string{"invoke", "import", missing}, []string{"cannot read the event", "no such file"}},
		{"invoke invalid JSON", nil, []string{"invoke", "import", notJSON}, []string{"is not valid JSON"}},
		{"invoke empty event", nil, []string{"invoke", "import", empty}, []string{"is empty"}},
		{"invoke empty stdin", nil, []string{"invoke", "import", "-"}, []string{"the event in stdin is empty"}},
		{"accounts without operation", nil, []string{"accounts"}, []string{"want an operation"}},
		{"accounts unknown operation", nil, []string{"accounts", "-emulator", "purge", "x"}, []string{`unknown operation "purge"`}},
		{"accounts without IDs", nil, []string{"accounts", "-emulator", "check"}, []string{"no UserIDs"}},
		{"accounts invalid ID", nil, []string{"accounts", "-emulator", "check", strings.Repeat("z", 40)}, []string{"is 40 bytes, at most 32"}},
		{"accounts missing file", nil, []string{"accounts", "-emulator", "-f", missing, "check"}, []string{"cannot read the UserID list", "no such file"}},
		{"accounts invalid file", nil, []string{"accounts", "-emulator", "check", "-f", badIDs}, []string{badIDs + ":4:", "33 bytes"}},
		{"accounts stdin twice", nil, []string{"accounts", "-emulator", "-f", "-", "check", "-"}, []string{"stdin (-) given twice"}},
		{"accounts without backend", nil, []string{"accounts", "import", "alice"}, []string{"no Chat backend configured", "-emulator", "CHAT_SECRET_ID"}},
		{"emulator with real flags", nil, []string{"accounts", "-emulator", "-secret-id", "s", "check", "x"}, []string{"-emulator cannot be combined with -secret-id"}},
		{"secret and key", nil, []string{"invoke", "-secret-id", "s", "-sdkappid", "1", "import", "x.json"}, []string{"either -secret-id or -sdkappid"}},
		{"admin without sdkappid", nil, []string{"local", "-admin", "root"}, []string{"-admin goes with -sdkappid"}},
		{"region without key", nil, []string{"local", "-region", "singapore"}, []string{"-region and -base-url need a key"}},
		{"secret without region", nil, []string{"accounts", "-secret-id", "s", "check", "x"}, []string{"no Chat region"}},
		{"secret from env without region", map[string]string{"CHAT_SECRET_ID": "s"}, []string{"accounts", "check", "x"}, []string{"no Chat region"}},
		{"unknown region", map[string]string{"CHAT_SECRET_ID": "s", "CHAT_REGION": "mars"}, []string{"local"}, []string{`unknown Chat region "mars"`}},
		{"insecure base URL", nil, []string{"local", "-secret-id", "s", "-base-url", "http://example.com"}, []string{"https is required"}},
		{"bad secret TTL", map[string]string{"CHAT_SECRET_TTL": "soon"}, []string{"local", "-secret-id", "s", "-region", "tokyo"}, []string{`CHAT_SECRET_TTL "soon"`}},
		{"sdkappid without key", nil, []string{"accounts", "-sdkappid", "1400000000", "-region", "tokyo", "check", "x"}, []string{"-sdkappid needs the key", "CHAT_SECRET_KEY"}},
		{"missing key file", nil, []string{"accounts", "-sdkappid", "1", "-key-file", missing, "-region", "tokyo", "check", "x"}, []string{"cannot read the key file"}},
		{"bare key without sdkappid", nil, []string{"accounts", "-key-file", bareKey, "-region", "tokyo", "check", "x"}, []string{"no SDKAppID"}},
		{"bad invoke timeout", nil, []string{"invoke", "-timeout", "-1s", "import", "x.json"}, []string{"-timeout must not be negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{env: tt.env}, tt.args...)
			r.want(t, exitUsage, tt.want...)
			if strings.Contains(r.stdout+r.stderr, "s3cr3t") {
				t.Error("the key given as a flag was echoed")
			}
		})
	}
}

// TestHelpFlags: every way of asking for help exits 0 (-h, -help, --help,
// before or after the command, and help help); the overview names every
// command, and each command's help lists every one of its flags.
func TestHelpFlags(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"--help"}, {"help", "help"}, {"help", "-h"}} {
		if r := run(t, args...); r.code != exitOK {
			t.Errorf("chatsync %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	overview := run(t, "help").stdout
	for _, cmd := range commands {
		if !strings.Contains(overview, "  "+cmd.name+" ") || !strings.Contains(overview, "chatsync "+cmd.name) {
			t.Errorf("chatsync help does not list %s", cmd.name)
		}
		for _, h := range []string{"-h", "-help", "--help"} {
			r := run(t, cmd.name, h)
			if r.code != exitOK {
				t.Errorf("chatsync %s %s: exit %d", cmd.name, h, r.code)
			}
			if fs := cmd.usage.flags(); fs != nil {
				fs.VisitAll(func(f *flag.Flag) {
					if !strings.Contains(r.stdout, "  -"+f.Name) {
						t.Errorf("chatsync %s %s does not list -%s", cmd.name, h, f.Name)
					}
				})
			}
		}
	}
}
