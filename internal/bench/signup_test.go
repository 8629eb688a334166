package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/chatsync/chat-lambdas/internal/bench"
	"github.com/chatsync/chat-lambdas/internal/lambdatest"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// signUpPayload is a Cognito post-confirmation sign-up, with the
// attributes PROFILE_ATTRIBUTES can carry.
var signUpPayload = []byte(`{"version":"1","region":"us-east-1","userPoolId":"us-east-1_EXAMPLE","userName":"bench-user",` +
	`"callerContext":{"awsSdkVersion":"aws-sdk-unknown-unknown","clientId":"abc"},"triggerSource":"PostConfirmation_ConfirmSignUp",` +
	`"request":{"userAttributes":{"sub":"6b1f9c2e-4d3a-4e5f-8a7b-9c0d1e2f3a4b","email":"b@example.com","nickname":"Bench",` +
	`"gender":"female","birthdate":"1990-05-17","custom:tier":"gold"}},"response":{}}`)

// signUpContext is an invocation's context as the runtime makes it, made
// once.
func signUpContext(b *testing.B) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(24*time.Hour))
	b.Cleanup(cancel)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "bench"})
}

func signUpLoop(b *testing.B, invoke func(context.Context, []byte) ([]byte, error)) {
	ctx := signUpContext(b)
	b.ReportAllocs()
	for b.Loop() {
		out, err := invoke(ctx, signUpPayload)
		if err != nil || !bytes.Equal(out, signUpPayload) {
			b.Fatalf("reply %.100s, %v", out, err)
		}
	}
}

// BenchmarkWarmSignUp is a warm Cognito sign-up through the import handler
// (account_import of one account) against the emulator on loopback, without
// PROFILE_ATTRIBUTES.
func BenchmarkWarmSignUp(b *testing.B) { signUpLoop(b, rig(b).Import.Invoke) }

// BenchmarkHandlerOwnSignUp is the import handler's own work per sign-up,
// with Chat replaced by an in-memory fake, without PROFILE_ATTRIBUTES.
func BenchmarkHandlerOwnSignUp(b *testing.B) { signUpLoop(b, ownRig(b).Import.Invoke) }

// TestSignUpCold measures cold sign-ups of the compiled import function
// through the Lambda Runtime API (a fresh process per round, then warm
// invocations), against the emulator and moto. It runs only when asked, as
// it takes a minute:
//
//	BENCH_SIGNUP=20 go test -count=1 -run '^TestSignUpCold$' -v ./internal/bench
//
// (the value is the number of rounds). BENCH_SIGNUP_PROFILE=1 adds a third
// variant with PROFILE_ATTRIBUTES set, for the cost of the setting.
func TestSignUpCold(t *testing.T) {
	var rounds int
	if _, err := fmt.Sscan(os.Getenv("BENCH_SIGNUP"), &rounds); err != nil || rounds <= 0 {
		t.Skip("set BENCH_SIGNUP=ROUNDS to measure cold sign-ups")
	}
	root, err := bench.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bins := map[string]string{}
	for _, name := range []string{"import", "hello"} {
		bins[name] = filepath.Join(dir, name)
		if err := bench.Build(root, bench.Bootstraps[name], bins[name], "", ""); err != nil {
			t.Fatal(err)
		}
	}
	a := bench.StartAWS(t)
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: bench.AppID, Key: bench.Key, CustomProfileFields: []string{"Tier"}})
	echo := func(r lambdatest.Result) error {
		if r.Failed() || !bytes.Equal(r.Payload, signUpPayload) {
			return fmt.Errorf("reply %.100s, error %s", r.Payload, r.Error)
		}
		return nil
	}
	variants := []bench.Variant{
		{Name: "hello", Bin: bins["hello"], Env: a.Env(emu.URL, false), Payload: signUpPayload, Check: echo},
		{Name: "import sign-up", Bin: bins["import"], Env: a.Env(emu.URL, true), Payload: signUpPayload, Check: echo},
	}
	if os.Getenv("BENCH_SIGNUP_PROFILE") != "" {
		variants = append(variants, bench.Variant{Name: "import sign-up, PROFILE_ATTRIBUTES", Bin: bins["import"],
			Env:     append(a.Env(emu.URL, true), "PROFILE_ATTRIBUTES=gender=Tag_Profile_IM_Gender,birthdate=Tag_Profile_IM_BirthDay,custom:tier=Tag_Profile_Custom_Tier"),
			Payload: signUpPayload, Check: echo})
	}
	stats, err := bench.RunColdSet(context.Background(), variants, rounds, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		t.Logf("%-36s init %8v  first reply %8v (p90 %8v)  warm %8v", s.Name, s.Init().Round(10*time.Microsecond), s.First().Round(10*time.Microsecond),
			s.FirstQuantile(0.9).Round(10*time.Microsecond), s.Warm().Round(time.Microsecond))
	}
}
