package handler

import (
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// Lifecycle events reach the functions through an SQS queue: each of the
// stack's EventBridge rules targets the queue of the function that follows
// its events, and the queue's event source mapping delivers them in
// batches. A message's body is the event as the rule sends it (bare, or in
// the stack's wrapper). A message whose event failed in a way that may pass
// is reported as a batch item failure, so SQS delivers it again after the
// queue's visibility timeout and, after maxReceiveCount receives, moves it
// whole to the dead-letter queue. Any other message (done, ignored, refused,
// or no lifecycle event at all) is acknowledged.

// isLifecycleMessage reports whether an SQS message's body is a lifecycle
// event.
func isLifecycleMessage(m events.SQSMessage) bool {
	return classify([]byte(m.Body)) == kindLifecycle
}

// eachMessage decodes the SQS event in payload and runs handle on every
// message, at most sqsConcurrency at once, each with an invocation of its
// own (its own log line and duration), within iv's deadline; it returns the
// batch response: the messages handle reports not done.
func (b *base) eachMessage(iv *invocation, payload []byte, handle func(*invocation, events.SQSMessage) bool) ([]byte, error) {
	var e events.SQSEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, eventError("SQS event", err)
	}
	ctx, cancel := withDeadline(iv.ctx, iv.start, 0, iv.answerMargin)
	defer cancel()
	var (
		mu   sync.Mutex
		resp = events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		wg   sync.WaitGroup
		sem  = make(chan struct{}, sqsConcurrency)
	)
	for _, m := range e.Records {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if !handle(b.begin(ctx), m) {
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return json.Marshal(resp)
}

// lifecycleMessage handles one queued lifecycle event with follow (the
// function's lifecycle handler) and reports whether it is done with: a
// function error is a failure that may pass, so the message stays.
func (iv *invocation) lifecycleMessage(m events.SQSMessage, follow func(*invocation, []byte) ([]byte, error)) bool {
	_, err := follow(iv, []byte(m.Body))
	return err == nil
}

// foreignMessage acknowledges a message that is no event this function
// follows: retrying cannot make it one.
func (iv *invocation) foreignMessage(m events.SQSMessage) bool {
	iv.logOutcome("queued message refused", outcome{
		event: "sqs",
		err:   &EventError{Msg: "not a Cognito lifecycle event: acknowledged, not retried"},
		extra: []slog.Attr{slog.String("messageId", m.MessageId), slog.Int("bytes", len(m.Body))},
	})
	return true
}

// sqs consumes the delete function's queue of lifecycle events.
func (h *DeleteHandler) sqs(iv *invocation, payload []byte) ([]byte, error) {
	return h.eachMessage(iv, payload, func(iv *invocation, m events.SQSMessage) bool {
		if !isLifecycleMessage(m) {
			return iv.foreignMessage(m)
		}
		return iv.lifecycleMessage(m, h.lifecycle)
	})
}
