// Command usersig is the Lambda function that issues Tencent Cloud Chat
// UserSigs for app logins: GET /usersig, POST /usersig and direct
// invocation. It reads the same secret as the other functions and makes no
// Chat call, so its init opens no connection to Chat.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

func main() {
	p := setup.FromEnv(context.Background(), setup.WithoutChat())
	lambda.Start(p.Metered("usersig", p.UserSigHandler()))
}
