// Package sqsqueue sends pending sign-up imports to Amazon SQS: the retry
// queue the import function drains, and the dead-letter queue an operator
// watches.
package sqsqueue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// API is the part of the SQS client a Queue uses.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Queue is one SQS queue of pending imports.
type Queue struct {
	api  API
	url  string
	name string
}

// New returns the queue at url; name ("retry queue", "dead-letter queue")
// appears in errors.
func New(api API, url, name string) *Queue { return &Queue{api: api, url: url, name: name} }

// Send enqueues p. The message carries the pool and username as attributes
// too, so an operator can find a user's message without parsing bodies.
func (q *Queue) Send(ctx context.Context, p chat.PendingImport) error {
	if p.Version == 0 {
		p.Version = chat.PendingVersion
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", q.name, err)
	}
	attrs := map[string]types.MessageAttributeValue{}
	if p.UserPoolID != "" {
		attrs["userPoolId"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(p.UserPoolID)}
	}
	if p.UserName != "" {
		attrs["userName"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(p.UserName)}
	}
	_, err = q.api.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(q.url),
		MessageBody:       aws.String(string(body)),
		MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("send to %s: %w", q.name, err)
	}
	return nil
}
