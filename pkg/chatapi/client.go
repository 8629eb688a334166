// Package chatapi is a client for the Tencent Cloud Chat server REST API's
// account commands. It signs every request with a cached admin UserSig,
// retries each error class as docs/chat-api.md describes, keeps one process within
// Chat's per-command rate caps, splits batches into calls of at most 100,
// and never lets the key, a UserSig or a signed URL into an error.
package chatapi

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
	"golang.org/x/time/rate"
)

// CredentialsSource supplies the admin credentials that sign requests.
// Credentials is called before every request and must be cheap when warm;
// Refresh is called after a credentials-class error, when the key may have
// been rotated, and must re-read it.
type CredentialsSource interface {
	Credentials(ctx context.Context) (chat.Credentials, error)
	Refresh(ctx context.Context) (chat.Credentials, error)
}

// StaticCredentials is a CredentialsSource that never changes.
type StaticCredentials chat.Credentials

// Credentials returns c.
func (c StaticCredentials) Credentials(context.Context) (chat.Credentials, error) {
	return chat.Credentials(c), nil
}

// Refresh returns c.
func (c StaticCredentials) Refresh(context.Context) (chat.Credentials, error) {
	return chat.Credentials(c), nil
}

// DefaultRateLimits are Tencent's documented per-command caps, in requests a
// second. They apply to the whole app; the client keeps one process under
// them.
var DefaultRateLimits = map[string]float64{
	chat.CmdImport:      200,
	chat.CmdMultiImport: 100,
	chat.CmdDelete:      100,
	chat.CmdCheck:       100,
	chat.CmdKick:        200,
	chat.CmdPortraitSet: 200,
}

// SharedRateLimits returns DefaultRateLimits scaled by share, the fraction
// of Tencent's app-wide caps one process may use when several processes
// call Chat at once (CHAT_RATE_SHARE). A share outside (0, 1] means 1.
func SharedRateLimits(share float64) map[string]float64 {
	if share <= 0 || share > 1 {
		share = 1
	}
	limits := make(map[string]float64, len(DefaultRateLimits))
	for cmd, perSec := range DefaultRateLimits {
		limits[cmd] = perSec * share
	}
	return limits
}

// Config configures a Client. Only Credentials and one of Region and BaseURL
// are required.
type Config struct {
	Region  string // a key of Regions
	BaseURL string // overrides Region; https unless the host is loopback or PlainHTTP is set
	// PlainHTTP lets BaseURL be plain http to any host: set only when the
	// caller's own rule has allowed it (pkg/config, for local runs).
	PlainHTTP   bool
	Credentials CredentialsSource

	HTTPClient *http.Client // default: NewHTTPClient()

	// RateLimits caps requests a second per command. Nil means
	// DefaultRateLimits; a command missing from the map, or a value of 0 or
	// less, is not limited.
	RateLimits map[string]float64

	SigExpire      time.Duration // lifetime of the admin UserSig; default 1h, renewed at half of it
	MaxAttempts    int           // attempts per call for transient errors; default 6
	BaseBackoff    time.Duration // first transient backoff; default 50ms, doubled per attempt
	MaxBackoff     time.Duration // backoff ceiling; default 1s (rate-limited: 4×)
	AttemptTimeout time.Duration // bound on one HTTP exchange; default 4s (Chat's own timeout is 3s)
	MinAttempt     time.Duration // no retry starts with less than this left before the deadline; default 100ms
	Concurrency    int           // calls of one batch in flight at once; default 4

	Now func() time.Time // default time.Now
}

// Client calls the Chat REST API. It is safe for concurrent use; make one
// per process so connections and the UserSig are reused.
type Client struct {
	bases    []string
	creds    CredentialsSource
	http     *http.Client
	rt       http.RoundTripper // http's transport, when requests may skip http (see roundTripper)
	limiters map[string]*rate.Limiter
	cfg      Config
	now      func() time.Time

	mu     sync.Mutex // serialises UserSig generation
	signed atomic.Pointer[signedQuery]
	backup atomic.Bool // the primary domain failed last: use the backup
}

// signedQuery is a cached admin UserSig, tied to the credentials it was made
// with, and the query string prefix built from it.
type signedQuery struct {
	creds   chat.Credentials
	sig     string
	query   string // "?sdkappid=…&identifier=…&usersig=…&contenttype=json&random="
	renewAt time.Time
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	bases, err := baseURLs(cfg.Region, cfg.BaseURL, cfg.PlainHTTP)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials == nil {
		return nil, errNoCredentials
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewHTTPClient()
	}
	if cfg.RateLimits == nil {
		cfg.RateLimits = DefaultRateLimits
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SigExpire, time.Hour)
	def(&cfg.BaseBackoff, 50*time.Millisecond)
	def(&cfg.MaxBackoff, time.Second)
	def(&cfg.AttemptTimeout, 4*time.Second)
	def(&cfg.MinAttempt, 100*time.Millisecond)
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{
		bases:    bases,
		creds:    cfg.Credentials,
		http:     cfg.HTTPClient,
		rt:       roundTripper(cfg.HTTPClient),
		limiters: make(map[string]*rate.Limiter),
		cfg:      cfg,
		now:      cfg.Now,
	}
	for cmd, perSec := range cfg.RateLimits {
		if perSec > 0 {
			c.limiters[cmd] = rate.NewLimiter(rate.Limit(perSec), max(1, int(perSec/10)))
		}
	}
	return c, nil
}

// NewHTTPClient returns the HTTP client a process shares for Chat calls:
// keep-alive, HTTP/2 when the server offers it, TLS 1.2 or later, and
// transport timeouts that fail a dead connection fast. The overall bound of
// a call is its context's deadline.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: NewTransport(nil)}
}

// NewTransport returns the transport NewHTTPClient uses, trusting roots
// (nil: the system's roots).
func NewTransport(tlsConfig *tls.Config) *http.Transport {
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   3 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       tlsConfig,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   3 * time.Second,
		ExpectContinueTimeout: time.Second,
		// No ResponseHeaderTimeout: each attempt's context already ends
		// after Config.AttemptTimeout, and the timer the transport would
		// arm for every request cost several microseconds of each warm
		// invocation (BENCHMARKS.md).
	}
}

// BaseURL returns the base URL the next request goes to.
func (c *Client) BaseURL() string {
	if c.backup.Load() && len(c.bases) > 1 {
		return c.bases[1]
	}
	return c.bases[0]
}

// signedQueryFor returns the cached signed query for the current
// credentials, making a new UserSig when there is none, when the credentials
// changed, or when the cached one is past half its life.
func (c *Client) signedQueryFor(ctx context.Context) (*signedQuery, error) {
	creds, err := c.creds.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	now := c.now()
	if s := c.signed.Load(); s != nil && s.creds == creds && now.Before(s.renewAt) {
		return s, nil
	}
	if err := creds.Validate(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.signed.Load(); s != nil && s.creds == creds && now.Before(s.renewAt) {
		return s, nil
	}
	sig := usersig.Generate([]byte(creds.Key), creds.SDKAppID, creds.Admin, now, c.cfg.SigExpire)
	s := &signedQuery{
		creds:   creds,
		sig:     sig,
		query:   "?sdkappid=" + strconv.FormatUint(creds.SDKAppID, 10) + "&identifier=" + url.QueryEscape(creds.Admin) + "&usersig=" + sig + "&contenttype=json&random=",
		renewAt: now.Add(c.cfg.SigExpire / 2),
	}
	c.signed.Store(s)
	return s, nil
}

// dropSignature forgets the cached UserSig, so the next request signs anew.
func (c *Client) dropSignature() { c.signed.Store(nil) }
