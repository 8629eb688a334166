package chatapi_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// warmServer serves an emulator over HTTP or HTTPS and counts the
// connections it accepts, and (over HTTPS) the TLS handshakes it completed:
// a warmed HTTPS connection is of use only once its handshake is done.
func warmServer(t *testing.T, useTLS bool) (emu *chatemu.Server, srv *httptest.Server, conns, handshakes *atomic.Int32) {
	t.Helper()
	emu = chatemu.New(chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	conns, handshakes = new(atomic.Int32), new(atomic.Int32)
	srv = httptest.NewUnstartedServer(emu)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if useTLS {
		srv.TLS = &tls.Config{VerifyConnection: func(tls.ConnectionState) error { handshakes.Add(1); return nil }}
		srv.StartTLS()
	} else {
		handshakes = conns // no handshake: the accepted connection is ready
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return emu, srv, conns, handshakes
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
			emu, srv, conns, handshakes := warmServer(t, useTLS)
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
			// Under load the TLS handshake can outlast Warm's return; a request
			// sent before it ends may dial a second connection.
			waitFor(t, "the warm-up handshake", func() bool { return handshakes.Load() == 1 })
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

// TestRedirectIsNotFollowed checks that a Chat base URL that redirects (a
// misconfiguration) fails as a configuration error after one request,
// instead of the POST being turned into a GET elsewhere.
func TestRedirectIsNotFollowed(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	c, err := chatapi.New(chatapi.Config{BaseURL: srv.URL, Credentials: chatapi.StaticCredentials(testCreds())})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ImportAccount(context.Background(), chat.Account{UserID: "alice"})
	var ce *chat.Error
	if !errors.As(err, &ce) || ce.Class != chat.ClassConfiguration || ce.Status != http.StatusFound {
		t.Fatalf("err = %v, want a configuration error with status 302", err)
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1", hits.Load())
	}
}

// TestHTTPClientSettingsHonoured checks that a caller's http.Client with
// its own Timeout, Jar or redirect policy is used as a whole.
func TestHTTPClientSettingsHonoured(t *testing.T) {
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: testKey})
	emu.Inject(chatemu.Fault{Delay: 300 * time.Millisecond, Times: 100})
	hc := &http.Client{Timeout: 50 * time.Millisecond}
	c, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials()), HTTPClient: hc, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.ImportAccount(context.Background(), chat.Account{UserID: "alice"})
	if err == nil || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("the client's Timeout was not applied: %v after %v", err, time.Since(start))
	}
}

// TestTransportErrorNamesNoQuery checks the error of a failed exchange:
// a *url.Error for the POST, whose URL has no query (no UserSig).
func TestTransportErrorNamesNoQuery(t *testing.T) {
	dead := deadURL(t)
	c, err := chatapi.New(chatapi.Config{BaseURL: dead, Credentials: chatapi.StaticCredentials(testCreds()), MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ImportAccount(context.Background(), chat.Account{UserID: "alice"})
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want one wrapping a *url.Error", err)
	}
	if ue.Op != "Post" || ue.URL != dead+"/v4/im_open_login_svc/account_import" {
		t.Errorf("url.Error = %q %q", ue.Op, ue.URL)
	}
	if strings.Contains(err.Error(), "?") || strings.Contains(err.Error(), "usersig") {
		t.Errorf("error carries the query: %v", err)
	}
}

func testCreds() chat.Credentials {
	return chat.Credentials{SDKAppID: 1400000000, Admin: "administrator", Key: testKey}
}
