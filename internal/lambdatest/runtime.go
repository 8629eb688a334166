// Package lambdatest plays the AWS Lambda Runtime API, so tests and
// benchmarks can drive a compiled bootstrap exactly as Lambda does: the
// process polls for the next invocation, then posts a response or an error.
package lambdatest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chatsync/chat-lambdas/internal/syncbuf"
)

const apiPrefix = "/2018-06-01/runtime/"

// Result is what the function answered for one invocation.
type Result struct {
	Payload []byte // the response body, when the function succeeded
	Error   []byte // the error document, when the function failed
}

// Failed reports whether the function returned an error.
func (r Result) Failed() bool { return r.Error != nil }

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan Result
}

// Runtime is an in-process Lambda Runtime API endpoint for one function
// process.
type Runtime struct {
	srv      *http.Server
	ln       net.Listener
	queue    chan *invocation
	mu       sync.Mutex
	inflight map[string]*invocation
	seq      int
	initErr  chan []byte
	polled   chan struct{} // closed at the first poll: init is done
	once     sync.Once
}

// NewRuntime starts a Runtime API endpoint on a free loopback port.
func NewRuntime() (*Runtime, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	rt := &Runtime{
		ln:       ln,
		queue:    make(chan *invocation),
		inflight: make(map[string]*invocation),
		initErr:  make(chan []byte, 1),
		polled:   make(chan struct{}),
	}
	rt.srv = &http.Server{Handler: http.HandlerFunc(rt.serve), ReadHeaderTimeout: 5 * time.Second}
	go rt.srv.Serve(ln)
	return rt, nil
}

// Addr returns the value for AWS_LAMBDA_RUNTIME_API.
func (rt *Runtime) Addr() string { return rt.ln.Addr().String() }

// Close stops the endpoint.
func (rt *Runtime) Close() error { return rt.srv.Close() }

// Ready is closed when the process first asks for an invocation, that is
// when its init phase is over.
func (rt *Runtime) Ready() <-chan struct{} { return rt.polled }

// InitError receives the error document of a failed init.
func (rt *Runtime) InitError() <-chan []byte { return rt.initErr }

// Invoke hands payload to the function with the given timeout and waits for
// its answer, or for ctx.
func (rt *Runtime) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (Result, error) {
	rt.mu.Lock()
	rt.seq++
	id := fmt.Sprintf("req-%06d", rt.seq)
	rt.mu.Unlock()
	inv := &invocation{id: id, payload: payload, deadline: time.Now().Add(timeout), done: make(chan Result, 1)}
	select {
	case rt.queue <- inv:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (rt *Runtime) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	switch {
	case path == "invocation/next" && r.Method == http.MethodGet:
		rt.once.Do(func() { close(rt.polled) })
		var inv *invocation
		select {
		case inv = <-rt.queue:
		case <-r.Context().Done():
			return
		}
		rt.mu.Lock()
		rt.inflight[inv.id] = inv
		rt.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:test")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.Write(inv.payload)
	case path == "init/error" && r.Method == http.MethodPost:
		select {
		case rt.initErr <- body:
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	case strings.HasPrefix(path, "invocation/") && r.Method == http.MethodPost:
		rest := strings.TrimPrefix(path, "invocation/")
		id, what, _ := strings.Cut(rest, "/")
		rt.mu.Lock()
		inv := rt.inflight[id]
		delete(rt.inflight, id)
		rt.mu.Unlock()
		if inv == nil {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		switch what {
		case "response":
			inv.done <- Result{Payload: body}
		case "error":
			inv.done <- Result{Error: body}
		default:
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// Process is a bootstrap running against a Runtime.
type Process struct {
	*Runtime
	Cmd    *exec.Cmd
	Stdout *syncbuf.Buffer
	exited chan error
}

// Start runs the bootstrap at path with env added to this process's
// environment (AWS_LAMBDA_RUNTIME_API is set for it).
func Start(path string, env []string) (*Process, error) {
	rt, err := NewRuntime()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path)
	cmd.Env = append(append(os.Environ(), env...), "AWS_LAMBDA_RUNTIME_API="+rt.Addr())
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		rt.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	p := &Process{Runtime: rt, Cmd: cmd, Stdout: out, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	return p, nil
}

// WaitReady waits until the process has finished its init and polls for
// work; it fails if the process reports an init error or exits.
func (p *Process) WaitReady(ctx context.Context) error {
	select {
	case <-p.Ready():
		return nil
	case doc := <-p.InitError():
		return fmt.Errorf("init error: %s", doc)
	case err := <-p.exited:
		p.exited <- err
		return fmt.Errorf("process exited during init: %v", err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Exited returns the process's exit error once it has exited.
func (p *Process) Exited() <-chan error { return p.exited }

// Stop kills the process and closes the runtime.
func (p *Process) Stop() {
	if p.Cmd.Process != nil {
		p.Cmd.Process.Kill()
	}
	select {
	case err := <-p.exited:
		p.exited <- err
	case <-time.After(5 * time.Second):
	}
	p.Close()
}
