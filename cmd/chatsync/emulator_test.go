package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/internal/syncbuf"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/secrets"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// runEmulator runs `chatsync emulator` on a free port and returns the
// environment it printed, and a stop function that ends it as SIGINT does
// and returns its exit status.
func runEmulator(t *testing.T, args ...string) (map[string]string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	c := &cli{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() { done <- c.run(ctx, append([]string{"emulator", "-addr", "127.0.0.1:0"}, args...)) }()
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			if !strings.Contains(stderr.String(), "chatsync emulator: stopped") {
				t.Errorf("no stop line:\n%s", stderr)
			}
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("emulator did not stop after its context ended")
			return -1
		}
	}
	re := regexp.MustCompile(`(?m)^AWS_ENDPOINT_URL_SECRETS_MANAGER=\S+$`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if re.MatchString(stdout.String()) {
			env := map[string]string{}
			for line := range strings.Lines(stdout.String()) {
				if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
					env[k] = v
				}
			}
			env["output"] = stdout.String() + stderr.String()
			return env, stop
		}
	}
	cancel()
	t.Fatalf("emulator did not start:\n%s%s", stdout, stderr)
	return nil, nil
}

// clientFor is what a function does with the printed environment: the
// secret from the stand-in through the real SDK, then the Chat client.
func clientFor(t *testing.T, env map[string]string) (*chatapi.Client, *secrets.Source) {
	t.Helper()
	sm := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("defaultkey", "defaultsecret", ""),
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL_SECRETS_MANAGER"])})
	src, err := secrets.NewSource(sm, secrets.Config{SecretID: env["CHAT_SECRET_ID"]})
	if err != nil {
		t.Fatal(err)
	}
	client, err := chatapi.New(chatapi.Config{BaseURL: env["CHAT_BASE_URL"], Credentials: src})
	if err != nil {
		t.Fatal(err)
	}
	return client, src
}

func TestEmulatorCommand(t *testing.T) {
	state := filepath.Join(t.TempDir(), "emulator.json")
	env, stop := runEmulator(t, "-state", state)
	if env["CHAT_SECRET_ID"] != local.EmulatorSecretID || env["CHAT_BASE_URL"] == "" || env["CHAT_BASE_URL"] != env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] {
		t.Fatalf("printed environment %v", env)
	}
	ctx := context.Background()
	client, src := clientFor(t, env)
	if _, err := client.ImportAccounts(ctx, []chat.Account{{UserID: "alice"}, {UserID: "bob"}}); err != nil {
		t.Fatal(err)
	}
	creds, err := src.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(env["output"], creds.Key) {
		t.Error("the emulator printed its key")
	}

	// A second run on the same state file has the accounts and the key.
	env, stop = runEmulator(t, "-state", state)
	defer stop()
	client, src = clientFor(t, env)
	res, err := client.CheckAccounts(ctx, []string{"alice", "bob", "carol"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range res.Items {
		got[it.UserID] = it.AccountStatus
	}
	if got["alice"] != "Imported" || got["bob"] != "Imported" || got["carol"] != "NotImported" {
		t.Errorf("after a restart: %v", got)
	}
	again, err := src.Credentials(ctx)
	if err != nil || again != creds {
		t.Errorf("the key changed across the restart (%v)", err)
	}
	if b, _ := os.ReadFile(state); !strings.Contains(string(b), `"alice"`) {
		t.Errorf("state file lacks alice:\n%s", b)
	}
}

func TestEmulatorCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"-addr", "nope"}, {"extra"}} {
		c := &cli{stdin: strings.NewReader(""), stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, getenv: func(string) string { return "" }}
		if code := c.run(context.Background(), append([]string{"emulator"}, args...)); code != exitUsage {
			t.Errorf("emulator %v: exit %d, want %d", args, code, exitUsage)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{"), 0o600)
	stderr := &syncbuf.Buffer{}
	c := &cli{stdin: strings.NewReader(""), stdout: &syncbuf.Buffer{}, stderr: stderr, getenv: func(string) string { return "" }}
	if code := c.run(context.Background(), []string{"emulator", "-addr", "127.0.0.1:0", "-state", bad}); code != exitFailure || !strings.Contains(stderr.String(), "state file") {
		t.Errorf("bad state file: exit %d, %s", code, stderr)
	}
}
