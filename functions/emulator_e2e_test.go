package functions_test

import (
	"context"
	"encoding/json"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// TestBootstrapsAgainstChatsyncEmulator runs the compiled functions with
// nothing but the environment `chatsync emulator` prints (and placeholder
// AWS credentials, as SAM gives its containers): their real Secrets Manager
// client reads the key from the emulator's stand-in, their Chat client
// calls the emulator, and the accounts and the UserSig are checked in the
// emulator itself.
func TestBootstrapsAgainstChatsyncEmulator(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	emu, err := local.NewEmulator("")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- local.Serve(ctx, ln, emu, time.Second) }()
	t.Cleanup(func() { cancel(); <-served })

	env := append(local.EmulatorEnv("http://"+ln.Addr().String()),
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=defaultkey", "AWS_SECRET_ACCESS_KEY=defaultsecret",
		"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_FUNCTION_NAME=test")
	imp := start(t, build(t, "import"), env)
	sig := start(t, build(t, "usersig"), env)
	del := start(t, build(t, "delete"), env)

	r := call(t, imp, readEvent(t, "direct-import.json"), 10*time.Second)
	var envl chat.Envelope
	if err := json.Unmarshal(r.Payload, &envl); err != nil || envl.ActionStatus != chat.StatusOK {
		t.Fatalf("import reply %s %s", r.Payload, r.Error)
	}
	if a, ok := emu.Chat.Account("carol"); !ok || a.Nick != "Carol" {
		t.Fatalf("carol in the emulator: %+v %v", a, ok)
	}

	r = call(t, sig, []byte(`{"UserID":"carol"}`), 10*time.Second)
	var issued struct{ UserID, UserSig string }
	if err := json.Unmarshal(r.Payload, &issued); err != nil || issued.UserSig == "" {
		t.Fatalf("usersig reply %s %s", r.Payload, r.Error)
	}
	if err := emu.Chat.Login("carol", issued.UserSig); err != nil {
		t.Errorf("the emulator refuses the UserSig function's UserSig: %v", err)
	}

	r = call(t, del, readEvent(t, "direct-delete.json"), 10*time.Second)
	if err := json.Unmarshal(r.Payload, &envl); err != nil || envl.ActionStatus != chat.StatusOK {
		t.Fatalf("delete reply %s %s", r.Payload, r.Error)
	}
	if emu.Chat.Has("carol") {
		t.Error("carol still in the emulator after the delete")
	}
	// The delete of one account kicked it first: the UserSig issued before
	// is refused, and does not register carol again.
	if err := emu.Chat.Login("carol", issued.UserSig); chat.ErrorCode(err) != chat.CodeSigInvalidated || emu.Chat.Has("carol") {
		t.Errorf("login with the UserSig issued before the delete: %v, carol back %v; want %d", err, emu.Chat.Has("carol"), chat.CodeSigInvalidated)
	}
	// One secret read per cold start, through the stand-in, and no more.
	if n := emu.Store.Calls(); n != 3 {
		t.Errorf("the stand-in answered %d GetSecretValue calls, want 3 (one per function)", n)
	}
}
