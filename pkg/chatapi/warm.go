package chatapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptrace"
	"sync"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

// Warm readies a new client for its first request, in the background, and
// returns at once. A Lambda's init calls it first thing so that the cold
// path overlaps the connection to Chat with the secret fetch and the rest
// of the init, instead of paying for them one after the other:
//
//   - It opens a connection to the base URL (DNS, TCP and the TLS
//     handshake, through the client's own transport, proxy and TLS
//     settings) and leaves it in the transport's pool, without sending any
//     request: Warm starts a request and abandons it as soon as the
//     transport begins to dial, and net/http completes an abandoned dial and
//     keeps the connection for the next request. A request that starts
//     while the dial is still under way is handed this connection as soon as
//     it is ready (the transport may then dial one of its own, which stays
//     idle).
//   - It builds encoding/json's encoders and decoders for the request and
//     reply types, a one-time cost of the first request, while the process
//     waits for the secret rather than after it. (It does not make a
//     throwaway UserSig: zlib's allocation pushed a cold process past its
//     first GC goal, and the collection landed on the first request.)
//
// The trace events that end the abandoned request are net/http's; with an
// HTTPClient whose transport does not report them, the request (a HEAD of
// the base URL's root) may go out, which costs Chat nothing but an answer.
//
// Warm does nothing once the client has signed a request: its pool is warm
// already. The returned channel is closed when the dial has begun and the
// one-time work is done; the dial's outcome is not reported (a failed dial
// costs the first request nothing but its own dial). ctx's values reach the
// dial; its cancellation stops the dial only before it begins.
func (c *Client) Warm(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if c.signed.Load() != nil {
		close(done)
		return done
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.preconnect(ctx) })
	wg.Go(func() { c.precompute() })
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// preconnect makes the transport dial the base URL and keep the connection.
func (c *Client) preconnect(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var once sync.Once
	abandon := func() { once.Do(cancel) }
	// Every hook below runs once the transport has committed to a dial
	// (whose context net/http detaches from the request's), or once it
	// found an idle connection; the request is abandoned there, before
	// anything is written.
	trace := &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { abandon() },
		ConnectStart:      func(string, string) { abandon() },
		TLSHandshakeStart: abandon,
		GotConn:           func(httptrace.GotConnInfo) { abandon() },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodHead, c.BaseURL()+"/", nil)
	if err != nil {
		return
	}
	// Do returns once the request is abandoned; the dial goes on.
	if resp, err := c.http.Do(req); err == nil {
		resp.Body.Close() // only a transport that ignores the trace gets here
	}
}

// warmReply exercises the reply decoder: every field of Envelope.
const warmReply = `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","FailAccounts":["w"],"ResultItem":[{"UserID":"w","ResultCode":0,"ResultInfo":"","AccountStatus":"Imported"}]}`

// precompute pays encoding/json's one-time costs for the request and reply
// types with throwaway values.
func (c *Client) precompute() {
	_, _ = json.Marshal(chat.Account{UserID: "w", Nick: "w"})
	_, _ = json.Marshal(chat.MultiImportRequest{AccountList: []chat.Account{{UserID: "w"}}})
	_, _ = json.Marshal(chat.DeleteRequest{DeleteItem: chat.Items([]string{"w"})})
	var env chat.Envelope
	_ = json.Unmarshal([]byte(warmReply), &env)
}
