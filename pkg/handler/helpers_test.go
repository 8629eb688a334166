package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/syncbuf"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

const testKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

// memQueue is an in-memory Queue. The SQS implementation is tested against
// moto in package sqsqueue and end to end.
type memQueue struct {
	mu   sync.Mutex
	msgs []chat.PendingImport
	err  error
}

func (q *memQueue) Send(_ context.Context, p chat.PendingImport) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.msgs = append(q.msgs, p)
	return nil
}

func (q *memQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// logBuffer collects JSON log lines.
type logBuffer struct{ syncbuf.Buffer }

// lines decodes every log line.
func (l *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace([]byte(l.String())), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		out = append(out, m)
	}
	return out
}

// has reports whether a log line has message msg.
func (l *logBuffer) has(t *testing.T, msg string) map[string]any {
	t.Helper()
	for _, m := range l.lines(t) {
		if m["msg"] == msg {
			return m
		}
	}
	return nil
}

type env struct {
	emu    *chatemu.Running
	client *chatapi.Client
	retry  *memQueue
	dlq    *memQueue
	logs   *logBuffer
	log    *slog.Logger // writes JSON lines into logs
	imp    *handler.ImportHandler
	del    *handler.DeleteHandler
}

type envOpts struct {
	mapping       chat.Mapping
	auth          handler.Auth
	noQueues      bool
	cognitoBudget time.Duration
	queueMargin   time.Duration
	credentials   chatapi.CredentialsSource // default: the emulator's, static
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	creds := o.credentials
	if creds == nil {
		creds = chatapi.StaticCredentials(emu.Credentials())
	}
	c, err := chatapi.New(chatapi.Config{
		BaseURL: emu.URL, Credentials: creds,
		BaseBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, MinAttempt: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{emu: emu, client: c, retry: &memQueue{}, dlq: &memQueue{}, logs: &logBuffer{}}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.log = log
	cfg := handler.ImportConfig{
		Chat: c, Mapping: o.mapping, Auth: o.auth, Logger: log,
		RetryQueue: e.retry, DeadLetterQueue: e.dlq,
		CognitoBudget: o.cognitoBudget, QueueMargin: o.queueMargin,
	}
	if o.noQueues {
		cfg.RetryQueue, cfg.DeadLetterQueue = nil, nil
	}
	e.imp = handler.NewImportHandler(cfg)
	e.del = handler.NewDeleteHandler(handler.DeleteConfig{Chat: c, Auth: o.auth, Logger: log})
	t.Cleanup(func() { assertNoSecrets(t, e.logs.String()) })
	return e
}

// ctx returns an invocation context as the Lambda runtime makes it.
func invocation(timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	return context.WithTimeout(ctx, timeout)
}

func invoke(t *testing.T, h interface {
	Invoke(context.Context, []byte) ([]byte, error)
}, payload []byte) ([]byte, error) {
	t.Helper()
	ctx, cancel := invocation(10 * time.Second)
	defer cancel()
	return h.Invoke(ctx, payload)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// httpV2 builds an HTTP API payload 2.0 event.
func httpV2(method, path, body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: path, Body: body,
		Headers: map[string]string{"content-type": "text/plain"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			Stage: "$default",
			HTTP:  events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: "arn:aws:iam::123456789012:user/backend"},
			},
		},
	}
}

// httpV1 returns a REST API (payload 1.0) request as a proxy resource
// passes it.
func httpV1(method, path, body string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource: "/{proxy+}", Path: path, HTTPMethod: method, Body: body,
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "prod", HTTPMethod: method,
			Identity: events.APIGatewayRequestIdentity{UserArn: "arn:aws:iam::123456789012:user/backend"}},
	}
}

// withClaims turns an HTTP API event into one a JWT authorizer passed.
func withClaims(e events.APIGatewayV2HTTPRequest, claims map[string]string) events.APIGatewayV2HTTPRequest {
	e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
	}
	return e
}

type httpReply struct {
	Status  int
	Headers map[string]string
	Env     chat.Envelope
	Err     struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
		ChatCode  int    `json:"chatCode"`
	}
}

func decodeReply(t *testing.T, raw []byte, err error) httpReply {
	t.Helper()
	resp := decodeJSON[events.APIGatewayV2HTTPResponse](t, raw, err, "an HTTP API response")
	r := httpReply{Status: resp.StatusCode, Headers: resp.Headers}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.HasSuffix(resp.Body, "}\n") {
		t.Errorf("body does not end in a newline: %q", resp.Body)
	}
	if resp.StatusCode == 200 {
		if err := json.Unmarshal([]byte(resp.Body), &r.Env); err != nil {
			t.Fatalf("body is not an envelope: %s", resp.Body)
		}
	} else {
		var wrap struct {
			Error *json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &wrap); err != nil || wrap.Error == nil {
			t.Fatalf("error body is not {\"error\":...}: %s", resp.Body)
		}
		json.Unmarshal(*wrap.Error, &r.Err)
	}
	return r
}

func decodeEnvelope(t *testing.T, raw []byte, err error) chat.Envelope {
	t.Helper()
	return decodeJSON[chat.Envelope](t, raw, err, "an envelope")
}

// decodeJSON decodes the reply of an invocation, raw and err, as a T: an
// error, or a reply that is not what (a T), fails the test.
func decodeJSON[T any](t *testing.T, raw []byte, err error, what string) T {
	t.Helper()
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("reply is not %s: %s", what, raw)
	}
	return v
}

func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testKey, "usersig=", "eJy", "eJw"} {
		if bytes.Contains([]byte(s), []byte(secret)) {
			t.Errorf("output leaks %q", secret)
		}
	}
}

var errSQSDown = errors.New("sqs: connection refused")

func mustUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

type invoker interface {
	Invoke(context.Context, []byte) ([]byte, error)
}

func invokeEnv(t *testing.T, h invoker, payload []byte) chat.Envelope {
	t.Helper()
	raw, err := invoke(t, h, payload)
	return decodeEnvelope(t, raw, err)
}

func invokeHTTP(t *testing.T, h invoker, payload []byte) httpReply {
	t.Helper()
	raw, err := invoke(t, h, payload)
	return decodeReply(t, raw, err)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func batchFailures(t *testing.T, raw []byte) map[string]bool {
	t.Helper()
	var resp events.SQSEventResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("reply is not an SQS batch response: %s", raw)
	}
	out := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		out[f.ItemIdentifier] = true
	}
	return out
}

// emuClient is a Chat client of emu, with the emulator's credentials.
func emuClient(t *testing.T, emu *chatemu.Running) *chatapi.Client {
	t.Helper()
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials())})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
