package poolsync_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// throttled is a pool whose every ListUsers call is throttled until the
// caller gives up; after it is let go (moving = true) it lists one page
// per call, naming the next token.
type throttled struct{ moving bool }

func (l *throttled) ListPage(ctx context.Context, _, _, token string) (cognito.Page, error) {
	if !l.moving {
		<-ctx.Done()
		return cognito.Page{}, ctx.Err()
	}
	return cognito.Page{Next: token + "n"}, nil
}

// sentMessages keeps what the handler sends to the sync queue.
type sentMessages struct{ bodies []string }

func (s *sentMessages) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	s.bodies = append(s.bodies, aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{}, nil
}

// noChat fails every call: a stalled stream lists no one to check.
type noChat struct{ t *testing.T }

func (c noChat) CheckAccounts(context.Context, []string) (chat.CheckResult, error) {
	c.t.Error("a stalled stream called account_check")
	return chat.CheckResult{}, nil
}

func (c noChat) ImportAccounts(context.Context, []chat.Account) (chat.ImportResult, error) {
	c.t.Error("a stalled stream called multiaccount_import")
	return chat.ImportResult{}, nil
}

// TestStalledStreamFails: a stream that lists nothing, round after round,
// hands its page on MaxStalledRounds-1 times, then fails its message (so
// the queue's redrive parks it in the dead-letter queue and its alarm
// fires) instead of handing the same page on for ever; a stream that moves
// again starts its count over.
func TestStalledStreamFails(t *testing.T) {
	lister := &throttled{}
	sent := &sentMessages{}
	h, err := poolsync.NewHandler(poolsync.HandlerConfig{
		Pool: "us-east-1_EXAMPLE", QueueURL: "https://sqs.example/q", Queue: sent, Users: lister, Chat: noChat{t},
		// The listing gives up Reserve before the invocation's deadline,
		// which leaves that long to hand the stream on: ample under -race
		// and a loaded machine, where 1 ms was not.
		Margin: time.Millisecond, Reserve: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(body string) (failed bool) {
		t.Helper()
		ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: body, EventSource: "aws:sqs"}}}
		payload, _ := json.Marshal(ev)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		reply, err := h.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("function error %v", err)
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(reply, &resp); err != nil {
			t.Fatal(err)
		}
		return len(resp.BatchItemFailures) == 1
	}
	body := `{"version":1,"prefix":"a","token":"t"}`
	for round := 1; round < poolsync.MaxStalledRounds; round++ {
		before := len(sent.bodies)
		if deliver(body) {
			t.Fatalf("round %d failed; a stream may stall %d rounds before it fails", round, poolsync.MaxStalledRounds-1)
		}
		if len(sent.bodies) != before+1 {
			t.Fatalf("round %d handed nothing on", round)
		}
		body = sent.bodies[len(sent.bodies)-1]
		var m poolsync.Message
		if err := json.Unmarshal([]byte(body), &m); err != nil || m.Token != "t" || m.Stalled != round {
			t.Fatalf("round %d handed on %s (%v), want the same token with stalled=%d", round, body, err, round)
		}
	}
	n := len(sent.bodies)
	if !deliver(body) {
		t.Fatalf("round %d without progress was acknowledged", poolsync.MaxStalledRounds)
	}
	if len(sent.bodies) != n {
		t.Fatalf("the stalled stream was handed on again: %s", sent.bodies[len(sent.bodies)-1])
	}
	// Delivered again once Cognito lets it through: it moves, and the count
	// starts over.
	lister.moving = true
	if deliver(body) {
		t.Fatal("the stream failed although it listed pages")
	}
	var m poolsync.Message
	if err := json.Unmarshal([]byte(sent.bodies[len(sent.bodies)-1]), &m); err != nil || m.Stalled != 0 || m.Token == "t" {
		t.Fatalf("after progress: %+v (%v), want a new token and stalled 0", m, err)
	}
}
