// Package bench measures the two functions against the goals of the
// benchmark issue and writes BENCHMARKS.md. `make bench` runs it:
//
//	go test -count=1 -timeout 30m -run '^TestReport$' ./internal/bench -args -report "$PWD/BENCHMARKS.md"
//
// What it measures, and with what:
//
//   - Warm path: Go benchmarks (BenchmarkWarm*) of a direct invocation
//     through each handler against the Chat emulator on loopback, with the
//     client's rate limiter raised (RaisedRateLimits), beside the floor: the
//     same Chat request made with a bare http.Client (WarmRig). A second
//     pair (BenchmarkHandlerOwn*) measures the handlers alone, Chat faked.
//   - Cold path: the bootstraps built as the Makefile builds them (Build),
//     started afresh again and again and driven through the Lambda Runtime
//     API (RunCold, RunColdSet, on internal/lambdatest), the secret from moto
//     (StartAWS) and one Chat call, beside a hello-world aws-lambda-go
//     function (testdata/hello) and a naive import function
//     (testdata/naive).
//   - Far region: the same with the emulator served over TLS behind Proxy,
//     which adds a round-trip time (StartFar).
//   - Size: the linux/arm64 bootstraps.
//   - Bulk: batches imported then deleted against the emulator enforcing
//     Tencent's documented caps, with the client's default limits
//     (RunBulk).
//   - Secret fetches: GetSecretValue calls during warm invocations, on a
//     moto-backed secrets.Source (CountFetches).
//   - Ledger: the import function's sign-up (SignUpPayload) and the UserSig
//     function, each without and with LEDGER_TABLE (a table in a moto of
//     its own: StartLedgerDB), in cold sets of their own beside hello
//     world, with Chat on loopback, NearRTT away and in the far region
//     (LedgerStats); LedgerDB.CheckSignUps makes sure every sign-up was
//     recorded and none queued.
//
// Report renders the results. Nothing here fails on a timing; TestSmoke
// checks in seconds that every part works, the ledger's sets once over
// through the compiled bootstraps (BENCH_FULL=1 adds a scaled-down run of
// the whole report).
package bench
