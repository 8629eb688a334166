package functions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// TestSyncBootstrap runs the sync function's bootstrap: the schedule's
// event queues a message per stream, and the messages, fed back to the
// function as the SQS event source would, bring the pool into Chat.
func TestSyncBootstrap(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	pool := cognitotest.NewPool(t, cip.NewFromConfig(w.moto.Config()), moto.UniqueName(t, "pool"))
	var specs []cognitotest.NewUser
	for i := range 90 {
		status := cognito.StatusConfirmed
		if i%3 == 0 {
			status = cognito.StatusUnconfirmed
		}
		specs = append(specs, cognitotest.NewUser{Username: fmt.Sprintf("u%02d", i), Status: status, Attributes: map[string]string{"nickname": fmt.Sprintf("N%d", i)}})
	}
	users := pool.Add(t, specs)
	q, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, "sync"))})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(q.QueueUrl)
	env := append(w.env, "USER_POOL_ID="+pool.ID, "SYNC_QUEUE_URL="+url, "SYNC_LIST_RATE=30")
	p := start(t, build(t, "sync"), env)

	r := call(t, p, readEvent(t, "sync-schedule.json"), 10*time.Second)
	if r.Failed() || !strings.Contains(string(r.Payload), `"streams":16`) {
		t.Fatalf("schedule event: %s %s\n%s", r.Payload, r.Error, p.Stdout)
	}
	// The sample page event, for a stream the schedule also queued.
	r = call(t, p, readEvent(t, "sync-page.json"), 10*time.Second)
	if r.Failed() || string(r.Payload) != `{"batchItemFailures":[]}` {
		t.Fatalf("sample page event: %s %s", r.Payload, r.Error)
	}
	messages := 0
	for {
		got := receiveAll(t, w, url)
		if len(got) == 0 {
			break
		}
		for _, m := range got {
			messages++
			payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), EventSource: "aws:sqs"}}})
			r := call(t, p, payload, 10*time.Second)
			if r.Failed() || string(r.Payload) != `{"batchItemFailures":[]}` {
				t.Fatalf("message %s: %s %s\n%s", aws.ToString(m.Body), r.Payload, r.Error, p.Stdout)
			}
			w.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if messages < 16 {
		t.Errorf("%d messages, want at least one per stream", messages)
	}
	for _, u := range users {
		id := strings.ReplaceAll(u.Attributes["sub"], "-", "")
		if got := w.emu.Has(id); got != (u.Status != cognito.StatusUnconfirmed) {
			t.Errorf("%s (%s): in Chat %v", u.Username, u.Status, got)
		}
	}

	payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "old", Body: `{"version":0,"prefix":"a"}`}}})
	if r := call(t, p, payload, 10*time.Second); r.Failed() || !strings.Contains(string(r.Payload), `"old"`) {
		t.Errorf("unknown version: %s %s, want an item failure", r.Payload, r.Error)
	}
	assertNoSecrets(t, p.Stdout.String())
}
