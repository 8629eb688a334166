package poolsync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// newQueue creates a queue on moto and returns its URL.
func newQueue(t *testing.T, q *sqs.Client) string {
	t.Helper()
	out, err := q.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, "sync"))})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

// receive takes one message off the queue as the SQS event source would
// deliver it (batch size 1), or returns false when the queue is empty.
func receive(t *testing.T, q *sqs.Client, url string) (events.SQSMessage, string, bool) {
	t.Helper()
	out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1, VisibilityTimeout: 60})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) == 0 {
		return events.SQSMessage{}, "", false
	}
	m := out.Messages[0]
	return events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), EventSource: "aws:sqs"}, aws.ToString(m.ReceiptHandle), true
}

// TestLambdaSyncsPool: the schedule's event sends a message per stream;
// each message, consumed with a deadline that allows one round, syncs one
// round and sends its continuation; when the queue is empty, the pool is
// in Chat.
func TestLambdaSyncsPool(t *testing.T) {
	fx := pool(t)
	srv := moto.Shared(t)
	emu, client := fx.newChat(t)
	q := sqs.NewFromConfig(srv.Config())
	url := newQueue(t, q)
	now := time.Now
	h, err := poolsync.NewHandler(poolsync.HandlerConfig{
		Pool: fx.pool.ID, QueueURL: url, Queue: q, Users: fx.lister(1000), Chat: client, Mapping: chatIDMapping,
		PagesPerRound: 1, Margin: 51 * time.Second, Reserve: 100 * time.Millisecond, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reply, err := h.Invoke(ctx, []byte(`{"sync":"start"}`))
	if err != nil || !strings.Contains(string(reply), `"streams":16`) {
		t.Fatalf("start = %s, %v", reply, err)
	}
	invocations, continued := 0, 0
	for {
		m, receipt, ok := receive(t, q, url)
		if !ok {
			break
		}
		var msg poolsync.Message
		if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.Version != 1 {
			t.Fatalf("message %s: %v", m.Body, err)
		}
		if msg.Token != "" {
			continued++
		}
		invocations++
		if invocations > 200 {
			t.Fatal("the sync does not end")
		}
		payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{m}})
		// A deadline 51 s away and a margin of 51 s: one round, then the
		// stream is handed on.
		ictx, cancel := context.WithDeadline(ctx, now().Add(51*time.Second))
		out, err := h.Invoke(ictx, payload)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("reply %s, %v", out, err)
		}
		if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(receipt)}); err != nil {
			t.Fatal(err)
		}
	}
	if continued == 0 {
		t.Errorf("%d invocations and no continuation: the test does not test hand-overs", invocations)
	}
	checkChat(t, fx, emu)
}

// TestLambdaRefuses: events that are not the schedule's or SQS's are
// function errors; messages that can never succeed are item failures.
func TestLambdaRefuses(t *testing.T) {
	sent := &recordingQueue{}
	h, err := poolsync.NewHandler(poolsync.HandlerConfig{Pool: "p", QueueURL: "q", Queue: sent, Users: failingLister{}, Chat: nilChat{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, payload := range []string{`"start"`, `[]`, `{}`, `{"sync":"stop"}`, `{"sync":"start","extra":1}`, `not json`} {
		if out, err := h.Invoke(context.Background(), []byte(payload)); err == nil {
			t.Errorf("%s: reply %s, want an error", payload, out)
		}
	}
	tests := []struct{ body, want string }{
		{`{"version":2,"prefix":"a"}`, "version 2"},
		{`{"version":1,"prefix":"g"}`, "prefix"},
		{`{"version":1}`, "prefix"},
		{`{"version":"1"}`, "wrong type"},
		{`nope`, "invalid JSON"},
	}
	for _, tt := range tests {
		if _, err := poolsync.DecodeMessage([]byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeMessage(%s) = %v, want %q", tt.body, err, tt.want)
		}
		payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: tt.body}}})
		out, err := h.Invoke(context.Background(), payload)
		if err != nil || !strings.Contains(string(out), `"itemIdentifier":"m1"`) {
			t.Errorf("%s: reply %s, %v, want an item failure", tt.body, out, err)
		}
	}
	// A listing that fails is an item failure too, and hands nothing on.
	payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m2", Body: `{"version":1,"prefix":"a"}`}}})
	if out, err := h.Invoke(context.Background(), payload); err != nil || !strings.Contains(string(out), `"m2"`) {
		t.Errorf("failed listing: reply %s, %v", out, err)
	}
	if len(sent.bodies) != 0 {
		t.Errorf("sent %q", sent.bodies)
	}
	if _, err := h.Invoke(context.Background(), []byte(`{"sync":"start","profiles":true}`)); err != nil {
		t.Fatal(err)
	}
	if len(sent.bodies) != 16 || sent.bodies[15] != `{"version":1,"prefix":"f","profiles":true}` {
		t.Errorf("start sent %q", sent.bodies)
	}
}

type recordingQueue struct{ bodies []string }

func (r *recordingQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	r.bodies = append(r.bodies, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{}, nil
}

func ExampleDecodeMessage() {
	m, err := poolsync.DecodeMessage([]byte(`{"version":1,"prefix":"a","token":"abc"}`))
	fmt.Println(m.Prefix, m.Token, m.Profiles, err)
	_, err = poolsync.DecodeMessage([]byte(`{"version":7,"prefix":"a"}`))
	fmt.Println(err)
	// Output:
	// a abc false <nil>
	// sync message version 7: want 1
}
