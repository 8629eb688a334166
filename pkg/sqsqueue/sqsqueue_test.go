package sqsqueue_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/sqsqueue"
)

func TestMain(m *testing.M) { moto.Main(m) }

func TestSendAgainstSQS(t *testing.T) {
	srv := moto.Shared(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(srv.Config())
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, "retry"))})
	if err != nil {
		t.Fatal(err)
	}
	q := sqsqueue.New(client, *out.QueueUrl, "retry queue")
	sent := chat.PendingImport{
		Account:       chat.Account{UserID: "dave", Nick: "Dave"},
		UserPoolID:    "us-east-1_EXAMPLE",
		UserName:      "dave",
		Reason:        "chat account_import: code 70500 (transient): server error",
		FirstFailedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Profile:       []chat.ProfileItem{{Tag: chat.TagGender, Value: chat.GenderFemale}, {Tag: chat.TagBirthDay, Value: float64(19900517)}},
	}
	if err := q.Send(ctx, sent); err != nil {
		t.Fatal(err)
	}
	got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 1})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(got.Messages))
	}
	m := got.Messages[0]
	p, err := chat.DecodePendingImport([]byte(*m.Body))
	if err != nil {
		t.Fatal(err)
	}
	sent.Version = chat.PendingVersion
	if !reflect.DeepEqual(p, sent) {
		t.Errorf("received %+v\nwant %+v", p, sent)
	}
	if a := m.MessageAttributes["userName"]; a.StringValue == nil || *a.StringValue != "dave" {
		t.Errorf("userName attribute = %+v", a)
	}

	missing := sqsqueue.New(client, srv.URL+"/123456789012/no-such-queue", "dead-letter queue")
	err = missing.Send(ctx, sent)
	if err == nil || !strings.HasPrefix(err.Error(), "send to dead-letter queue: ") {
		t.Errorf("send to a missing queue: %v", err)
	}
}
