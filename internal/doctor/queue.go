package doctor

import (
	"context"
	"path"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueAPI is the part of the SQS client the queue check uses;
// *sqs.Client implements it.
type QueueAPI interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// DeadLetterQueue checks that the dead-letter queue at url holds no
// message: every message there is an account an operator must look at.
func DeadLetterQueue(ctx context.Context, api QueueAPI, url string) Result {
	name := "dead-letter queue " + path.Base(url)
	out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return Fail(name, "check the URL (the stack's *DeadLetterQueueUrl outputs) and allow sqs:GetQueueAttributes", "cannot read the queue: %v", err)
	}
	n := 0
	for _, k := range []types.QueueAttributeName{
		types.QueueAttributeNameApproximateNumberOfMessages,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
	} {
		v, _ := strconv.Atoi(out.Attributes[string(k)])
		n += v
	}
	if n > 0 {
		return Fail(name, "read why they failed, fix the cause, then redrive them (docs/operations.md, Runbooks)", "%d %s waiting for an operator", n, map[bool]string{true: "message", false: "messages"}[n == 1])
	}
	return Pass(name, "empty")
}
