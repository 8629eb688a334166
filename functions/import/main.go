// Command import is the Lambda function that creates Tencent Cloud Chat
// accounts: on Cognito sign-up confirmation, on POST /accounts, on direct
// invocation and from the retry queue.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/retryqueue"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

func main() {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		setup.Fail(err)
	}
	log := lambdacontext.NewLogger()
	slog.SetDefault(log) // aws-lambda-go's own log lines become JSON too
	parts, err := setup.New(context.Background(), cfg, log)
	if err != nil {
		setup.Fail(err)
	}
	mapping := handler.Mapping{UserIDAttribute: cfg.UserIDAttribute, NickAttribute: cfg.NickAttribute, FaceURLAttribute: cfg.FaceURLAttribute}
	hc := handler.ImportConfig{
		Chat:    parts.Chat,
		Mapping: mapping,
		Auth:    handler.Auth{Mode: cfg.AuthMode, AdminGroup: cfg.AdminGroup, Mapping: mapping},
		Logger:  log,
	}
	if cfg.RetryQueueURL != "" || cfg.DeadLetterQueueURL != "" {
		sqsClient := sqs.NewFromConfig(parts.AWS)
		if cfg.RetryQueueURL != "" {
			hc.RetryQueue = retryqueue.New(sqsClient, cfg.RetryQueueURL, "retry queue")
		}
		if cfg.DeadLetterQueueURL != "" {
			hc.DeadLetterQueue = retryqueue.New(sqsClient, cfg.DeadLetterQueueURL, "dead-letter queue")
		}
	}
	lambda.Start(handler.NewImportHandler(hc))
}
