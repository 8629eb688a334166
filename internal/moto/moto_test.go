package moto_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

func TestConfigReachesAllServices(t *testing.T) {
	t.Parallel()
	srv := moto.Shared(t)
	ctx := context.Background()
	cfg := srv.Config()

	name := moto.UniqueName(t, "secret")
	sm := secretsmanager.NewFromConfig(cfg)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(`{"a":1}`)}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil || aws.ToString(out.SecretString) != `{"a":1}` {
		t.Fatalf("GetSecretValue = %v, %v", out, err)
	}

	q, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, "q"))})
	if err != nil || aws.ToString(q.QueueUrl) == "" {
		t.Fatalf("CreateQueue = %v, %v", q, err)
	}

	p, err := cognitoidentityprovider.NewFromConfig(cfg).CreateUserPool(ctx, &cognitoidentityprovider.CreateUserPoolInput{PoolName: aws.String(moto.UniqueName(t, "pool"))})
	if err != nil || p.UserPool == nil || aws.ToString(p.UserPool.Id) == "" {
		t.Fatalf("CreateUserPool = %v, %v", p, err)
	}
}

// TestSetEnv builds the configuration the way a Lambda does, from the
// environment alone.
func TestSetEnv(t *testing.T) {
	srv := moto.Shared(t)
	t.Setenv("HOME", t.TempDir())
	srv.SetEnv(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != moto.Region {
		t.Errorf("region = %q", cfg.Region)
	}
	name := moto.UniqueName(t, "")
	if _, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("x")}); err != nil {
		t.Fatalf("CreateSecret through AWS_ENDPOINT_URL_SECRETS_MANAGER: %v", err)
	}
	if _, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}); err != nil {
		t.Fatalf("CreateQueue through AWS_ENDPOINT_URL_SQS: %v", err)
	}
	if _, err := cognitoidentityprovider.NewFromConfig(cfg).ListUserPools(ctx, &cognitoidentityprovider.ListUserPoolsInput{MaxResults: aws.Int32(1)}); err != nil {
		t.Fatalf("ListUserPools through AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: %v", err)
	}
	for _, k := range moto.EndpointEnv {
		if got := os.Getenv(k); got != srv.URL {
			t.Errorf("%s = %q, want %q", k, got, srv.URL)
		}
	}
}

// TestStartStop checks that a private server answers, and that Stop ends
// its whole process group.
func TestStartStop(t *testing.T) {
	t.Parallel()
	srv := moto.Start(t)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(srv.URL) {
		t.Fatalf("URL = %q", srv.URL)
	}
	resp, err := http.Get(srv.URL + "/moto-api/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := srv.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	srv.Stop() // idempotent
	client := &http.Client{Timeout: time.Second}
	if resp, err := client.Get(srv.URL + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Fatal("server still answers after Stop")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Logf("after Stop: %v", err)
	}
}

func TestUniqueName(t *testing.T) {
	t.Parallel()
	a, b := moto.UniqueName(t, "p"), moto.UniqueName(t, "p")
	if a == b {
		t.Fatalf("two names alike: %q", a)
	}
	if !strings.HasPrefix(a, "p-TestUniqueName-") {
		t.Errorf("name = %q", a)
	}
	t.Run("long/sub test with spaces and ünïcode "+strings.Repeat("x", 80), func(t *testing.T) {
		n := moto.UniqueName(t, "prefix")
		if len(n) > 64 || !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(n) {
			t.Errorf("name = %q (%d bytes)", n, len(n))
		}
	})
}

// TestMissingBinary runs Start with a PATH that has no moto_server: it
// skips, except with CI=true, where it fails.
func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, ci := range []string{"", "false", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			rec := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				moto.Start(rec)
			}()
			<-done
			wantFatal := ci == "true"
			if rec.fatal != wantFatal || rec.skip == wantFatal {
				t.Errorf("fatal=%v skip=%v, want fatal=%v; message %q", rec.fatal, rec.skip, wantFatal, rec.msg)
			}
			if !strings.Contains(rec.msg, "moto_server is not on PATH") {
				t.Errorf("message = %q", rec.msg)
			}
		})
	}
}

// recorder captures Skip and Fatal without ending the real test; both end
// the calling goroutine as the testing package does.
type recorder struct {
	testing.TB
	fatal, skip bool
	msg         string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skip, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
