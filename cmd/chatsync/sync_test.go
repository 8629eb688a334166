package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// syncWorld is a pool on moto and a Chat emulator, with the command line
// and environment that point chatsync sync at them.
type syncWorld struct {
	pool     *cognitotest.Pool
	emu      *chatemu.Running
	args     []string // backend flags
	env      map[string]string
	want     map[string]bool // UserIDs a sync must import
	unmapped []string        // usernames with no usable UserID
	seeded   []string
}

func newSyncWorld(t *testing.T, n int) *syncWorld {
	t.Helper()
	srv := moto.Shared(t)
	srv.SetEnv(t)
	w := &syncWorld{want: map[string]bool{}, env: map[string]string{"USER_ID_ATTRIBUTE": "custom:chat_id"}}
	w.pool = cognitotest.NewPool(t, cip.NewFromConfig(srv.Config()), moto.UniqueName(t, "pool"))
	statuses := []string{cognito.StatusConfirmed, cognito.StatusUnconfirmed, cognito.StatusForceChangePassword, cognito.StatusConfirmed}
	var users []cognitotest.NewUser
	for i := range n {
		u := cognitotest.NewUser{Username: fmt.Sprintf("u%03d", i), Status: statuses[i%4], Attributes: map[string]string{"nickname": fmt.Sprintf("N%d", i)}}
		id := fmt.Sprintf("c%03d", i)
		if i%9 != 4 {
			u.Attributes["custom:chat_id"] = id
		}
		switch {
		case u.Status == cognito.StatusUnconfirmed:
		case i%9 == 4:
			w.unmapped = append(w.unmapped, u.Username)
		case i%5 == 0:
			w.seeded = append(w.seeded, id)
		default:
			w.want[id] = true
		}
		users = append(users, u)
	}
	w.pool.Add(t, users)
	w.emu = chatemu.StartTest(t, chatemu.Options{SDKAppID: testAppID, Key: "sync-test-key"})
	w.emu.Seed(w.seeded...)
	key := writeFile(t, "secret.json", `{"sdkAppId":1400000000,"secretKey":"sync-test-key","adminIdentifier":"administrator"}`)
	w.args = []string{"-key-file", key, "-base-url", w.emu.URL}
	return w
}

func (w *syncWorld) run(t *testing.T, args ...string) result {
	t.Helper()
	all := append([]string{"sync", "-user-pool-id", w.pool.ID}, args...)
	return runCLI(t, runOpts{env: w.env}, append(all, w.args...)...)
}

func lines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestSyncCommand runs chatsync sync against a pool on moto and a Chat
// emulator: a dry run, a sync, a second sync, and a sync that fails.
func TestSyncCommand(t *testing.T) {
	w := newSyncWorld(t, 120)
	n := len(w.want)

	report := filepath.Join(t.TempDir(), "report.json")
	r := w.run(t, "-dry-run", "-v", "-report", report)
	r.want(t, exitOK, "dry run: no account is imported", fmt.Sprintf("%d would be imported", n), "0 failed")
	would := 0
	for _, l := range lines(r.stdout) {
		if strings.HasSuffix(l, "\twould-import") {
			would++
		}
	}
	if would != n || w.emu.Len() != len(w.seeded) || w.emu.Requests(chat.CmdMultiImport) != 0 {
		t.Errorf("dry run: %d would-import lines, Chat holds %d, %d import calls; want %d, %d, 0", would, w.emu.Len(), w.emu.Requests(chat.CmdMultiImport), n, len(w.seeded))
	}
	var rep syncReport
	data, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(data, &rep) != nil {
		t.Fatalf("report: %s, %v", data, err)
	}
	if !rep.DryRun || !rep.Complete || rep.Counts.Listed != 120 || rep.Counts.Imported != n || rep.Counts.SkippedUnmappable != len(w.unmapped) || rep.Counts.SkippedUnconfirmed != 30 {
		t.Errorf("report = %+v", rep)
	}

	r = w.run(t)
	r.want(t, exitOK, fmt.Sprintf("120 listed; skipped 30 unconfirmed, %d unmappable; %d already in Chat; %d imported; 0 failed", len(w.unmapped), len(w.seeded), n))
	// Without -v, stdout holds the users with no usable UserID only.
	got := lines(r.stdout)
	if len(got) != len(w.unmapped) {
		t.Errorf("stdout: %q, want a line for each of %q", got, w.unmapped)
	}
	for _, l := range got {
		if f := strings.Split(l, "\t"); len(f) != 3 || f[1] != "unmappable" || !strings.HasPrefix(f[0], "u") {
			t.Errorf("stdout line %q", l)
		}
	}
	for id := range w.want {
		if a, ok := w.emu.Account(id); !ok || a.Nick == "" {
			t.Errorf("%s: %+v, %v", id, a, ok)
		}
	}
	if w.emu.Len() != len(w.seeded)+n {
		t.Errorf("Chat holds %d, want %d", w.emu.Len(), len(w.seeded)+n)
	}

	r = w.run(t)
	r.want(t, exitOK, fmt.Sprintf("%d already in Chat; 0 imported; 0 failed", len(w.seeded)+n))

	// A Chat that refuses every import: each user is a failure line, and
	// the exit status is 1.
	w2 := newSyncWorld(t, 40)
	w2.emu.Inject(chatemu.Fault{Command: chat.CmdMultiImport, Code: chat.CodeNotAdmin, Times: 100})
	r = w2.run(t)
	r.want(t, exitFailure, fmt.Sprintf("%d failed", len(w2.want)))
	failed := 0
	for _, l := range lines(r.stdout) {
		if f := strings.Split(l, "\t"); len(f) == 3 && f[1] == "failed" && w2.want[f[0]] && strings.Contains(f[2], "70403") {
			failed++
		}
	}
	if failed != len(w2.want) {
		t.Errorf("%d failure lines, want %d:\n%s", failed, len(w2.want), r.stdout)
	}
}

func TestSyncCommandUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sync", "-emulator"}, "-user-pool-id is required"},
		{[]string{"sync", "-user-pool-id", "p"}, "no Chat backend configured"},
		{[]string{"sync", "-user-pool-id", "p", "-emulator", "-list-rate", "50"}, "at most 30"},
		{[]string{"sync", "-user-pool-id", "p", "-emulator", "extra"}, `unexpected argument "extra"`},
		{[]string{"attach", "-user-pool-id", "p"}, "-function-arn is required"},
		{[]string{"attach", "-user-pool-id", "p", "-function-arn", "my-fn"}, "not a Lambda function ARN"},
	}
	for _, tt := range tests {
		r := run(t, tt.args...)
		r.want(t, exitUsage, tt.want)
	}
}

// TestAttachCommand: attach shows the difference, applies it only when
// told, and refuses to replace another function's trigger unless forced.
func TestAttachCommand(t *testing.T) {
	srv := moto.Shared(t)
	srv.SetEnv(t)
	ctx := context.Background()
	api := cip.NewFromConfig(srv.Config())
	lam := lambda.NewFromConfig(srv.Config())
	fn := cognitotest.Function(t, srv, lam, moto.UniqueName(t, "fn"))
	pool := cognitotest.NewPool(t, api, moto.UniqueName(t, "pool"))
	trigger := func() string {
		out, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if out.UserPool.LambdaConfig == nil {
			return ""
		}
		return aws.ToString(out.UserPool.LambdaConfig.PostConfirmation)
	}
	diff := "~ LambdaConfig.PostConfirmation: (unset) -> \"" + fn + "\""

	r := run(t, "attach", "-user-pool-id", pool.ID, "-function-arn", fn, "-dry-run")
	r.want(t, exitOK, diff, "dry run: nothing changed")
	r = runCLI(t, runOpts{stdin: "n\n"}, "attach", "-user-pool-id", pool.ID, "-function-arn", fn)
	r.want(t, exitFailure, diff, "not applied")
	if trigger() != "" {
		t.Fatal("changed without a yes")
	}
	r = runCLI(t, runOpts{stdin: "y\n"}, "attach", "-user-pool-id", pool.ID, "-function-arn", fn)
	r.want(t, exitOK, diff, "applied")
	if got := trigger(); got != fn {
		t.Fatalf("trigger %q, want %q", got, fn)
	}
	r = run(t, "attach", "-user-pool-id", pool.ID, "-function-arn", fn, "-yes")
	r.want(t, exitOK, "no change", "= permission: cognito-idp.amazonaws.com may already invoke it", "nothing to apply")
	if strings.Contains(r.stdout, "+ permission") || strings.Contains(r.stderr, "applied") {
		t.Errorf("a second attach claims changes:\n%s%s", r.stdout, r.stderr)
	}

	other := strings.Replace(fn, "function:", "function:other-", 1)
	r = run(t, "attach", "-user-pool-id", pool.ID, "-function-arn", other, "-yes")
	r.want(t, exitFailure, "different post-confirmation trigger", "-force")
	if trigger() != fn {
		t.Fatal("replaced without -force")
	}
	r = run(t, "attach", "-user-pool-id", pool.ID, "-function-arn", other, "-dry-run", "-force")
	r.want(t, exitOK, "~ LambdaConfig.PostConfirmation: \""+fn+"\" -> \""+other+"\"")
}

// TestSyncProfileAttributes runs chatsync sync with PROFILE_ATTRIBUTES on a
// moto pool: the fields reach Chat, a field Chat refuses gets its own line,
// and a bad setting is a usage error.
func TestSyncProfileAttributes(t *testing.T) {
	w := newSyncWorld(t, 12)
	// nickname holds "N<i>": a custom field, set up in Chat as Nk.
	w.env["PROFILE_ATTRIBUTES"] = "nickname=Tag_Profile_Custom_Nk"
	w.emu.SetUpCustomFields("Nk")
	r := w.run(t, "-profiles")
	r.want(t, exitOK, "0 failed")
	for id := range w.want {
		if p, _ := w.emu.Profile(id); p["Tag_Profile_Custom_Nk"] == nil {
			t.Errorf("%s: profile %v, want the custom field set", id, p)
		}
	}
	for _, id := range w.seeded {
		if p, _ := w.emu.Profile(id); p["Tag_Profile_Custom_Nk"] == nil {
			t.Errorf("%s (already in Chat, -profiles): profile %v, want the custom field set", id, p)
		}
	}

	// A custom field not set up in Chat: refused, reported, no account fails.
	w.env["PROFILE_ATTRIBUTES"] = "nickname=Tag_Profile_Custom_Other"
	r = w.run(t, "-profiles")
	r.want(t, exitOK, "profile-refused\tTag_Profile_Custom_Other (code 40001)")

	w.env["PROFILE_ATTRIBUTES"] = "nickname=Tag_Profile_IM_Mood"
	r = w.run(t)
	r.want(t, exitUsage, "PROFILE_ATTRIBUTES")
}

// TestSyncDocSample: the summary line and the report in docs/sync.md have
// the form sync prints, and numbers a run can produce: the counts add up,
// at least one page per stream and one page per 60 users, and at least one
// Chat call per 100 mapped users checked plus one per 100 imported.
func TestSyncDocSample(t *testing.T) {
	data, err := os.ReadFile("../../docs/sync.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	line := regexp.MustCompile(`(?m)^  (sync \S+: .*)$`).FindStringSubmatch(doc)
	if line == nil {
		t.Fatal("docs/sync.md shows no summary line")
	}
	// The form: what summarizeSync prints for the same counts.
	re := regexp.MustCompile(`^sync (\S+): (\d+) listed; skipped (\d+) unconfirmed, (\d+) unmappable; (\d+) already in Chat; (\d+) imported; (\d+) failed \((\d+) pages, (\d+) Chat calls, ([0-9.]+)s\)$`)
	m := re.FindStringSubmatch(line[1])
	if m == nil {
		t.Fatalf("the summary line %q is not in sync's form", line[1])
	}
	n := make([]int, len(m))
	for i := 2; i < 10; i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	c := poolsync.Counts{Listed: n[2], SkippedUnconfirmed: n[3], SkippedUnmappable: n[4], AlreadyInChat: n[5], Imported: n[6], Failed: n[7], Pages: n[8], ChatCalls: n[9]}
	secs, _ := strconv.ParseFloat(m[10], 64)
	var buf strings.Builder
	summarizeSync(&buf, syncReport{UserPoolID: m[1], Counts: c, Seconds: secs})
	if got := strings.TrimSuffix(buf.String(), "\n"); got != line[1] {
		t.Errorf("sync prints these counts as\n  %s\nthe doc shows\n  %s", got, line[1])
	}
	mapped := c.Listed - c.SkippedUnconfirmed - c.SkippedUnmappable
	ceil := func(a, b int) int { return (a + b - 1) / b }
	streams := len(cognito.Prefixes())
	switch {
	case c.SkippedUnconfirmed+c.SkippedUnmappable+c.AlreadyInChat+c.Imported+c.Failed != c.Listed:
		t.Errorf("the counts do not add up to the %d listed", c.Listed)
	case c.Pages < max(streams, ceil(c.Listed, cognito.PageSize)):
		t.Errorf("%d pages for %d users in %d streams: at least %d", c.Pages, c.Listed, streams, max(streams, ceil(c.Listed, cognito.PageSize)))
	case c.ChatCalls < ceil(mapped, 100)+ceil(c.Imported+c.Failed, 100):
		t.Errorf("%d Chat calls cannot check %d users and import %d", c.ChatCalls, mapped, c.Imported)
	}
	// The JSON report shows the same counts.
	rep := regexp.MustCompile(`(?s)"counts": (\{.*?\})`).FindStringSubmatch(doc)
	if rep == nil {
		t.Fatal("docs/sync.md shows no report")
	}
	var got poolsync.Counts
	if err := json.Unmarshal([]byte(rep[1]), &got); err != nil {
		t.Fatalf("the report's counts: %v", err)
	}
	if got != c {
		t.Errorf("the report's counts %+v differ from the summary line's %+v", got, c)
	}
}

// TestSyncCutShort: a sync whose -timeout runs out says so in sync's terms
// (never the rate limiter's "would exceed context deadline"), exits 1, and
// a second run finishes the job.
func TestSyncCutShort(t *testing.T) {
	w := newSyncWorld(t, 120)
	// At half a ListUsers call a second, only the first call of the 16
	// streams fits in the timeout: the limiter refuses the others at once.
	r := w.run(t, "-timeout", "300ms", "-list-rate", "0.5")
	r.want(t, exitFailure, "the -timeout of 300ms ran out before the end: run sync again to finish")
	for _, raw := range []string{"rate: Wait", "would exceed context deadline", "context deadline exceeded"} {
		if strings.Contains(r.stderr, raw) {
			t.Errorf("a raw error reached the user (%q):\n%s", raw, r.stderr)
		}
	}
	r = w.run(t)
	r.want(t, exitOK)
	for id := range w.want {
		if !w.emu.Has(id) {
			t.Errorf("%s not imported by the second run", id)
		}
	}
}

// TestSyncProgressMoves: the progress bar moves with each listed page, not
// only when a stream's round of checks ends, and ends at the pool's size.
func TestSyncProgressMoves(t *testing.T) {
	w := newSyncWorld(t, 150)
	r := w.run(t, "-progress")
	r.want(t, exitOK)
	draws := regexp.MustCompile(`\rsync \[[#-]+\] (\d+)/(\d+) `).FindAllStringSubmatch(r.stderr, -1)
	if len(draws) < 3 {
		t.Fatalf("the bar was drawn %d times:\n%q", len(draws), r.stderr)
	}
	last := draws[len(draws)-1]
	if last[1] != last[2] || last[2] != "150" {
		t.Errorf("the bar ends at %s/%s, want 150/150", last[1], last[2])
	}
	moves := 0
	for i := 1; i < len(draws); i++ {
		if draws[i][1] != draws[i-1][1] {
			moves++
		}
	}
	// 150 users in 16 streams: one page each for the streams that hold any.
	if moves < 8 {
		t.Errorf("the bar moved %d times for 150 users over 16 streams:\n%q", moves, r.stderr)
	}
}
