// Command import is the Lambda function that creates Tencent Cloud Chat
// accounts: on Cognito sign-up confirmation, on POST /accounts, on direct
// invocation and from the retry queue.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chatsync/chat-lambdas/pkg/setup"
	"github.com/chatsync/chat-lambdas/pkg/setup/queues"
	"github.com/chatsync/chat-lambdas/pkg/setup/userpool"
)

func main() {
	p := setup.FromEnv(context.Background())
	p.Users = userpool.Users(p) // lifecycle events read users from the pool
	queues.ForImport(p)         // the retry and dead-letter queues, when set
	lambda.Start(p.Metered("import", p.ImportHandler()))
}
