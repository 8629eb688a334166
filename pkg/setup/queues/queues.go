// Package queues wires the functions' Amazon SQS queues: the import
// function's retry and dead-letter queues, and the client the scheduled
// sync hands its streams on with. It stands apart from pkg/setup so that
// the functions that send to no queue (delete, usersig) do not link the SQS
// client: its package initialisation runs before main, so it would delay
// the start of their secret fetch, and with it their first reply.
package queues

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/pkg/setup"
	"github.com/chatsync/chat-lambdas/pkg/sqsqueue"
)

// Client returns an SQS client that follows the function's AWS environment
// (AWS_ENDPOINT_URL_SQS for tests).
func Client(p *setup.Parts) *sqs.Client {
	sc := p.Service("SQS")
	return sqs.NewFromConfig(sc.Config, func(o *sqs.Options) {
		o.BaseEndpoint = sc.Endpoint
		o.EndpointOptions.UseFIPSEndpoint = sc.FIPS
		o.EndpointOptions.UseDualStackEndpoint = sc.DualStack
	})
}

// ForImport gives p the import function's queues: the retry queue when
// RETRY_QUEUE_URL is set, the dead-letter queue when DEAD_LETTER_QUEUE_URL
// is. It makes no call; with neither set it makes no client.
func ForImport(p *setup.Parts) {
	cfg := p.Config
	if cfg.RetryQueueURL == "" && cfg.DeadLetterQueueURL == "" {
		return
	}
	c := Client(p)
	if cfg.RetryQueueURL != "" {
		p.RetryQueue = sqsqueue.New(c, cfg.RetryQueueURL, "retry queue")
	}
	if cfg.DeadLetterQueueURL != "" {
		p.DeadLetterQueue = sqsqueue.New(c, cfg.DeadLetterQueueURL, "dead-letter queue")
	}
}
