// Command sync is the Lambda function of the scheduled pool sync: invoked
// by the schedule with {"sync":"start"} it queues one message per listing
// stream, and fed those messages by SQS it brings each stream's users into
// Chat, handing the rest of the stream on before its deadline.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

func main() {
	p := setup.FromEnv(context.Background())
	cfg := p.Config
	rate, err := listRate(os.Getenv("SYNC_LIST_RATE"))
	if err != nil {
		setup.Fail(err)
	}
	h, err := poolsync.NewHandler(poolsync.HandlerConfig{
		Pool:     strings.TrimSpace(os.Getenv("USER_POOL_ID")),
		QueueURL: strings.TrimSpace(os.Getenv("SYNC_QUEUE_URL")),
		Queue:    p.SQS(),
		Users:    cognito.New(p.Cognito(), cognito.Options{ListRate: rate}),
		Chat:     p.Chat,
		Mapping:  handler.Mapping{UserIDAttribute: cfg.UserIDAttribute, NickAttribute: cfg.NickAttribute, FaceURLAttribute: cfg.FaceURLAttribute},
		Logger:   p.Log,
	})
	if err != nil {
		setup.Fail(err)
	}
	lambda.Start(h)
}

// listRate reads SYNC_LIST_RATE, the ListUsers requests a second of one
// process. Each process works on one stream at a time, so the default
// shares Cognito's quota among the 16 streams: keep the event source's
// maximum concurrency at 16 or less.
func listRate(v string) (float64, error) {
	if v = strings.TrimSpace(v); v == "" {
		return cognito.DefaultListRate / float64(len(cognito.Prefixes())), nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r <= 0 || r > 30 {
		return 0, fmt.Errorf("SYNC_LIST_RATE %q: want a number of requests a second, more than 0 and at most 30", v)
	}
	return r, nil
}
