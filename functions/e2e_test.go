// Package functions_test drives the compiled bootstraps of both functions
// through the Lambda Runtime API, with their real AWS SDK clients talking
// to moto_server (Secrets Manager, SQS) and their Chat client talking to the
// emulator, using the sample events in events/.
package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/chatsync/chat-lambdas/internal/bench"
	"github.com/chatsync/chat-lambdas/internal/lambdatest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

const testKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

var (
	buildMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bootstraps")
	if err != nil {
		panic(err)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles a function for this machine, as the Makefile does for
// Lambda (the same tags and flags, another GOARCH: bench.Build), once per
// test binary.
func build(t *testing.T, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if out, ok := built[name]; ok {
		return out
	}
	out := filepath.Join(buildDir, name)
	if err := bench.Build("..", "./functions/"+name, out, "", ""); err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	built[name] = out
	return out
}

type world struct {
	emu      *chatemu.Running
	moto     *moto.Server
	sqs      *sqs.Client
	retryURL string
	dlqURL   string
	env      []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := moto.Start(t)
	ctx := context.Background()
	cfg := srv.Config()
	secretID := moto.UniqueName(t, "chat-admin")
	_, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(secretID),
		SecretString: aws.String(`{"sdkAppId":"1400000000","secretKey":"` + testKey + `"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{moto: srv, sqs: sqs.NewFromConfig(cfg)}
	for _, q := range []*string{&w.retryURL, &w.dlqURL} {
		out, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(t, "q"))})
		if err != nil {
			t.Fatal(err)
		}
		*q = *out.QueueUrl
	}
	w.emu = chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	w.env = []string{
		"CHAT_SECRET_ID=" + secretID,
		"CHAT_BASE_URL=" + w.emu.URL,
		"RETRY_QUEUE_URL=" + w.retryURL,
		"DEAD_LETTER_QUEUE_URL=" + w.dlqURL,
		"AWS_ENDPOINT_URL=" + srv.URL,
		"AWS_REGION=" + moto.Region,
		"AWS_ACCESS_KEY_ID=" + moto.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + moto.SecretAccessKey,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_FUNCTION_NAME=test",
	}
	return w
}

func start(t *testing.T, bin string, env []string) *lambdatest.Process {
	t.Helper()
	p, err := lambdatest.Start(bin, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.WaitReady(ctx); err != nil {
		t.Fatalf("%v\n%s", err, p.Stdout)
	}
	return p
}

func call(t *testing.T, p *lambdatest.Process, payload []byte, timeout time.Duration) lambdatest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	r, err := p.Invoke(ctx, payload, timeout)
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, p.Stdout)
	}
	return r
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func httpStatus(t *testing.T, raw []byte) (int, chat.Envelope) {
	t.Helper()
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("not an API Gateway response: %s", raw)
	}
	var env chat.Envelope
	json.Unmarshal([]byte(resp.Body), &env)
	return resp.StatusCode, env
}

func TestBootstrapsWithSampleEvents(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	imp := start(t, build(t, "import"), w.env)
	del := start(t, build(t, "delete"), w.env)

	// Every events/ file goes to the function it is for and gets the reply
	// docs/http-api.md documents.
	importEvents := []eventCase{
		{"cognito-signup.json", func(t *testing.T, in []byte, r lambdatest.Result) {
			if !bytes.Equal(r.Payload, in) {
				t.Errorf("reply is not the event's own bytes: %s", r.Payload)
			}
			if !w.emu.Has("6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b") {
				t.Error("the sign-up's account was not imported")
			}
		}},
		{"cognito-forgot-password.json", func(t *testing.T, in []byte, r lambdatest.Result) {
			if !bytes.Equal(r.Payload, in) {
				t.Errorf("reply is not the event's own bytes: %s", r.Payload)
			}
		}},
		{"http-import.json", wantHTTP(200)},
		{"http-import-batch.json", wantHTTP(200)},
		{"rest-import.json", wantHTTP(200)},
		{"direct-import.json", wantEnvelope("OK")},
		{"direct-import-batch.json", wantEnvelope("OK")},
		{"sqs-retry.json", func(t *testing.T, in []byte, r lambdatest.Result) {
			var resp events.SQSEventResponse
			if err := json.Unmarshal(r.Payload, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("reply %s, want no batch item failures", r.Payload)
			}
			if !w.emu.Has("dave") {
				t.Error("the queued import did not happen")
			}
		}},
	}
	runEvents(t, "import/", imp, importEvents)
	forgotten := w.emu.Requests(chat.CmdImport)
	call(t, imp, readEvent(t, "cognito-forgot-password.json"), 10*time.Second)
	if w.emu.Requests(chat.CmdImport) != forgotten {
		t.Error("a forgot-password confirmation made a Chat call")
	}

	const aliceID = "0f3c9a527a5e4c1b9d3e2b8f6a1c4d7e" // the sub of the sample lifecycle events' alice
	w.emu.Seed(aliceID)
	// UserSigs issued before the deletes, which a delete of one account
	// must leave refused at login (70052) rather than able to register the
	// account again.
	if !w.emu.Has("bob") {
		t.Fatal("bob, whom the batch delete names, was not imported")
	}
	sigs := map[string]string{}
	for _, id := range []string{"alice", "carol"} {
		sigs[id] = usersig.Generate([]byte(testKey), 1400000000, id, time.Now().Add(-time.Minute), time.Hour)
		if err := w.emu.Login(id, sigs[id]); err != nil {
			t.Fatalf("%s's login before the delete: %v", id, err)
		}
	}
	kickedThenDeleted := func(id string, want func(t *testing.T, in []byte, r lambdatest.Result)) func(t *testing.T, in []byte, r lambdatest.Result) {
		return func(t *testing.T, in []byte, r lambdatest.Result) {
			want(t, in, r)
			if _, kicked := w.emu.KickedAt(id); !kicked || w.emu.Has(id) {
				t.Errorf("%s: kicked %v, still there %v; want kicked, then deleted", id, kicked, w.emu.Has(id))
			}
			if err := w.emu.Login(id, sigs[id]); chat.ErrorCode(err) != chat.CodeSigInvalidated || w.emu.Has(id) {
				t.Errorf("%s's login with the UserSig issued before: %v, account back %v; want %d", id, err, w.emu.Has(id), chat.CodeSigInvalidated)
			}
		}
	}
	deleteEvents := []eventCase{
		{"http-delete-path.json", kickedThenDeleted("alice", wantHTTP(200))},
		{"http-delete-body.json", func(t *testing.T, in []byte, r lambdatest.Result) {
			wantHTTP(200)(t, in, r)
			if _, kicked := w.emu.KickedAt("bob"); kicked || w.emu.Has("bob") {
				t.Errorf("bob, deleted in a batch of two: kicked %v, still there %v; want deleted with no kick", kicked, w.emu.Has("bob"))
			}
		}},
		{"direct-delete.json", kickedThenDeleted("carol", wantEnvelope("OK"))},
		{"sqs-lifecycle-delete.json", func(t *testing.T, in []byte, r lambdatest.Result) {
			var resp events.SQSEventResponse
			if err := json.Unmarshal(r.Payload, &resp); r.Failed() || err != nil || len(resp.BatchItemFailures) != 0 {
				t.Errorf("reply %s %s, want no batch item failures", r.Payload, r.Error)
			}
			if _, kicked := w.emu.KickedAt(aliceID); !kicked || w.emu.Has(aliceID) {
				t.Errorf("the queued delete: kicked %v, account still there %v", kicked, w.emu.Has(aliceID))
			}
		}},
	}
	runEvents(t, "delete/", del, deleteEvents)

	t.Run("unknown event is a function error", func(t *testing.T) {
		before := w.emu.TotalRequests()
		for _, p := range []*lambdatest.Process{imp, del} {
			if r := call(t, p, []byte(`"hello"`), 5*time.Second); !r.Failed() {
				t.Errorf("reply %s, want a function error", r.Payload)
			}
		}
		if w.emu.TotalRequests() != before {
			t.Error("an unknown event made a Chat call")
		}
	})

	t.Run("logs", func(t *testing.T) {
		for _, p := range []*lambdatest.Process{imp, del} {
			out := p.Stdout.String()
			assertNoSecrets(t, out)
			n := 0
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Errorf("log line is not JSON: %s", line)
					continue
				}
				if m["requestId"] != nil {
					n++
				}
			}
			if n == 0 {
				t.Errorf("no log line carries a requestId:\n%s", out)
			}
		}
	})
}

func wantHTTP(status int) func(t *testing.T, in []byte, r lambdatest.Result) {
	return func(t *testing.T, in []byte, r lambdatest.Result) {
		got, env := httpStatus(t, r.Payload)
		if got != status || env.ActionStatus != "OK" {
			t.Errorf("status %d, envelope %+v; want %d OK\n%s", got, env, status, r.Payload)
		}
	}
}

func wantEnvelope(status string) func(t *testing.T, in []byte, r lambdatest.Result) {
	return func(t *testing.T, in []byte, r lambdatest.Result) {
		var env chat.Envelope
		if err := json.Unmarshal(r.Payload, &env); err != nil || env.ActionStatus != status {
			t.Errorf("reply %s, want ActionStatus %s", r.Payload, status)
		}
	}
}

func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testKey, "usersig=", "eJy", "eJw"} {
		if strings.Contains(s, secret) {
			t.Errorf("output leaks %q", secret)
		}
	}
}

// TestSignUpDuringOutage follows one sign-up through a Chat outage: the
// trigger queues it in (moto's) SQS within Cognito's budget, the queue
// consumer fails while Chat is still down, and imports it once Chat is back.
func TestSignUpDuringOutage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	imp := start(t, build(t, "import"), w.env)
	w.emu.Inject(chatemu.Fault{Code: 70500, Times: 1 << 20})

	signUp := readEvent(t, "cognito-signup.json")
	begin := time.Now()
	r := call(t, imp, signUp, 60*time.Second) // the function's timeout; Cognito waits 5 s
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("trigger answered after %v, past Cognito's 5 s", took)
	}
	if r.Failed() || !bytes.Equal(r.Payload, signUp) {
		t.Fatalf("reply %s, error %s: want the event back", r.Payload, r.Error)
	}

	ctx := context.Background()
	got, err := w.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.retryURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 {
		t.Fatalf("retry queue holds %d messages, want 1", len(got.Messages))
	}
	m := got.Messages[0]
	p, err := chat.DecodePendingImport([]byte(*m.Body))
	if err != nil || p.Account.UserID != "6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b" || p.UserPoolID != "us-east-1_EXAMPLE" {
		t.Fatalf("queued %+v, %v", p, err)
	}

	sqsEvent, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: *m.MessageId, ReceiptHandle: *m.ReceiptHandle, Body: *m.Body,
		EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:retry",
	}}})
	r = call(t, imp, sqsEvent, 3*time.Second)
	var resp events.SQSEventResponse
	if json.Unmarshal(r.Payload, &resp); len(resp.BatchItemFailures) != 1 {
		t.Fatalf("while Chat is down: %s, want one batch item failure", r.Payload)
	}

	w.emu.ClearFaults()
	r = call(t, imp, sqsEvent, 10*time.Second)
	resp = events.SQSEventResponse{}
	if json.Unmarshal(r.Payload, &resp); len(resp.BatchItemFailures) != 0 || !w.emu.Has(p.Account.UserID) {
		t.Fatalf("once Chat is back: %s, imported %v", r.Payload, w.emu.Has(p.Account.UserID))
	}
	waitForLog(t, imp, `"import queued"`)
}

// eventCase is a file of events/ and the check of the function's reply to
// it.
type eventCase struct {
	file  string
	check func(t *testing.T, in []byte, r lambdatest.Result)
}

// runEvents sends each case's event to p in a subtest named prefix+file;
// a function error fails it, else the case checks the reply.
func runEvents(t *testing.T, prefix string, p *lambdatest.Process, cases []eventCase) {
	for _, ev := range cases {
		t.Run(prefix+ev.file, func(t *testing.T) {
			in := readEvent(t, ev.file)
			r := call(t, p, in, 30*time.Second)
			if r.Failed() {
				t.Fatalf("function error: %s", r.Error)
			}
			ev.check(t, in, r)
		})
	}
}

// initOutput starts the bootstrap of the function name with env, waits for
// it to exit (its init must fail) and returns what it printed, trimmed.
func initOutput(t *testing.T, name string, env ...string) string {
	t.Helper()
	p, err := lambdatest.Start(build(t, name), env)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not exit")
	}
	p.Stop()
	return strings.TrimSpace(p.Stdout.String())
}

// TestBadConfigFailsInit checks that a missing setting stops the process at
// init with one line naming it.
func TestBadConfigFailsInit(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	for _, name := range []string{"import", "delete"} {
		out := initOutput(t, name, "CHAT_SECRET_ID=", "CHAT_REGION=mars")
		if strings.Count(out, "\n") != 0 || !strings.Contains(out, "CHAT_SECRET_ID is required") || !strings.Contains(out, `CHAT_REGION "mars"`) {
			t.Errorf("%s: init output %q, want one line naming both settings", name, out)
		}
	}
}

// TestLostImportLine checks the exact log line the template's metric filter
// ({ $.message = "lost import" }) counts: with no retry queue and Chat down,
// the trigger fails and says so.
func TestLostImportLine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	var env []string
	for _, kv := range w.env {
		if !strings.HasPrefix(kv, "RETRY_QUEUE_URL=") {
			env = append(env, kv)
		}
	}
	imp := start(t, build(t, "import"), env)
	w.emu.Inject(chatemu.Fault{Status: 502, Times: 1 << 20})
	r := call(t, imp, readEvent(t, "cognito-signup.json"), 60*time.Second)
	if !r.Failed() {
		t.Fatalf("reply %s: want a function error", r.Payload)
	}
	var lost map[string]any
	waitForLog(t, imp, `"message":"lost import"`)
	for _, line := range strings.Split(imp.Stdout.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "lost import" {
			lost = m
		}
	}
	if lost == nil || lost["level"] != "ERROR" || lost["userPoolId"] != "us-east-1_EXAMPLE" || lost["userName"] == nil || lost["requestId"] == nil {
		t.Fatalf("no lost-import line with level, pool, username and request ID:\n%s", imp.Stdout)
	}
	assertNoSecrets(t, imp.Stdout.String()+string(r.Error))
}

// TestDeadLetterPaths covers both ways to the dead-letter queue, on moto's
// SQS: a sign-up with no usable UserID is parked there at once by the
// trigger, and a poison retry message gets there through the queue's
// redrive policy after maxReceiveCount failed deliveries.
func TestDeadLetterPaths(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the bootstraps are Linux programs")
	}
	w := newWorld(t)
	ctx := context.Background()
	dlqArn, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(w.dlqURL), AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	const maxReceive = 3
	if _, err := w.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(w.retryURL), Attributes: map[string]string{
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqArn.Attributes["QueueArn"] + `","maxReceiveCount":"` + fmt.Sprint(maxReceive) + `"}`,
		"VisibilityTimeout": "0",
	}}); err != nil {
		t.Fatal(err)
	}
	imp := start(t, build(t, "import"), w.env)

	// No sub: no Chat call, parked with the reason, the event returned.
	noSub := bytes.Replace(readEvent(t, "cognito-signup.json"), []byte(`"sub"`), []byte(`"not-sub"`), 1)
	before := w.emu.TotalRequests()
	if r := call(t, imp, noSub, 30*time.Second); r.Failed() || !bytes.Equal(r.Payload, noSub) {
		t.Fatalf("reply %s, error %s", r.Payload, r.Error)
	}
	if w.emu.TotalRequests() != before {
		t.Error("an unusable UserID cost a Chat call")
	}
	parked := receiveAll(t, w, w.dlqURL)
	if len(parked) != 1 {
		t.Fatalf("dead-letter queue holds %d messages, want 1", len(parked))
	}
	if p, err := chat.DecodePendingImport([]byte(*parked[0].Body)); err != nil || !strings.Contains(p.Reason, "no usable UserID") || p.UserPoolID != "us-east-1_EXAMPLE" {
		t.Errorf("parked %+v, %v", p, err)
	}

	// A poison message: every delivery is a batch item failure until SQS
	// moves it to the dead-letter queue.
	if _, err := w.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(w.retryURL), MessageBody: aws.String(`{"version":99,"account":{"UserID":"x"}}`)}); err != nil {
		t.Fatal(err)
	}
	deliveries := 0
	for range 10 {
		got, err := w.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.retryURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Messages) == 0 {
			break
		}
		deliveries++
		m := got.Messages[0]
		ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: *m.MessageId, Body: *m.Body, EventSource: "aws:sqs"}}})
		var resp events.SQSEventResponse
		if json.Unmarshal(call(t, imp, ev, 10*time.Second).Payload, &resp); len(resp.BatchItemFailures) != 1 {
			t.Fatalf("poison message was not reported as a failure: %+v", resp)
		}
	}
	if deliveries != maxReceive {
		t.Errorf("poison message delivered %d times, want %d", deliveries, maxReceive)
	}
	if dead := receiveAll(t, w, w.dlqURL); len(dead) != 1 || !strings.Contains(*dead[0].Body, `"version":99`) {
		t.Errorf("dead-letter queue after redrive: %d messages", len(dead))
	}
}

func receiveAll(t *testing.T, w *world, url string) []sqstypes.Message {
	t.Helper()
	got, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	return got.Messages
}

// waitForLog waits for a process's output to contain s: the function posts
// its reply before its last log line has necessarily crossed the pipe.
func waitForLog(t *testing.T, p *lambdatest.Process, s string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(p.Stdout.String(), s) {
			return
		}
	}
	t.Errorf("no %s in the output:\n%s", s, p.Stdout)
}
