// Command sync is the Lambda function of the scheduled pool sync: invoked
// by the schedule with {"sync":"start"} it queues one message per listing
// stream, and fed those messages by SQS it brings each stream's users into
// Chat, handing the rest of the stream on before its deadline.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

func main() {
	p := setup.FromEnv(context.Background())
	h, err := p.SyncHandler()
	if err != nil {
		setup.Fail(err)
	}
	lambda.Start(p.Metered("sync", h))
}
