package handler_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
	"github.com/chatsync/chat-lambdas/pkg/sqsqueue"
)

// TestSoak signs up SOAK_SIGNUPS users (default 2,000) concurrently through
// the import handler while 20% of Chat requests fail (error codes, HTTP 502,
// delays past the budget, dropped connections) and the key rotates halfway,
// with the real Secrets Manager and SQS clients on moto. Cognito's 5 s
// budget is scaled down to 1 s. Then it drains the retry queue through the
// same handler and asserts that every account was imported, none was lost,
// and no invocation outlived its budget.
func TestSoak(t *testing.T) {
	signups := 2000
	if testing.Short() {
		signups = 200
	}
	if s := os.Getenv("SOAK_SIGNUPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 2 {
			t.Fatalf("SOAK_SIGNUPS=%q", s)
		}
		signups = n
	}
	const (
		workers    = 24
		budget     = time.Second
		faultShare = 0.20
	)
	srv := moto.Start(t)
	ctx := context.Background()
	awsCfg := srv.Config()
	sm := secretsmanager.NewFromConfig(awsCfg)
	sq := sqs.NewFromConfig(awsCfg)

	secretID := moto.UniqueName(t, "soak")
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(secretID), SecretString: aws.String(`{"sdkAppId":1400000000,"secretKey":"` + testKey + `"}`)}); err != nil {
		t.Fatal(err)
	}
	queue := func(name string) string {
		out, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, name)), Attributes: map[string]string{"VisibilityTimeout": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		return *out.QueueUrl
	}
	retryURL, dlqURL := queue("retry"), queue("dlq")

	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	var faults [4]atomic.Int64
	emu.SetFaultFunc(func(cmd string) *chatemu.Fault {
		if rand.Float64() >= faultShare {
			return nil
		}
		switch k := rand.N(4); k {
		case 0:
			faults[k].Add(1)
			return &chatemu.Fault{Code: []int{70500, 70169, 60007, 30006}[rand.N(4)]}
		case 1:
			faults[k].Add(1)
			return &chatemu.Fault{Status: 502}
		case 2:
			faults[k].Add(1)
			return &chatemu.Fault{Delay: 3 * budget / 2} // past the budget
		default:
			faults[k].Add(1)
			return &chatemu.Fault{Drop: true}
		}
	})

	src, err := secrets.NewSource(sm, secrets.Config{SecretID: secretID, MinRefreshInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	client, err := chatapi.New(chatapi.Config{
		BaseURL: emu.URL, Credentials: src,
		RateLimits:  map[string]float64{}, // the emulator enforces no caps here; pacing would only slow the soak
		BaseBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MinAttempt: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	h := handler.NewImportHandler(handler.ImportConfig{
		Chat: client, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		RetryQueue:      sqsqueue.New(sq, retryURL, "retry queue"),
		DeadLetterQueue: sqsqueue.New(sq, dlqURL, "dead-letter queue"),
		CognitoBudget:   budget, QueueMargin: 300 * time.Millisecond,
	})

	// Sign-ups.
	var (
		next, failed, late atomic.Int64
		slowest            atomic.Int64
		rotate             sync.Once
		wg                 sync.WaitGroup
	)
	ids := make([]string, signups)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x00004000800000000000%04x", i, i%65536)[:32]
	}
	began := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= signups {
					return
				}
				if i == signups/2 {
					rotate.Do(func() {
						const newKey = "rotated-0123456789abcdef0123456789abcdef0123456789abcdef01234567"
						if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(secretID), SecretString: aws.String(`{"sdkAppId":1400000000,"secretKey":"` + newKey + `"}`)}); err != nil {
							t.Error(err)
						}
						emu.RotateKey(newKey)
					})
				}
				sub := ids[i][:8] + "-" + ids[i][8:12] + "-" + ids[i][12:16] + "-" + ids[i][16:20] + "-" + ids[i][20:]
				in := signUp("PostConfirmation_ConfirmSignUp", `"sub":"`+sub+`"`)
				ictx, cancel := context.WithTimeout(ctx, time.Minute) // the function's own timeout
				start := time.Now()
				out, err := h.Invoke(ictx, in)
				took := time.Since(start)
				cancel()
				for {
					s := slowest.Load()
					if int64(took) <= s || slowest.CompareAndSwap(s, int64(took)) {
						break
					}
				}
				if took > budget {
					late.Add(1)
				}
				if err != nil || !bytes.Equal(out, in) {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	signupTime := time.Since(began)

	// Drain the retry queue through the same handler, faults still on.
	drainStart := time.Now()
	var batches, redelivered int
	for time.Since(drainStart) < 90*time.Second {
		got, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(retryURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			if missing(emu, ids) == 0 {
				break
			}
			continue
		}
		ev := events.SQSEvent{}
		for _, m := range got.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: *m.MessageId, ReceiptHandle: *m.ReceiptHandle, Body: *m.Body, EventSource: "aws:sqs"})
		}
		ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
		raw, err := h.Invoke(ictx, mustJSON(t, ev))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		batches++
		failures := batchFailures(t, raw)
		redelivered += len(failures)
		for _, m := range got.Messages {
			if !failures[*m.MessageId] {
				sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(retryURL), ReceiptHandle: m.ReceiptHandle})
			}
		}
	}
	drainTime := time.Since(drainStart)

	lost := strings.Count(logs.String(), `"msg":"lost import"`)
	queued := strings.Count(logs.String(), `"msg":"import queued"`)
	t.Logf("soak: %d sign-ups by %d workers in %v; %d Chat requests, faults: %d codes, %d HTTP 502, %d delays past the budget, %d dropped connections; key rotated at sign-up %d",
		signups, workers, signupTime.Round(time.Millisecond), emu.TotalRequests(), faults[0].Load(), faults[1].Load(), faults[2].Load(), faults[3].Load(), signups/2)
	t.Logf("soak: %d queued for retry, drained in %v over %d batches (%d redeliveries); imported %d/%d, lost %d, failed replies %d, slowest invocation %v (budget %v), secret fetches %d",
		queued, drainTime.Round(time.Millisecond), batches, redelivered, signups-missing(emu, ids), signups, lost, failed.Load(), time.Duration(slowest.Load()).Round(time.Millisecond), budget, src.Fetches())

	if n := missing(emu, ids); n != 0 {
		t.Errorf("%d accounts never imported", n)
	}
	if lost != 0 || failed.Load() != 0 {
		t.Errorf("%d lost imports, %d failed trigger replies", lost, failed.Load())
	}
	if late.Load() != 0 {
		t.Errorf("%d invocations outlived the %v budget (slowest %v)", late.Load(), budget, time.Duration(slowest.Load()))
	}
	if queued == 0 || faults[2].Load() == 0 {
		t.Error("no import was queued: the soak did not exercise the retry path")
	}
	assertNoSecrets(t, logs.String())
}

func missing(emu *chatemu.Running, ids []string) int {
	n := 0
	for _, id := range ids {
		if !emu.Has(id) {
			n++
		}
	}
	return n
}
