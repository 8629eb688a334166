package chatemu

import (
	"context"
	"net/http"
	"time"
)

// Fault scripts a failure. A fault answers a request in place of the
// emulator when it sets Drop, Status or Code (the first set wins, in that
// order); a fault that sets only Delay slows the request down and lets it be
// handled normally.
type Fault struct {
	// Command limits the fault to requests for this command (such as
	// chat.CmdImport); empty means any request.
	Command string

	// Times is how many requests an injected fault affects; 0 means 1. It is
	// ignored for faults returned by a fault function.
	Times int

	// Delay is how long to wait before answering. The wait ends early, with
	// no answer, when the client cancels the request.
	Delay time.Duration

	// Drop closes the connection without answering, as a network failure or
	// a crashed server would. Where the connection cannot be taken over (an
	// HTTP/2 server, a ResponseRecorder), the handler panics with
	// http.ErrAbortHandler instead.
	Drop bool

	// Status answers this HTTP status (such as 502 or 429) with a short
	// text body instead of an envelope.
	Status int

	// Code answers HTTP 200 with a FAIL envelope carrying this ErrorCode.
	Code int

	// Applied executes the request before the fault replaces its answer:
	// the accounts change, but the client does not learn it (a lost reply).
	Applied bool
}

// answers reports whether f replaces the emulator's answer.
func (f *Fault) answers() bool { return f.Drop || f.Status != 0 || f.Code != 0 }

// answer writes f's answer, or drops the connection.
func (f *Fault) answer(w http.ResponseWriter) {
	switch {
	case f.Drop:
		drop(w)
	case f.Status != 0:
		http.Error(w, http.StatusText(f.Status), f.Status)
	default:
		writeEnvelope(w, http.StatusOK, failure(f.Code, "injected fault"))
	}
}

// drop closes the connection under w without answering.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 or a wrapped writer: abort the stream instead.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// sleep waits for d and reports whether ctx was still alive after it.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Inject queues f. Each request takes the first queued fault whose Command
// matches it, until the fault has been used Times times; faults for other
// commands stay queued.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// SetFaultFunc sets a function asked for a fault on every request that no
// queued fault matches; it returns nil for none. It may be called from many
// goroutines at once. A nil fn removes the function. For example, to fail
// one request in five with a transient code:
//
//	s.SetFaultFunc(func(string) *chatemu.Fault {
//		if rand.IntN(5) == 0 {
//			return &chatemu.Fault{Code: chat.CodeServerError}
//		}
//		return nil
//	})
func (s *Server) SetFaultFunc(fn func(cmd string) *Fault) {
	s.mu.Lock()
	s.faultFunc = fn
	s.mu.Unlock()
}

// ClearFaults removes the queued faults and the fault function.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.faultFunc = nil
	s.mu.Unlock()
}

// PendingFaults returns how many requests the queued faults will still
// affect.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.Times
	}
	return n
}

// nextFault takes the fault due for a request for cmd, or returns nil.
func (s *Server) nextFault(cmd string) *Fault {
	s.mu.Lock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.Command != "" && f.Command != cmd {
			continue
		}
		due := *f
		if f.Times--; f.Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		s.mu.Unlock()
		return &due
	}
	fn := s.faultFunc
	s.mu.Unlock()
	if fn == nil {
		return nil
	}
	return fn(cmd)
}
