package queues_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/setup"
	"github.com/chatsync/chat-lambdas/pkg/setup/queues"
)

func TestMain(m *testing.M) { moto.Main(m) }

// parts builds a function's parts as Lambda's environment would, with SQS
// (and Secrets Manager, which nothing here reads) at srv.
func parts(t *testing.T, srv *moto.Server, cfg config.Config) *setup.Parts {
	t.Helper()
	env := map[string]string{
		"AWS_REGION": moto.Region, "AWS_ACCESS_KEY_ID": moto.AccessKeyID, "AWS_SECRET_ACCESS_KEY": moto.SecretAccessKey,
		"AWS_ENDPOINT_URL_SQS": srv.URL, "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg.SecretID, cfg.SecretTTL, cfg.UserSigTTL = "chat/admin", time.Minute, time.Hour
	p, err := setup.New(ctx, cfg, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler), setup.WithoutChat())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestForImport: each queue URL that is set gives the import function a
// queue that reaches that queue through the function's own SQS endpoint;
// with none set there is no queue.
func TestForImport(t *testing.T) {
	srv := moto.Shared(t)
	ctx := context.Background()
	api := sqs.NewFromConfig(srv.Config())
	urls := map[string]string{}
	for _, name := range []string{"retry", "dlq"} {
		out, err := api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, name))})
		if err != nil {
			t.Fatal(err)
		}
		urls[name] = *out.QueueUrl
	}

	none := parts(t, srv, config.Config{})
	queues.ForImport(none)
	if none.RetryQueue != nil || none.DeadLetterQueue != nil {
		t.Errorf("queues wired without a URL: %v, %v", none.RetryQueue, none.DeadLetterQueue)
	}

	p := parts(t, srv, config.Config{RetryQueueURL: urls["retry"], DeadLetterQueueURL: urls["dlq"]})
	queues.ForImport(p)
	for name, q := range map[string]interface {
		Send(context.Context, chat.PendingImport) error
	}{"retry": p.RetryQueue, "dlq": p.DeadLetterQueue} {
		if q == nil {
			t.Fatalf("no %s queue", name)
		}
		if err := q.Send(ctx, chat.PendingImport{Account: chat.Account{UserID: name + "-user"}, UserPoolID: "us-east-1_EXAMPLE", UserName: name}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(urls[name]), WaitTimeSeconds: 1})
		if err != nil || len(got.Messages) != 1 {
			t.Fatalf("%s: receive: %v, %d messages", name, err, len(got.Messages))
		}
		if m, err := chat.DecodePendingImport([]byte(*got.Messages[0].Body)); err != nil || m.Account.UserID != name+"-user" {
			t.Errorf("%s: got %+v, %v", name, m, err)
		}
	}
}
