package chatapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
)

var errNoCredentials = errors.New("chatapi: no credentials source")

// maxReply bounds the bytes read from one reply.
const maxReply = 8 << 20

// call sends one Chat command, retrying as the error's class prescribes, and
// returns the decoded reply. An error is always a *chat.Error.
func (c *Client) call(ctx context.Context, cmd string, body any) (*chat.Envelope, int, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, 0, &chat.Error{Command: cmd, Code: chat.CodeInvalidParameter, Class: chat.ClassCaller, Info: "encode request", Err: err}
	}
	var (
		attempts         int
		signRetried      bool
		refreshed        bool
		malformedRetries int
	)
	for {
		if err := c.wait(ctx, cmd); err != nil {
			return nil, attempts, c.fail(cmd, attempts, err)
		}
		attempts++
		env, err := c.attempt(ctx, cmd, payload, attempts)
		if err == nil {
			return env, attempts, nil
		}
		var e *chat.Error
		if !errors.As(err, &e) {
			e = credentialsError(cmd, err)
		}
		e.Attempts = attempts
		switch e.Class {
		case chat.ClassSignature:
			if signRetried {
				return nil, attempts, e
			}
			signRetried = true
			c.dropSignature()
			continue
		case chat.ClassCredentials:
			if refreshed {
				return nil, attempts, e
			}
			refreshed = true
			c.dropSignature()
			if _, rerr := c.creds.Refresh(ctx); rerr != nil {
				e.Info += "; re-reading the credentials failed: " + rerr.Error()
				return nil, attempts, e
			}
			continue
		case chat.ClassTransient, chat.ClassRateLimited:
			if e.Code == chat.CodeMalformedRequest {
				if malformedRetries++; malformedRetries > chat.MaxRetries60008 {
					return nil, attempts, e
				}
			}
			if attempts >= c.cfg.MaxAttempts || ctx.Err() != nil {
				return nil, attempts, e
			}
			if !c.sleep(ctx, c.backoff(attempts, e.Class)) {
				return nil, attempts, e
			}
		default:
			return nil, attempts, e
		}
	}
}

// credentialsError is the error of a request that could not be signed
// because the credentials could not be loaded. Its cause names AWS
// resources, so it is Internal. The stand-in code keeps the cause's class:
// 70500 (transient) when the source reports trying again may help
// (a Temporary method that returns true), else 60002 (configuration: a
// missing secret or permission needs an operator).
func credentialsError(cmd string, err error) *chat.Error {
	code, class := chat.CodeBadRequestURL, chat.ClassConfiguration
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && t.Temporary() {
		code, class = chat.CodeServerError, chat.ClassTransient
	}
	return &chat.Error{Command: cmd, Code: code, Class: class, Info: "the Chat credentials could not be loaded", Err: err, Internal: true}
}

// wait blocks until the command's rate limiter admits one more request, or
// fails at once when the deadline would pass first.
func (c *Client) wait(ctx context.Context, cmd string) error {
	l := c.limiters[cmd]
	if l == nil {
		return ctx.Err()
	}
	return l.Wait(ctx)
}

// fail turns an error from waiting into a *chat.Error.
func (c *Client) fail(cmd string, attempts int, err error) *chat.Error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &chat.Error{Command: cmd, Code: chat.CodeServerTimeout, Class: chat.ClassTransient, Info: "deadline reached before the request could be sent", Attempts: attempts, Err: err}
	}
	// rate.Limiter.Wait refuses at once when the wait would pass the deadline.
	return &chat.Error{Command: cmd, Code: chat.CodeRateLimited, Class: chat.ClassRateLimited, Info: "client rate limit: no room before the deadline", Attempts: attempts, Err: context.DeadlineExceeded}
}

// backoff returns the pause before attempt n+1: exponential with full
// jitter, four times longer for rate-limited errors.
func (c *Client) backoff(n int, class chat.Class) time.Duration {
	base, ceiling := c.cfg.BaseBackoff, c.cfg.MaxBackoff
	if class == chat.ClassRateLimited {
		base, ceiling = 4*base, 4*ceiling
	}
	d := base << min(n-1, 16)
	if d > ceiling || d <= 0 {
		d = ceiling
	}
	return d/2 + rand.N(d/2+1)
}

// sleep pauses for d unless that would leave less than MinAttempt before the
// context's deadline; it reports whether a retry may start.
func (c *Client) sleep(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && c.now().Add(d+c.cfg.MinAttempt).After(dl) {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// attempt makes one HTTP exchange, the n-th of its call.
func (c *Client) attempt(ctx context.Context, cmd string, payload []byte, n int) (_ *chat.Envelope, err error) {
	sq, err := c.signedQueryFor(ctx)
	if err != nil {
		return nil, err
	}
	defer func(start time.Time) { observe(ctx, n, start, err != nil) }(time.Now())
	actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()

	base := c.BaseURL()
	target := base + servicePath(cmd) + cmd + sq.query + strconv.FormatUint(uint64(rand.Uint32()), 10)
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return nil, &chat.Error{Command: cmd, Code: chat.CodeBadRequestURL, Class: chat.ClassConfiguration, Info: "build request", Err: redact(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.do(req)
	if err != nil {
		return nil, c.transportError(ctx, cmd, base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, c.transportError(ctx, cmd, base, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(cmd, base, resp.StatusCode)
	}
	var env chat.Envelope
	if err := json.Unmarshal(raw, &env); err != nil || env.ActionStatus == "" {
		return nil, &chat.Error{Command: cmd, Code: chat.CodeBadRequestURL, Class: chat.ClassConfiguration,
			Info: fmt.Sprintf("the reply from %s is not a Chat envelope: check CHAT_BASE_URL or CHAT_REGION", base)}
	}
	if env.ErrorCode != 0 || env.ActionStatus != chat.StatusOK {
		code := env.ErrorCode
		if code == 0 {
			code = chat.CodeServerError
		}
		return nil, &chat.Error{Command: cmd, Code: code, Class: chat.Classify(code), Info: scrub(env.ErrorInfo, sq)}
	}
	return &env, nil
}

// servicePath returns the path of the service cmd belongs to: the
// profile service for portrait_set and portrait_get, the account service
// for the others.
func servicePath(cmd string) string {
	if cmd == chat.CmdPortraitSet || cmd == chat.CmdPortraitGet {
		return "/v4/profile/"
	}
	return "/v4/im_open_login_svc/"
}

// transportError classifies a failure to complete an exchange. The caller's
// own deadline ends the call; anything else is transient, and a failure to
// reach the primary domain sends the next attempt to the backup.
func (c *Client) transportError(ctx context.Context, cmd, base string, err error) *chat.Error {
	err = redact(err)
	if ctx.Err() != nil {
		return &chat.Error{Command: cmd, Code: chat.CodeServerTimeout, Class: chat.ClassTransient,
			Info: "deadline reached waiting for " + base, Err: context.Cause(ctx)}
	}
	if len(c.bases) > 1 {
		c.backup.Store(base == c.bases[0])
	}
	return &chat.Error{Command: cmd, Code: chat.CodeServerError, Class: chat.ClassTransient,
		Info: "chat unreachable at " + base, Err: err}
}

func statusError(cmd, base string, status int) *chat.Error {
	e := &chat.Error{Command: cmd, Status: status}
	switch {
	case status == http.StatusTooManyRequests:
		e.Code, e.Class, e.Info = chat.CodeRateLimited, chat.ClassRateLimited, "throttled by "+base
	case status >= 500:
		e.Code, e.Class, e.Info = chat.CodeServerError, chat.ClassTransient, "server error at "+base
	default:
		e.Code, e.Class, e.Info = chat.CodeBadRequestURL, chat.ClassConfiguration,
			"unexpected HTTP status from "+base+": check CHAT_BASE_URL or CHAT_REGION"
	}
	return e
}

// redact strips the query (sdkappid, identifier, UserSig) from the URL that
// a *url.Error carries.
func redact(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u := ue.URL
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
}

// scrub removes the UserSig and key from text Chat sent back, should it ever
// echo them.
func scrub(s string, sq *signedQuery) string {
	if sq.sig != "" {
		s = strings.ReplaceAll(s, sq.sig, "[redacted]")
	}
	if sq.creds.Key != "" {
		s = strings.ReplaceAll(s, sq.creds.Key, "[redacted]")
	}
	return s
}
