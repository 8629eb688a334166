package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"golang.org/x/time/rate"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// deployedLimits are the template's defaults that bound how fast the stack
// calls Chat.
type deployedLimits struct {
	routes        map[string]*rate.Limiter // API Gateway's token bucket per route that calls Chat
	importShare   float64                  // the import function's CHAT_RATE_SHARE
	deleteShare   float64
	retryConsumer int // the retry queue's MaximumConcurrency

	lifecycleDeleteConsumers int // the lifecycle delete queue's MaximumConcurrency
}

// cognitoMaxDeleteRate is the highest rate at which Cognito deletes users
// in an account and Region: AdminDeleteUser and DeleteUser are in its
// UserUpdate quota category, 25 requests a second, not adjustable
// (https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html).
// Each delete is one lifecycle event.
const cognitoMaxDeleteRate = 25

func readLimits(t *testing.T) deployedLimits {
	out := loadTemplates(t).Transformed
	l := deployedLimits{routes: map[string]*rate.Limiter{}, importShare: 1, deleteShare: 1}
	for _, s := range resourcesOfType(out, "AWS::ApiGatewayV2::Stage") {
		for key, rs := range asMap(at(s, "Properties", "RouteSettings")) {
			r := num(t, at(rs, "ThrottlingRateLimit"), key)
			b := num(t, at(rs, "ThrottlingBurstLimit"), key)
			l.routes[key] = rate.NewLimiter(rate.Limit(r), int(b))
		}
	}
	share := func(id string) float64 {
		v, _ := at(resource(t, out, id, "AWS::Lambda::Function"), "Properties", "Environment", "Variables", "CHAT_RATE_SHARE").(string)
		if v == "" {
			return 1
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("%s CHAT_RATE_SHARE %q", id, v)
		}
		return f
	}
	l.importShare, l.deleteShare = share("ImportFunction"), share("DeleteFunction")
	l.retryConsumer = int(num(t, at(resource(t, out, "RetryQueueEventSource", "AWS::Lambda::EventSourceMapping"), "Properties", "ScalingConfig", "MaximumConcurrency"), "MaximumConcurrency"))
	l.lifecycleDeleteConsumers = int(num(t, at(resource(t, out, "LifecycleDeleteEventSource", "AWS::Lambda::EventSourceMapping"), "Properties", "ScalingConfig", "MaximumConcurrency"), "MaximumConcurrency"))
	for _, key := range []string{"POST /accounts", "POST /accounts/delete", "DELETE /accounts/{userId}"} {
		if l.routes[key] == nil {
			t.Fatalf("no throttle on %s: the default route throttle is not derived from Chat's caps", key)
		}
	}
	return l
}

// processes is a function's pool of processes as Lambda runs them: each
// handles one invocation at a time with its own Chat client (its own
// limiters), and a new one starts when all are busy.
type processes struct {
	mu    sync.Mutex
	idle  []handlerFunc
	spawn func() handlerFunc
	count int
}

type handlerFunc func(context.Context, []byte) ([]byte, error)

func (p *processes) invoke(payload []byte) ([]byte, error) {
	p.mu.Lock()
	var h handlerFunc
	if n := len(p.idle); n > 0 {
		h, p.idle = p.idle[n-1], p.idle[:n-1]
	} else {
		h = p.spawn()
		p.count++
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.idle = append(p.idle, h)
		p.mu.Unlock()
	}()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "load"})
	ctx, cancel := context.WithTimeout(ctx, 29*time.Second)
	defer cancel()
	return h(ctx, payload)
}

// TestTemplateDefaultsHoldTencentCaps drives every path that calls Chat at
// the limits the template's defaults allow (API Gateway admitting requests
// at each route's throttle, as many function processes as that takes, the
// retry queue drained by its maximum number of consumers; on the delete
// side, lifecycle deletes arriving at Cognito's highest delete rate and
// drained from their queue by its maximum number of consumers, and an
// operator's direct invocations, all at once) against an emulator that
// enforces Tencent's documented per-command caps. Not one account may
// fail, and Chat refuses no request for its rate. Every delete of one
// account (a lifecycle delete, DELETE /accounts/{userId}, a direct
// invocation of one) kicks it first: the kicks counted are exactly those,
// and they too stay under kick's cap.
func TestTemplateDefaultsHoldTencentCaps(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-second load test")
	}
	lim := readLimits(t)
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: strings.Repeat("ab", 32), RateLimits: chatemu.DocumentedRateLimits()})
	log := slog.New(slog.DiscardHandler)
	client := func(share float64) *chatapi.Client {
		c, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials()), RateLimits: chatapi.SharedRateLimits(share)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	imports := &processes{spawn: func() handlerFunc {
		return handler.NewImportHandler(handler.ImportConfig{Chat: client(lim.importShare), Logger: log}).Invoke
	}}
	deletes := &processes{spawn: func() handlerFunc {
		return handler.NewDeleteHandler(handler.DeleteConfig{Chat: client(lim.deleteShare), Logger: log}).Invoke
	}}

	var (
		failed, accounts, throttled atomic.Int64
		seq                         atomic.Int64
		singles                     atomic.Int64 // HTTP and direct deletes of one account, each a kick
		problems                    sync.Map
	)
	fail := func(what string, n int) {
		failed.Add(int64(n))
		problems.LoadOrStore(what, true)
	}
	batch := func(prefix string) []string {
		ids := make([]string, chat.MaxBatch)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s%d", prefix, seq.Add(1))
		}
		return ids
	}
	httpEvent := func(method, path, body string, params map[string]string) []byte {
		b, _ := json.Marshal(events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: method + " " + path, RawPath: path, Body: body, PathParameters: params,
			RequestContext: events.APIGatewayV2HTTPRequestContext{Stage: "$default", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}},
		})
		return b
	}
	checkReply := func(route string, raw []byte, err error, n int) {
		var resp events.APIGatewayV2HTTPResponse
		var env chat.Envelope
		if err != nil || json.Unmarshal(raw, &resp) != nil || resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &env) != nil {
			fail(fmt.Sprintf("%s: %v %d %s", route, err, resp.StatusCode, resp.Body), n)
			return
		}
		bad := len(env.FailAccounts)
		for _, it := range env.ResultItem {
			if !it.Deleted() {
				bad++
			}
		}
		if bad > 0 {
			fail(fmt.Sprintf("%s: %s", route, resp.Body), bad)
		}
		accounts.Add(int64(n))
	}
	type route struct {
		key string
		fn  *processes
		req func() ([]byte, int)
	}
	routes := []route{
		{"POST /accounts", imports, func() ([]byte, int) {
			list := make([]chat.Account, 0, chat.MaxBatch)
			for _, id := range batch("i") {
				list = append(list, chat.Account{UserID: id, Nick: "n"})
			}
			b, _ := json.Marshal(map[string]any{"AccountList": list})
			return httpEvent("POST", "/accounts", string(b), nil), len(list)
		}},
		{"POST /accounts/delete", deletes, func() ([]byte, int) {
			b, _ := json.Marshal(chat.DeleteRequest{DeleteItem: chat.Items(batch("d"))})
			return httpEvent("POST", "/accounts/delete", string(b), nil), chat.MaxBatch
		}},
		{"DELETE /accounts/{userId}", deletes, func() ([]byte, int) {
			id := fmt.Sprintf("s%d", seq.Add(1))
			singles.Add(1)
			return httpEvent("DELETE", "/accounts/"+id, "", map[string]string{"userId": id}), 1
		}},
	}

	const callers = 6 // clients of each route, sending as fast as they are let in
	duration := 3 * time.Second
	stop := time.Now().Add(duration)
	var wg sync.WaitGroup
	for _, r := range routes {
		gate := lim.routes[r.key]
		for range callers {
			wg.Go(func() {
				for time.Now().Before(stop) {
					if !gate.Allow() {
						throttled.Add(1) // API Gateway answers 429
						time.Sleep(2 * time.Millisecond)
						continue
					}
					payload, n := r.req()
					raw, err := r.fn.invoke(payload)
					checkReply(r.key, raw, err, n)
				}
			})
		}
	}
	// The retry queue drained by its maximum number of consumers, each
	// taking full batches of 10 as fast as it can.
	for range lim.retryConsumer {
		h := handler.NewImportHandler(handler.ImportConfig{Chat: client(lim.importShare), Logger: log})
		wg.Go(func() {
			for time.Now().Before(stop) {
				var ev events.SQSEvent
				for i := range 10 {
					p := chat.PendingImport{Version: chat.PendingVersion, Account: chat.Account{UserID: fmt.Sprintf("q%d", seq.Add(1))}, Reason: "load"}
					body, _ := json.Marshal(p)
					ev.Records = append(ev.Records, events.SQSMessage{MessageId: strconv.Itoa(i), Body: string(body), EventSource: "aws:sqs"})
				}
				payload, _ := json.Marshal(ev)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				raw, err := h.Invoke(ctx, payload)
				cancel()
				var resp events.SQSEventResponse
				if err != nil || json.Unmarshal(raw, &resp) != nil {
					fail(fmt.Sprintf("retry queue: %v", err), 10)
					continue
				}
				if n := len(resp.BatchItemFailures); n > 0 {
					fail("retry queue: batch item failures", n)
				}
				accounts.Add(10)
			}
		})
	}
	// Lifecycle deletes: Cognito deleting users at its highest rate, each
	// delete an event the rule puts on the delete function's queue, drained
	// by the event source mapping's consumers in batches of up to 10, each
	// consumer one delete process.
	queue := make(chan []byte, 1<<14)
	lifecycleEvent := lifecycleDeleteTemplate(t)
	var queued, lifecycleDone atomic.Int64
	wg.Go(func() {
		tick := time.NewTicker(time.Second / cognitoMaxDeleteRate)
		defer tick.Stop()
		for time.Now().Before(stop) {
			<-tick.C
			n := seq.Add(1)
			queue <- []byte(strings.ReplaceAll(lifecycleEvent, "0f3c9a52-7a5e-4c1b-9d3e-2b8f6a1c4d7e", fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)))
			queued.Add(1)
		}
	})
	for range lim.lifecycleDeleteConsumers {
		h := handler.NewDeleteHandler(handler.DeleteConfig{Chat: client(lim.deleteShare), Logger: log})
		wg.Go(func() {
			for time.Now().Before(stop) {
				var ev events.SQSEvent
				select {
				case body := <-queue:
					ev.Records = append(ev.Records, events.SQSMessage{MessageId: "0", Body: string(body), EventSource: "aws:sqs"})
				case <-time.After(50 * time.Millisecond):
					continue
				}
			more:
				for len(ev.Records) < 10 {
					select {
					case body := <-queue:
						ev.Records = append(ev.Records, events.SQSMessage{MessageId: strconv.Itoa(len(ev.Records)), Body: string(body), EventSource: "aws:sqs"})
					default:
						break more
					}
				}
				payload, _ := json.Marshal(ev)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				raw, err := h.Invoke(ctx, payload)
				cancel()
				var resp events.SQSEventResponse
				if err != nil || json.Unmarshal(raw, &resp) != nil {
					fail(fmt.Sprintf("lifecycle queue: %v", err), len(ev.Records))
					continue
				}
				if n := len(resp.BatchItemFailures); n > 0 {
					fail("lifecycle queue: batch item failures", n)
				}
				lifecycleDone.Add(int64(len(ev.Records) - len(resp.BatchItemFailures)))
				accounts.Add(int64(len(ev.Records)))
			}
		})
	}
	// An operator invoking the delete function directly, one request after
	// another (one process at a time), of 100 accounts and of one account
	// (kicked first) in turn: one account_delete call each.
	wg.Go(func() {
		h := handler.NewDeleteHandler(handler.DeleteConfig{Chat: client(lim.deleteShare), Logger: log})
		for i := 0; time.Now().Before(stop); i++ {
			ids := batch("x")[:chat.MaxPerCall]
			if i%2 == 1 {
				ids = ids[:1]
				singles.Add(1)
			}
			body, _ := json.Marshal(chat.DeleteRequest{DeleteItem: chat.Items(ids)})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			raw, err := h.Invoke(ctx, body)
			cancel()
			var env chat.Envelope
			if err != nil || json.Unmarshal(raw, &env) != nil || env.ActionStatus != chat.StatusOK {
				fail(fmt.Sprintf("direct delete: %v %s", err, raw), len(ids))
				continue
			}
			accounts.Add(int64(len(ids)))
		}
	})
	// The busiest second of each command, as the emulator counted it.
	peaks := map[string]int{}
	wg.Go(func() {
		cmds := []string{chat.CmdImport, chat.CmdMultiImport, chat.CmdDelete, chat.CmdKick}
		last := map[string]int{}
		for time.Now().Before(stop.Add(time.Second)) {
			time.Sleep(time.Second)
			for _, cmd := range cmds {
				n := emu.Requests(cmd)
				peaks[cmd] = max(peaks[cmd], n-last[cmd])
				last[cmd] = n
			}
		}
	})
	wg.Wait()

	secs := duration.Seconds()
	t.Logf("%d accounts in %v; %d requests throttled; %d import and %d delete processes; %d lifecycle deletes queued at %d/s, %d done by %d consumers; %d HTTP and direct deletes of one account",
		accounts.Load(), duration, throttled.Load(), imports.count, deletes.count, queued.Load(), cognitoMaxDeleteRate, lifecycleDone.Load(), lim.lifecycleDeleteConsumers, singles.Load())
	for _, c := range []struct {
		cmd string
		cap int
	}{{chat.CmdImport, 200}, {chat.CmdMultiImport, 100}, {chat.CmdDelete, 100}, {chat.CmdKick, 200}} {
		t.Logf("%s: %d calls, %.1f/s over the %v, %d in the busiest second, cap %d/s; %d refused for the rate",
			c.cmd, emu.Requests(c.cmd), float64(emu.Requests(c.cmd))/secs, duration, peaks[c.cmd], c.cap, emu.RateLimited(c.cmd))
	}
	t.Logf("%d accounts failed", failed.Load())
	if lifecycleDone.Load() == 0 || emu.Requests(chat.CmdKick) == 0 {
		t.Error("no lifecycle delete was done: the delete side was not loaded")
	}
	if n := failed.Load(); n > 0 {
		problems.Range(func(k, _ any) bool { t.Errorf("failure: %.300s", k); return true })
		t.Fatalf("%d accounts failed at the template's limits", n)
	}
	if accounts.Load() == 0 {
		t.Fatal("no load was applied")
	}
	for _, cmd := range []string{chat.CmdImport, chat.CmdMultiImport, chat.CmdDelete, chat.CmdKick} {
		if n := emu.RateLimited(cmd); n > 0 {
			t.Errorf("%s: Chat refused %d requests over its cap (60007); the template's limits let the stack exceed it", cmd, n)
		}
	}
	// Every delete of one account kicked it once, and no batch did.
	if got, want := int64(emu.Requests(chat.CmdKick)), lifecycleDone.Load()+singles.Load(); got != want || singles.Load() == 0 {
		t.Errorf("%d kicks; want one per lifecycle delete (%d) and per HTTP or direct delete of one account (%d)", got, lifecycleDone.Load(), singles.Load())
	}
}

// lifecycleDeleteTemplate is the sample AdminDeleteUser event in the
// stack's wrapper, as the rule puts it on the delete function's queue.
func lifecycleDeleteTemplate(t *testing.T) string {
	t.Helper()
	ev := readRootFile(t, "events/cloudtrail-admin-delete-user.json")
	b, err := json.Marshal(map[string]any{"userPoolId": "us-east-1_EXAMPLE", "event": json.RawMessage(ev)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
