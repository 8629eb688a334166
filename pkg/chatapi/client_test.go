package chatapi_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

const testKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

// rotatingCreds serves the emulator's current credentials only when asked
// to refresh, as a cached secret does.
type rotatingCreds struct {
	emu       *chatemu.Running
	mu        sync.Mutex
	cur       chat.Credentials
	refreshes atomic.Int32
}

func (r *rotatingCreds) Credentials(context.Context) (chat.Credentials, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur, nil
}

func (r *rotatingCreds) Refresh(context.Context) (chat.Credentials, error) {
	r.refreshes.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur = r.emu.Credentials()
	return r.cur, nil
}

type fixture struct {
	emu    *chatemu.Running
	creds  *rotatingCreds
	client *chatapi.Client
}

func newFixture(t *testing.T, opts chatemu.Options, cfg chatapi.Config) *fixture {
	t.Helper()
	if opts.SDKAppID == 0 {
		opts.SDKAppID = 1400000000
	}
	if opts.Key == "" {
		opts.Key = testKey
	}
	emu := chatemu.StartTest(t, opts)
	creds := &rotatingCreds{emu: emu, cur: emu.Credentials()}
	cfg.BaseURL = emu.URL
	cfg.Credentials = creds
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff = time.Millisecond
		cfg.MaxBackoff = 5 * time.Millisecond
	}
	c, err := chatapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{emu: emu, creds: creds, client: c}
}

// classCase is a fault the emulator injects into a command, and what the
// client makes of it.
type classCase struct {
	name      string
	fault     chatemu.Fault
	wantReqs  int
	wantClass chat.Class // ClassNone: the call succeeds in the end
	refreshes int32
}

// commonClassCases are the faults that every command meets the same way;
// each command's test adds its own.
func commonClassCases(extra ...classCase) []classCase {
	return append([]classCase{
		{"transient recovers", chatemu.Fault{Code: 70500, Times: 2}, 3, chat.ClassNone, 0},
		{"60008 at most two retries", chatemu.Fault{Code: 60008, Times: 100}, 3, chat.ClassTransient, 0},
		{"rate limited recovers", chatemu.Fault{Code: 60007, Times: 1}, 2, chat.ClassNone, 0},
		{"dropped connection recovers", chatemu.Fault{Drop: true, Times: 1}, 2, chat.ClassNone, 0},
		{"signature once", chatemu.Fault{Code: 70001, Times: 1}, 2, chat.ClassNone, 0},
		{"signature twice fails", chatemu.Fault{Code: 70052, Times: 2}, 2, chat.ClassSignature, 0},
		{"credentials once", chatemu.Fault{Code: 70009, Times: 1}, 2, chat.ClassNone, 1},
		{"credentials twice fails", chatemu.Fault{Code: 70003, Times: 2}, 2, chat.ClassCredentials, 1},
		{"caller error: one request", chatemu.Fault{Code: 70402, Times: 5}, 1, chat.ClassCaller, 0},
		{"HTTP 404: one request", chatemu.Fault{Status: 404, Times: 5}, 1, chat.ClassConfiguration, 0},
	}, extra...)
}

// forEachClassCase runs check on each case in a subtest, with a fresh
// fixture.
func forEachClassCase(t *testing.T, cases []classCase, check func(t *testing.T, f *fixture, tt classCase)) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			check(t, newFixture(t, chatemu.Options{}, chatapi.Config{}), tt)
		})
	}
}

// succeeded checks how often the client re-read the credentials, and
// reports whether the case expects the call to succeed; then a non-nil err
// (from call) fails the test.
func (tt classCase) succeeded(t *testing.T, f *fixture, call string, err error) bool {
	t.Helper()
	if got := f.creds.refreshes.Load(); got != tt.refreshes {
		t.Errorf("refreshes = %d, want %d", got, tt.refreshes)
	}
	if tt.wantClass != chat.ClassNone {
		return false
	}
	if err != nil {
		t.Fatalf("%s: %v", call, err)
	}
	return true
}

// checkRateCap runs one and a half seconds' worth of calls at once against
// an emulator that caps cmd at perSec calls a second: a client held to the
// same cap must never hit it, and one with no limit must. start prepares
// call i and returns it; the call reports whether the emulator refused it
// for its rate.
func checkRateCap(t *testing.T, cmd string, perSec int, start func(f *fixture, i int) func() (limited bool)) {
	t.Helper()
	run := func(limits map[string]float64) (rejected int) {
		f := newFixture(t, chatemu.Options{RateLimits: map[string]int{cmd: perSec}},
			chatapi.Config{RateLimits: limits, MaxAttempts: 1})
		var wg sync.WaitGroup
		var n atomic.Int32
		for i := range 3 * perSec / 2 {
			call := start(f, i)
			wg.Go(func() {
				if call() {
					n.Add(1)
				}
			})
		}
		wg.Wait()
		return int(n.Load())
	}
	if got := run(map[string]float64{cmd: float64(perSec)}); got != 0 {
		t.Errorf("limited client: %d requests over the cap", got)
	}
	if got := run(map[string]float64{}); got == 0 {
		t.Error("unlimited client never hit the cap: the test proves nothing")
	}
}

// deadURL returns the base URL of a loopback port that nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

// waitWarm waits for the channel Warm returned to be closed.
func waitWarm(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Warm's channel was not closed")
	}
}

func TestErrorClasses(t *testing.T) {
	forEachClassCase(t, importClassCases, func(t *testing.T, f *fixture, tt classCase) {
		f.emu.Inject(tt.fault)
		stats, err := f.client.ImportAccount(context.Background(), chat.Account{UserID: "alice"})
		if got := f.emu.Requests(chat.CmdImport); got != tt.wantReqs {
			t.Errorf("requests = %d, want %d", got, tt.wantReqs)
		}
		if stats.Attempts != tt.wantReqs {
			t.Errorf("stats.Attempts = %d, want %d", stats.Attempts, tt.wantReqs)
		}
		if tt.succeeded(t, f, "ImportAccount", err) {
			if !f.emu.Has("alice") {
				t.Error("account not imported")
			}
			return
		}
		var ce *chat.Error
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want *chat.Error", err)
		}
		if ce.Class != tt.wantClass || ce.Command != chat.CmdImport || ce.Attempts != tt.wantReqs {
			t.Errorf("err = %+v, want class %s after %d attempts", ce, tt.wantClass, tt.wantReqs)
		}
	})
}

// importClassCases are the faults TestErrorClasses injects.
var importClassCases = commonClassCases(
	classCase{"transient 70169 recovers", chatemu.Fault{Code: 70169, Times: 1}, 2, chat.ClassNone, 0},
	classCase{"transient gives up", chatemu.Fault{Code: 70202, Times: 100}, 6, chat.ClassTransient, 0},
	classCase{"HTTP 502 recovers", chatemu.Fault{Status: 502, Times: 2}, 3, chat.ClassNone, 0},
	classCase{"HTTP 429 recovers", chatemu.Fault{Status: 429, Times: 1}, 2, chat.ClassNone, 0},
	classCase{"configuration: one request", chatemu.Fault{Code: 70398, Times: 5}, 1, chat.ClassConfiguration, 0},
	classCase{"unknown code: one request", chatemu.Fault{Code: 91234, Times: 5}, 1, chat.ClassConfiguration, 0},
	classCase{"HTTP 403: one request", chatemu.Fault{Status: 403, Times: 5}, 1, chat.ClassConfiguration, 0},
)

func TestDeadlineHolds(t *testing.T) {
	tests := []struct {
		name  string
		fault chatemu.Fault
	}{
		{"endless transient errors", chatemu.Fault{Code: 70500, Times: 1 << 20}},
		{"server slower than the deadline", chatemu.Fault{Delay: 10 * time.Second, Times: 1 << 20}},
		{"endless 502", chatemu.Fault{Status: 502, Times: 1 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, chatemu.Options{}, chatapi.Config{BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 1000, MinAttempt: 20 * time.Millisecond})
			f.emu.Inject(tt.fault)
			deadline := time.Now().Add(400 * time.Millisecond)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			_, err := f.client.ImportAccount(ctx, chat.Account{UserID: "alice"})
			returned := time.Now()
			if err == nil {
				t.Fatal("ImportAccount succeeded")
			}
			if c := chat.ErrorClass(err); c != chat.ClassTransient {
				t.Errorf("class = %s, want transient: %v", c, err)
			}
			// The call never outlives its context: it returns at the deadline
			// at the latest (plus scheduling slack, not another attempt).
			if over := returned.Sub(deadline); over > 50*time.Millisecond {
				t.Errorf("returned %v after the deadline", over)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	ctx := context.Background()
	if _, err := f.client.ImportAccount(ctx, chat.Account{UserID: "before"}); err != nil {
		t.Fatal(err)
	}
	f.emu.RotateKey("a-brand-new-key")
	stats, err := f.client.ImportAccount(ctx, chat.Account{UserID: "after"})
	if err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if stats.Attempts != 2 || f.creds.refreshes.Load() != 1 {
		t.Errorf("attempts %d, refreshes %d; want 2 and 1", stats.Attempts, f.creds.refreshes.Load())
	}
	// The new UserSig is cached: the next call is one request.
	if stats, _ := f.client.ImportAccount(ctx, chat.Account{UserID: "later"}); stats.Attempts != 1 {
		t.Errorf("attempts after rotation = %d, want 1", stats.Attempts)
	}
}

func TestBatchSplitting(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	ctx := context.Background()
	accounts := make([]chat.Account, 250)
	ids := make([]string, 250)
	for i := range accounts {
		ids[i] = fmt.Sprintf("user%03d", i)
		accounts[i] = chat.Account{UserID: ids[i]}
	}
	res, err := f.client.ImportAccounts(ctx, append(accounts, accounts[:10]...)) // repeats are sent once
	if err != nil {
		t.Fatal(err)
	}
	if got := f.emu.Requests(chat.CmdMultiImport); got != 3 {
		t.Errorf("multiaccount_import calls = %d, want 3", got)
	}
	if res.Requested != 250 || len(res.FailAccounts) != 0 || res.Calls != 3 || f.emu.Len() != 250 {
		t.Errorf("result %+v, emulator holds %d", res, f.emu.Len())
	}

	check, err := f.client.CheckAccounts(ctx, append(ids, "nobody"))
	if err != nil {
		t.Fatal(err)
	}
	if len(check.Items) != 251 || check.Items[0].AccountStatus != chat.Imported || check.Items[250].AccountStatus != chat.NotImported {
		t.Errorf("check items: %d, first %+v, last %+v", len(check.Items), check.Items[0], check.Items[250])
	}

	del, err := f.client.DeleteAccounts(ctx, append(ids[:150], "ghost"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.emu.Requests(chat.CmdDelete); got != 2 {
		t.Errorf("account_delete calls = %d, want 2", got)
	}
	if len(del.Items) != 151 || len(del.Failed()) != 0 {
		t.Fatalf("delete items %d, failed %v", len(del.Items), del.Failed())
	}
	if ghost := del.Items[150]; ghost.UserID != "ghost" || ghost.ResultCode != chat.CodeAccountNotFound || !ghost.Deleted() {
		t.Errorf("absent account item = %+v, want 70107 counted as deleted", ghost)
	}
	if f.emu.Len() != 100 {
		t.Errorf("emulator holds %d accounts, want 100", f.emu.Len())
	}
}

func TestBatchPartialFailure(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{MaxAttempts: 2, Concurrency: 1})
	accounts := make([]chat.Account, 150)
	for i := range accounts {
		accounts[i] = chat.Account{UserID: fmt.Sprintf("u%d", i)}
	}
	// The first call fails for good; the second goes through.
	f.emu.Inject(chatemu.Fault{Command: chat.CmdMultiImport, Code: 70500, Times: 2})
	res, err := f.client.ImportAccounts(context.Background(), accounts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.FailAccounts) != 100 || res.FailAccounts[0] != "u0" || len(res.Errs) != 1 {
		t.Fatalf("FailAccounts %d (first %q), errs %v", len(res.FailAccounts), res.FailAccounts[0], res.Errs)
	}
	env := res.Envelope()
	if env.ActionStatus != chat.StatusOK {
		t.Errorf("partial success envelope = %+v, want OK", env)
	}
}

func TestInvalidInputCostsNothing(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	ctx := context.Background()
	long := strings.Repeat("x", 33)
	calls := []struct {
		name string
		code int
		do   func() error
	}{
		{"empty UserID", 70402, func() error { _, err := f.client.ImportAccount(ctx, chat.Account{}); return err }},
		{"UserID too long", 70402, func() error { _, err := f.client.ImportAccount(ctx, chat.Account{UserID: long}); return err }},
		{"invalid UTF-8", 70402, func() error { _, err := f.client.ImportAccount(ctx, chat.Account{UserID: "\xff"}); return err }},
		{"Nick too long", 40601, func() error {
			_, err := f.client.ImportAccount(ctx, chat.Account{UserID: "a", Nick: strings.Repeat("n", 501)})
			return err
		}},
		{"FaceUrl too long", 40601, func() error {
			_, err := f.client.ImportAccounts(ctx, []chat.Account{{UserID: "a"}, {UserID: "b", FaceURL: strings.Repeat("f", 501)}})
			return err
		}},
		{"empty batch", 70206, func() error { _, err := f.client.ImportAccounts(ctx, nil); return err }},
		{"bad id in delete", 70402, func() error { _, err := f.client.DeleteAccounts(ctx, []string{"ok", long}); return err }},
		{"empty check", 70206, func() error { _, err := f.client.CheckAccounts(ctx, nil); return err }},
	}
	for _, c := range calls {
		err := c.do()
		if chat.ErrorCode(err) != c.code || chat.ErrorClass(err) != chat.ClassCaller {
			t.Errorf("%s: err = %v, want code %d", c.name, err, c.code)
		}
	}
	if n := f.emu.TotalRequests(); n != 0 {
		t.Errorf("refused input made %d requests", n)
	}
	// At the limits, the input is taken.
	if _, err := f.client.ImportAccount(ctx, chat.Account{UserID: strings.Repeat("x", 32), Nick: strings.Repeat("n", 500)}); err != nil {
		t.Errorf("32-byte UserID, 500-byte Nick: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	// The emulator enforces a cap of 40/s on account_check. A client held to
	// the same cap never hits it; a client with no limit does.
	checkRateCap(t, chat.CmdCheck, 40, func(f *fixture, i int) func() bool {
		return func() bool {
			res, err := f.client.CheckAccounts(context.Background(), []string{fmt.Sprint("u", i)})
			if err != nil {
				t.Errorf("CheckAccounts: %v", err)
				return false
			}
			limited := false
			for _, e := range res.Errs {
				if chat.ErrorCode(e) == chat.CodeRateLimited {
					limited = true
				}
			}
			return limited
		}
	})
}

func TestNoSecretsInErrors(t *testing.T) {
	// An unreachable Chat (a closed port) yields a *url.Error, whose text
	// would carry the signed URL.
	dead := deadURL(t)
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	creds := chatapi.StaticCredentials(emu.Credentials())

	var errs []error
	collect := func(base string, fault *chatemu.Fault, timeout time.Duration) {
		// Faults a previous case left unused (the delayed ones) would
		// otherwise answer this case's first requests.
		emu.ClearFaults()
		if fault != nil {
			emu.Inject(*fault)
		}
		c, err := chatapi.New(chatapi.Config{BaseURL: base, Credentials: creds, MaxAttempts: 2, BaseBackoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_, err = c.ImportAccount(ctx, chat.Account{UserID: "alice"})
		errs = append(errs, err)
		res, _ := c.DeleteAccounts(ctx, []string{"alice"})
		errs = append(errs, res.Errs...)
		for _, it := range res.Items {
			errs = append(errs, errors.New(it.ResultInfo))
		}
	}
	collect(dead, nil, time.Second)
	collect(emu.URL, &chatemu.Fault{Drop: true, Times: 4}, time.Second)
	collect(emu.URL, &chatemu.Fault{Status: 502, Times: 4}, time.Second)
	// One delay: the import uses it and the delete never sends (its deadline
	// has passed). A leftover delay would hold the next case's import for a
	// second, as long as its whole deadline, and it could then succeed.
	collect(emu.URL, &chatemu.Fault{Delay: time.Second, Times: 1}, 100*time.Millisecond)
	collect(emu.URL, &chatemu.Fault{Code: 70009, Times: 4}, time.Second)
	collect(emu.URL+"/wrong/prefix", nil, time.Second)

	for _, err := range errs {
		if err == nil {
			t.Fatal("a failure path succeeded")
		}
		msg := fmt.Sprintf("%v %+v %#v", err, err, err)
		for _, secret := range []string{testKey, "usersig=", "eJ"} {
			if strings.Contains(msg, secret) {
				t.Errorf("error leaks %q: %s", secret, msg)
			}
		}
	}
	if len(errs) < 12 {
		t.Errorf("collected %d errors, want at least 12", len(errs))
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, chatemu.Options{}, chatapi.Config{})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, err := f.client.ImportAccount(context.Background(), chat.Account{UserID: fmt.Sprint("c", i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if f.emu.Len() != 50 {
		t.Errorf("imported %d, want 50", f.emu.Len())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	creds := chatapi.StaticCredentials{SDKAppID: 1, Admin: "a", Key: "k"}
	for _, cfg := range []chatapi.Config{
		{Credentials: creds},
		{Region: "atlantis", Credentials: creds},
		{BaseURL: "http://chat.example.com", Credentials: creds},
		{BaseURL: "ftp://127.0.0.1", Credentials: creds},
		{BaseURL: "https://x.example.com/?a=b", Credentials: creds},
		{Region: "singapore"},
	} {
		if _, err := chatapi.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	for _, name := range chatapi.RegionNames() {
		c, err := chatapi.New(chatapi.Config{Region: name, Credentials: creds})
		if err != nil || !strings.HasPrefix(c.BaseURL(), "https://") {
			t.Errorf("region %s: %v %v", name, c, err)
		}
	}
}
