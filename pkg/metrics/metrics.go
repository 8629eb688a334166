// Package metrics counts what one Lambda invocation did and writes it as a
// CloudWatch embedded metric format (EMF) document: one JSON line on the
// function's standard output, from which CloudWatch Logs extracts the
// metrics with no API call and no agent.
//
// A Recorder holds one invocation's counts. Handler makes one per
// invocation, carries it in the context (NewContext, FromContext) and writes
// it through an Emitter when the invocation ends. The code below the
// handlers records into whatever recorder the context carries: the Chat
// client its calls, errors, retries and latencies, the secret source its
// fetches. A nil *Recorder, which FromContext returns when there is none,
// discards everything, so recording never needs a check.
//
// Work done outside any invocation, such as the secret fetch a function's
// init starts in the background, is counted with Count into a process-wide
// pending count that the next invocation's recorder takes (see
// Recorder.TakePending), so it is reported once, with the invocation that
// waited for it.
package metrics

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Name is one of the metrics this project reports.
type Name uint8

// The metrics. All are counts except ChatLatency.
const (
	Imported       Name = iota // accounts imported into Chat
	Deleted                    // accounts deleted from Chat (or already absent)
	Queued                     // sign-up imports sent to the retry queue
	Parked                     // sign-up imports parked in the dead-letter queue
	Lost                       // sign-up imports that could be neither done nor queued
	Failed                     // accounts whose import or delete failed
	ChatCalls                  // HTTP requests made to Chat (every attempt)
	ChatErrors                 // requests to Chat that failed, whatever the class
	Retries                    // requests to Chat beyond a call's first attempt
	ChatLatency                // milliseconds per request to Chat
	SecretFetches              // reads of the admin secret from Secrets Manager
	UserSigsIssued             // UserSigs handed out to users

	numNames
)

var names = [numNames]string{
	Imported: "Imported", Deleted: "Deleted", Queued: "Queued", Parked: "Parked",
	Lost: "Lost", Failed: "Failed", ChatCalls: "ChatCalls", ChatErrors: "ChatErrors",
	Retries: "Retries", ChatLatency: "ChatLatency", SecretFetches: "SecretFetches",
	UserSigsIssued: "UserSigsIssued",
}

// Names lists every metric, in the order documents list them.
func Names() []Name {
	all := make([]Name, numNames)
	for i := range all {
		all[i] = Name(i)
	}
	return all
}

// String returns the metric's CloudWatch name.
func (n Name) String() string {
	if n < numNames {
		return names[n]
	}
	return "unknown"
}

// Unit returns the metric's CloudWatch unit.
func (n Name) Unit() string {
	if n == ChatLatency {
		return "Milliseconds"
	}
	return "Count"
}

// ParseName returns the metric called s.
func ParseName(s string) (Name, bool) {
	for i, v := range names {
		if v == s {
			return Name(i), true
		}
	}
	return 0, false
}

// MaxValues bounds the latency values one document carries, as the format
// allows at most 100 values per metric.
const MaxValues = 100

// MaxLatencies bounds the latency values one invocation keeps: further
// requests are still counted in ChatCalls, but their latency is not kept.
// An invocation that reaches it writes MaxLatencies/MaxValues documents.
const MaxLatencies = 1000

// Recorder collects one invocation's metrics. It is safe for concurrent
// use. The zero value is ready; a nil *Recorder discards everything.
type Recorder struct {
	counts [numNames]atomic.Int64 // ChatLatency's slot is unused

	mu        sync.Mutex
	latencies []float64 // milliseconds, at most MaxLatencies
	inline    [8]float64
	dropped   int64 // latencies beyond MaxLatencies
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return new(Recorder) }

// Add adds n to the count of name. ChatLatency is not a count: use
// ObserveLatency.
func (r *Recorder) Add(name Name, n int64) {
	if r == nil || name >= numNames || name == ChatLatency {
		return
	}
	r.counts[name].Add(n)
}

// ObserveLatency records the duration of one request to Chat.
func (r *Recorder) ObserveLatency(d time.Duration) {
	if r == nil {
		return
	}
	ms := float64(d.Microseconds()) / 1000
	r.mu.Lock()
	if r.latencies == nil {
		r.latencies = r.inline[:0]
	}
	if len(r.latencies) < MaxLatencies {
		r.latencies = append(r.latencies, ms)
	} else {
		r.dropped++
	}
	r.mu.Unlock()
}

// Count returns the count of name; for ChatLatency, the number of latency
// values kept.
func (r *Recorder) Count(name Name) int64 {
	if r == nil || name >= numNames {
		return 0
	}
	if name == ChatLatency {
		r.mu.Lock()
		defer r.mu.Unlock()
		return int64(len(r.latencies))
	}
	return r.counts[name].Load()
}

// Latencies returns a copy of the latency values recorded, in
// milliseconds, in the order they were recorded.
func (r *Recorder) Latencies() []float64 {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]float64(nil), r.latencies...)
}

// TakePending moves the process-wide pending counts (see Count) into r.
func (r *Recorder) TakePending() {
	if r == nil || !pendingAny.Load() || !pendingAny.Swap(false) {
		return
	}
	for i := range pending {
		if n := pending[i].Swap(0); n != 0 {
			r.counts[i].Add(n)
		}
	}
}

// pending holds counts made outside any invocation; pendingAny is set
// after a count is added to it, so that taking nothing costs one load.
var (
	pending    [numNames]atomic.Int64
	pendingAny atomic.Bool
)

// Count adds n to name in the recorder ctx carries, or, when it carries
// none (work begun at init, in the background), to the process-wide pending
// counts that the next invocation's recorder takes.
func Count(ctx context.Context, name Name, n int64) {
	if r := FromContext(ctx); r != nil {
		r.Add(name, n)
		return
	}
	if name < numNames && name != ChatLatency {
		pending[name].Add(n)
		pendingAny.Store(true)
	}
}

type ctxKey struct{}

// NewContext returns a copy of ctx that carries r.
func NewContext(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// FromContext returns the recorder ctx carries, or nil (which discards).
func FromContext(ctx context.Context) *Recorder {
	r, _ := ctx.Value(ctxKey{}).(*Recorder)
	return r
}
