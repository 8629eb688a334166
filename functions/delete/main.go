// Command delete is the Lambda function that removes Tencent Cloud Chat
// accounts: DELETE /accounts/{userId}, POST /accounts/delete and direct
// invocation.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

func main() {
	p := setup.FromEnv(context.Background())
	lambda.Start(p.Metered("delete", p.DeleteHandler()))
}
