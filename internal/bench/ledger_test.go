package bench_test

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/bench"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// ledgerWorld is where the ledger's sets run: AWS's Secrets Manager and
// queues, the ledger's DynamoDB (a moto of its own), the bootstraps, and
// Chat on loopback (local), near and far (nil: not measured).
type ledgerWorld struct {
	aws       *bench.AWS
	db        *bench.LedgerDB
	bins      map[string]string
	local     string
	near, far *bench.Far
}

// variants are the ledger's cold variants, calling Chat at base with extra
// environment: hello world, the sign-up (the import function given
// bench.SignUpPayload, with its queues) without and with the ledger, and,
// with userSig, the UserSig function without and with it.
func (w ledgerWorld) variants(base string, extra []string, userSig bool) []bench.Variant {
	env := func(queues bool, more ...string) []string {
		e := append(w.aws.Env(base, queues), extra...)
		return append(e, more...)
	}
	led := w.db.Env()
	signUp := bench.Echo(bench.SignUpPayload) // a sign-up answers with its trigger
	vs := []bench.Variant{
		{Name: "hello", Bin: w.bins["hello"], Env: env(false), Payload: bench.SignUpPayload, Check: signUp},
		{Name: "signup", Bin: w.bins["import"], Env: env(true), Payload: bench.SignUpPayload, Check: signUp},
		{Name: "signup+ledger", Bin: w.bins["import"], Env: env(true, led...), Payload: bench.SignUpPayload, Check: signUp},
	}
	if userSig {
		vs = append(vs,
			bench.Variant{Name: "usersig", Bin: w.bins["usersig"], Env: env(false), Payload: bench.UserSigPayload, Check: bench.UserSigOK},
			bench.Variant{Name: "usersig+ledger", Bin: w.bins["usersig"], Env: env(false, led...), Payload: bench.UserSigPayload, Check: bench.UserSigOK},
		)
	}
	return vs
}

// measureLedger runs the ledger's cold sets in w: Chat on loopback, near
// and far. It fails t unless every sign-up with the ledger was recorded
// and none was queued, since a failed write still answers the trigger.
func measureLedger(t *testing.T, w ledgerWorld, p plan) *bench.LedgerStats {
	t.Helper()
	ctx := context.Background()
	queued, err := w.aws.Queued(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := &bench.LedgerStats{Rounds: p.ledgerRounds, Warm: p.coldWarm, FarRounds: p.farRounds, FarWarm: p.farWarm}
	if l.Cold, err = bench.RunColdSet(ctx, w.variants(w.local, nil, true), l.Rounds, l.Warm); err != nil {
		t.Fatal(err)
	}
	if w.near != nil {
		l.NearRTT = w.near.Proxy.RTT()
		if l.Near, err = bench.RunColdSet(ctx, w.variants(w.near.URL, w.near.Env(), false), l.Rounds, l.Warm); err != nil {
			t.Fatal(err)
		}
	}
	if w.far != nil {
		l.RTT = w.far.Proxy.RTT()
		if l.Far, err = bench.RunColdSet(ctx, w.variants(w.far.URL, w.far.Env(), false), l.FarRounds, l.FarWarm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.db.CheckSignUps(ctx, w.aws, queued); err != nil {
		t.Fatal(err)
	}
	if l.GetItem, err = w.db.GetItemTime(ctx, 20); err != nil {
		t.Fatal(err)
	}
	return l
}

// testLedgerSmoke runs measureLedger once over (one round, one warm
// invocation, a 20 ms far region) through the compiled bootstraps, and
// checks that the sign-ups reached Chat and the ledger and that the
// report renders the ledger section.
func testLedgerSmoke(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	root, err := bench.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bins := hostBootstraps(t, root, dir, "import", "usersig", "hello")
	a := bench.StartAWS(t)
	opts := chatemu.Options{SDKAppID: bench.AppID, Key: bench.Key}
	emu := chatemu.StartTest(t, opts)
	near, err := bench.StartFar(opts, bench.NearRTT, filepath.Join(dir, "near"))
	if err != nil {
		t.Fatal(err)
	}
	defer near.Close()
	far, err := bench.StartFar(opts, 20*time.Millisecond, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	p := plan{ledgerRounds: 1, coldWarm: 1, farRounds: 1, farWarm: 1}
	l := measureLedger(t, ledgerWorld{aws: a, db: bench.StartLedgerDB(t), bins: bins, local: emu.URL, near: near, far: far}, p)

	for _, set := range [][]bench.ColdStats{l.Cold, l.Near, l.Far} {
		for _, s := range set {
			if len(s.Samples) != 1 || len(s.Samples[0].Warm) != 1 {
				t.Errorf("%s: %d samples, want 1 with 1 warm invocation", s.Name, len(s.Samples))
			}
		}
	}
	if l.GetItem <= 0 {
		t.Errorf("GetItem time %v", l.GetItem)
	}
	if len(l.Cold) != 5 || len(l.Near) != 3 || len(l.Far) != 3 {
		t.Errorf("%d loopback, %d near and %d far variants, want 5, 3 and 3", len(l.Cold), len(l.Near), len(l.Far))
	}
	// Both sign-ups of each set imported the one user; the UserSig
	// function made no Chat call.
	for _, e := range []*chatemu.Running{emu, near.Emu, far.Emu} {
		if e.Len() != 1 || e.TotalRequests() != 2*(1+p.coldWarm) {
			t.Errorf("Chat holds %v after %d requests, want the sign-up's account after %d", e.Accounts(), e.TotalRequests(), 2*(1+p.coldWarm))
		}
	}

	var buf bytes.Buffer
	rep := &bench.Report{Generated: time.Now(), Command: "smoke", Machine: bench.ThisMachine(), Scaled: true, Ledger: l}
	if err := rep.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Ledger", "| signup+ledger |", "| usersig+ledger |", "sign-up first reply (cold), ledger ÷ none, Chat on loopback", "sign-up warm invocation, ledger ÷ none, Chat 10ms away", "far sign-up first reply with the ledger ÷ floor", "usersig warm invocation with the ledger"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("\n%s", buf.String())
	}
}
