package handler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/syncbuf"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// TestMetricsRecordWhatHappened runs one invocation of each kind through
// the handlers wrapped as the functions wrap them, and reads back the one
// EMF document each writes.
func TestMetricsRecordWhatHappened(t *testing.T) {
	type counts map[metrics.Name]int64
	tests := []struct {
		name    string
		fn      string // "import" or "delete"
		setup   func(e *env)
		opts    envOpts
		payload func(t *testing.T) []byte
		want    counts
	}{
		{"sign-up imported", "import", nil, envOpts{}, func(t *testing.T) []byte { return signUp("PostConfirmation_ConfirmSignUp", subAttrs) },
			counts{metrics.Imported: 1, metrics.ChatCalls: 1}},
		{"sign-up queued", "import", func(e *env) { e.emu.Inject(chatemu.Fault{Code: 70500, Times: 1000}) }, envOpts{},
			func(t *testing.T) []byte { return signUp("PostConfirmation_ConfirmSignUp", subAttrs) },
			counts{metrics.Queued: 1, metrics.Imported: 0}},
		{"sign-up parked", "import", nil, envOpts{}, func(t *testing.T) []byte {
			return signUp("PostConfirmation_ConfirmSignUp", `"email":"x@example.com"`)
		},
			counts{metrics.Parked: 1, metrics.ChatCalls: 0}},
		{"sign-up lost", "import", func(e *env) { e.emu.Inject(chatemu.Fault{Code: 70500, Times: 1000}) }, envOpts{noQueues: true},
			func(t *testing.T) []byte { return signUp("PostConfirmation_ConfirmSignUp", subAttrs) },
			counts{metrics.Lost: 1}},
		{"batch with one refused by Chat", "import", func(e *env) {
			e.emu.Inject(chatemu.Fault{Command: chat.CmdMultiImport, Code: 70500, Times: 1000})
		}, envOpts{}, func(t *testing.T) []byte { return []byte(`{"AccountList":[{"UserID":"a"},{"UserID":"b"}]}`) },
			counts{metrics.Failed: 2, metrics.Imported: 0}},
		{"batch imported", "import", nil, envOpts{}, func(t *testing.T) []byte {
			return []byte(`{"AccountList":[{"UserID":"a"},{"UserID":"b"},{"UserID":"a"}]}`)
		},
			counts{metrics.Imported: 2, metrics.ChatCalls: 1}},
		{"refused input is not Failed", "import", nil, envOpts{}, func(t *testing.T) []byte { return []byte(`{"UserID":""}`) },
			counts{metrics.Failed: 0, metrics.ChatCalls: 0}},
		{"delete answered 70107 counts Deleted", "delete", nil, envOpts{}, func(t *testing.T) []byte { return []byte(`{"DeleteItem":[{"UserID":"ghost"}]}`) },
			counts{metrics.Deleted: 1, metrics.Failed: 0, metrics.ChatCalls: 2, metrics.ChatErrors: 1}}, // the kick's 70107 is a FAIL envelope
		{"one account kicked, then deleted", "delete", func(e *env) { e.emu.Seed("alice") }, envOpts{},
			func(t *testing.T) []byte { return []byte(`{"DeleteItem":[{"UserID":"alice"}]}`) },
			counts{metrics.Deleted: 1, metrics.ChatCalls: 2, metrics.ChatErrors: 0}},
		{"kick failed: nothing deleted", "delete", func(e *env) {
			e.emu.Seed("alice")
			e.emu.Inject(chatemu.Fault{Command: chat.CmdKick, Code: 70403})
		}, envOpts{}, func(t *testing.T) []byte { return []byte(`{"DeleteItem":[{"UserID":"alice"}]}`) },
			counts{metrics.Deleted: 0, metrics.Failed: 1, metrics.ChatCalls: 1, metrics.ChatErrors: 1}},
		{"delete refused by Chat", "delete", func(e *env) { e.emu.Inject(chatemu.Fault{Code: 71000, Times: 10}) }, envOpts{},
			func(t *testing.T) []byte { return []byte(`{"DeleteItem":[{"UserID":"alice"},{"UserID":"bob"}]}`) },
			counts{metrics.Deleted: 0, metrics.Failed: 2, metrics.ChatErrors: 1}},
		{"one retry", "import", func(e *env) { e.emu.Inject(chatemu.Fault{Code: 70500, Times: 1}) }, envOpts{},
			func(t *testing.T) []byte { return []byte(`{"UserID":"r"}`) },
			counts{metrics.Imported: 1, metrics.ChatCalls: 2, metrics.Retries: 1, metrics.ChatErrors: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			if tt.setup != nil {
				tt.setup(e)
			}
			var out syncbuf.Buffer
			col := &metrics.Collector{Next: &out}
			em, err := metrics.NewEmitter(col, metrics.Config{Function: tt.fn})
			if err != nil {
				t.Fatal(err)
			}
			var h invoker = metrics.NewHandler(e.imp, em, e.log)
			if tt.fn == "delete" {
				h = metrics.NewHandler(e.del, em, e.log)
			}
			ctx, cancel := invocation(10 * time.Second)
			defer cancel()
			h.Invoke(ctx, tt.payload(t))
			sum, bad := col.Summary()
			if sum.Documents != 1 || bad != 0 {
				t.Fatalf("%d documents (%d unreadable), want 1:\n%s", sum.Documents, bad, out.String())
			}
			for name, want := range tt.want {
				if got := sum.Count(name); got != want {
					t.Errorf("%s = %d, want %d\n%s", name, got, want, out.String())
				}
			}
			if !strings.Contains(out.String(), `"Function":"`+tt.fn+`"`) {
				t.Errorf("document without the Function dimension: %s", out.String())
			}
			assertNoSecrets(t, out.String())
		})
	}
}

// TestUserSigsIssuedCounted: the UserSig function counts what it hands out,
// and nothing for a refusal.
func TestUserSigsIssuedCounted(t *testing.T) {
	e := newEnv(t, envOpts{})
	col := &metrics.Collector{}
	em, err := metrics.NewEmitter(col, metrics.Config{Function: "usersig"})
	if err != nil {
		t.Fatal(err)
	}
	h := metrics.NewHandler(handler.NewUserSigHandler(handler.UserSigConfig{Credentials: chatapi.StaticCredentials(e.emu.Credentials()), Logger: e.log}), em, e.log)
	ctx, cancel := invocation(10 * time.Second)
	defer cancel()
	h.Invoke(ctx, []byte(`{"UserID":"alice"}`))
	h.Invoke(ctx, []byte(`{"UserID":"`+e.emu.Credentials().Admin+`"}`))
	sum, _ := col.Summary()
	if sum.Documents != 2 || sum.Count(metrics.UserSigsIssued) != 1 {
		t.Errorf("%d documents, UserSigsIssued %d; want 2 and 1", sum.Documents, sum.Count(metrics.UserSigsIssued))
	}
}
