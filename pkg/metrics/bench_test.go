package metrics

import (
	"context"
	"io"
	"testing"
	"time"
)

func BenchmarkAdd(b *testing.B) {
	r := NewRecorder()
	ctx := NewContext(context.Background(), r)
	b.ReportAllocs()
	for b.Loop() {
		FromContext(ctx).Add(ChatCalls, 1)
	}
}

func BenchmarkObserveLatency(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r := NewRecorder()
		r.ObserveLatency(time.Millisecond)
	}
}

// BenchmarkEmit is one invocation's document: a few counts and one
// latency, written to io.Discard.
func BenchmarkEmit(b *testing.B) {
	em, err := NewEmitter(io.Discard, Config{Function: "stack-ImportFunction-AbCdEf123456"})
	if err != nil {
		b.Fatal(err)
	}
	r := NewRecorder()
	r.Add(Imported, 1)
	r.Add(ChatCalls, 1)
	r.ObserveLatency(1200 * time.Microsecond)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if err := em.Emit(r, now, "8f5e9c7a-1b2c-4d3e-9f00-aabbccddeeff"); err != nil {
			b.Fatal(err)
		}
	}
}

type nop struct{}

func (nop) Invoke(ctx context.Context, p []byte) ([]byte, error) {
	r := FromContext(ctx)
	r.Add(Imported, 1)
	r.Add(ChatCalls, 1)
	r.ObserveLatency(time.Millisecond)
	return p, nil
}

// BenchmarkHandler is the whole cost metrics add to one invocation: a
// recorder, the context, three records and the document.
func BenchmarkHandler(b *testing.B) {
	em, err := NewEmitter(io.Discard, Config{Function: "stack-ImportFunction-AbCdEf123456"})
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(nop{}, em, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		h.Invoke(ctx, nil)
	}
}
