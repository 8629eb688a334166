package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatsync/chat-lambdas/internal/lambdatest"
	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// ColdSample is one fresh process of a bootstrap driven through the Lambda
// Runtime API: how long from starting the process until it asked for work
// (its init), until it answered its first invocation (the cold start as a
// caller sees it), and the time of each later (warm) invocation.
type ColdSample struct {
	Init  time.Duration
	First time.Duration
	Warm  []time.Duration
}

// Check inspects an invocation's reply; a non-nil error fails the sample.
type Check func(lambdatest.Result) error

// RunCold starts the bootstrap at bin with env, hands it payload at once
// (the Runtime API holds it until the process polls, as Lambda does for the
// invocation that caused a cold start), then warm more times, and stops it.
// The clock starts just before the process is started.
func RunCold(ctx context.Context, bin string, env []string, payload []byte, warm int, check Check) (ColdSample, error) {
	var s ColdSample
	start := time.Now()
	p, err := lambdatest.Start(bin, env)
	if err != nil {
		return s, err
	}
	defer p.Stop()
	ready := make(chan time.Time, 1)
	go func() {
		select {
		case <-p.Ready():
			ready <- time.Now()
		case <-ctx.Done():
		}
	}()
	invoke := func() (time.Duration, error) {
		t0 := time.Now()
		r, err := p.Invoke(ctx, payload, 30*time.Second)
		d := time.Since(t0)
		if err != nil {
			return d, fmt.Errorf("invoke: %w\n%s", err, p.Stdout)
		}
		if check != nil {
			if err := check(r); err != nil {
				return d, fmt.Errorf("%w\n%s", err, p.Stdout)
			}
		}
		return d, nil
	}
	if _, err := invoke(); err != nil {
		return s, err
	}
	s.First = time.Since(start)
	select {
	case t := <-ready:
		s.Init = t.Sub(start)
	case <-ctx.Done():
		return s, ctx.Err()
	}
	for range warm {
		d, err := invoke()
		if err != nil {
			return s, err
		}
		s.Warm = append(s.Warm, d)
	}
	return s, nil
}

// Variant is a bootstrap to start afresh again and again, with the
// environment and first payload it gets.
type Variant struct {
	Name    string
	Bin     string
	Env     []string
	Payload []byte
	Check   Check
}

// ColdStats are the samples of one Variant.
type ColdStats struct {
	Name    string
	Samples []ColdSample
}

func (s ColdStats) pick(f func(ColdSample) time.Duration) []time.Duration {
	ds := make([]time.Duration, len(s.Samples))
	for i, c := range s.Samples {
		ds[i] = f(c)
	}
	return ds
}

// Init is the median time from process start to its first poll.
func (s ColdStats) Init() time.Duration {
	return Median(s.pick(func(c ColdSample) time.Duration { return c.Init }))
}

// First is the median time from process start to the first reply.
func (s ColdStats) First() time.Duration {
	return Median(s.pick(func(c ColdSample) time.Duration { return c.First }))
}

// FirstQuantile is the q-quantile of the first-reply times.
func (s ColdStats) FirstQuantile(q float64) time.Duration {
	return Quantile(s.pick(func(c ColdSample) time.Duration { return c.First }), q)
}

// Warm is the median of every warm invocation of every process.
func (s ColdStats) Warm() time.Duration {
	var ds []time.Duration
	for _, c := range s.Samples {
		ds = append(ds, c.Warm...)
	}
	return Median(ds)
}

// RunColdSet starts every variant rounds times, one of each per round in
// an order that rotates from round to round (so that none always follows
// the same one), each followed by warm warm invocations.
func RunColdSet(ctx context.Context, variants []Variant, rounds, warm int) ([]ColdStats, error) {
	stats := make([]ColdStats, len(variants))
	for i, v := range variants {
		stats[i].Name = v.Name
	}
	for r := range rounds {
		for k := range variants {
			i := (r + k) % len(variants)
			v := variants[i]
			s, err := RunCold(ctx, v.Bin, v.Env, v.Payload, warm, v.Check)
			if err != nil {
				return stats, fmt.Errorf("%s, round %d: %w", v.Name, r+1, err)
			}
			stats[i].Samples = append(stats[i].Samples, s)
		}
	}
	return stats, nil
}

// EnvelopeOK checks that a reply is a Chat envelope with ActionStatus OK.
func EnvelopeOK(r lambdatest.Result) error {
	if r.Failed() {
		return fmt.Errorf("function error: %s", r.Error)
	}
	var env chat.Envelope
	if err := json.Unmarshal(r.Payload, &env); err != nil || env.ActionStatus != chat.StatusOK {
		return fmt.Errorf("reply %s, want ActionStatus OK", r.Payload)
	}
	return nil
}

// Echo checks that a reply is payload itself.
func Echo(payload []byte) Check {
	return func(r lambdatest.Result) error {
		if r.Failed() || !bytes.Equal(bytes.TrimSpace(r.Payload), bytes.TrimSpace(payload)) {
			return fmt.Errorf("reply %s (error %s), want the payload back", r.Payload, r.Error)
		}
		return nil
	}
}
