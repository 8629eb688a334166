package chatemu_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// raw sends a signed request with client and returns the response, or the
// transport error.
func raw(ctx context.Context, client *http.Client, emu *chatemu.Running, cmd, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, emu.URL+chatemu.Prefix+cmd+"?"+query(admin).Encode(), strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	return client.Do(req)
}

func TestFaultCode(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Inject(chatemu.Fault{Command: chat.CmdCheck, Code: chat.CodeServerError, Times: 2})
	if n := emu.PendingFaults(); n != 2 {
		t.Fatalf("PendingFaults() = %d, want 2", n)
	}
	check := items("CheckItem", "a")
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"a"}`), 0) // another command: untouched
	wantCode(t, call(t, emu, chat.CmdCheck, check), chat.CodeServerError)
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"b"}`), 0)
	wantCode(t, call(t, emu, chat.CmdCheck, check), chat.CodeServerError)
	wantCode(t, call(t, emu, chat.CmdCheck, check), 0)
	if n := emu.PendingFaults(); n != 0 {
		t.Fatalf("PendingFaults() = %d, want 0", n)
	}
}

func TestFaultQueueOrder(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Inject(chatemu.Fault{Code: chat.CodeRateLimited})
	emu.Inject(chatemu.Fault{Code: chat.CodeServerTimeout})
	body := `{"UserID":"a"}`
	wantCode(t, call(t, emu, chat.CmdImport, body), chat.CodeRateLimited)
	wantCode(t, call(t, emu, chat.CmdImport, body), chat.CodeServerTimeout)
	wantCode(t, call(t, emu, chat.CmdImport, body), 0)
}

func TestFaultStatus(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Inject(chatemu.Fault{Status: http.StatusBadGateway})
	resp, err := raw(t.Context(), http.DefaultClient, emu, chat.CmdImport, `{"UserID":"a"}`)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || strings.HasPrefix(body, "{") {
		t.Fatalf("HTTP %d %q, want 502 and a text body", resp.StatusCode, body)
	}
	if emu.Has("a") {
		t.Fatal("a faulted request took effect")
	}
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"a"}`), 0)
}

func TestFaultDelay(t *testing.T) {
	emu := start(t, chatemu.Options{})
	const d = 100 * time.Millisecond

	emu.Inject(chatemu.Fault{Delay: d})
	begin := time.Now()
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"a"}`), 0)
	if took := time.Since(begin); took < d {
		t.Fatalf("answered after %v, want at least %v", took, d)
	}
	if !emu.Has("a") {
		t.Fatal("a delayed request did not take effect")
	}

	emu.Inject(chatemu.Fault{Delay: d, Code: chat.CodeServerTimeout})
	begin = time.Now()
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"b"}`), chat.CodeServerTimeout)
	if took := time.Since(begin); took < d {
		t.Fatalf("answered after %v, want at least %v", took, d)
	}
}

func TestFaultDelayCanceled(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Inject(chatemu.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err := raw(ctx, emu.Client(), emu, chat.CmdImport, `{"UserID":"a"}`)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	if took := time.Since(begin); took > 10*time.Second {
		t.Fatalf("cancellation took %v", took)
	}
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"b"}`), 0)
}

func TestFaultDrop(t *testing.T) {
	for _, applied := range []bool{false, true} {
		emu := start(t, chatemu.Options{})
		emu.Inject(chatemu.Fault{Drop: true, Applied: applied})
		client := emu.Client()
		resp, err := raw(t.Context(), client, emu, chat.CmdImport, `{"UserID":"a"}`)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("applied=%v: HTTP %d, want a dropped connection", applied, resp.StatusCode)
		}
		if emu.Has("a") != applied {
			t.Fatalf("applied=%v: Has(a) = %v", applied, emu.Has("a"))
		}
		resp, err = raw(t.Context(), client, emu, chat.CmdImport, `{"UserID":"a"}`)
		if err != nil {
			t.Fatalf("applied=%v: after the drop: %v", applied, err)
		}
		resp.Body.Close()
	}
}

func TestFaultApplied(t *testing.T) {
	emu := start(t, chatemu.Options{})
	emu.Inject(chatemu.Fault{Code: chat.CodeServerError, Applied: true})
	wantCode(t, call(t, emu, chat.CmdImport, `{"UserID":"a"}`), chat.CodeServerError)
	if !emu.Has("a") {
		t.Fatal("an Applied fault's request did not take effect")
	}
}

func TestFaultFunc(t *testing.T) {
	emu := start(t, chatemu.Options{})
	var calls atomic.Int64
	emu.SetFaultFunc(func(cmd string) *chatemu.Fault {
		if calls.Add(1)%5 == 0 { // one request in five
			return &chatemu.Fault{Code: chat.CodeServerError, Times: 100} // Times ignored
		}
		return nil
	})
	failed := 0
	for range 50 {
		if env := call(t, emu, chat.CmdCheck, items("CheckItem", "a")); env.ErrorCode == chat.CodeServerError {
			failed++
		}
	}
	if failed != 10 {
		t.Fatalf("%d faulted requests, want 10", failed)
	}

	// A queued fault takes precedence and the function is not asked.
	emu.Inject(chatemu.Fault{Code: chat.CodeRateLimited})
	before := calls.Load()
	wantCode(t, call(t, emu, chat.CmdCheck, items("CheckItem", "a")), chat.CodeRateLimited)
	if calls.Load() != before {
		t.Fatal("the fault function was asked despite a queued fault")
	}

	emu.Inject(chatemu.Fault{Code: chat.CodeRateLimited})
	emu.ClearFaults()
	for range 10 {
		wantCode(t, call(t, emu, chat.CmdCheck, items("CheckItem", "a")), 0)
	}
}

func TestStartTLS(t *testing.T) {
	emu, err := chatemu.StartTLS(chatemu.Options{SDKAppID: appID, Key: key, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if !strings.HasPrefix(emu.URL, "https://127.0.0.1:") || emu.CertPool() == nil || emu.ClientTLSConfig() == nil {
		t.Fatalf("URL %q, CertPool %v", emu.URL, emu.CertPool())
	}

	client := emu.Client()
	resp, err := raw(t.Context(), client, emu, chat.CmdImport, `{"UserID":"a"}`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/1.1" || !emu.Has("a") {
		t.Fatalf("%s %d, Has(a) = %v", resp.Proto, resp.StatusCode, emu.Has("a"))
	}

	emu.Inject(chatemu.Fault{Drop: true})
	if resp, err := raw(t.Context(), client, emu, chat.CmdCheck, items("CheckItem", "a")); err == nil {
		resp.Body.Close()
		t.Fatal("a dropped request was answered")
	}

	// A client that does not trust the certificate is refused.
	if resp, err := raw(t.Context(), &http.Client{}, emu, chat.CmdCheck, items("CheckItem", "a")); err == nil {
		resp.Body.Close()
		t.Fatal("an untrusting client was answered")
	}
}

func TestStartPlain(t *testing.T) {
	emu := start(t, chatemu.Options{})
	if !strings.HasPrefix(emu.URL, "http://127.0.0.1:") || emu.CertPool() != nil || emu.ClientTLSConfig() != nil {
		t.Fatalf("URL %q, CertPool %v", emu.URL, emu.CertPool())
	}
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Post(emu.URL+chatemu.Prefix+chat.CmdCheck, "application/json", nil); err == nil {
		t.Fatal("a closed emulator answered")
	}
}
