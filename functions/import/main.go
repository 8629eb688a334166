// Command import is the Lambda function that creates Tencent Cloud Chat
// accounts: on Cognito sign-up confirmation, on POST /accounts, on direct
// invocation and from the retry queue.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/setup"
	"github.com/chatsync/chat-lambdas/pkg/sqsqueue"
)

func main() {
	p := setup.FromEnv(context.Background())
	cfg := p.Config
	mapping := handler.Mapping{UserIDAttribute: cfg.UserIDAttribute, NickAttribute: cfg.NickAttribute, FaceURLAttribute: cfg.FaceURLAttribute}
	hc := handler.ImportConfig{
		Chat:      p.Chat,
		Mapping:   mapping,
		Auth:      handler.Auth{Mode: cfg.AuthMode, AdminGroup: cfg.AdminGroup, Mapping: mapping},
		Logger:    p.Log,
		InitStart: setup.Started,
	}
	if cfg.RetryQueueURL != "" || cfg.DeadLetterQueueURL != "" {
		sqsClient := p.SQS()
		if cfg.RetryQueueURL != "" {
			hc.RetryQueue = sqsqueue.New(sqsClient, cfg.RetryQueueURL, "retry queue")
		}
		if cfg.DeadLetterQueueURL != "" {
			hc.DeadLetterQueue = sqsqueue.New(sqsClient, cfg.DeadLetterQueueURL, "dead-letter queue")
		}
	}
	lambda.Start(handler.NewImportHandler(hc))
}
