package functions_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/esmtest"
	"github.com/chatsync/chat-lambdas/internal/lambdatest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

// Scaled-down queue settings: the template's are 900 s and 25 receives (6
// hours); these keep the same shape in seconds.
const (
	testVisibility  = 1
	testMaxReceives = 4 // one more delivery than Lambda's own asynchronous attempts (the first and two retries)
)

// lifecycleQueue makes a lifecycle queue and its dead-letter queue in moto,
// with the redrive policy of the template scaled down.
func lifecycleQueue(t *testing.T, w *world) (queueURL, queueARN, dlqURL string) {
	t.Helper()
	ctx := context.Background()
	arnOf := func(url string) string {
		a, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		return a.Attributes["QueueArn"]
	}
	dlq, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, "lifecycle-dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	q, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(moto.UniqueName(t, "lifecycle")),
		Attributes: map[string]string{
			"VisibilityTimeout": "1",
			"RedrivePolicy":     esmtest.RedrivePolicy(arnOf(aws.ToString(dlq.QueueUrl)), testMaxReceives),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(q.QueueUrl), arnOf(aws.ToString(q.QueueUrl)), aws.ToString(dlq.QueueUrl)
}

// mapping is an event source mapping of url onto the process p, each
// invocation given timeout.
func mapping(t *testing.T, w *world, p *lambdatest.Process, url, arn string, timeout time.Duration) *esmtest.Mapping {
	return &esmtest.Mapping{SQS: w.sqs, QueueURL: url, QueueARN: arn, Region: moto.Region, Invoke: func(ctx context.Context, payload []byte) ([]byte, bool, error) {
		r, err := p.Invoke(ctx, payload, timeout)
		return r.Payload, r.Failed(), err
	}}
}

// TestLifecycleDeleteOutlivesOutage sends an AdminDeleteUser event, as the
// stack's rule does, to a queue (moto) consumed by the compiled delete
// function through an event source mapping, with the redrive policy of the
// template scaled down, while Chat is down for longer than the queue keeps
// retrying (and longer than Lambda's own three asynchronous attempts would
// have). The event is not lost: it ends up whole in the dead-letter queue.
// When Chat is back, a redrive moves it to the queue again and the account
// is kicked and deleted.
func TestLifecycleDeleteOutlivesOutage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	api := cip.NewFromConfig(w.moto.Config())
	pool := cognitotest.NewPool(t, api, moto.UniqueName(t, "pool"))
	u := pool.Add(t, []cognitotest.NewUser{{Username: "frank", Status: cognito.StatusConfirmed}})[0]
	id := chat.SubUserID(u.Attributes["sub"])
	w.emu.Seed(id)
	if _, err := api.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(pool.ID), Username: aws.String(u.Username)}); err != nil {
		t.Fatal(err)
	}
	url, arn, dlqURL := lifecycleQueue(t, w)
	del := start(t, build(t, "delete"), append(w.env, "USER_POOL_ID="+pool.ID))
	esm := mapping(t, w, del, url, arn, 3*time.Second)

	event := string(lifecycleEvent(t, "cloudtrail-admin-delete-user.json", pool.ID, u))
	if _, err := w.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(event)}); err != nil {
		t.Fatal(err)
	}

	// Chat down for the whole retry window.
	w.emu.Inject(chatemu.Fault{Status: 502, Times: 1 << 20})
	failures := 0
	deadline := time.Now().Add(60 * time.Second)
	for count(t, w, dlqURL) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after %d failed deliveries the event is neither done nor in the dead-letter queue\n%s", failures, del.Stdout)
		}
		b, err := esm.Poll(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if b.Error {
			t.Fatalf("the function answered a batch with a function error: every message of the batch would repeat\n%s", del.Stdout)
		}
		failures += b.Failed
	}
	if failures != testMaxReceives {
		t.Errorf("%d failed deliveries before the dead-letter queue, want maxReceiveCount = %d", failures, testMaxReceives)
	}
	if !w.emu.Has(id) {
		t.Fatal("the account went while Chat was down")
	}
	if n := count(t, w, url); n != 0 {
		t.Errorf("%d messages still in the queue after the move to the dead-letter queue", n)
	}
	waitForLog(t, del, "lifecycle event failed, will retry")

	// Chat is back; the operator redrives the dead-letter queue. The
	// event comes out of it whole.
	w.emu.ClearFaults()
	moved, err := esmtest.Redrive(ctx, w.sqs, dlqURL, url)
	if err != nil || len(moved) != 1 || moved[0] != event {
		t.Fatalf("redrive moved %q (%v); want the event whole:\n%s", moved, err, event)
	}
	b, err := esm.Poll(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if b.Received != 1 || b.Failed != 0 {
		t.Fatalf("after the redrive: %+v\n%s", b, del.Stdout)
	}
	if w.emu.Has(id) {
		t.Error("the deleted user's account is still in Chat after the redrive")
	}
	if _, kicked := w.emu.KickedAt(id); !kicked {
		t.Error("the deleted user's account was not kicked")
	}
	if n := count(t, w, url) + count(t, w, dlqURL); n != 0 {
		t.Errorf("%d messages left in the queues after the delete", n)
	}
	assertNoSecrets(t, del.Stdout.String())
}

// count returns the number of messages in the queue url.
func count(t *testing.T, w *world, url string) int {
	t.Helper()
	n, err := esmtest.Count(context.Background(), w.sqs, url)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
