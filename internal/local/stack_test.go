package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

const testKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

func TestStartEmulator(t *testing.T) {
	var logs bytes.Buffer
	s, err := local.StartEmulator(context.Background(), local.Options{Logger: local.NewLogger(&logs, slog.LevelInfo)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Real || s.Emulator == nil || s.Store == nil || s.Secrets == nil {
		t.Fatalf("stack %+v", s)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := s.Client.ImportAccount(ctx, chat.Account{UserID: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Store.Calls(); n != 1 {
		t.Errorf("%d secret fetches, want 1", n)
	}
	fn, timeout, ok := s.Function("delete")
	if !ok || timeout != local.DeleteTimeout || fn == nil {
		t.Fatalf("Function(delete) = %v, %v, %v", fn, timeout, ok)
	}
	reply, id, err := local.Invoke(ctx, fn, "DeleteFunction", timeout, []byte(`{"DeleteItem":[{"UserID":"alice"}]}`))
	if err != nil || !strings.Contains(string(reply), `"ResultCode":0`) {
		t.Fatalf("reply %s, %v", reply, err)
	}
	if !strings.Contains(logs.String(), `"requestId":"`+id+`"`) {
		t.Errorf("no log line with the request ID %s:\n%s", id, logs.String())
	}
	for _, leak := range []string{s.Emulator.Credentials().Key, "usersig", "eJw"} {
		if strings.Contains(s.Backend+logs.String(), leak) {
			t.Errorf("backend line or logs leak %q", leak)
		}
	}
	if _, _, ok := s.Function("ImportFunction"); !ok {
		t.Error("Function(ImportFunction) not found")
	}
	if _, _, ok := s.Function("other"); ok {
		t.Error("Function(other) found")
	}
}

func TestConnectWithCredentials(t *testing.T) {
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000001, Key: testKey})
	creds := chat.Credentials{SDKAppID: 1400000001, Admin: "administrator", Key: testKey}
	s, err := local.Connect(context.Background(), local.Remote{BaseURL: emu.URL, Credentials: &creds}, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Real || s.Emulator != nil || s.Secrets != nil {
		t.Errorf("stack %+v", s)
	}
	if strings.Contains(s.Backend, testKey) || !strings.Contains(s.Backend, emu.URL) {
		t.Errorf("backend %q", s.Backend)
	}
	reply, _, err := local.Invoke(context.Background(), s.Import, "ImportFunction", time.Second, []byte(`{"UserID":"bob"}`))
	if err != nil || !emu.Has("bob") {
		t.Fatalf("reply %s, %v; imported %v", reply, err, emu.Has("bob"))
	}
}

func TestConnectErrors(t *testing.T) {
	good := chat.Credentials{SDKAppID: 1, Admin: "administrator", Key: "k"}
	tests := []struct {
		name string
		r    local.Remote
		want string
	}{
		{"no key", local.Remote{Region: "singapore"}, "no Chat key"},
		{"bad credentials", local.Remote{Region: "singapore", Credentials: &chat.Credentials{Admin: "a", Key: "k"}}, "sdkAppId is missing"},
		{"unknown region", local.Remote{Region: "mars", Credentials: &good}, `unknown Chat region "mars"`},
		{"plain http to a remote host", local.Remote{BaseURL: "http://example.com", Credentials: &good}, "https is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := local.Connect(context.Background(), tt.r, local.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// TestConnectWithoutChat: with no Chat region or base URL the stack signs
// UserSigs only (the UserSig function makes no Chat call); the functions
// that call Chat are not there, rather than pointed at a guessed endpoint.
func TestConnectWithoutChat(t *testing.T) {
	good := chat.Credentials{SDKAppID: 1, Admin: "administrator", Key: "k"}
	s, err := local.Connect(context.Background(), local.Remote{Credentials: &good}, local.Options{})
	if err != nil {
		t.Fatalf("Connect without a region: %v", err)
	}
	if s.Client != nil || s.Import != nil || s.Delete != nil || s.UserSig == nil {
		t.Errorf("client %v, import %v, delete %v, usersig %v: want only the UserSig function", s.Client != nil, s.Import != nil, s.Delete != nil, s.UserSig != nil)
	}
	for name, want := range map[string]bool{"ImportFunction": false, "DeleteFunction": false, "UserSigFunction": true} {
		if _, _, ok := s.Function(name); ok != want {
			t.Errorf("Function(%s) ok = %v, want %v", name, ok, want)
		}
	}
}

func TestSecretStore(t *testing.T) {
	store := local.NewSecretStore()
	store.Put("app", `{"sdkAppId":"1400000000","secretKey":"k"}`)
	src, err := secrets.NewSource(store, secrets.Config{SecretID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := src.Credentials(context.Background())
	if err != nil || c.SDKAppID != 1400000000 || c.Key != "k" || c.Admin != secrets.DefaultAdmin {
		t.Fatalf("credentials %v, %v", c, err)
	}
	missing, _ := secrets.NewSource(store, secrets.Config{SecretID: "other"})
	if _, err := missing.Credentials(context.Background()); secrets.ErrorCode(err) != secrets.CodeNotFound {
		t.Errorf("missing secret: %v, want %s", err, secrets.CodeNotFound)
	}
	if store.Calls() != 2 {
		t.Errorf("%d calls, want 2", store.Calls())
	}
}

// fnFunc adapts a function to local.Function.
type fnFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f fnFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) { return f(ctx, payload) }

type customError struct{}

func (*customError) Error() string { return "custom" }

func TestInvoke(t *testing.T) {
	t.Run("context", func(t *testing.T) {
		var (
			lc       *lambdacontext.LambdaContext
			deadline time.Time
		)
		_, id, err := local.Invoke(context.Background(), fnFunc(func(ctx context.Context, p []byte) ([]byte, error) {
			lc, _ = lambdacontext.FromContext(ctx)
			deadline, _ = ctx.Deadline()
			return p, nil
		}), "ImportFunction", time.Minute, []byte("{}"))
		if err != nil || lc == nil || lc.AwsRequestID != id || len(id) != 36 {
			t.Fatalf("lambda context %+v, id %q, %v", lc, id, err)
		}
		if !strings.HasSuffix(lc.InvokedFunctionArn, ":function:ImportFunction") {
			t.Errorf("ARN %q", lc.InvokedFunctionArn)
		}
		if left := time.Until(deadline); left < 50*time.Second || left > time.Minute {
			t.Errorf("deadline in %v, want about a minute", left)
		}
	})
	tests := []struct {
		name     string
		fn       fnFunc
		wantType string
	}{
		{"error", func(context.Context, []byte) ([]byte, error) { return nil, errors.New("boom") }, "errorString"},
		{"custom error", func(context.Context, []byte) ([]byte, error) { return nil, &customError{} }, "customError"},
		{"panic", func(context.Context, []byte) ([]byte, error) { panic("boom") }, "Runtime.Panic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, id, err := local.Invoke(context.Background(), tt.fn, "F", 0, nil)
			var fe *local.FunctionError
			if !errors.As(err, &fe) || fe.Type != tt.wantType || reply != nil || id == "" {
				t.Fatalf("reply %s, err %#v, id %q", reply, err, id)
			}
			b, _ := json.Marshal(fe)
			if !strings.Contains(string(b), `"errorMessage"`) || !strings.Contains(string(b), `"errorType":"`+tt.wantType+`"`) {
				t.Errorf("error document %s", b)
			}
		})
	}
}

func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := local.NewRequestID()
		if len(id) != 36 || id[14] != '4' || strings.Count(id, "-") != 4 || seen[id] {
			t.Fatalf("bad or repeated request ID %q", id)
		}
		seen[id] = true
	}
}

// TestEventErrorType: a payload that is no event is a function error whose
// errorType names the project's error, not a Go internal (wrapError).
func TestEventErrorType(t *testing.T) {
	s, err := local.StartEmulator(context.Background(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, fn := range []local.Function{s.Import, s.Delete} {
		_, _, err := local.Invoke(context.Background(), fn, "F", time.Second, []byte(`{}`))
		var fe *local.FunctionError
		if !errors.As(err, &fe) || fe.Type != "EventError" || !strings.Contains(fe.Message, "unrecognized event") {
			t.Errorf("function error %#v, want errorType EventError", err)
		}
	}
}
