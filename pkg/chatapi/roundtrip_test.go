package chatapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

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
