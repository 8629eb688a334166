package handler_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// sigRecorder wraps the emulator and remembers every UserSig sent to it,
// so the leak test can search for the real ones.
type sigRecorder struct {
	next http.Handler
	mu   sync.Mutex
	sigs map[string]bool
}

func (s *sigRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if sig := r.URL.Query().Get("usersig"); sig != "" {
		s.mu.Lock()
		s.sigs[sig] = true
		s.mu.Unlock()
	}
	s.next.ServeHTTP(w, r)
}

// secretMaker starts moto and returns its Secrets Manager client, and a
// function that stores a secret of value under a new name (starting with
// prefix) and returns the name.
func secretMaker(t *testing.T, prefix string) (*secretsmanager.Client, func(value string) string) {
	sm := secretsmanager.NewFromConfig(moto.Start(t).Config())
	return sm, func(value string) string {
		id := moto.UniqueName(t, prefix)
		if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
		return id
	}
}

// TestNoSecretsLeak drives both handlers through every failure path (the
// secret missing, malformed with the key inside, a wrong key; Chat errors,
// an unreachable Chat, timeouts) with every kind of event, and searches all
// log lines, replies and function errors for the key, the UserSigs that were
// really sent and any signed URL.
func TestNoSecretsLeak(t *testing.T) {
	sm, secret := secretMaker(t, "leak")
	const wrongKey = "wrong-key-0123456789abcdef0123456789abcdef0123456789abcdef012345"
	good := secret(`{"sdkAppId":1400000000,"secretKey":"` + testKey + `"}`)

	emu := chatemu.New(chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	rec := &sigRecorder{next: emu, sigs: map[string]bool{}}
	ts := httptest.NewServer(rec)
	defer func() {
		emu.ClearFaults()
		ts.CloseClientConnections()
		ts.Close()
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + ln.Addr().String()
	ln.Close()

	scenarios := []struct {
		name     string
		secretID string
		baseURL  string
		fault    *chatemu.Fault
		timeout  time.Duration
	}{
		{"secret not found", "no-such-secret-" + moto.UniqueName(t, "x"), ts.URL, nil, 5 * time.Second},
		{"secret malformed with the key inside", secret(`{"sdkAppId":"not-a-number","secretKey":"` + testKey + `"}`), ts.URL, nil, 5 * time.Second},
		{"secret not JSON with the key inside", secret(`secretKey=` + testKey), ts.URL, nil, 5 * time.Second},
		{"wrong key", secret(`{"sdkAppId":1400000000,"secretKey":"` + wrongKey + `"}`), ts.URL, nil, 5 * time.Second},
		{"Chat errors", good, ts.URL, &chatemu.Fault{Code: 70500, Times: 1 << 20}, 5 * time.Second},
		{"Chat refuses", good, ts.URL, &chatemu.Fault{Code: 70402, Times: 1 << 20}, 5 * time.Second},
		{"Chat 502", good, ts.URL, &chatemu.Fault{Status: 502, Times: 1 << 20}, 5 * time.Second},
		{"Chat drops connections", good, ts.URL, &chatemu.Fault{Drop: true, Times: 1 << 20}, 5 * time.Second},
		{"Chat unreachable", good, unreachable, nil, 5 * time.Second},
		{"timeouts", good, ts.URL, &chatemu.Fault{Delay: 10 * time.Second, Times: 1 << 20}, 700 * time.Millisecond},
	}
	payloads := map[string][]string{
		"import": {
			`{"UserID":"leak1","Nick":"N"}`,
			`{"AccountList":[{"UserID":"leak2"},{"UserID":"leak3"}]}`,
			string(mustJSON(t, httpV2("POST", "/accounts", `{"UserID":"leak4"}`))),
			string(signUp("PostConfirmation_ConfirmSignUp", subAttrs)),
			`{"Records":[{"messageId":"m1","eventSource":"aws:sqs","body":"{\"version\":1,\"account\":{\"UserID\":\"leak5\"}}"}]}`,
		},
		"delete": {
			`{"DeleteItem":[{"UserID":"leak1"}]}`,
			string(mustJSON(t, httpV2("DELETE", "/accounts/leak4", ""))),
			string(mustJSON(t, httpV2("POST", "/accounts/delete", `{"DeleteItem":[{"UserID":"leak2"}]}`))),
		},
	}
	var output strings.Builder
	for _, sc := range scenarios {
		emu.ClearFaults()
		if sc.fault != nil {
			emu.Inject(*sc.fault)
		}
		logs := &logBuffer{}
		log := slog.New(slog.NewJSONHandler(logs, nil))
		src, err := secrets.NewSource(sm, secrets.Config{SecretID: sc.secretID, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		client, err := chatapi.New(chatapi.Config{BaseURL: sc.baseURL, Credentials: src, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		hs := map[string]invoker{
			"import": handler.NewImportHandler(handler.ImportConfig{Chat: client, Logger: log, CognitoBudget: sc.timeout}),
			"delete": handler.NewDeleteHandler(handler.DeleteConfig{Chat: client, Logger: log}),
		}
		for fn, list := range payloads {
			for _, p := range list {
				ictx, cancel := invocation(sc.timeout)
				out, err := hs[fn].Invoke(ictx, []byte(p))
				cancel()
				output.Write(out)
				if err != nil {
					output.WriteString(err.Error())
				}
			}
		}
		output.WriteString(logs.String())
		if !strings.Contains(logs.String(), "failed") && !strings.Contains(logs.String(), "lost import") {
			t.Errorf("%s: no failure was logged; the scenario tests nothing:\n%s", sc.name, logs)
		}
	}
	all := output.String()
	forbidden := []string{testKey, wrongKey, "usersig=", "sdkappid=", "identifier=administrator"}
	rec.mu.Lock()
	sigs := len(rec.sigs)
	for sig := range rec.sigs {
		forbidden = append(forbidden, sig)
	}
	rec.mu.Unlock()
	if sigs == 0 {
		t.Fatal("no UserSig reached the emulator")
	}
	for _, f := range forbidden {
		if strings.Contains(all, f) {
			i := strings.Index(all, f)
			t.Errorf("output leaks %.20q… near %q", f, all[max(0, i-80):min(len(all), i+80)])
		}
	}
	t.Logf("searched %d bytes of replies, errors and logs for %d secrets (%d real UserSigs)", len(all), len(forbidden), sigs)
}
