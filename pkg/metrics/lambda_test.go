package metrics_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

func TestMain(m *testing.M) { moto.Main(m) }

const key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

// TestInvocationDocuments runs the import function's parts as a Lambda
// process does (the secret in Secrets Manager on moto, its fetch started at
// init; the Chat client on the emulator; the import handler wrapped in
// metrics.Handler) and reads back the EMF document of each invocation.
// Not parallel: it owns the process-wide pending counts.
func TestInvocationDocuments(t *testing.T) {
	ctx := context.Background()
	metrics.NewRecorder().TakePending()

	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: key})
	sm := secretsmanager.NewFromConfig(moto.Shared(t).Config())
	name := moto.UniqueName(t, "chat")
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name),
		SecretString: aws.String(`{"sdkAppId": 1400000000, "secretKey": "` + key + `"}`)}); err != nil {
		t.Fatal(err)
	}
	var logs, stdout bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	src, err := secrets.NewSource(sm, secrets.Config{SecretID: name, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	src.Start(ctx) // at init: no invocation yet
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: src})
	if err != nil {
		t.Fatal(err)
	}
	em, err := metrics.NewEmitter(&stdout, metrics.Config{Function: "import"})
	if err != nil {
		t.Fatal(err)
	}
	h := metrics.NewHandler(handler.NewImportHandler(handler.ImportConfig{Chat: client, Logger: log}), em, log)

	steps := []struct {
		fault                                       *chatemu.Fault
		calls, retries, chatErrors, latencies, sfet int64
	}{
		{calls: 1, latencies: 1, sfet: 1}, // cold: the init's fetch is reported here
		{fault: &chatemu.Fault{Code: 70500, Times: 1}, calls: 2, retries: 1, chatErrors: 1, latencies: 2}, // warm, one transient error
	}
	for i, st := range steps {
		if st.fault != nil {
			emu.Inject(*st.fault)
		}
		stdout.Reset()
		ictx := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "req-" + string(rune('a'+i))})
		reply, err := h.Invoke(ictx, []byte(`{"UserID":"alice","Nick":"Alice"}`))
		if err != nil || !bytes.Contains(reply, []byte(`"ActionStatus":"OK"`)) {
			t.Fatalf("invocation %d: %s, %v", i, reply, err)
		}
		doc := stdout.Bytes()
		if i == 0 {
			t.Logf("EMF document of a cold invocation:\n%s", doc)
		}
		var s metrics.Summary
		if ok, err := s.ParseLine(doc); !ok || err != nil || bytes.Count(doc, []byte("\n")) != 1 {
			t.Fatalf("invocation %d: not one EMF document (%v, %v): %s", i, ok, err, doc)
		}
		got := [5]int64{s.Count(metrics.ChatCalls), s.Count(metrics.Retries), s.Count(metrics.ChatErrors), s.Count(metrics.ChatLatency), s.Count(metrics.SecretFetches)}
		want := [5]int64{st.calls, st.retries, st.chatErrors, st.latencies, st.sfet}
		if got != want {
			t.Errorf("invocation %d: ChatCalls, Retries, ChatErrors, latencies, SecretFetches = %v, want %v\n%s", i, got, want, doc)
		}
		if !bytes.Contains(doc, []byte(`"requestId":"req-`)) {
			t.Errorf("invocation %d: no request ID: %s", i, doc)
		}
		for _, secret := range []string{key, "usersig", "eJ"} {
			if strings.Contains(string(doc), secret) {
				t.Errorf("invocation %d: the document carries %q", i, secret)
			}
		}
		if strings.Contains(logs.String(), key) {
			t.Errorf("invocation %d: a log line carries the key", i)
		}
	}
	if src.Fetches() != 1 {
		t.Errorf("GetSecretValue calls = %d, want 1", src.Fetches())
	}
}
