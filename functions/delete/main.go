// Command delete is the Lambda function that removes Tencent Cloud Chat
// accounts: DELETE /accounts/{userId}, POST /accounts/delete and direct
// invocation.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

func main() {
	p := setup.FromEnv(context.Background())
	cfg := p.Config
	lambda.Start(handler.NewDeleteHandler(handler.DeleteConfig{
		Chat:   p.Chat,
		Auth:   handler.Auth{Mode: cfg.AuthMode, AdminGroup: cfg.AdminGroup, Mapping: handler.Mapping{UserIDAttribute: cfg.UserIDAttribute}},
		Logger: p.Log,
	}))
}
