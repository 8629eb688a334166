package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// BulkPhase is one half of a bulk run: every account imported, or every
// account deleted, through batch direct invocations.
type BulkPhase struct {
	Command     string        // the Chat command the batches turn into
	Invocations int           // direct invocations made
	Requests    int           // Chat requests sent, retries included
	Elapsed     time.Duration // from the first invocation to the last reply
	Cap         float64       // Tencent's documented cap, requests a second
	Steady      float64       // requests a second over the second half of the requests
	Overall     float64       // Requests / Elapsed
	PeakWindow  int           // most requests sent within any one second
	RateLimited int           // replies carrying a rate-limit code (60007, 60011, 60018, 60019) or HTTP 429
	Failed      int           // accounts the replies list as failed
}

// SteadyShare is Steady as a fraction of the cap.
func (p BulkPhase) SteadyShare() float64 { return p.Steady / p.Cap }

// OverallShare is Overall as a fraction of the cap.
func (p BulkPhase) OverallShare() float64 { return p.Overall / p.Cap }

// BulkResult is a bulk import then delete of Accounts accounts in batches
// of Batch.
type BulkResult struct {
	Accounts, Batch int
	Import, Delete  BulkPhase
}

// RunBulk starts an emulator that enforces Tencent's documented rate caps
// (chatemu.DocumentedRateLimits), builds both handlers on one Chat client
// with its default limits (chatapi.DefaultRateLimits), as one function
// process has them, imports accounts accounts through direct invocations
// of {"AccountList":[...]} with batch accounts each, then deletes them all
// through {"DeleteItem":[...]} invocations, one invocation at a time.
func RunBulk(ctx context.Context, accounts, batch int) (BulkResult, error) {
	res := BulkResult{Accounts: accounts, Batch: batch}
	emu, err := chatemu.Start(chatemu.Options{SDKAppID: AppID, Key: Key, RateLimits: chatemu.DocumentedRateLimits()})
	if err != nil {
		return res, err
	}
	defer emu.Close()
	rec := &recorder{next: chatapi.NewTransport(nil)}
	src, err := secrets.NewSource(&StaticSecret{}, secrets.Config{SecretID: "bench"})
	if err != nil {
		return res, err
	}
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: src, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		return res, err
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	imp := handler.NewImportHandler(handler.ImportConfig{Chat: client, Logger: log})
	del := handler.NewDeleteHandler(handler.DeleteConfig{Chat: client, Logger: log})

	ids := make([]string, accounts)
	for i := range ids {
		ids[i] = fmt.Sprintf("bulk-%06d", i)
	}
	var payloads [2][][]byte
	for lo := 0; lo < accounts; lo += batch {
		var a, d strings.Builder
		a.WriteString(`{"AccountList":[`)
		d.WriteString(`{"DeleteItem":[`)
		for i, id := range ids[lo:min(lo+batch, accounts)] {
			if i > 0 {
				a.WriteByte(',')
				d.WriteByte(',')
			}
			fmt.Fprintf(&a, `{"UserID":%q,"Nick":"Bulk %d"}`, id, lo+i)
			fmt.Fprintf(&d, `{"UserID":%q}`, id)
		}
		a.WriteString(`]}`)
		d.WriteString(`]}`)
		payloads[0] = append(payloads[0], []byte(a.String()))
		payloads[1] = append(payloads[1], []byte(d.String()))
	}

	phases := []struct {
		out     *BulkPhase
		command string
		invoke  func(context.Context, []byte) ([]byte, error)
		want    int // accounts the emulator holds afterwards
	}{
		{&res.Import, chat.CmdMultiImport, imp.Invoke, accounts},
		{&res.Delete, chat.CmdDelete, del.Invoke, 0},
	}
	for i, ph := range phases {
		rec.reset()
		p := BulkPhase{Command: ph.command, Cap: float64(chatemu.DocumentedRateLimits()[ph.command])}
		start := time.Now()
		for n, payload := range payloads[i] {
			// A Lambda invocation's context: the function's timeout (the
			// template's 60 s for import, 30 s for delete) and its identity.
			ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
			ictx = lambdacontext.NewContext(ictx, &lambdacontext.LambdaContext{AwsRequestID: fmt.Sprintf("bulk-%d-%d", i, n)})
			raw, err := ph.invoke(ictx, payload)
			cancel()
			if err != nil {
				return res, fmt.Errorf("%s invocation %d: %w", ph.command, n, err)
			}
			failed, err := failedItems(raw)
			if err != nil {
				return res, fmt.Errorf("%s invocation %d: %w", ph.command, n, err)
			}
			p.Failed += failed
			p.Invocations++
		}
		p.Elapsed = time.Since(start)
		sent, limited := rec.snapshot()
		p.Requests, p.RateLimited = len(sent), limited
		p.Overall = float64(p.Requests) / p.Elapsed.Seconds()
		p.Steady = steadyRate(sent)
		p.PeakWindow = peakWindow(sent, time.Second)
		*ph.out = p
		if got := emu.Len(); got != ph.want {
			return res, fmt.Errorf("after %s the emulator holds %d accounts, want %d", ph.command, got, ph.want)
		}
	}
	return res, nil
}

// failedItems counts the accounts a batch reply reports as not done.
func failedItems(raw []byte) (int, error) {
	var env chat.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return 0, fmt.Errorf("reply %q: %w", raw, err)
	}
	if env.ActionStatus != chat.StatusOK {
		return 0, fmt.Errorf("reply %s", raw)
	}
	n := len(env.FailAccounts)
	for _, it := range env.ResultItem {
		if !it.Deleted() {
			n++
		}
	}
	return n, nil
}

// steadyRate is the rate of the second half of the requests: (k-1)
// intervals over their span, which leaves out the rate limiter's initial
// burst.
func steadyRate(sent []time.Time) float64 {
	half := sent[len(sent)/2:]
	if len(half) < 2 {
		return 0
	}
	span := half[len(half)-1].Sub(half[0]).Seconds()
	if span <= 0 {
		return 0
	}
	return float64(len(half)-1) / span
}

// peakWindow returns the most times within any window of length w.
func peakWindow(ts []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// recorder is an http.RoundTripper that notes when each request is sent and
// counts the replies that say the caller went over a rate limit.
type recorder struct {
	next http.RoundTripper

	mu      sync.Mutex
	sent    []time.Time
	limited int
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.sent, r.limited = nil, 0
	r.mu.Unlock()
}

func (r *recorder) snapshot() ([]time.Time, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := slices.Clone(r.sent)
	slices.SortFunc(s, func(a, b time.Time) int { return a.Compare(b) })
	return s, r.limited
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.sent = append(r.sent, time.Now())
	r.mu.Unlock()
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	var env chat.Envelope
	limited := resp.StatusCode == http.StatusTooManyRequests
	if json.Unmarshal(raw, &env) == nil && chat.Classify(env.ErrorCode) == chat.ClassRateLimited {
		limited = true
	}
	if limited {
		r.mu.Lock()
		r.limited++
		r.mu.Unlock()
	}
	return resp, nil
}
