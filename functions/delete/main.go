// Command delete is the Lambda function that removes Tencent Cloud Chat
// accounts: DELETE /accounts/{userId}, POST /accounts/delete and direct
// invocation.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/handler"
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
	mapping := handler.Mapping{UserIDAttribute: cfg.UserIDAttribute}
	lambda.Start(handler.NewDeleteHandler(handler.DeleteConfig{
		Chat:   parts.Chat,
		Auth:   handler.Auth{Mode: cfg.AuthMode, AdminGroup: cfg.AdminGroup, Mapping: mapping},
		Logger: log,
	}))
}
