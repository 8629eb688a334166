package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/testclock"

	"github.com/chatsync/chat-lambdas/internal/syncbuf"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

const secretID = "prod/chat-admin"

func secretJSON(app uint64, key string) string {
	return fmt.Sprintf(`{"sdkAppId": %d, "secretKey": %q, "adminIdentifier": "administrator"}`, app, key)
}

var (
	credsA = chat.Credentials{SDKAppID: 1400000000, Admin: "administrator", Key: testKey}
	credsB = chat.Credentials{SDKAppID: 1400000000, Admin: "administrator", Key: "rotated-" + testKey[:20]}
)

// credentialsSource is the interface of chatapi.CredentialsSource, which a
// Source must satisfy.
type credentialsSource interface {
	Credentials(ctx context.Context) (chat.Credentials, error)
	Refresh(ctx context.Context) (chat.Credentials, error)
}

var _ credentialsSource = (*secrets.Source)(nil)

// quietLogger discards; logs are checked where they matter.
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixture struct {
	api   *fakeAPI
	clock *testclock.Clock
	src   *secrets.Source
	logs  *syncbuf.Buffer
}

func newFixture(t *testing.T, cfg secrets.Config) *fixture {
	t.Helper()
	f := &fixture{api: newFake(secretJSON(credsA.SDKAppID, credsA.Key)), clock: newClock(), logs: &syncbuf.Buffer{}}
	if cfg.SecretID == "" {
		cfg.SecretID = secretID
	}
	cfg.Now = f.clock.Now
	cfg.Logger = slog.New(slog.NewJSONHandler(f.logs, nil))
	src, err := secrets.NewSource(f.api, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.src = src
	t.Cleanup(func() {
		if strings.Contains(f.logs.String(), testKey) || strings.Contains(f.logs.String(), credsB.Key) {
			t.Errorf("a log line carries the key:\n%s", f.logs.String())
		}
	})
	return f
}

func (f *fixture) mustCredentials(t *testing.T, want chat.Credentials) {
	t.Helper()
	got, err := f.src.Credentials(context.Background())
	if err != nil {
		t.Fatalf("Credentials: %v", err)
	}
	if got != want {
		t.Fatalf("Credentials = %v (key %q), want key %q", got, got.Key, want.Key)
	}
}

// newGatedFixture is a fixture whose fetches wait for f.api.gate to close,
// each first sending on f.api.started (room for started sends).
func newGatedFixture(t *testing.T, started int) *fixture {
	f := newFixture(t, secrets.Config{})
	f.api.gate = make(chan struct{})
	f.api.started = make(chan struct{}, started)
	return f
}

// wantCredentials gets the credentials, which must be want, and then checks
// that n fetches were made in all.
func (f *fixture) wantCredentials(t *testing.T, want chat.Credentials, n int64) {
	t.Helper()
	f.mustCredentials(t, want)
	f.wantFetches(t, n)
}

// wantLog checks that the logs hold s; else the test fails with problem.
func (f *fixture) wantLog(t *testing.T, s, problem string) {
	t.Helper()
	if !strings.Contains(f.logs.String(), s) {
		t.Errorf("%s:\n%s", problem, f.logs.String())
	}
}

// mustRefresh calls Refresh, which must give want, and then checks that n
// fetches were made in all.
func (f *fixture) mustRefresh(t *testing.T, want chat.Credentials, n int64) {
	t.Helper()
	if c, err := f.src.Refresh(context.Background()); err != nil || c != want {
		t.Fatalf("Refresh = %v, %v; want key %q", c, err, want.Key)
	}
	f.wantFetches(t, n)
}

func (f *fixture) wantFetches(t *testing.T, n int64) {
	t.Helper()
	if got := f.src.Fetches(); got != n {
		t.Fatalf("Fetches = %d, want %d", got, n)
	}
	if got := f.api.calls.Load(); got != n {
		t.Fatalf("GetSecretValue calls = %d, want %d", got, n)
	}
}

func TestFetchErrors(t *testing.T) {
	t.Parallel()
	apiErr := func(code, msg string) error {
		return &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: &smithy.GenericAPIError{Code: code, Message: msg}}
	}
	tests := []struct {
		name   string
		err    error
		value  *string
		binary []byte
		code   string
	}{
		{"not found", &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}}, nil, nil, secrets.CodeNotFound},
		{"access denied", apiErr("AccessDeniedException", "User is not authorized to perform: secretsmanager:GetSecretValue"), nil, nil, secrets.CodeAccessDenied},
		{"kms decryption failure", &smithy.OperationError{Err: &types.DecryptionFailure{Message: aws.String("Access to KMS is not allowed")}}, nil, nil, secrets.CodeAccessDenied},
		{"kms access denied", apiErr("KMSAccessDeniedException", "not allowed"), nil, nil, secrets.CodeAccessDenied},
		{"bad AWS credentials", apiErr("UnrecognizedClientException", "The security token included in the request is invalid."), nil, nil, secrets.CodeAccessDenied},
		{"internal error", &smithy.OperationError{Err: &types.InternalServiceError{Message: aws.String("oops")}}, nil, nil, secrets.CodeFetchFailed},
		{"throttled", apiErr("ThrottlingException", "Rate exceeded"), nil, nil, secrets.CodeFetchFailed},
		{"marked for deletion", &smithy.OperationError{Err: &types.InvalidRequestException{Message: aws.String("marked for deletion")}}, nil, nil, secrets.CodeFetchFailed},
		{"network", errors.New("dial tcp 10.0.0.1:443: i/o timeout"), nil, nil, secrets.CodeFetchFailed},
		{"binary secret", nil, nil, []byte(secretJSON(1, testKey)), secrets.CodeNotString},
		{"not JSON", nil, aws.String("key=" + testKey), nil, secrets.CodeNotJSON},
		{"no secretKey", nil, aws.String(`{"sdkAppId": 1}`), nil, secrets.CodeFieldMissing},
		{"no sdkAppId", nil, aws.String(`{"secretKey": "` + testKey + `"}`), nil, secrets.CodeFieldMissing},
		{"non-numeric sdkAppId", nil, aws.String(`{"sdkAppId": "app", "secretKey": "` + testKey + `"}`), nil, secrets.CodeFieldInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, secrets.Config{})
			f.api.value, f.api.binary, f.api.err = tt.value, tt.binary, tt.err
			got, err := f.src.Credentials(context.Background())
			if err == nil {
				t.Fatalf("Credentials = %v, want an error", got)
			}
			var e *secrets.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not a *secrets.Error", err, err)
			}
			if e.Code != tt.code || e.SecretID != secretID || e.Message == "" {
				t.Errorf("error = %+v, want code %q", e, tt.code)
			}
			if !strings.HasPrefix(err.Error(), `chat secret "`+secretID+`": `) {
				t.Errorf("error text %q does not name the secret", err)
			}
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), "get secret value: ") {
					t.Errorf("error %q does not wrap the SDK's", err)
				}
			}
			if got := f.api.lastID.Load(); got != secretID {
				t.Errorf("SecretId sent = %v", got)
			}
			assertNoKey(t, err)
		})
	}
}

func TestNotFoundIsTyped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{})
	f.api.fail(&types.ResourceNotFoundException{Message: aws.String("no")})
	_, err := f.src.Credentials(context.Background())
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || secrets.ErrorCode(err) != secrets.CodeNotFound {
		t.Fatalf("error %v: want a ResourceNotFoundException inside a %s", err, secrets.CodeNotFound)
	}
	if secrets.ErrorCode(errors.New("other")) != "" {
		t.Error("ErrorCode of a foreign error is not empty")
	}
}

func TestWarmPathMakesNoFetch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{})
	for i := 0; i < 1000; i++ {
		f.mustCredentials(t, credsA)
		if i%100 == 0 {
			f.clock.Advance(time.Second) // 10 s in all: well inside the TTL
		}
	}
	f.wantFetches(t, 1)
}

func TestTTLExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{TTL: time.Minute})
	f.mustCredentials(t, credsA)
	f.api.set(secretJSON(credsB.SDKAppID, credsB.Key))

	f.clock.Advance(time.Minute - time.Nanosecond)
	f.wantCredentials(t, credsA, 1)

	f.clock.Advance(time.Nanosecond)
	f.wantCredentials(t, credsB, 2)
	f.wantCredentials(t, credsB, 2)
	f.wantLog(t, "chat secret changed", "no log of the change")
}

func TestDefaultTTLIsFiveMinutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{})
	f.mustCredentials(t, credsA)
	f.clock.Advance(5*time.Minute - time.Second)
	f.wantCredentials(t, credsA, 1)
	f.clock.Advance(time.Second)
	f.wantCredentials(t, credsA, 2)
}

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	t.Parallel()
	f := newGatedFixture(t, 100)

	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.src.Credentials(context.Background())
			if err == nil && c != credsA {
				err = fmt.Errorf("got %v", c)
			}
			errs <- err
		}()
	}
	<-f.api.started
	time.Sleep(20 * time.Millisecond) // let the others join the flight
	close(f.api.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.wantFetches(t, 1)
}

func TestStartPrefetches(t *testing.T) {
	t.Parallel()
	f := newGatedFixture(t, 10)

	ctx, cancel := context.WithCancel(context.Background())
	f.src.Start(ctx)
	cancel() // the init context ending does not stop the fetch
	<-f.api.started
	f.src.Start(context.Background()) // joins the flight: no second fetch

	done := make(chan error, 1)
	go func() {
		c, err := f.src.Credentials(context.Background())
		if err == nil && c != credsA {
			err = fmt.Errorf("got %v", c)
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Credentials returned before the prefetch ended: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(f.api.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.src.Start(context.Background()) // cached: nothing to do
	f.wantCredentials(t, credsA, 1)
}

func TestCallerGivesUpWithoutCancellingTheFetch(t *testing.T) {
	t.Parallel()
	f := newGatedFixture(t, 10)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := f.src.Credentials(ctx)
	if secrets.ErrorCode(err) != secrets.CodeFetchFailed || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want %s wrapping the deadline", err, secrets.CodeFetchFailed)
	}
	close(f.api.gate)
	// The fetch went on for the cache; wait for it through a new call.
	f.wantCredentials(t, credsA, 1)
}

func TestFetchTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{FetchTimeout: 10 * time.Millisecond})
	f.api.gate = make(chan struct{}) // never opens
	_, err := f.src.Credentials(context.Background())
	if secrets.ErrorCode(err) != secrets.CodeFetchFailed || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v", err)
	}
}

func TestRefreshRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{})
	ctx := context.Background()
	f.mustCredentials(t, credsA)
	f.api.set(secretJSON(credsB.SDKAppID, credsB.Key))

	// Within 5 s of the cold-start fetch: the cached value, no call.
	f.clock.Advance(4 * time.Second)
	f.mustRefresh(t, credsA, 1)

	// After it: a real re-read, shared by a burst of callers.
	f.clock.Advance(time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := f.src.Refresh(ctx); err != nil || c != credsB {
				t.Errorf("Refresh = %v, %v", c, err)
			}
		}()
	}
	wg.Wait()
	f.wantFetches(t, 1+1)
	f.mustCredentials(t, credsB)

	// And again limited right after.
	f.api.set(secretJSON(credsA.SDKAppID, credsA.Key))
	f.clock.Advance(4 * time.Second)
	f.mustRefresh(t, credsB, 2)

	// A Refresh restarts the TTL.
	f.clock.Advance(5*time.Minute - 4*time.Second - time.Nanosecond)
	f.wantCredentials(t, credsB, 2)
}

func TestRefreshConfigurableInterval(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{MinRefreshInterval: 30 * time.Second})
	f.mustCredentials(t, credsA)
	f.api.set(secretJSON(credsB.SDKAppID, credsB.Key))
	f.clock.Advance(29 * time.Second)
	if c, _ := f.src.Refresh(context.Background()); c != credsA {
		t.Fatalf("Refresh = %v", c)
	}
	f.clock.Advance(time.Second)
	if c, _ := f.src.Refresh(context.Background()); c != credsB {
		t.Fatalf("Refresh = %v", c)
	}
	f.wantFetches(t, 2)
}

func TestRefreshBeforeAnyFetch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{})
	if c, err := f.src.Refresh(context.Background()); err != nil || c != credsA {
		t.Fatalf("Refresh = %v, %v", c, err)
	}
	f.wantCredentials(t, credsA, 1)
}

func TestRefreshFailureKeepsCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{})
	ctx := context.Background()
	f.mustCredentials(t, credsA)
	f.api.fail(&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied"})

	f.clock.Advance(5 * time.Second)
	if _, err := f.src.Refresh(ctx); secrets.ErrorCode(err) != secrets.CodeAccessDenied {
		t.Fatalf("Refresh error = %v, want %s (no stale value from Refresh)", err, secrets.CodeAccessDenied)
	}
	f.wantFetches(t, 2)
	// Within the interval Refresh repeats that outcome without a call.
	if _, err := f.src.Refresh(ctx); secrets.ErrorCode(err) != secrets.CodeAccessDenied {
		t.Fatalf("Refresh error = %v", err)
	}
	f.wantFetches(t, 2)
	// Credentials still serves the value, which is within its TTL.
	f.wantCredentials(t, credsA, 2)
	f.wantLog(t, "keeping the cached value", "no warning logged")
}

func TestStaleOnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{TTL: time.Minute, MaxStale: 2 * time.Minute})
	f.mustCredentials(t, credsA)
	outage := &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: &types.InternalServiceError{Message: aws.String("down")}}
	f.api.fail(outage)

	// The TTL passes during an outage: the old value, one failed call, a
	// warning.
	f.clock.Advance(time.Minute)
	f.wantCredentials(t, credsA, 2)
	if !strings.Contains(f.logs.String(), "serving the cached value past its TTL") || !strings.Contains(f.logs.String(), `"level":"WARN"`) {
		t.Fatalf("no warning logged:\n%s", f.logs.String())
	}
	// No hammering: the next re-read waits for MinRefreshInterval.
	for i := 0; i < 100; i++ {
		f.mustCredentials(t, credsA)
	}
	f.wantFetches(t, 2)
	f.clock.Advance(5 * time.Second)
	f.wantCredentials(t, credsA, 3)

	// MaxStale past the TTL, the error surfaces.
	f.clock.Advance(2*time.Minute - 5*time.Second)
	_, err := f.src.Credentials(context.Background())
	if secrets.ErrorCode(err) != secrets.CodeFetchFailed || !errors.Is(err, outage) {
		t.Fatalf("Credentials error = %v, want the outage", err)
	}
	f.wantFetches(t, 4)
	f.wantLog(t, "too old to serve", "no error logged")
	// Still rate limited while it fails.
	if _, err := f.src.Credentials(context.Background()); err == nil {
		t.Fatal("stale value served past MaxStale")
	}
	f.wantFetches(t, 4)

	// Recovery.
	f.api.set(secretJSON(credsB.SDKAppID, credsB.Key))
	f.clock.Advance(5 * time.Second)
	f.wantCredentials(t, credsB, 5)
}

func TestStaleDisabled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{TTL: time.Minute, MaxStale: -1})
	f.mustCredentials(t, credsA)
	f.api.fail(errors.New("connection reset"))
	f.clock.Advance(time.Minute)
	if _, err := f.src.Credentials(context.Background()); secrets.ErrorCode(err) != secrets.CodeFetchFailed {
		t.Fatalf("error = %v", err)
	}
}

func TestColdStartErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("permanent error is not re-fetched at once", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, secrets.Config{})
		f.api.fail(&types.ResourceNotFoundException{Message: aws.String("no")})
		for i := 0; i < 10; i++ {
			if _, err := f.src.Credentials(ctx); secrets.ErrorCode(err) != secrets.CodeNotFound {
				t.Fatalf("error = %v", err)
			}
		}
		f.wantFetches(t, 1)
		f.api.set(secretJSON(credsA.SDKAppID, credsA.Key))
		f.clock.Advance(5 * time.Second)
		f.wantCredentials(t, credsA, 2)
	})

	t.Run("transient error is retried by the next call", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, secrets.Config{})
		f.api.fail(errors.New("connection reset by peer"))
		if _, err := f.src.Credentials(ctx); secrets.ErrorCode(err) != secrets.CodeFetchFailed {
			t.Fatalf("error = %v", err)
		}
		f.api.set(secretJSON(credsA.SDKAppID, credsA.Key))
		f.wantCredentials(t, credsA, 2)
	})
}

func TestNoKeyInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{TTL: time.Minute})
	f.mustCredentials(t, credsA)
	f.clock.Advance(time.Minute) // past the TTL: every Credentials below re-reads
	for _, broken := range []string{
		`{"sdkAppId": "` + testKey + `", "secretKey": "` + testKey + `"}`,
		`{"sdkAppId": 1, "secretKey": ` + testKey + `}`,
		`{"sdkAppId": 1, "secretKey": "` + testKey,
		testKey,
		`{"sdkAppId": 1, "secretKey": "` + testKey + `", "adminIdentifier": "` + testKey + `"}`,
	} {
		f.api.set(broken)
		f.clock.Advance(5 * time.Second)
		f.mustCredentials(t, credsA) // stale; the failure is logged
		_, err := f.src.Refresh(context.Background())
		if err == nil {
			t.Fatalf("Refresh accepted %q", broken)
		}
		assertNoKey(t, err)
	}
	f.wantFetches(t, 1+5)
	if n := strings.Count(f.logs.String(), "serving the cached value past its TTL"); n != 5 {
		t.Errorf("%d warnings logged, want 5:\n%s", n, f.logs.String())
	}
	for _, s := range []string{fmt.Sprint(credsA), fmt.Sprintf("%v %+v %#v", credsA, credsA, credsA)} {
		if strings.Contains(s, testKey) {
			t.Errorf("credentials print their key: %s", s)
		}
	}
	// The fixture's cleanup checks the log lines.
}

func TestNewSourceValidation(t *testing.T) {
	t.Parallel()
	api := newFake("{}")
	for _, tt := range []struct {
		name string
		api  secrets.API
		cfg  secrets.Config
	}{
		{"no API", nil, secrets.Config{SecretID: "x"}},
		{"no secret ID", api, secrets.Config{}},
		{"negative TTL", api, secrets.Config{SecretID: "x", TTL: -time.Second}},
		{"negative interval", api, secrets.Config{SecretID: "x", MinRefreshInterval: -time.Second}},
	} {
		if _, err := secrets.NewSource(tt.api, tt.cfg); secrets.ErrorCode(err) != secrets.CodeInvalidConfig {
			t.Errorf("%s: error = %v", tt.name, err)
		}
	}
	src, err := secrets.NewSource(api, secrets.Config{SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-AbCdEf"})
	if err != nil || src.SecretID() != "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-AbCdEf" || src.Fetches() != 0 {
		t.Fatalf("NewSource = %v, %v", src, err)
	}
	if api.calls.Load() != 0 {
		t.Error("NewSource called AWS")
	}
}

func BenchmarkCredentialsWarm(b *testing.B) {
	api := newFake(secretJSON(credsA.SDKAppID, credsA.Key))
	src, err := secrets.NewSource(api, secrets.Config{SecretID: secretID, Logger: quietLogger})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := src.Credentials(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := src.Credentials(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	if src.Fetches() != 1 {
		b.Fatalf("Fetches = %d", src.Fetches())
	}
}

// TestStaleWhileSecretsManagerHangs: past the TTL, a re-read that does not
// answer does not hold the invocation: the cached value is served while the
// re-read goes on, and its value is used once it arrives.
func TestStaleWhileSecretsManagerHangs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, secrets.Config{TTL: time.Minute, FetchTimeout: time.Hour})
	f.mustCredentials(t, credsA)
	gate := make(chan struct{})
	f.api.mu.Lock()
	f.api.gate = gate
	f.api.mu.Unlock()
	f.api.set(secretJSON(credsB.SDKAppID, credsB.Key))
	f.clock.Advance(time.Minute)

	// With no deadline on ctx, only StaleWait lets this return while
	// Secrets Manager hangs (FetchTimeout is an hour).
	f.wantCredentials(t, credsA, 2)
	f.mustCredentials(t, credsA) // the re-read under way is joined, not repeated
	f.wantFetches(t, 2)

	close(gate) // Secrets Manager answers at last
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := f.src.Credentials(context.Background())
		if err == nil && c == credsB {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the re-read's value never arrived: %v %v", c, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.wantFetches(t, 2)
}
