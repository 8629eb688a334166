package handler_test

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// sqsBatch is the event an SQS event source mapping delivers: one record
// per body, with message IDs m0, m1, ...
func sqsBatch(t *testing.T, bodies ...[]byte) []byte {
	t.Helper()
	var e events.SQSEvent
	for i, b := range bodies {
		e.Records = append(e.Records, events.SQSMessage{MessageId: "m" + string(rune('0'+i)), Body: string(b), EventSource: "aws:sqs"})
	}
	return mustJSON(t, e)
}

// TestLifecycleFromQueue feeds lifecycle events to both functions as their
// SQS queues deliver them: a failure that may pass (Chat down) is a batch
// item failure, to be delivered again; a malformed or foreign message is
// logged and acknowledged; once Chat is back the same messages are done.
func TestLifecycleFromQueue(t *testing.T) {
	alice := chat.SubUserID(aliceSub)
	e := newEnv(t, envOpts{})
	del := handler.NewDeleteHandler(handler.DeleteConfig{Chat: e.client, Logger: e.log})
	e.emu.Seed(alice)
	deleteBatch := sqsBatch(t,
		wrap(t, fixture(t, "cloudtrail-admin-delete-user.json", ""), "us-east-1_EXAMPLE"), // m0: wrapped
		[]byte(`{"userPoolId":"us-east-1_EXAMPLE","event":"not an event"}`),               // m1: malformed
		[]byte(`{"hello":"world"}`),                         // m2: foreign
		fixture(t, "cloudtrail-admin-delete-user.json", ""), // m3: bare, no stack pool known: refused
	)

	e.emu.Inject(chatemu.Fault{Status: 502, Times: 1 << 20})
	raw, err := invoke(t, del, deleteBatch)
	if err != nil {
		t.Fatalf("batch with Chat down: function error %v", err)
	}
	if got := batchFailures(t, raw); len(got) != 1 || !got["m0"] {
		t.Fatalf("Chat down: item failures %v, want only m0 (the others can never succeed)", got)
	}
	if !e.emu.Has(alice) {
		t.Fatal("the account went while Chat was down")
	}
	if e.logs.has(t, "queued message refused") == nil {
		t.Error("the foreign message was not logged")
	}

	e.emu.ClearFaults()
	raw, err = invoke(t, del, deleteBatch)
	if err != nil {
		t.Fatal(err)
	}
	if got := batchFailures(t, raw); len(got) != 0 {
		t.Fatalf("Chat up: item failures %v, want none", got)
	}
	if e.emu.Has(alice) {
		t.Error("the account is still in Chat after the queued delete")
	}
	if _, kicked := e.emu.KickedAt(alice); !kicked {
		t.Error("the account was not kicked")
	}

	// The import function's queue: a lifecycle create next to a retry
	// message; the create fails while Chat is down, then imports.
	users := &pool{users: map[string]handler.User{carolSub: {Username: "carol", Status: "FORCE_CHANGE_PASSWORD", Attributes: map[string]string{"sub": carolSub}}}}
	imp := handler.NewImportHandler(handler.ImportConfig{Chat: e.client, Users: users, Logger: e.log, DeadLetterQueue: e.dlq})
	create := fixture(t, "cloudtrail-admin-create-user.json", "")
	retry := mustJSON(t, chat.PendingImport{Version: chat.PendingVersion, Account: chat.Account{UserID: "bob"}, Reason: "test"})
	importBatch := sqsBatch(t, wrap(t, create, "us-east-1_EXAMPLE"), retry)
	e.emu.Inject(chatemu.Fault{Status: 502, Times: 1 << 20})
	raw, err = invoke(t, imp, importBatch)
	if err != nil {
		t.Fatal(err)
	}
	if got := batchFailures(t, raw); len(got) != 2 {
		t.Fatalf("Chat down: item failures %v, want both", got)
	}
	e.emu.ClearFaults()
	raw, err = invoke(t, imp, importBatch)
	if err != nil {
		t.Fatal(err)
	}
	if got := batchFailures(t, raw); len(got) != 0 {
		t.Fatalf("Chat up: item failures %v", got)
	}
	if !e.emu.Has(chat.SubUserID(carolSub)) || !e.emu.Has("bob") {
		t.Errorf("after the batch: carol %v, bob %v", e.emu.Has(chat.SubUserID(carolSub)), e.emu.Has("bob"))
	}
}
