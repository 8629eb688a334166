package local_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

// emulatorClient reads the emulator's secret with the real SDK through the
// stand-in, as a function does, and returns a Chat client signing with it.
func emulatorClient(t *testing.T, base string) *chatapi.Client {
	t.Helper()
	sm := secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), BaseEndpoint: aws.String(base),
	})
	src, err := secrets.NewSource(sm, secrets.Config{SecretID: local.EmulatorSecretID})
	if err != nil {
		t.Fatal(err)
	}
	client, err := chatapi.New(chatapi.Config{BaseURL: base, Credentials: src})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func TestEmulatorServesChatAndSecretsOnOnePort(t *testing.T) {
	emu, err := local.NewEmulator("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	ctx := context.Background()
	client := emulatorClient(t, srv.URL)
	if _, err := client.ImportAccounts(ctx, []chat.Account{{UserID: "alice", Nick: "Alice"}}); err != nil {
		t.Fatal(err)
	}
	if a, ok := emu.Chat.Account("alice"); !ok || a.Nick != "Alice" {
		t.Errorf("alice %+v %v", a, ok)
	}
	if emu.Store.Calls() != 1 {
		t.Errorf("secret read %d times through the stand-in", emu.Store.Calls())
	}
	// The ARN the stand-in reports is a name of the same secret.
	sm := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), BaseEndpoint: aws.String(srv.URL)})
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(local.EmulatorSecretARN)})
	if err != nil || !strings.Contains(aws.ToString(out.SecretString), `"secretKey"`) {
		t.Errorf("by ARN: %v", err)
	}
}

func TestEmulatorStateSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	emu, err := local.NewEmulator(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	ctx := context.Background()
	client := emulatorClient(t, srv.URL)
	if _, err := client.ImportAccounts(ctx, []chat.Account{{UserID: "alice", Nick: "Alice"}, {UserID: "bob"}, {UserID: "carol"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Kick(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteAccounts(ctx, []string{"carol"}); err != nil {
		t.Fatal(err)
	}
	creds := emu.Credentials()
	sig := usersig.Generate([]byte(creds.Key), creds.SDKAppID, "alice", time.Now(), time.Hour)
	srv.Close()
	if err := emu.Save(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600: it holds the key", fi.Mode().Perm())
	}

	again, err := local.NewEmulator(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Chat.Accounts(); strings.Join(got, ",") != "alice,bob" {
		t.Errorf("accounts after restart %v, want alice,bob", got)
	}
	if a, _ := again.Chat.Account("alice"); a.Nick != "Alice" {
		t.Errorf("alice's Nick %q after restart", a.Nick)
	}
	if _, kicked := again.Chat.KickedAt("bob"); !kicked {
		t.Error("bob's kick forgotten")
	}
	if again.Credentials() != creds {
		t.Error("the key changed across the restart")
	}
	if err := again.Chat.Login("alice", sig); err != nil {
		t.Errorf("a UserSig issued before the restart: %v", err)
	}
}

func TestEmulatorRefusesABadStateFile(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"not json":    "accounts: alice",
		"no key":      `{"version":1,"sdkAppId":1400000000,"adminIdentifier":"administrator","accounts":[]}`,
		"bad version": `{"version":2,"sdkAppId":1400000000,"adminIdentifier":"administrator","secretKey":"k"}`,
		"bad account": `{"version":1,"sdkAppId":1400000000,"adminIdentifier":"administrator","secretKey":"k","accounts":[{"UserID":""}]}`,
		"duplicate":   `{"version":1,"sdkAppId":1400000000,"adminIdentifier":"administrator","secretKey":"k","accounts":[{"UserID":"a"},{"UserID":"a"}]}`,
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := local.NewEmulator(p)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), `"k"`) || !strings.Contains(err.Error(), "state file") {
			t.Errorf("%s: error %q", name, err)
		}
	}
}

func TestEmulatorEnv(t *testing.T) {
	got := local.EmulatorEnv("http://198.18.0.1:8400/")
	want := []string{"CHAT_BASE_URL=http://198.18.0.1:8400", "CHAT_SECRET_ID=" + local.EmulatorSecretID, "AWS_ENDPOINT_URL_SECRETS_MANAGER=http://198.18.0.1:8400"}
	if b, _ := json.Marshal(got); string(b) != mustJSON(want) {
		t.Errorf("EmulatorEnv = %v, want %v", got, want)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
