package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Goals of the benchmark issue.
const (
	GoalWarm      = 1.05 // warm invocation ÷ bare-client floor
	GoalColdNaive = 0.90 // cold start ÷ the naive function's
	GoalFar       = 1.05 // far-region figure ÷ its round-trip floor
	GoalSizeMiB   = 10.0 // stripped linux/arm64 bootstrap
	GoalBulkShare = 0.95 // bulk throughput ÷ Tencent's cap
)

// Bench is one Go benchmark's result, the median of several runs.
type Bench struct {
	NsPerOp     float64
	AllocsPerOp int64
	BytesPerOp  int64
	Runs        []float64 // ns/op of each run
}

// WarmPair is a warm invocation through a handler beside its floor.
type WarmPair struct {
	Name    string // "import", "delete"
	Command string // the Chat commands it makes, in turn ("kick + account_delete")
	Handler Bench  // through the handler, Chat client included
	Floor   Bench  // the same request with a bare http.Client
	Own     Bench  // the handler alone, Chat replaced by an in-memory fake
}

// Ratio is Handler ÷ Floor.
func (w WarmPair) Ratio() float64 { return w.Handler.NsPerOp / w.Floor.NsPerOp }

// Size is a bootstrap's file size.
type Size struct {
	Name  string
	Bytes int64
}

// MiB is the size in mebibytes.
func (s Size) MiB() float64 { return float64(s.Bytes) / (1 << 20) }

// Report is everything `make bench` measures, rendered by Markdown into
// BENCHMARKS.md.
type Report struct {
	Generated time.Time
	Command   string // how to regenerate
	Machine   Machine
	Scaled    bool // a scaled-down smoke run, not the full one

	WarmRuns      int    // runs per warm benchmark (medians are over them)
	WarmBenchtime string // -test.benchtime of each run
	Warm          []WarmPair

	ColdRounds, ColdWarm int // fresh processes per bootstrap; warm invocations after each first one
	Cold                 []ColdStats
	FarRounds, FarWarm   int
	Far                  []ColdStats
	RTT                  time.Duration
	SecretFetch          time.Duration // median GetSecretValue from moto with a warm SDK client

	Sizes []Size // linux/arm64
	Bulk  BulkResult
	Fetch FetchCount

	Ledger *LedgerStats // nil: not measured
}

// cold returns the named stats of set, or a zero value.
func find(set []ColdStats, name string) ColdStats {
	for _, s := range set {
		if s.Name == name {
			return s
		}
	}
	return ColdStats{Name: name}
}

// ChatCalls is how many Chat requests an invocation of the bootstrap name
// makes one after the other: the delete function's delete of one account
// kicks it, then deletes it; every other bootstrap measured makes one.
func ChatCalls(name string) int {
	if name == "delete" {
		return 2
	}
	return 1
}

// FarFloor is the round-trip floor of a far cold start of the bootstrap
// name: a hello-world function's cold start plus two round trips for the
// connection (TCP, TLS 1.3) and one per Chat request (ChatCalls).
func (r *Report) FarFloor(name string) time.Duration {
	return find(r.Far, "hello").First() + time.Duration(2+ChatCalls(name))*r.RTT
}

// FarWarmFloor is the round-trip floor of a far warm invocation of name:
// one RTT per Chat request.
func (r *Report) FarWarmFloor(name string) time.Duration {
	return time.Duration(ChatCalls(name)) * r.RTT
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
}

func us(ns float64) string { return fmt.Sprintf("%.1f µs", ns/1e3) }

// Markdown writes the report.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# Benchmarks\n\n")
	p("Generated %s by `%s`, which rewrites this file. ", r.Generated.UTC().Format("2006-01-02 15:04 MST"), r.Command)
	p("Times differ from machine to machine and from run to run; the ratios are what to compare. ")
	p("No benchmark fails on a timing: a goal that is missed is reported here, not as a test failure.\n\n")
	if r.Scaled {
		p("> **Scaled-down smoke run**: fewer processes and iterations than `make bench`; the figures are not the real ones.\n\n")
	}

	// Summary.
	p("## Summary\n\n")
	p("| measure | result | goal | |\n|---|---|---|---|\n")
	for _, wp := range r.Warm {
		p("| warm %s, handler ÷ bare client, loopback | %.2f× | ≤ %.2f× | %s |\n", wp.Name, wp.Ratio(), GoalWarm, met(wp.Ratio() <= GoalWarm))
	}
	imp, naive := find(r.Cold, "import"), find(r.Cold, "naive")
	if len(imp.Samples) > 0 {
		c := ratio(imp.First(), naive.First())
		p("| cold import ÷ naive, loopback | %.2f× | ≤ %.2f× | %s |\n", c, GoalColdNaive, met(c <= GoalColdNaive))
	}
	if len(r.Far) > 0 {
		fimp, fnaive := find(r.Far, "import"), find(r.Far, "naive")
		p("| cold import ÷ naive, far region | %.2f× | ≤ %.2f× | %s |\n", ratio(fimp.First(), fnaive.First()), GoalColdNaive, met(ratio(fimp.First(), fnaive.First()) <= GoalColdNaive))
		for _, n := range []string{"import", "delete"} {
			c := ratio(find(r.Far, n).First(), r.FarFloor(n))
			p("| far cold %s ÷ floor (hello + %d RTT) | %.3f× | ≤ %.2f× | %s |\n", n, 2+ChatCalls(n), c, GoalFar, met(c <= GoalFar))
		}
		for _, n := range []string{"import", "delete"} {
			c := ratio(find(r.Far, n).Warm(), r.FarWarmFloor(n))
			p("| far warm %s ÷ floor (%d RTT) | %.3f× | ≤ %.2f× | %s |\n", n, ChatCalls(n), c, GoalFar, met(c <= GoalFar))
		}
	}
	for _, s := range r.Sizes {
		if s.Name == "import" || s.Name == "delete" {
			p("| size of %s, linux/arm64 | %.2f MiB | ≤ %.0f MiB | %s |\n", s.Name, s.MiB(), GoalSizeMiB, met(s.MiB() <= GoalSizeMiB))
		}
	}
	if r.Bulk.Accounts > 0 {
		for _, ph := range []BulkPhase{r.Bulk.Import, r.Bulk.Delete} {
			p("| bulk %s, steady rate ÷ cap | %.1f%% | ≥ %.0f%% | %s |\n", ph.Command, 100*ph.SteadyShare(), 100*GoalBulkShare, met(ph.SteadyShare() >= GoalBulkShare))
		}
		n := r.Bulk.Import.RateLimited + r.Bulk.Delete.RateLimited
		p("| bulk rate-limit errors | %d | 0 | %s |\n", n, met(n == 0))
	}
	if r.Fetch.Warm > 0 {
		p("| GetSecretValue calls during %d warm invocations | %d | 0 | %s |\n", r.Fetch.Warm, r.Fetch.DuringWarm, met(r.Fetch.DuringWarm == 0))
	}
	r.userSigSummary(p)
	if r.Ledger != nil {
		r.Ledger.summary(p)
	}
	p("\n")

	// Machine.
	m := r.Machine
	p("## Machine\n\n")
	p("- CPU: %s, %d logical cores\n", orUnknown(m.CPU), m.Cores)
	p("- Memory: %.1f GiB\n", float64(m.MemBytes)/(1<<30))
	p("- Go: %s\n", m.Go)
	if m.Kernel != "" {
		p("- Linux kernel: %s\n", m.Kernel)
	}
	if m.Moto != "" {
		services := "Secrets Manager and SQS"
		if r.Ledger != nil {
			services = "Secrets Manager, SQS and DynamoDB"
		}
		p("- moto: %s (%s, on loopback)\n", m.Moto, services)
	}
	p("\n")

	r.warmSection(p)
	r.coldSection(p)
	r.userSigSection(p)
	r.farSection(p)
	r.sizeSection(p)
	r.bulkSection(p)
	r.fetchSection(p)
	if r.Ledger != nil {
		r.Ledger.section(p)
	}
	r.notesSection(p)

	_, err := io.WriteString(w, b.String())
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

type printer func(format string, args ...any)

func (r *Report) warmSection(p printer) {
	if len(r.Warm) == 0 {
		return
	}
	p("## Warm path\n\n")
	p("Go benchmarks (`BenchmarkWarm*` in `internal/bench`), run %d times each, interleaved, at `-benchtime %s`; the figures are the medians. ", r.WarmRuns, r.WarmBenchtime)
	p("Each op is one direct invocation through the handler as the function builds it (the Chat client with its retries, deadlines and limiter, a `secrets.Source` holding the key, the Lambda JSON logger writing to `io.Discard`) against the Chat emulator on loopback, plain HTTP with keep-alive. ")
	p("**The client's rate limiter is raised** (to 2³¹ requests a second per command; it still runs), or Tencent's caps of 100 and 200 requests a second would be the measure. ")
	p("The floor is the same Chat request made with a bare `http.Client` (`http.DefaultTransport`'s settings): the UserSig signed once, the same body posted, the reply decoded. ")
	p("The emulator runs in the same process, so allocs/op and B/op include its share, the same on both sides.\n\n")
	p("| invocation | ns/op | allocs/op | B/op | ÷ floor |\n|---|---:|---:|---:|---:|\n")
	for _, wp := range r.Warm {
		p("| %s through the handler (`%s`) | %.0f | %d | %d | **%.2f×** |\n", wp.Name, wp.Command, wp.Handler.NsPerOp, wp.Handler.AllocsPerOp, wp.Handler.BytesPerOp, wp.Ratio())
		p("| %s, floor: bare `http.Client` | %.0f | %d | %d | 1 |\n", wp.Name, wp.Floor.NsPerOp, wp.Floor.AllocsPerOp, wp.Floor.BytesPerOp)
	}
	p("\nWhat the gap is made of: the handler's own work per invocation, measured with Chat replaced by an in-memory fake (classify and decode the event, validate, bound the deadline, log one JSON line, encode the reply):\n\n")
	p("| handler alone | ns/op | allocs/op | B/op |\n|---|---:|---:|---:|\n")
	for _, wp := range r.Warm {
		p("| %s | %.0f | %d | %d |\n", wp.Name, wp.Own.NsPerOp, wp.Own.AllocsPerOp, wp.Own.BytesPerOp)
	}
	p("\n")
}

func (r *Report) coldSection(p printer) {
	if len(r.Cold) == 0 {
		return
	}
	p("## Cold path\n\n")
	p("The bootstraps are built for this machine with the Makefile's flags (`CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w'`). ")
	p("Each is started afresh %d times, the bootstraps interleaved, and driven through the Lambda Runtime API (`internal/lambdatest`): ", r.ColdRounds)
	p("the clock starts just before the process is started; the invocation is already waiting, as it is for the request that causes a cold start; it stops when the reply is posted. ")
	p("Then %d warm invocations follow in the same process. The secret comes from moto (Secrets Manager on loopback); the Chat call goes to the emulator on loopback (plain HTTP). ", r.ColdWarm)
	p("The environment is the one Lambda gives a function (region, credentials, `TZ=:UTC`, and none of this machine's `AWS_CA_BUNDLE`, `SSL_CERT_*` or proxy settings); the import function has its retry and dead-letter queues, as deployed.\n\n")
	p("- **hello**: the smallest aws-lambda-go function (`internal/bench/testdata/hello`), echoing its payload.\n")
	p("- **naive**: the import function as first written (`internal/bench/testdata/naive`): configuration and `config.LoadDefaultConfig` at init, the secret fetched there once, synchronously; a new UserSig per call, `http.DefaultClient`, nothing overlapped.\n")
	p("- **import**, **delete**: this project's functions (`functions/import`, `functions/delete`), a direct invocation of one account.\n")
	if r.hasUserSig() {
		p("- **usersig**: the UserSig function (`functions/usersig`), a direct invocation for one UserID; no Chat call.\n")
	}
	p("\n")
	p("Secrets Manager alone (moto, a warm SDK client, median of 20 calls): %s.\n\n", ms(r.SecretFetch))
	r.coldTable(p, r.Cold, "naive", false)
}

// coldTable writes set's cold and warm figures, with the ratios to the far
// floors of each bootstrap when far.
func (r *Report) coldTable(p printer, set []ColdStats, base string, far bool) {
	if far {
		p("| bootstrap | init (start → first poll) | first reply, median | p90 | ÷ floor | ÷ naive | warm invocation, median | ÷ warm floor |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	} else {
		p("| bootstrap | init (start → first poll) | first reply, median | p90 | ÷ naive | ÷ hello | warm invocation, median |\n|---|---:|---:|---:|---:|---:|---:|\n")
	}
	hello := find(set, "hello").First()
	baseFirst := find(set, base).First()
	for _, s := range set {
		if far {
			warmRatio, floorRatio := "–", "–"
			if s.Name != "hello" {
				warmRatio = fmt.Sprintf("%.3f×", ratio(s.Warm(), r.FarWarmFloor(s.Name)))
				floorRatio = fmt.Sprintf("**%.3f×**", ratio(s.First(), r.FarFloor(s.Name)))
			}
			p("| %s | %s | %s | %s | %s | %.2f× | %s | %s |\n", s.Name, ms(s.Init()), ms(s.First()), ms(s.FirstQuantile(0.9)), floorRatio, ratio(s.First(), baseFirst), ms(s.Warm()), warmRatio)
			continue
		}
		p("| %s | %s | %s | %s | **%.2f×** | %.2f× | %s |\n", s.Name, ms(s.Init()), ms(s.First()), ms(s.FirstQuantile(0.9)), ratio(s.First(), baseFirst), ratio(s.First(), hello), ms(s.Warm()))
	}
	p("\n")
}

func (r *Report) farSection(p printer) {
	if len(r.Far) == 0 {
		return
	}
	p("## Far region\n\n")
	p("The same cold and warm measurements (%d fresh processes per bootstrap, %d warm invocations each) with the emulator served over TLS 1.3 behind a proxy on loopback (`bench.Proxy`) that adds %v of round-trip time, as a function in us-east-1 sees Chat in Singapore. ", r.FarRounds, r.FarWarm, r.RTT)
	p("The model: each direction of each connection is a delay line of half the RTT, per segment (not cumulative; unlimited bandwidth, no loss); ")
	p("and since the kernel completes the TCP handshake on loopback before the proxy sees the connection, the proxy charges it by holding the client's first bytes until one RTT after it accepted. ")
	p("End to end, a new HTTPS connection then answers its first request after 3 RTT, as on a real path. ")
	p("The functions get `CHAT_BASE_URL=https://127.0.0.1:port` (the proxy) and trust the emulator's self-signed certificate through `SSL_CERT_FILE` (and an `SSL_CERT_DIR` holding only it); Secrets Manager stays on loopback, in the function's own region.\n\n")
	p("Floors: the cold floor is the hello-world cold start measured in the same run plus 3 RTT (TCP, TLS 1.3, the request) = %s; the warm floor is 1 RTT = %s. ", ms(r.FarFloor("import")), ms(r.RTT))
	p("The delete function's invocation, a delete of one account, makes two requests in turn (it kicks the account, then deletes it, so that the user's UserSigs stop working): its floors are hello world plus 4 RTT = %s, and 2 RTT.\n\n", ms(r.FarFloor("delete")))
	r.coldTable(p, r.Far, "naive", true)
}

func (r *Report) sizeSection(p printer) {
	if len(r.Sizes) == 0 {
		return
	}
	p("## Size\n\n")
	p("`GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w'`, as `make build` does for Lambda.\n\n")
	p("| bootstrap | bytes | MiB | ÷ hello |\n|---|---:|---:|---:|\n")
	var hello int64
	for _, s := range r.Sizes {
		if s.Name == "hello" {
			hello = s.Bytes
		}
	}
	for _, s := range r.Sizes {
		rel := "–"
		if hello > 0 {
			rel = fmt.Sprintf("%.2f×", float64(s.Bytes)/float64(hello))
		}
		p("| %s | %d | %.2f | %s |\n", s.Name, s.Bytes, s.MiB(), rel)
	}
	p("\n")
}

func (r *Report) bulkSection(p printer) {
	if r.Bulk.Accounts == 0 {
		return
	}
	bk := r.Bulk
	p("## Bulk\n\n")
	p("%d accounts imported, then deleted, through direct invocations of %d accounts each (`{\"AccountList\":[...]}`, then `{\"DeleteItem\":[...]}`), one invocation at a time as one function process takes them, ", bk.Accounts, bk.Batch)
	p("against the emulator enforcing Tencent's documented caps (`chatemu.DocumentedRateLimits`: 100 requests a second for both commands; over it, 60007), with the client's default limits (`chatapi.DefaultRateLimits`). ")
	p("The handlers split each invocation into calls of 100. The steady rate is that of the second half of the requests (which leaves out the limiter's initial burst); the overall rate is requests ÷ the phase's wall time.\n\n")
	p("| phase | invocations | requests | wall time | steady req/s | ÷ cap | overall req/s | most in any 1 s | rate-limit errors | accounts failed |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, ph := range []BulkPhase{bk.Import, bk.Delete} {
		p("| %s | %d | %d | %s | %.1f | **%.1f%%** | %.1f | %d | %d | %d |\n", ph.Command, ph.Invocations, ph.Requests, ms(ph.Elapsed), ph.Steady, 100*ph.SteadyShare(), ph.Overall, ph.PeakWindow, ph.RateLimited, ph.Failed)
	}
	p("\nAccounts a second: the steady request rate × 100 accounts a call.\n\n")
}

func (r *Report) fetchSection(p printer) {
	if r.Fetch.Warm == 0 {
		return
	}
	f := r.Fetch
	p("## Secret fetches\n\n")
	p("The import handler on a `secrets.Source` backed by moto's Secrets Manager (default `CHAT_SECRET_TTL`, 5 minutes), Chat on the emulator with the client's limiter raised: one cold invocation, then %d warm ones (%s in all).\n\n", f.Warm, ms(f.WarmElapsed))
	p("| | GetSecretValue calls |\n|---|---:|\n| first (cold) invocation | %d |\n| %d warm invocations | **%d** |\n\n", f.DuringCold, f.Warm, f.DuringWarm)
}

func (r *Report) notesSection(p printer) {
	p("## What made the difference, and what did not\n\n")
	if len(r.Far) > 0 {
		fimp, fnaive := find(r.Far, "import"), find(r.Far, "naive")
		p("- **Far cold start: overlapping the Chat connection with the secret fetch.** At init, `setup.New` first makes the Chat client and calls `chatapi.Client.Warm`, which has the client's own transport dial the Chat endpoint (TCP and TLS: 2 RTT) in the background and keeps the connection in its pool without sending a request; the AWS SDK's start and the secret fetch run meanwhile. ")
		p("The first request then costs 1 RTT. The naive function connects only after its init and pays the SDK and the fetch in series: here %s against our %s (floor %s). ", ms(fnaive.First()), ms(fimp.First()), ms(r.FarFloor("import")))
		p("On this machine the SDK's start and a fetch from moto on loopback take only milliseconds, so the naive function stays close to the floor too; on AWS, where Secrets Manager is a TLS connection and a call away, the series costs more and the overlap hides all of it as long as it is shorter than 2 RTT. The 0.9× goal against the naive function cannot be met here: both pay the same 3 round trips, against which the milliseconds of start-up the overlap hides are about 1%%; the far-region goal that applies is the floor, which is met.\n")
	}
	if len(r.Cold) > 0 {
		imp, naive, hello := find(r.Cold, "import"), find(r.Cold, "naive"), find(r.Cold, "hello")
		p("- **Loopback cold start: not linking the SDK's `config` package, and a cheap UserSig.** With Chat on loopback, the connection that the overlap hides costs a fraction of a millisecond, so the critical path is the process start, the AWS SDK's start, `GetSecretValue` (moto answers in about %s) and one Chat call. ", ms(r.SecretFetch))
		p("Of the %s between hello-world (%s) and the naive function (%s), the fetch is about %s; most of the rest is the SDK's start: the package initialisation of its `config` package and of the clients it links (SSO, SSO OIDC, STS, sign-in), then `LoadDefaultConfig`. ",
			ms(naive.First()-hello.First()), ms(hello.First()), ms(naive.First()), ms(r.SecretFetch))
		p("The functions take their AWS configuration straight from the environment Lambda gives them (`pkg/setup`: region, the role's credentials, the SDK's endpoint, FIPS, dual-stack and retry variables), since a Lambda has no shared config files or profiles to resolve; the `config` package is not linked, which also makes each bootstrap about 1.8 MB smaller. ")
		p("And the UserSig that the first request needs is written as a zlib stream of stored blocks (`pkg/usersig`), which every zlib reader accepts, instead of through `compress/zlib`'s writer, which allocates more than a megabyte per call (about 0.27 ms here; the naive function signs as Tencent's reference library does, with `compress/zlib`). ")
		p("Ours answers in %s: %.2f× the naive function.\n", ms(imp.First()), ratio(imp.First(), naive.First()))
		p("- **A throwaway UserSig at init made the cold start slower** when signing went through `compress/zlib`: its allocation pushed the process past its first GC goal, and the collection landed on the first request. `Warm` builds only encoding/json's caches.\n")
		p("- **A host's own environment skews a cold start**: with `AWS_CA_BUNDLE` pointing at the host's 200 KB CA bundle (as on the machine this benchmark was written on), every SDK-based bootstrap parsed it at init, several milliseconds. The harness clears it and the other host-only variables, as Lambda's environment has none of them.\n")
	}
	if len(r.Warm) > 0 {
		p("- **Warm path.** The client no longer sets `ResponseHeaderTimeout` on its transport: each attempt's context already ends after `AttemptTimeout` (4 s, shorter than the 5 s header timeout), and the timer the transport armed for every request cost about 8 µs a request here when it was measured. ")
		p("What remains is the handler's own work (the \"handler alone\" table: classifying and decoding the event, a deadline, one JSON log line, encoding the reply) and the client's (a deadline per attempt, the limiter, encoding the body), on the same %d cores as the emulator. ", r.Machine.Cores)
		p("On loopback, where the emulator answers a whole request in about a tenth of a millisecond, that is a visible fraction; behind any real network it is noise, as the far-region warm figures show (1 RTT plus well under a millisecond).\n")
	}
	if r.Bulk.Accounts > 0 {
		p("- **Bulk.** The per-process limiter at the documented caps keeps the steady rate at the cap with no 60007; its burst (a tenth of a second's worth) lets the first second go slightly over the steady rate, which the emulator's bucket (burst = cap) accepts.\n")
	}
	if r.Fetch.Warm > 0 {
		p("- **Secret fetches.** `secrets.Source` serves the cached key without any call until `CHAT_SECRET_TTL` passes.\n")
	}
	p("\n")
}
