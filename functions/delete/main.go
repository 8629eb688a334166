// Command delete is the Lambda function that removes Tencent Cloud Chat
// accounts: DELETE /accounts/{userId}, POST /accounts/delete, direct
// invocation and Cognito lifecycle events (from its SQS queue).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chatsync/chat-lambdas/pkg/setup"
	"github.com/chatsync/chat-lambdas/pkg/setup/userpool"
)

func main() {
	p := setup.FromEnv(context.Background())
	userpool.ForDelete(p) // with the username mapping, lifecycle deletes check the pool first
	lambda.Start(p.Metered("delete", p.DeleteHandler()))
}
