package secrets_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/testclock"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	chatconfig "github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

func TestMain(m *testing.M) { moto.Main(m) }

// motoSecret creates a secret with a unique name on the shared moto server
// and returns a client and the name.
func motoSecret(t *testing.T, value string) (*secretsmanager.Client, string) {
	t.Helper()
	client := secretsmanager.NewFromConfig(moto.Shared(t).Config())
	name := moto.UniqueName(t, "chat")
	if _, err := client.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	return client, name
}

// motoClocked is a Source with its own clock, on a fresh moto secret that
// holds credsA.
func motoClocked(t *testing.T) (*secretsmanager.Client, string, *testclock.Clock, *secrets.Source) {
	t.Helper()
	client, name := motoSecret(t, secretJSON(credsA.SDKAppID, credsA.Key))
	clk := newClock()
	return client, name, clk, motoSource(t, client, name, clk)
}

func motoSource(t *testing.T, client *secretsmanager.Client, id string, clk *testclock.Clock) *secrets.Source {
	t.Helper()
	cfg := secrets.Config{SecretID: id, TTL: time.Minute, Logger: quietLogger}
	if clk != nil {
		cfg.Now = clk.Now
	}
	src, err := secrets.NewSource(client, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestMotoFetch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name, value string
		want        chat.Credentials
	}{
		{"number", secretJSON(credsA.SDKAppID, credsA.Key), credsA},
		{"string app ID, default admin", `{"sdkAppId": "1400000123", "secretKey": "k1", "extra": true}`, chat.Credentials{SDKAppID: 1400000123, Admin: "administrator", Key: "k1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, name := motoSecret(t, tt.value)
			src := motoSource(t, client, name, nil)
			for i := 0; i < 100; i++ {
				got, err := src.Credentials(ctx)
				if err != nil || got != tt.want {
					t.Fatalf("Credentials = %v, %v; want %v", got, err, tt.want)
				}
			}
			if src.Fetches() != 1 {
				t.Errorf("Fetches = %d, want 1", src.Fetches())
			}
		})
	}

	t.Run("by ARN", func(t *testing.T) {
		t.Parallel()
		client := secretsmanager.NewFromConfig(moto.Shared(t).Config())
		out, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(moto.UniqueName(t, "arn")), SecretString: aws.String(secretJSON(credsA.SDKAppID, credsA.Key))})
		if err != nil {
			t.Fatal(err)
		}
		src := motoSource(t, client, aws.ToString(out.ARN), nil)
		if got, err := src.Credentials(ctx); err != nil || got != credsA {
			t.Fatalf("Credentials = %v, %v", got, err)
		}
	})
}

func TestMotoErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		client := secretsmanager.NewFromConfig(moto.Shared(t).Config())
		name := moto.UniqueName(t, "absent")
		_, err := motoSource(t, client, name, nil).Credentials(ctx)
		var nf *types.ResourceNotFoundException
		if secrets.ErrorCode(err) != secrets.CodeNotFound || !errors.As(err, &nf) {
			t.Fatalf("error = %v, want %s", err, secrets.CodeNotFound)
		}
		t.Log(err)
	})

	for _, tt := range []struct{ name, value, code string }{
		{"not JSON", "sdkAppId=1 secretKey=" + testKey, secrets.CodeNotJSON},
		{"no secretKey", `{"sdkAppId": 1400000000}`, secrets.CodeFieldMissing},
		{"non-numeric sdkAppId", `{"sdkAppId": "abc", "secretKey": "` + testKey + `"}`, secrets.CodeFieldInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, name := motoSecret(t, tt.value)
			_, err := motoSource(t, client, name, nil).Credentials(ctx)
			if secrets.ErrorCode(err) != tt.code {
				t.Fatalf("error = %v, want %s", err, tt.code)
			}
			assertNoKey(t, err)
		})
	}

	t.Run("binary secret", func(t *testing.T) {
		t.Parallel()
		client := secretsmanager.NewFromConfig(moto.Shared(t).Config())
		name := moto.UniqueName(t, "bin")
		if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretBinary: []byte(secretJSON(1, testKey))}); err != nil {
			t.Fatal(err)
		}
		_, err := motoSource(t, client, name, nil).Credentials(ctx)
		if secrets.ErrorCode(err) != secrets.CodeNotString {
			t.Fatalf("error = %v, want %s", err, secrets.CodeNotString)
		}
		assertNoKey(t, err)
	})
}

// TestMotoRotation rotates the key with PutSecretValue, as a rotation
// function does, and checks when the Source sees the new version.
func TestMotoRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, name, clk, src := motoClocked(t)
	put := func(c chat.Credentials) {
		t.Helper()
		if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(secretJSON(c.SDKAppID, c.Key))}); err != nil {
			t.Fatalf("PutSecretValue: %v", err)
		}
	}
	check := func(get func(context.Context) (chat.Credentials, error), want chat.Credentials, fetches int64) {
		t.Helper()
		got, err := get(ctx)
		if err != nil || got != want {
			t.Fatalf("got %v (key %q), %v; want key %q", got, got.Key, err, want.Key)
		}
		if src.Fetches() != fetches {
			t.Fatalf("Fetches = %d, want %d", src.Fetches(), fetches)
		}
	}

	check(src.Credentials, credsA, 1)
	put(credsB)
	check(src.Credentials, credsA, 1) // cached
	clk.Advance(time.Second)
	check(src.Refresh, credsA, 1) // rate limited: within 5 s of the last fetch
	clk.Advance(4 * time.Second)
	check(src.Refresh, credsB, 2) // Chat refused the old key: re-read
	check(src.Credentials, credsB, 2)

	// Rotating back is seen once the TTL has passed.
	put(credsA)
	clk.Advance(time.Minute - time.Nanosecond)
	check(src.Credentials, credsB, 2)
	clk.Advance(time.Nanosecond)
	check(src.Credentials, credsA, 3)
}

// TestMotoStaleAfterDelete deletes the secret under a warm Source.
func TestMotoStaleAfterDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, name, clk, src := motoClocked(t)
	if _, err := src.Credentials(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if got, err := src.Credentials(ctx); err != nil || got != credsA {
		t.Fatalf("Credentials after the TTL = %v, %v; want the stale value", got, err)
	}
	clk.Advance(5 * time.Second)
	if _, err := src.Refresh(ctx); secrets.ErrorCode(err) != secrets.CodeNotFound {
		t.Fatalf("Refresh error = %v, want %s", err, secrets.CodeNotFound)
	}
	clk.Advance(secrets.DefaultMaxStale)
	if _, err := src.Credentials(ctx); secrets.ErrorCode(err) != secrets.CodeNotFound {
		t.Fatalf("Credentials past MaxStale: error = %v, want %s", err, secrets.CodeNotFound)
	}
	if src.Fetches() != 4 {
		t.Errorf("Fetches = %d, want 4", src.Fetches())
	}
}

// TestMotoFromEnvironment builds everything from the environment, as the
// Lambdas do: AWS_ENDPOINT_URL_SECRETS_MANAGER, CHAT_SECRET_ID,
// CHAT_SECRET_TTL.
func TestMotoFromEnvironment(t *testing.T) {
	srv := moto.Shared(t)
	_, name := motoSecret(t, secretJSON(credsA.SDKAppID, credsA.Key))
	t.Setenv("HOME", t.TempDir())
	srv.SetEnv(t)
	t.Setenv("CHAT_SECRET_ID", name)
	t.Setenv("CHAT_SECRET_TTL", "2m")
	t.Setenv("CHAT_REGION", "singapore")

	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := chatconfig.Load(os.Getenv)
	if err != nil || fc.SecretTTL != 2*time.Minute {
		t.Fatalf("config.Load = %+v, %v", fc, err)
	}
	src, err := secrets.NewSource(secretsmanager.NewFromConfig(awsCfg), secrets.Config{SecretID: fc.SecretID, TTL: fc.SecretTTL, Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	src.Start(ctx)
	if got, err := src.Credentials(ctx); err != nil || got != credsA {
		t.Fatalf("Credentials = %v, %v", got, err)
	}
	if src.Fetches() != 1 {
		t.Errorf("Fetches = %d", src.Fetches())
	}
}
