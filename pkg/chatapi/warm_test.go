package chatapi_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// warmServer serves an emulator over HTTP or HTTPS and counts the
// connections it accepts.
func warmServer(t *testing.T, useTLS bool) (*chatemu.Server, *httptest.Server, *atomic.Int32) {
	t.Helper()
	emu := chatemu.New(chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(emu)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return emu, srv, &conns
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWarmConnectsWithoutARequest(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		name := "http"
		if useTLS {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			emu, srv, conns := warmServer(t, useTLS)
			c, err := chatapi.New(chatapi.Config{
				BaseURL:     srv.URL,
				Credentials: chatapi.StaticCredentials{SDKAppID: 1400000000, Admin: "administrator", Key: testKey},
				HTTPClient:  &http.Client{Transport: chatapi.NewTransport(srv.Client().Transport.(*http.Transport).TLSClientConfig)},
			})
			if err != nil {
				t.Fatal(err)
			}
			waitWarm(t, c.Warm(context.Background()))
			waitFor(t, "the warm-up connection", func() bool { return conns.Load() == 1 })
			time.Sleep(20 * time.Millisecond) // let a request, had one been sent, arrive
			if n := emu.TotalRequests(); n != 0 {
				t.Fatalf("Warm sent %d requests", n)
			}

			var reused atomic.Bool
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(i httptrace.GotConnInfo) { reused.Store(i.Reused) },
			})
			if _, err := c.ImportAccount(ctx, chat.Account{UserID: "alice"}); err != nil {
				t.Fatal(err)
			}
			if !reused.Load() {
				t.Error("the first request did not get the warmed connection")
			}
			if n := conns.Load(); n != 1 {
				t.Errorf("%d connections, want the warmed one only", n)
			}

			// Once the client has signed a request, Warm does nothing.
			<-c.Warm(context.Background())
			time.Sleep(20 * time.Millisecond)
			if n := conns.Load(); n != 1 {
				t.Errorf("Warm on a used client opened a connection (%d in all)", n)
			}
			if n := emu.TotalRequests(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestWarmUnreachable(t *testing.T) {
	c, err := chatapi.New(chatapi.Config{BaseURL: deadURL(t), Credentials: chatapi.StaticCredentials{SDKAppID: 1, Admin: "a", Key: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	waitWarm(t, c.Warm(context.Background()))
}
