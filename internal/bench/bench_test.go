package bench_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chatsync/chat-lambdas/internal/bench"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

var reportPath = flag.String("report", "", "run every measurement in full and write the report (BENCHMARKS.md) to this file")

// RegenerateCommand is how BENCHMARKS.md says it was made.
const RegenerateCommand = "make bench"

// rig starts an emulator on loopback and a WarmRig on it for tb.
func rig(tb testing.TB) *bench.WarmRig {
	tb.Helper()
	emu := chatemu.StartTest(tb, chatemu.Options{SDKAppID: bench.AppID, Key: bench.Key})
	r, err := bench.NewWarmRig(emu, "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Close)
	return r
}

func ownRig(tb testing.TB) *bench.OwnRig {
	r := bench.NewOwnRig()
	tb.Cleanup(r.Close)
	return r
}

func loop(b *testing.B, f func(context.Context) error) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := f(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWarmImport is a warm direct invocation of the import handler
// (account_import of one account) against the emulator on loopback, with
// the client's rate limiter raised.
func BenchmarkWarmImport(b *testing.B) { loop(b, rig(b).InvokeImport) }

// BenchmarkWarmImportFloor is BenchmarkWarmImport's Chat request made with
// a bare http.Client: signed once, the same body, the reply decoded.
func BenchmarkWarmImportFloor(b *testing.B) { loop(b, rig(b).FloorImport) }

// BenchmarkWarmDelete is a warm direct invocation of the delete handler
// (account_delete of one account).
func BenchmarkWarmDelete(b *testing.B) { loop(b, rig(b).InvokeDelete) }

// BenchmarkWarmDeleteFloor is BenchmarkWarmDelete's request with a bare
// http.Client.
func BenchmarkWarmDeleteFloor(b *testing.B) { loop(b, rig(b).FloorDelete) }

// BenchmarkHandlerOwnImport is the import handler's own work per direct
// invocation, with Chat replaced by an in-memory fake.
func BenchmarkHandlerOwnImport(b *testing.B) { loop(b, ownRig(b).InvokeImport) }

// BenchmarkHandlerOwnDelete is the delete handler's own work per direct
// invocation, with Chat replaced by an in-memory fake.
func BenchmarkHandlerOwnDelete(b *testing.B) { loop(b, ownRig(b).InvokeDelete) }

// plan sizes a measurement run.
type plan struct {
	scaled                 bool
	warmRuns               int
	benchtime              string // -test.benchtime for the warm benchmarks; "" leaves it
	coldRounds, coldWarm   int
	ledgerRounds           int // the ledger's loopback set (its warm invocations: coldWarm; its far set: farRounds, farWarm)
	farRounds, farWarm     int
	rtt                    time.Duration
	bulkAccounts, bulkSize int
	fetchWarm              int
}

// fullPlan is `make bench`. The cold start and coldWarm warm invocations
// of a process stay within the burst of the delete client's rate limiter
// (10 requests: 100 a second ÷ 10), so that the warm figures measure an
// invocation, not the limiter's pacing. The ledger's goals are ratios of
// a few percent, so its loopback set (five bootstraps of some 20 ms each)
// has twice the rounds.
var fullPlan = plan{
	warmRuns: 5, coldRounds: 20, coldWarm: 8, ledgerRounds: 40, farRounds: 10, farWarm: 5,
	rtt: 150 * time.Millisecond, bulkAccounts: 10000, bulkSize: 1000, fetchWarm: 1000,
}

// scaledPlan is the smoke run under BENCH_FULL.
var scaledPlan = plan{
	scaled: true, warmRuns: 1, benchtime: "200ms", coldRounds: 2, coldWarm: 1, ledgerRounds: 2, farRounds: 1, farWarm: 1,
	rtt: 150 * time.Millisecond, bulkAccounts: 1000, bulkSize: 500, fetchWarm: 50,
}

// TestReport runs every measurement in full and writes BENCHMARKS.md. It
// runs only when asked: `make bench`, that is
//
//	go test -count=1 -timeout 30m -run '^TestReport$' ./internal/bench -args -report "$PWD/BENCHMARKS.md"
//
// (BENCH_REPORT=file works as well as -report).
func TestReport(t *testing.T) {
	path := *reportPath
	if path == "" {
		path = os.Getenv("BENCH_REPORT")
	}
	if path == "" {
		t.Skip("set -report FILE (make bench) to run the benchmarks in full and write the report")
	}
	if _, err := exec.LookPath(moto.Binary); err != nil {
		t.Fatalf("the report needs %s (make tools installs it): %v", moto.Binary, err)
	}
	rep := measure(t, fullPlan)
	write(t, rep, path)
}

// TestSmoke checks, in seconds, that every part of the benchmark works:
// the proxy adds its round trips, the warm rigs answer, a scaled-down bulk
// run imports and deletes everything without a rate-limit error, warm
// invocations fetch no secret, and the ledger's sets run once over through
// the compiled bootstraps (host builds of three of them: the build cache
// makes them cheap after the first) with every sign-up in Chat and the
// ledger. With BENCH_FULL set it also builds the
// bootstraps and renders a scaled-down report, which takes a minute or so.
// It checks no timing beyond the proxy's lower bounds.
func TestSmoke(t *testing.T) {
	t.Run("proxy", testProxy)
	t.Run("warm", func(t *testing.T) {
		for _, f := range []func(context.Context) error{rig(t).InvokeImport, rig(t).FloorDelete, ownRig(t).InvokeImport, ownRig(t).InvokeDelete} {
			if err := f(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("bulk", func(t *testing.T) {
		res, err := bench.RunBulk(context.Background(), 400, 200)
		if err != nil {
			t.Fatal(err)
		}
		for _, ph := range []bench.BulkPhase{res.Import, res.Delete} {
			if ph.Invocations != 2 || ph.Requests < 4 || ph.Failed != 0 {
				t.Errorf("%s: %+v", ph.Command, ph)
			}
			t.Logf("%s: %d requests, %d rate-limited", ph.Command, ph.Requests, ph.RateLimited)
		}
	})
	t.Run("fetches", func(t *testing.T) {
		a := bench.StartAWS(t)
		f, err := bench.CountFetches(context.Background(), secretsmanager.NewFromConfig(a.Moto.Config()), a.SecretID, 20)
		if err != nil {
			t.Fatal(err)
		}
		if f.DuringCold != 1 || f.DuringWarm != 0 {
			t.Errorf("fetches: %+v, want 1 cold and 0 warm", f)
		}
	})
	t.Run("ledger", testLedgerSmoke)
	t.Run("render", func(t *testing.T) {
		var buf bytes.Buffer
		if err := sampleReport().Markdown(&buf); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"## Summary", "## Machine", "## Warm path", "## Cold path", "## Far region", "## Size", "## Bulk", "## Secret fetches", "## UserSig function", "cold usersig first reply", "## Ledger", "sign-up warm invocation, ledger ÷ none, Chat on loopback", "**missed**", "met"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("report lacks %q", want)
			}
		}
	})
	t.Run("full", func(t *testing.T) {
		if os.Getenv("BENCH_FULL") == "" {
			t.Skip("set BENCH_FULL=1 to build the bootstraps and render a scaled-down report")
		}
		rep := measure(t, scaledPlan)
		write(t, rep, filepath.Join(t.TempDir(), "BENCHMARKS.md"))
	})
}

// testProxy checks that a new HTTPS connection through the proxy takes at
// least 3 RTT to answer and a reused one at least 1.
func testProxy(t *testing.T) {
	const rtt = 40 * time.Millisecond
	far, err := bench.StartFar(chatemu.Options{SDKAppID: bench.AppID, Key: bench.Key}, rtt, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	pem, err := os.ReadFile(far.CAFile)
	if err != nil || !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
		t.Fatalf("CA file: %v %q", err, pem)
	}
	client := far.Emu.Client()
	defer client.CloseIdleConnections()
	for i, min := range []time.Duration{3 * rtt, rtt} {
		start := time.Now()
		resp, err := client.Post(far.URL+chatemu.Prefix+chat.CmdImport, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if took := time.Since(start); took < min {
			t.Errorf("request %d took %v through a %v proxy, want at least %v", i+1, took, rtt, min)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status %d", resp.StatusCode)
		}
	}
}

// buildBootstraps builds the named bootstraps under dir: for Lambda
// (linux/arm64), whose sizes it adds to rep.Sizes, and for this machine,
// whose paths it returns by name.
func buildBootstraps(t *testing.T, rep *bench.Report, root, dir string, names ...string) map[string]string {
	t.Helper()
	for _, name := range names {
		out := filepath.Join(dir, "arm64", name)
		if err := bench.Build(root, bench.Bootstraps[name], out, "linux", "arm64"); err != nil {
			t.Fatal(err)
		}
		n, err := bench.FileSize(out)
		if err != nil {
			t.Fatal(err)
		}
		rep.Sizes = append(rep.Sizes, bench.Size{Name: name, Bytes: n})
	}
	return hostBootstraps(t, root, dir, names...)
}

// hostBootstraps builds the named bootstraps for this machine under dir
// and returns their paths by name.
func hostBootstraps(t *testing.T, root, dir string, names ...string) map[string]string {
	t.Helper()
	bins := map[string]string{}
	for _, name := range names {
		bins[name] = filepath.Join(dir, "host", name)
		if err := bench.Build(root, bench.Bootstraps[name], bins[name], "", ""); err != nil {
			t.Fatal(err)
		}
	}
	return bins
}

// secretFetch is the median time of 20 GetSecretValue calls for secretID.
func secretFetch(t *testing.T, sm *secretsmanager.Client, secretID string) time.Duration {
	t.Helper()
	var fetches []time.Duration
	for i := range 21 {
		start := time.Now()
		if _, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)}); err != nil {
			t.Fatal(err)
		}
		if i > 0 { // the first one warms the SDK client and its connection
			fetches = append(fetches, time.Since(start))
		}
	}
	return bench.Median(fetches)
}

// measure runs every measurement of p.
func measure(t *testing.T, p plan) *bench.Report {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	ctx := context.Background()
	rep := &bench.Report{Generated: time.Now(), Command: RegenerateCommand, Machine: bench.ThisMachine(), Scaled: p.scaled, RTT: p.rtt}
	root, err := bench.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	// Size: the Lambda builds.
	bins := buildBootstraps(t, rep, root, dir, "import", "delete", "usersig", "hello", "naive")
	t.Log("built the bootstraps")

	// Warm path: the Go benchmarks, interleaved, medians of p.warmRuns.
	if p.benchtime != "" {
		old := flag.Lookup("test.benchtime").Value.String()
		flag.Set("test.benchtime", p.benchtime)
		defer flag.Set("test.benchtime", old)
	}
	rep.WarmRuns, rep.WarmBenchtime = p.warmRuns, flag.Lookup("test.benchtime").Value.String()
	pairs := []struct {
		name, cmd           string
		handler, floor, own func(*testing.B)
		hRuns, fRuns, oRuns []testing.BenchmarkResult
	}{
		{name: "import", cmd: chat.CmdImport, handler: BenchmarkWarmImport, floor: BenchmarkWarmImportFloor, own: BenchmarkHandlerOwnImport},
		{name: "delete", cmd: chat.CmdKick + " + " + chat.CmdDelete, handler: BenchmarkWarmDelete, floor: BenchmarkWarmDeleteFloor, own: BenchmarkHandlerOwnDelete},
	}
	for range p.warmRuns {
		for i := range pairs {
			pr := &pairs[i]
			pr.fRuns = append(pr.fRuns, testing.Benchmark(pr.floor))
			pr.hRuns = append(pr.hRuns, testing.Benchmark(pr.handler))
			pr.oRuns = append(pr.oRuns, testing.Benchmark(pr.own))
		}
	}
	for _, pr := range pairs {
		rep.Warm = append(rep.Warm, bench.WarmPair{Name: pr.name, Command: pr.cmd, Handler: medianBench(pr.hRuns), Floor: medianBench(pr.fRuns), Own: medianBench(pr.oRuns)})
	}
	t.Log("warm benchmarks done")

	// Bulk, against the documented caps.
	if rep.Bulk, err = bench.RunBulk(ctx, p.bulkAccounts, p.bulkSize); err != nil {
		t.Fatal(err)
	}
	t.Log("bulk done")

	// Everything below needs moto.
	a := bench.StartAWS(t)
	sm := secretsmanager.NewFromConfig(a.Moto.Config())
	rep.SecretFetch = secretFetch(t, sm, a.SecretID)
	if rep.Fetch, err = bench.CountFetches(ctx, sm, a.SecretID, p.fetchWarm); err != nil {
		t.Fatal(err)
	}
	t.Log("secret fetches counted")

	// Cold path, loopback.
	emu, err := chatemu.Start(chatemu.Options{SDKAppID: bench.AppID, Key: bench.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	rep.ColdRounds, rep.ColdWarm = p.coldRounds, p.coldWarm
	cold := variants(a, bins, emu.URL, nil)
	if rep.Cold, err = bench.RunColdSet(ctx, cold, p.coldRounds, p.coldWarm); err != nil {
		t.Fatal(err)
	}
	// The UserSig function runs in a set of its own, beside hello world
	// (its bound's baseline), so that the import ÷ naive comparison keeps
	// the conditions it has always had.
	us, err := bench.RunColdSet(ctx, []bench.Variant{cold[0], userSigVariant(a, bins, emu.URL)}, p.coldRounds, p.coldWarm)
	if err != nil {
		t.Fatal(err)
	}
	rep.Cold = append(rep.Cold, us[1])
	t.Log("cold path done")

	// Far region.
	far, err := bench.StartFar(chatemu.Options{SDKAppID: bench.AppID, Key: bench.Key}, p.rtt, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	rep.FarRounds, rep.FarWarm = p.farRounds, p.farWarm
	if rep.Far, err = bench.RunColdSet(ctx, variants(a, bins, far.URL, far.Env()), p.farRounds, p.farWarm); err != nil {
		t.Fatal(err)
	}
	t.Log("far region done")

	// The ledger: the sign-up and the UserSig function without and with
	// LEDGER_TABLE, in sets of their own, with Chat on loopback, near and
	// far.
	near, err := bench.StartFar(chatemu.Options{SDKAppID: bench.AppID, Key: bench.Key}, bench.NearRTT, filepath.Join(dir, "near"))
	if err != nil {
		t.Fatal(err)
	}
	defer near.Close()
	rep.Ledger = measureLedger(t, ledgerWorld{aws: a, db: bench.StartLedgerDB(t), bins: bins, local: emu.URL, near: near, far: far}, p)
	t.Log("ledger done")
	return rep
}

// The payloads of the cold runs: one account each.
var (
	coldImport = []byte(`{"UserID":"cold-user","Nick":"Cold"}`)
	coldDelete = []byte(`{"DeleteItem":[{"UserID":"cold-user"}]}`)
)

// variants are the four bootstraps, calling Chat at base, with extra
// environment.
func variants(a *bench.AWS, bins map[string]string, base string, extra []string) []bench.Variant {
	env := func(queues bool) []string { return append(a.Env(base, queues), extra...) }
	return []bench.Variant{
		{Name: "hello", Bin: bins["hello"], Env: env(false), Payload: coldImport, Check: bench.Echo(coldImport)},
		{Name: "naive", Bin: bins["naive"], Env: env(false), Payload: coldImport, Check: bench.EnvelopeOK},
		{Name: "import", Bin: bins["import"], Env: env(true), Payload: coldImport, Check: bench.EnvelopeOK},
		{Name: "delete", Bin: bins["delete"], Env: env(false), Payload: coldDelete, Check: bench.EnvelopeOK},
	}
}

// medianBench is the run with the median ns/op, with every run's ns/op.
func medianBench(runs []testing.BenchmarkResult) bench.Bench {
	ns := make([]float64, len(runs))
	for i, r := range runs {
		ns[i] = float64(r.T.Nanoseconds()) / float64(max(r.N, 1))
	}
	m := bench.MedianFloat(ns)
	best := 0
	for i := range ns {
		if abs(ns[i]-m) < abs(ns[best]-m) {
			best = i
		}
	}
	return bench.Bench{NsPerOp: m, AllocsPerOp: runs[best].AllocsPerOp(), BytesPerOp: runs[best].AllocedBytesPerOp(), Runs: ns}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func write(t *testing.T, rep *bench.Report, path string) {
	var buf bytes.Buffer
	if err := rep.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// sampleReport is a report with made-up figures, for the rendering test.
func sampleReport() *bench.Report {
	cold := func(name string, first time.Duration) bench.ColdStats {
		return bench.ColdStats{Name: name, Samples: []bench.ColdSample{{Init: first / 2, First: first, Warm: []time.Duration{first / 10}}}}
	}
	return &bench.Report{
		Generated: time.Unix(1700000000, 0), Command: RegenerateCommand, Machine: bench.Machine{CPU: "test", Cores: 2, MemBytes: 1 << 30, Go: "go"},
		Scaled: true, WarmRuns: 1, WarmBenchtime: "1s",
		Warm:       []bench.WarmPair{{Name: "import", Command: chat.CmdImport, Handler: bench.Bench{NsPerOp: 120}, Floor: bench.Bench{NsPerOp: 100}, Own: bench.Bench{NsPerOp: 5}}},
		ColdRounds: 1, ColdWarm: 1,
		Cold:      []bench.ColdStats{cold("hello", 3*time.Millisecond), cold("naive", 9*time.Millisecond), cold("import", 8*time.Millisecond), cold("delete", 8*time.Millisecond), cold("usersig", 5*time.Millisecond)},
		FarRounds: 1, FarWarm: 1, RTT: 150 * time.Millisecond,
		Far:   []bench.ColdStats{cold("hello", 3*time.Millisecond), cold("naive", 465*time.Millisecond), cold("import", 455*time.Millisecond), cold("delete", 455*time.Millisecond)},
		Sizes: []bench.Size{{Name: "import", Bytes: 9 << 20}, {Name: "hello", Bytes: 5 << 20}},
		Bulk: bench.BulkResult{Accounts: 100, Batch: 100,
			Import: bench.BulkPhase{Command: chat.CmdMultiImport, Cap: 100, Steady: 99, Overall: 100, Requests: 1, Invocations: 1},
			Delete: bench.BulkPhase{Command: chat.CmdDelete, Cap: 100, Steady: 99, Overall: 100, Requests: 1, Invocations: 1}},
		Fetch: bench.FetchCount{Warm: 10, DuringCold: 1},
		Ledger: &bench.LedgerStats{Rounds: 1, Warm: 1, FarRounds: 1, FarWarm: 1, RTT: 150 * time.Millisecond,
			Cold: []bench.ColdStats{cold("hello", 3*time.Millisecond), cold("signup", 10*time.Millisecond), cold("signup+ledger", 12*time.Millisecond), cold("usersig", 5*time.Millisecond), cold("usersig+ledger", 6*time.Millisecond)},
			Near: []bench.ColdStats{cold("hello", 3*time.Millisecond), cold("signup", 40*time.Millisecond), cold("signup+ledger", 41*time.Millisecond)}, NearRTT: bench.NearRTT,
			Far: []bench.ColdStats{cold("hello", 3*time.Millisecond), cold("signup", 455*time.Millisecond), cold("signup+ledger", 456*time.Millisecond)}},
	}
}
