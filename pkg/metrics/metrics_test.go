package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestNames(t *testing.T) {
	want := []string{"Imported", "Deleted", "Queued", "Parked", "Lost", "Failed", "ChatCalls", "ChatErrors", "Retries", "ChatLatency", "SecretFetches", "UserSigsIssued"}
	all := Names()
	if len(all) != len(want) {
		t.Fatalf("%d names, want %d", len(all), len(want))
	}
	for i, n := range all {
		if n.String() != want[i] {
			t.Errorf("name %d = %s, want %s", i, n, want[i])
		}
		if p, ok := ParseName(want[i]); !ok || p != n {
			t.Errorf("ParseName(%s) = %v, %v", want[i], p, ok)
		}
		unit := "Count"
		if n == ChatLatency {
			unit = "Milliseconds"
		}
		if n.Unit() != unit {
			t.Errorf("%s: unit %s, want %s", n, n.Unit(), unit)
		}
	}
	if _, ok := ParseName("Nope"); ok {
		t.Error("ParseName accepted an unknown name")
	}
	if Name(200).String() != "unknown" {
		t.Error("an out-of-range Name has a name")
	}
}

func TestNilRecorderDiscards(t *testing.T) {
	var r *Recorder
	r.Add(Imported, 1)
	r.ObserveLatency(time.Second)
	r.TakePending()
	if r.Count(Imported) != 0 || r.Latencies() != nil {
		t.Error("a nil recorder reports something")
	}
	if FromContext(context.Background()) != nil {
		t.Error("FromContext without a recorder is not nil")
	}
}

func TestRecorderIgnoresMisuse(t *testing.T) {
	r := NewRecorder()
	r.Add(ChatLatency, 5) // a latency is not a count
	r.Add(Name(99), 5)
	if r.Count(ChatLatency) != 0 || r.Count(Name(99)) != 0 {
		t.Error("a misused Add was counted")
	}
}

func TestRecorderConcurrent(t *testing.T) {
	r := NewRecorder()
	ctx := NewContext(context.Background(), r)
	var wg sync.WaitGroup
	for range 4 { // the SQS path runs 4 imports at once
		wg.Go(func() {
			for range 250 {
				rec := FromContext(ctx)
				rec.Add(ChatCalls, 1)
				rec.Add(Imported, 2)
				rec.ObserveLatency(time.Millisecond)
			}
		})
	}
	wg.Wait()
	if r.Count(ChatCalls) != 1000 || r.Count(Imported) != 2000 || r.Count(ChatLatency) != 1000 {
		t.Errorf("counts %d %d %d, want 1000 2000 1000", r.Count(ChatCalls), r.Count(Imported), r.Count(ChatLatency))
	}
}

// TestCountPending is not parallel: it owns the process-wide pending counts.
func TestCountPending(t *testing.T) {
	NewRecorder().TakePending() // start from nothing

	Count(context.Background(), SecretFetches, 1) // at init: no recorder
	Count(context.Background(), ChatLatency, 1)   // not a count: dropped
	in := NewRecorder()
	Count(NewContext(context.Background(), in), SecretFetches, 1)
	if in.Count(SecretFetches) != 1 {
		t.Errorf("a count with a recorder did not reach it")
	}

	first, second := NewRecorder(), NewRecorder()
	first.TakePending()
	second.TakePending()
	if first.Count(SecretFetches) != 1 || second.Count(SecretFetches) != 0 {
		t.Errorf("pending taken: first %d, second %d; want 1, 0", first.Count(SecretFetches), second.Count(SecretFetches))
	}
}

// invoker is a Lambda handler that records and answers as told.
type invoker struct {
	imported int64
	err      error
	panics   bool
}

func (i invoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	FromContext(ctx).Add(Imported, i.imported)
	FromContext(ctx).Add(ChatCalls, 1)
	FromContext(ctx).ObserveLatency(2 * time.Millisecond)
	if i.panics {
		panic("boom")
	}
	return payload, i.err
}

func TestHandler(t *testing.T) {
	errFailed := errors.New("failed")
	tests := []struct {
		name string
		next invoker
	}{
		{"success", invoker{imported: 3}},
		{"error", invoker{imported: 0, err: errFailed}},
		{"panic", invoker{imported: 1, panics: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			cfg := Config{Namespace: DefaultNamespace, Function: "import"}
			em, err := NewEmitter(&out, cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := NewHandler(tt.next, em, nil)
			h.now = func() time.Time { return stamp }
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r-42"})
			func() {
				defer func() {
					if p := recover(); (p != nil) != tt.next.panics {
						t.Errorf("panic = %v", p)
					}
				}()
				reply, err := h.Invoke(ctx, []byte(`{"x":1}`))
				if string(reply) != `{"x":1}` || err != tt.next.err {
					t.Errorf("Invoke = %s, %v", reply, err)
				}
			}()
			root := checkDocument(t, out.Bytes(), cfg)
			if fmt.Sprint(root["Imported"]) != fmt.Sprint(tt.next.imported) {
				t.Errorf("Imported = %v, want %d", root["Imported"], tt.next.imported)
			}
			if root["requestId"] != "r-42" || root["ChatLatency"] == nil {
				t.Errorf("document: %s", out.Bytes())
			}
		})
	}
}

func TestHandlerTakesPending(t *testing.T) {
	NewRecorder().TakePending()
	Count(context.Background(), SecretFetches, 1)
	var out bytes.Buffer
	em, _ := NewEmitter(&out, Config{Function: "f"})
	h := NewHandler(invoker{}, em, nil)
	for range 2 {
		if _, err := h.Invoke(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	var s Summary
	lines := bytes.SplitAfter(out.Bytes(), []byte("\n"))
	for _, want := range []int64{1, 0} {
		s = Summary{}
		if ok, err := s.ParseLine(lines[0]); !ok || err != nil {
			t.Fatalf("ParseLine = %v, %v", ok, err)
		}
		if got := s.Count(SecretFetches); got != want {
			t.Errorf("SecretFetches = %d, want %d", got, want)
		}
		lines = lines[1:]
	}
}

func TestHandlerLogsWriteFailure(t *testing.T) {
	em, _ := NewEmitter(failWriter{}, Config{Function: "f"})
	var logs bytes.Buffer
	h := NewHandler(invoker{}, em, newTestLogger(&logs))
	if _, err := h.Invoke(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logs.Bytes(), []byte("metrics not written")) || !bytes.Contains(logs.Bytes(), []byte("disk full")) {
		t.Errorf("log: %s", logs.Bytes())
	}
}
