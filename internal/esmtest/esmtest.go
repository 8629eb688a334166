// Package esmtest plays, in tests, the parts of AWS that move SQS messages
// into and out of a Lambda function: an event source mapping (receive a
// batch, invoke the function with it, delete the messages it reports done,
// leave the failed ones to become visible again) and a dead-letter queue
// redrive (what SQS's message move task does). Against moto's SQS they let
// a test drive a compiled bootstrap through real queues, redrive policy and
// all, with the visibility timeout and maxReceiveCount scaled down.
package esmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Invoke calls the function synchronously, as an event source mapping
// does, and returns its reply; failed is true for a function error.
type Invoke func(ctx context.Context, payload []byte) (reply []byte, failed bool, err error)

// Mapping is an event source mapping of one queue onto one function, with
// ReportBatchItemFailures on.
type Mapping struct {
	SQS       *sqs.Client
	QueueURL  string
	QueueARN  string // the records' eventSourceARN
	Region    string
	BatchSize int32 // default 10
	Invoke    Invoke
}

// Batch is what one poll did.
type Batch struct {
	Received int  // messages in the batch
	Failed   int  // messages left in the queue: item failures, or all of them on a function error
	Error    bool // the function returned an error
}

// Poll receives one batch, waiting up to waitSeconds for a message, invokes
// the function with it unless it is empty, and deletes the messages the
// function did not report as failed. As Lambda does, a function error or a
// reply that is not a batch response leaves every message of the batch.
func (m *Mapping) Poll(ctx context.Context, waitSeconds int32) (Batch, error) {
	size := m.BatchSize
	if size <= 0 {
		size = 10
	}
	out, err := m.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(m.QueueURL),
		MaxNumberOfMessages:         size,
		WaitTimeSeconds:             waitSeconds,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		return Batch{}, fmt.Errorf("receive: %w", err)
	}
	b := Batch{Received: len(out.Messages)}
	if b.Received == 0 {
		return b, nil
	}
	var ev events.SQSEvent
	for _, msg := range out.Messages {
		ev.Records = append(ev.Records, record(msg, m.QueueARN, m.Region))
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return b, err
	}
	reply, failed, err := m.Invoke(ctx, payload)
	if err != nil {
		return b, fmt.Errorf("invoke: %w", err)
	}
	var resp events.SQSEventResponse
	if failed || json.Unmarshal(reply, &resp) != nil {
		b.Error, b.Failed = true, b.Received
		return b, nil
	}
	keep := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		keep[f.ItemIdentifier] = true
	}
	for _, msg := range out.Messages {
		if keep[aws.ToString(msg.MessageId)] {
			b.Failed++
			continue
		}
		if _, err := m.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(m.QueueURL), ReceiptHandle: msg.ReceiptHandle}); err != nil {
			return b, fmt.Errorf("delete: %w", err)
		}
	}
	return b, nil
}

// record is the event record Lambda makes of a received message.
func record(msg types.Message, arn, region string) events.SQSMessage {
	attrs := make(map[string]string, len(msg.Attributes))
	for k, v := range msg.Attributes {
		attrs[k] = v
	}
	return events.SQSMessage{
		MessageId:      aws.ToString(msg.MessageId),
		ReceiptHandle:  aws.ToString(msg.ReceiptHandle),
		Body:           aws.ToString(msg.Body),
		Md5OfBody:      aws.ToString(msg.MD5OfBody),
		Attributes:     attrs,
		EventSource:    "aws:sqs",
		EventSourceARN: arn,
		AWSRegion:      region,
	}
}

// Redrive moves every message of the queue fromURL to toURL, as SQS's
// message move task does (moto does not serve that API): the body as it
// is, then the original deleted. It returns the bodies it moved.
func Redrive(ctx context.Context, c *sqs.Client, fromURL, toURL string) ([]string, error) {
	var moved []string
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fromURL), MaxNumberOfMessages: 10, VisibilityTimeout: 30})
		if err != nil {
			return moved, fmt.Errorf("receive: %w", err)
		}
		if len(out.Messages) == 0 {
			return moved, nil
		}
		for _, msg := range out.Messages {
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(toURL), MessageBody: msg.Body}); err != nil {
				return moved, fmt.Errorf("send: %w", err)
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(fromURL), ReceiptHandle: msg.ReceiptHandle}); err != nil {
				return moved, fmt.Errorf("delete: %w", err)
			}
			moved = append(moved, aws.ToString(msg.Body))
		}
	}
}

// Count returns the number of messages in the queue url, visible or
// being processed (SQS's approximate counts, exact on moto).
func Count(ctx context.Context, c *sqs.Client, url string) (int, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{
		types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	}})
	if err != nil {
		return 0, fmt.Errorf("queue attributes: %w", err)
	}
	n := 0
	for _, k := range []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		v, err := strconv.Atoi(out.Attributes[string(k)])
		if err != nil {
			return 0, fmt.Errorf("queue attribute %s: %q", k, out.Attributes[string(k)])
		}
		n += v
	}
	return n, nil
}

// RedrivePolicy is the RedrivePolicy attribute that sends a queue's
// messages to the queue dlqARN after maxReceiveCount receives.
func RedrivePolicy(dlqARN string, maxReceiveCount int) string {
	return `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"` + strconv.Itoa(maxReceiveCount) + `"}`
}
