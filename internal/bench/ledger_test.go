package bench_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/bench"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// ledgerVariants are the ledger's cold variants, calling Chat at base with
// extra environment: hello world, the sign-up (the import function given
// bench.SignUpPayload, with its queues) without and with the ledger in
// table, and, with userSig, the UserSig function without and with it.
func ledgerVariants(a *bench.AWS, bins map[string]string, base string, extra []string, table string, userSig bool) []bench.Variant {
	env := func(queues bool, more ...string) []string {
		e := append(a.Env(base, queues), extra...)
		return append(e, more...)
	}
	led := a.LedgerEnv(table)
	signUp := bench.Echo(bench.SignUpPayload) // a sign-up answers with its trigger
	vs := []bench.Variant{
		{Name: "hello", Bin: bins["hello"], Env: env(false), Payload: bench.SignUpPayload, Check: signUp},
		{Name: "signup", Bin: bins["import"], Env: env(true), Payload: bench.SignUpPayload, Check: signUp},
		{Name: "signup+ledger", Bin: bins["import"], Env: env(true, led...), Payload: bench.SignUpPayload, Check: signUp},
	}
	if userSig {
		vs = append(vs,
			bench.Variant{Name: "usersig", Bin: bins["usersig"], Env: env(false), Payload: bench.UserSigPayload, Check: bench.UserSigOK},
			bench.Variant{Name: "usersig+ledger", Bin: bins["usersig"], Env: env(false, led...), Payload: bench.UserSigPayload, Check: bench.UserSigOK},
		)
	}
	return vs
}

// measureLedger runs the ledger's cold sets: on loopback (Chat at local),
// and, when far is not nil, in the far region. It fails t unless every
// sign-up with the ledger was recorded and none was queued, since a
// failed write still answers the trigger.
func measureLedger(t *testing.T, a *bench.AWS, bins map[string]string, local string, far *bench.Far, p plan) *bench.LedgerStats {
	t.Helper()
	ctx := context.Background()
	table := a.CreateLedger(t)
	queued, err := a.Queued(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := &bench.LedgerStats{Rounds: p.ledgerRounds, Warm: p.coldWarm, FarRounds: p.farRounds, FarWarm: p.farWarm}
	if l.Cold, err = bench.RunColdSet(ctx, ledgerVariants(a, bins, local, nil, table, true), l.Rounds, l.Warm); err != nil {
		t.Fatal(err)
	}
	if far != nil {
		l.RTT = far.Proxy.RTT()
		if l.Far, err = bench.RunColdSet(ctx, ledgerVariants(a, bins, far.URL, far.Env(), table, false), l.FarRounds, l.FarWarm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.CheckSignUps(ctx, table, queued); err != nil {
		t.Fatal(err)
	}
	if l.GetItem, err = a.GetItemTime(ctx, table, 20); err != nil {
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
	far, err := bench.StartFar(opts, 20*time.Millisecond, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	p := plan{ledgerRounds: 1, coldWarm: 1, farRounds: 1, farWarm: 1}
	l := measureLedger(t, a, bins, emu.URL, far, p)

	for _, set := range [][]bench.ColdStats{l.Cold, l.Far} {
		for _, s := range set {
			if len(s.Samples) != 1 || len(s.Samples[0].Warm) != 1 {
				t.Errorf("%s: %d samples, want 1 with 1 warm invocation", s.Name, len(s.Samples))
			}
		}
	}
	if l.GetItem <= 0 {
		t.Errorf("GetItem time %v", l.GetItem)
	}
	if len(l.Cold) != 5 || len(l.Far) != 3 {
		t.Errorf("%d loopback and %d far variants, want 5 and 3", len(l.Cold), len(l.Far))
	}
	// Both sign-ups of each set imported the one user; the UserSig
	// function made no Chat call.
	for _, e := range []*chatemu.Running{emu, far.Emu} {
		if e.Len() != 1 || e.TotalRequests() != 2*(1+p.coldWarm) {
			t.Errorf("Chat holds %v after %d requests, want the sign-up's account after %d", e.Accounts(), e.TotalRequests(), 2*(1+p.coldWarm))
		}
	}

	var buf bytes.Buffer
	rep := &bench.Report{Generated: time.Now(), Command: "smoke", Machine: bench.ThisMachine(), Scaled: true, Ledger: l}
	if err := rep.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Ledger", "| signup+ledger |", "| usersig+ledger |", "sign-up first reply (cold), ledger ÷ none", "far sign-up first reply with the ledger ÷ floor", "usersig warm invocation with the ledger"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("\n%s", buf.String())
	}
}
