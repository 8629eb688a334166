// Command sync is the Lambda function of the scheduled pool sync: invoked
// by the schedule with {"sync":"start"} it queues one message per listing
// stream, and fed those messages by SQS it brings each stream's users into
// Chat, handing the rest of the stream on before its deadline.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
	"github.com/chatsync/chat-lambdas/pkg/setup"
	"github.com/chatsync/chat-lambdas/pkg/setup/queues"
	"github.com/chatsync/chat-lambdas/pkg/setup/userpool"
)

func main() {
	p := setup.FromEnv(context.Background())
	cfg := p.Config
	rate := cfg.SyncListRate
	if rate == 0 {
		// Each process works on one stream at a time: share Cognito's
		// quota among the 16 streams.
		rate = cognito.DefaultListRate / float64(len(cognito.Prefixes()))
	}
	users := cognito.New(userpool.Cognito(p), cognito.Options{ListRate: rate})
	hc := poolsync.HandlerConfig{
		Pool:     cfg.UserPoolID,
		QueueURL: cfg.SyncQueueURL,
		Queue:    queues.Client(p),
		Users:    users,
		Chat:     p.Chat,
		// The admin identifier is never imported (its user is skipped)
		// and never pruned.
		Credentials: p.CredentialsSource(),
		Mapping:     cfg.Mapping(),
		Logger:      p.Log,
		Prune:       cfg.SyncPrune,
		Finder:      users,
	}
	if l, ok := p.Ledger.(*ledger.Ledger); ok {
		hc.Ledger = l // LEDGER_TABLE: the ledger, and the run's progress
	}
	h, err := poolsync.NewHandler(hc)
	if err != nil {
		setup.Fail(err)
	}
	lambda.Start(p.Metered("sync", h))
}
