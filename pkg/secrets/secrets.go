// Package secrets reads the Tencent Cloud Chat admin credentials from AWS
// Secrets Manager and caches them for the life of a Lambda process.
//
// A Source is what the Chat client's credentials source calls: Credentials
// before every request (a cached read with no fetch while the secret is
// fresh) and Refresh after a credentials-class Chat error (a forced re-read,
// rate limited). The cache makes one fetch per cold start, then
// another only when the cached secret is older than its TTL
// (CHAT_SECRET_TTL, default 5m) or after Refresh.
//
// Concurrent callers share one GetSecretValue call. Start begins the first
// fetch in the background so that a Lambda's init overlaps it with other
// work.
//
// # When Secrets Manager fails
//
// After the TTL, Credentials re-reads the secret but waits at most
// StaleWait (default 200ms) for it: a re-read still under way then goes on
// in the background while the cached value is served, so a slow or hanging
// Secrets Manager costs an invocation no more than that. A failed re-read
// does not take the function down: the previous value keeps being served,
// with a warning logged once per failed attempt, until it is MaxStale
// (default 10m) past its TTL; after that Credentials waits for a fetch and
// returns its error. Re-reads are tried at most once per
// MinRefreshInterval, so an outage of Secrets Manager is not hammered.
// A key that really rotated is still picked up: Chat rejects the old key
// with a credentials-class error, and the client calls Refresh, which never
// serves a stale value.
//
// Refresh re-reads at most once per MinRefreshInterval (default 5s): within
// that time after any fetch it returns that fetch's outcome (the cached
// value, or its error) without calling AWS, so a burst of requests that all
// fail with a bad key causes one re-read, not one each.
//
// With nothing cached, Credentials fetches on every call, except that a
// permanent error (not found, access denied, a malformed secret) is
// returned again without a new fetch for MinRefreshInterval.
//
// No error, log line or String method of this package carries the key or
// any other part of the secret's value.
package secrets

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"golang.org/x/sync/singleflight"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
)

// Defaults for Config.
const (
	DefaultTTL                = 5 * time.Minute
	DefaultMinRefreshInterval = 5 * time.Second
	DefaultMaxStale           = 10 * time.Minute
	DefaultFetchTimeout       = 10 * time.Second
	DefaultStaleWait          = 200 * time.Millisecond
)

// API is the one Secrets Manager operation a Source uses. The SDK's
// *secretsmanager.Client satisfies it; tests use a fake.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Config configures a Source. Only SecretID is required; zero durations
// take the defaults.
type Config struct {
	// SecretID is the secret's name or ARN (CHAT_SECRET_ID).
	SecretID string
	// TTL is how long a fetched value is trusted (CHAT_SECRET_TTL).
	// Default DefaultTTL.
	TTL time.Duration
	// MinRefreshInterval is the least time between the end of one fetch
	// and a re-read forced by Refresh, and between retries of a failed
	// re-read. Default DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration
	// MaxStale is how long past its TTL a value is still served when
	// re-reading it fails. Default DefaultMaxStale; negative: never serve
	// a value past its TTL.
	MaxStale time.Duration
	// FetchTimeout bounds one GetSecretValue call (with the SDK's own
	// retries). A caller that gives up sooner, through its context, leaves
	// the fetch running for the others and for the cache. Default
	// DefaultFetchTimeout.
	FetchTimeout time.Duration
	// StaleWait is how long Credentials waits for the re-read of a value
	// past its TTL (but within MaxStale) before it serves that value and
	// leaves the re-read to finish in the background. Default
	// DefaultStaleWait; negative: never wait.
	StaleWait time.Duration
	// Logger receives a warning when a stale value is served and an info
	// line when the key changes. Default slog.Default() at the time of
	// logging.
	Logger *slog.Logger
	// Now is the clock; default time.Now. For tests.
	Now func() time.Time
}

// Source is a cached, self-refreshing reader of the Chat credentials. It is
// safe for concurrent use. Its methods Credentials and Refresh make it a
// chatapi.CredentialsSource.
type Source struct {
	api          API
	id           string
	ttl          time.Duration
	minRefresh   time.Duration
	maxStale     time.Duration
	fetchTimeout time.Duration
	staleWait    time.Duration
	logger       *slog.Logger
	now          func() time.Time

	state   atomic.Pointer[state]
	group   singleflight.Group
	fetches atomic.Int64
}

// state is an immutable snapshot of the cache, replaced after each fetch.
type state struct {
	creds     chat.Credentials
	ok        bool      // creds holds a value
	fetchedAt time.Time // when creds were read
	attemptAt time.Time // when the latest fetch ended
	err       *Error    // the latest fetch's error; nil if it succeeded
}

// fetchKey is the single flight every fetch joins.
const fetchKey = "secret"

// NewSource returns a Source that reads cfg.SecretID through api. It makes
// no call: the first fetch happens in Start or in the first Credentials.
func NewSource(api API, cfg Config) (*Source, error) {
	switch {
	case api == nil:
		return nil, &Error{Code: CodeInvalidConfig, Message: "no Secrets Manager client"}
	case cfg.SecretID == "":
		return nil, &Error{Code: CodeInvalidConfig, Message: "no secret ID (CHAT_SECRET_ID)"}
	case cfg.TTL < 0 || cfg.MinRefreshInterval < 0 || cfg.FetchTimeout < 0:
		return nil, &Error{Code: CodeInvalidConfig, Message: "negative TTL, MinRefreshInterval or FetchTimeout", SecretID: cfg.SecretID}
	}
	s := &Source{
		api:          api,
		id:           cfg.SecretID,
		ttl:          orDefault(cfg.TTL, DefaultTTL),
		minRefresh:   orDefault(cfg.MinRefreshInterval, DefaultMinRefreshInterval),
		maxStale:     orDefault(cfg.MaxStale, DefaultMaxStale),
		fetchTimeout: orDefault(cfg.FetchTimeout, DefaultFetchTimeout),
		staleWait:    orDefault(cfg.StaleWait, DefaultStaleWait),
		logger:       cfg.Logger,
		now:          cfg.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// SecretID returns the name or ARN the Source reads.
func (s *Source) SecretID() string { return s.id }

// Fetches returns the number of GetSecretValue calls made so far.
func (s *Source) Fetches() int64 { return s.fetches.Load() }

// Start begins the first fetch in the background and returns at once, so
// that a Lambda's init can overlap it with other work; Credentials called
// meanwhile waits for it. It does nothing when a value is cached or a fetch
// is under way. ctx's values reach the SDK call; its cancellation does not
// (the fetch is bounded by FetchTimeout). A failure is not reported here:
// the next Credentials tries again and returns the error.
func (s *Source) Start(ctx context.Context) {
	if st := s.state.Load(); st != nil && st.ok {
		return
	}
	s.group.DoChan(fetchKey, func() (any, error) { return s.fetch(ctx) }) // buffered: nothing leaks
}

// Credentials returns the cached credentials while they are younger than
// the TTL, without any call to AWS; otherwise it reads the secret, sharing
// the call with concurrent callers and with a fetch begun by Start. When a
// re-read fails it returns the previous value for up to MaxStale past the
// TTL (see the package documentation). Errors are *Error.
func (s *Source) Credentials(ctx context.Context) (chat.Credentials, error) {
	if st := s.state.Load(); st != nil && st.ok && s.now().Sub(st.fetchedAt) < s.ttl {
		return st.creds, nil
	}
	return s.credentialsSlow(ctx)
}

func (s *Source) credentialsSlow(ctx context.Context) (chat.Credentials, error) {
	now := s.now()
	st := s.state.Load()
	if st != nil && now.Sub(st.attemptAt) < s.minRefresh {
		// A fetch ended moments ago: use its outcome instead of fetching
		// again.
		if s.usable(st, now) {
			return st.creds, nil
		}
		if st.err != nil && (st.ok || !st.err.transient()) {
			return chat.Credentials{}, st.err
		}
	}
	if s.usable(st, now) {
		return s.revalidate(ctx, st), nil
	}
	return s.do(ctx)
}

// revalidate re-reads a value past its TTL but still servable, waiting at
// most StaleWait for the answer: after that, or when the re-read fails, it
// returns the cached value and the fetch goes on in the background, so that
// no invocation waits on a slow or hanging Secrets Manager.
func (s *Source) revalidate(ctx context.Context, st *state) chat.Credentials {
	ch := s.group.DoChan(fetchKey, func() (any, error) { return s.fetch(ctx) }) // buffered: nothing leaks
	if s.staleWait <= 0 {
		return st.creds
	}
	t := time.NewTimer(s.staleWait)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.Err == nil {
			return r.Val.(chat.Credentials)
		}
	case <-t.C:
	case <-ctx.Done():
	}
	return st.creds // stale; a failed fetch logs it
}

// usable reports whether st holds a value Credentials may still serve:
// younger than TTL plus MaxStale.
func (s *Source) usable(st *state, now time.Time) bool {
	if st == nil || !st.ok {
		return false
	}
	age := now.Sub(st.fetchedAt)
	return age < s.ttl || (s.maxStale > 0 && age < s.ttl+s.maxStale)
}

// Refresh re-reads the secret, after Chat rejected the credentials, and
// returns what it read. It calls AWS at most once per MinRefreshInterval:
// within that time after the end of any fetch it returns that fetch's
// outcome, and while a fetch is under way it waits for it. Unlike
// Credentials it never falls back to a stale value: a failed re-read is
// returned as an *Error, and the cache keeps its previous value.
func (s *Source) Refresh(ctx context.Context) (chat.Credentials, error) {
	if st := s.state.Load(); st != nil && s.now().Sub(st.attemptAt) < s.minRefresh {
		if st.err != nil {
			return chat.Credentials{}, st.err
		}
		return st.creds, nil
	}
	return s.do(ctx)
}

// do joins the fetch under way, or begins one, and waits for it or for ctx.
func (s *Source) do(ctx context.Context) (chat.Credentials, error) {
	ch := s.group.DoChan(fetchKey, func() (any, error) { return s.fetch(ctx) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return chat.Credentials{}, r.Err
		}
		return r.Val.(chat.Credentials), nil
	case <-ctx.Done():
		return chat.Credentials{}, &Error{Code: CodeFetchFailed, Message: "gave up waiting for the secret", SecretID: s.id, Err: ctx.Err()}
	}
}

// fetch calls GetSecretValue once and records the outcome. Only one runs
// at a time (the single flight), so the state it replaces is current.
func (s *Source) fetch(parent context.Context) (chat.Credentials, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.fetchTimeout)
	defer cancel()
	s.fetches.Add(1)
	metrics.Count(parent, metrics.SecretFetches, 1) // at init: pending, for the first invocation
	out, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &s.id})
	var (
		creds chat.Credentials
		ferr  *Error
	)
	if err != nil {
		ferr = fetchError(s.id, err)
	} else {
		creds, ferr = decode(s.id, out)
	}

	now := s.now()
	prev := s.state.Load()
	next := &state{attemptAt: now, err: ferr}
	switch {
	case ferr == nil:
		next.creds, next.ok, next.fetchedAt = creds, true, now
		if prev != nil && prev.ok && prev.creds != creds {
			s.log().LogAttrs(ctx, slog.LevelInfo, "chat secret changed", slog.String("secretId", s.id), slog.Any("credentials", creds))
		}
	case prev != nil && prev.ok:
		next.creds, next.ok, next.fetchedAt = prev.creds, true, prev.fetchedAt
		age := now.Sub(prev.fetchedAt)
		attrs := []slog.Attr{slog.String("secretId", s.id), slog.String("code", ferr.Code), slog.String("error", ferr.Error()), slog.Duration("age", age)}
		switch {
		case age < s.ttl: // a Refresh that failed
			s.log().LogAttrs(ctx, slog.LevelWarn, "re-reading the chat secret failed; keeping the cached value", attrs...)
		case s.usable(next, now):
			attrs = append(attrs, slog.Duration("servedFor", s.ttl+s.maxStale-age))
			s.log().LogAttrs(ctx, slog.LevelWarn, "re-reading the chat secret failed; serving the cached value past its TTL", attrs...)
		default:
			s.log().LogAttrs(ctx, slog.LevelError, "re-reading the chat secret failed; the cached value is too old to serve", attrs...)
		}
	}
	s.state.Store(next)
	if ferr != nil {
		return chat.Credentials{}, ferr
	}
	return creds, nil
}

func (s *Source) log() *slog.Logger {
	if s.logger != nil {
		return s.logger
	}
	return slog.Default()
}

// decode turns GetSecretValue's output into credentials.
func decode(id string, out *secretsmanager.GetSecretValueOutput) (chat.Credentials, *Error) {
	if out == nil || out.SecretString == nil {
		return chat.Credentials{}, &Error{Code: CodeNotString, Message: "the secret has no SecretString (a binary secret?); store it as JSON text", SecretID: id}
	}
	creds, err := Parse([]byte(*out.SecretString))
	if err != nil {
		e := err.(*Error)
		e.SecretID = id
		return chat.Credentials{}, e
	}
	return creds, nil
}
