package bench_test

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chatsync/chat-lambdas/internal/bench"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// BenchmarkHandlerOwnUserSig is the UserSig handler's own work per direct
// invocation, the credentials cached: decode, validate, sign, log, reply.
func BenchmarkHandlerOwnUserSig(b *testing.B) {
	r := bench.NewUserSigRig()
	b.Cleanup(r.Close)
	loop(b, r.Invoke)
}

// userSigVariant is the UserSig function's cold run. CHAT_BASE_URL is set
// as the template's globals set the endpoint; the function never calls it.
func userSigVariant(a *bench.AWS, bins map[string]string, base string) bench.Variant {
	return bench.Variant{Name: "usersig", Bin: bins["usersig"], Env: a.Env(base, false), Payload: bench.UserSigPayload, Check: bench.UserSigOK}
}

// TestUserSigBench measures the UserSig function alone, beside hello
// world: the cold start and warm invocations through the Runtime API
// harness, the secret fetch, the bootstrap's size; and renders those parts
// of the report. It runs only with BENCH_USERSIG=1 (about a minute); `make
// bench` measures the same within the full report.
func TestUserSigBench(t *testing.T) {
	if os.Getenv("BENCH_USERSIG") == "" {
		t.Skip("set BENCH_USERSIG=1 to measure the UserSig function alone")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	ctx := context.Background()
	root, err := bench.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rep := &bench.Report{Generated: time.Now(), Command: "BENCH_USERSIG=1 go test -run TestUserSigBench ./internal/bench", Machine: bench.ThisMachine(), ColdRounds: fullPlan.coldRounds, ColdWarm: fullPlan.coldWarm}
	bins := buildBootstraps(t, rep, root, dir, "usersig", "hello")
	a := bench.StartAWS(t)
	rep.SecretFetch = secretFetch(t, secretsmanager.NewFromConfig(a.Moto.Config()), a.SecretID)
	emu, err := chatemu.Start(chatemu.Options{SDKAppID: bench.AppID, Key: bench.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	hello := variants(a, bins, emu.URL, nil)[0]
	if rep.Cold, err = bench.RunColdSet(ctx, []bench.Variant{hello, userSigVariant(a, bins, emu.URL)}, rep.ColdRounds, rep.ColdWarm); err != nil {
		t.Fatal(err)
	}
	if emu.TotalRequests() != 0 {
		t.Errorf("the UserSig function made %d Chat requests", emu.TotalRequests())
	}
	rep.Warm = nil
	own := testing.Benchmark(BenchmarkHandlerOwnUserSig)
	var buf bytes.Buffer
	if err := rep.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"warm usersig ÷ hello world", "cold usersig first reply", "size of usersig", "## UserSig function"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	t.Logf("handler alone: %.0f ns/op, %d allocs/op, %d B/op", float64(own.T.Nanoseconds())/float64(own.N), own.AllocsPerOp(), own.AllocedBytesPerOp())
	t.Logf("\n%s", buf.String())
}
