package chatemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

// Defaults applied by New.
const (
	DefaultAdmin   = "administrator"
	DefaultMaxBody = 2 << 20 // bytes
)

// Prefix is the path under which the account commands are served.
const Prefix = "/v4/im_open_login_svc/"

// Options configure a Server. SDKAppID and Key are required.
type Options struct {
	SDKAppID uint64
	Key      string           // the app's admin key; change it later with RotateKey
	Admin    string           // the app admin identifier; DefaultAdmin when empty
	Now      func() time.Time // the clock for UserSig expiry and rate limits; time.Now when nil

	// TrialCap, when positive, is the number of accounts the app may hold,
	// as on a trial edition (100 there). Imports beyond it answer 70398.
	TrialCap int

	// RateLimits maps a command to the requests per second it allows; the
	// cap is also the burst. Commands not listed, and caps of 0, are not
	// limited. Requests over the cap answer 60007. See DocumentedRateLimits.
	RateLimits map[string]int

	// MaxBody is the largest request body accepted; DefaultMaxBody when 0.
	// A larger body answers HTTP 413.
	MaxBody int64
}

// DocumentedRateLimits returns the per-command caps Tencent documents for the
// account commands, ready for Options.RateLimits.
func DocumentedRateLimits() map[string]int {
	return map[string]int{
		chat.CmdImport:      200,
		chat.CmdMultiImport: 100,
		chat.CmdDelete:      100,
		chat.CmdCheck:       100,
		chat.CmdKick:        200,
	}
}

// Server is an in-memory emulator of the Chat REST API account commands. It
// is an http.Handler and is safe for concurrent use, its test hooks
// included.
type Server struct {
	appID    uint64
	admin    string
	now      func() time.Time
	trialCap int
	maxBody  int64
	limiters map[string]*rate.Limiter // read-only after New

	mu          sync.Mutex
	key         []byte
	accounts    map[string]chat.Account
	counts      map[string]int
	rateLimited map[string]int // requests refused with 60007, per command
	total       int
	faults      []Fault // queued by Inject; Times is what remains
	faultFunc   func(cmd string) *Fault

	kicks      map[string]time.Time // when each account was last kicked
	logins     int                  // logins accepted by Login
	registered int                  // accounts Login created (the SDK's first-login sign-up)
}

// New returns an emulator for the app that opts describe, holding no
// accounts. It panics if opts.SDKAppID or opts.Key is missing.
func New(opts Options) *Server {
	if err := opts.validate(); err != nil {
		panic(err)
	}
	s := &Server{
		appID:       opts.SDKAppID,
		admin:       opts.Admin,
		now:         opts.Now,
		trialCap:    opts.TrialCap,
		maxBody:     opts.MaxBody,
		limiters:    make(map[string]*rate.Limiter),
		key:         []byte(opts.Key),
		accounts:    make(map[string]chat.Account),
		counts:      make(map[string]int),
		rateLimited: make(map[string]int),
		kicks:       make(map[string]time.Time),
	}
	if s.admin == "" {
		s.admin = DefaultAdmin
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	for cmd, n := range opts.RateLimits {
		if n > 0 {
			s.limiters[cmd] = rate.NewLimiter(rate.Limit(n), n)
		}
	}
	return s
}

func (o Options) validate() error {
	switch {
	case o.SDKAppID == 0:
		return errors.New("chatemu: Options.SDKAppID is required")
	case o.Key == "":
		return errors.New("chatemu: Options.Key is required")
	}
	return nil
}

// ServeHTTP answers one Chat REST request. Every request is counted under
// its command (see Requests), then any fault due for it is applied, then it
// is checked and executed as described in the package documentation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cmd := commandOf(r.URL.Path)
	s.count(cmd)
	f := s.nextFault(cmd)
	if f == nil {
		status, env := s.handle(r, cmd)
		writeEnvelope(w, status, env)
		return
	}
	if f.Delay > 0 {
		// Read the body first: net/http notices a client hanging up (and
		// cancels r.Context) only once the body has been consumed.
		body, _ := io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !sleep(r.Context(), f.Delay) {
			return // the client gave up
		}
	}
	var status int
	var env chat.Envelope
	if !f.answers() || f.Applied {
		status, env = s.handle(r, cmd)
	}
	if f.answers() {
		f.answer(w)
		return
	}
	writeEnvelope(w, status, env)
}

// commandOf names the request for counters and faults: the command for
// paths under Prefix, else the whole path.
func commandOf(path string) string {
	if cmd, ok := strings.CutPrefix(path, Prefix); ok {
		return cmd
	}
	return path
}

// handle checks and executes a request, returning the HTTP status and the
// envelope to answer with.
func (s *Server) handle(r *http.Request, cmd string) (int, chat.Envelope) {
	run := s.command(cmd)
	switch {
	case run == nil && strings.HasPrefix(r.URL.Path, "/v4/"):
		return http.StatusOK, failure(chat.CodeBadResource, "no such service or command")
	case run == nil:
		return http.StatusNotFound, failure(chat.CodeBadResource, "not found")
	case r.Method != http.MethodPost:
		return http.StatusOK, failure(chat.CodeBadRequestURL, "method must be POST")
	}
	if err := s.authorize(r.URL.RawQuery); err != nil {
		return http.StatusOK, failure(err.Code, err.Info)
	}
	if lim := s.limiters[cmd]; lim != nil && !lim.AllowN(s.now(), 1) {
		s.mu.Lock()
		s.rateLimited[cmd]++
		s.mu.Unlock()
		return http.StatusOK, failure(chat.CodeRateLimited, "REST API call frequency exceeded")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
	switch {
	case err != nil:
		return http.StatusOK, failure(chat.CodeMalformedRequest, "could not read the request body")
	case int64(len(body)) > s.maxBody:
		return http.StatusRequestEntityTooLarge, failure(chat.CodeBadRequestURL, "request body over "+strconv.FormatInt(s.maxBody, 10)+" bytes")
	}
	return http.StatusOK, run(body)
}

// command returns the function that executes cmd, or nil if there is none.
func (s *Server) command(cmd string) func([]byte) chat.Envelope {
	switch cmd {
	case chat.CmdImport:
		return s.importOne
	case chat.CmdMultiImport:
		return s.importMany
	case chat.CmdDelete:
		return s.delete
	case chat.CmdCheck:
		return s.check
	case chat.CmdKick:
		return s.kick
	}
	return nil
}

// authorize checks the query string and its UserSig. The error's Info never
// carries a query value.
func (s *Server) authorize(rawQuery string) *chat.Error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return chat.Errorf(chat.CodeBadRequestURL, "query string does not parse")
	}
	appID, err := strconv.ParseUint(q.Get("sdkappid"), 10, 64)
	switch {
	case q.Get("sdkappid") == "":
		return chat.Errorf(chat.CodeSDKAppIDRequired, "sdkappid is required")
	case err != nil || appID != s.appID:
		return chat.Errorf(chat.CodeSDKAppIDInvalid, "sdkappid is not a valid app")
	case q.Get("identifier") == "":
		return chat.Errorf(chat.CodeBadAccountOrSig, "identifier is required")
	case q.Get("usersig") == "":
		return chat.Errorf(chat.CodeBadAccountOrSig, "usersig is required")
	case !isUint32(q.Get("random")):
		return chat.Errorf(chat.CodeBadRequestURL, "random must be an integer from 0 to 4294967295")
	case q.Get("contenttype") != "json":
		return chat.Errorf(chat.CodeBadRequestURL, "contenttype must be json")
	}
	identifier := q.Get("identifier")
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	if _, err := usersig.Verify(q.Get("usersig"), key, s.appID, identifier, s.now()); err != nil {
		return sigError(err)
	}
	if identifier != s.admin {
		return chat.Errorf(chat.CodeNotAdmin, "identifier is not an app admin")
	}
	return nil
}

// isUint32 reports whether v is a decimal integer from 0 to 4294967295.
func isUint32(v string) bool {
	_, err := strconv.ParseUint(v, 10, 32)
	return err == nil
}

// sigError maps a usersig.Verify error to the code Chat answers with.
func sigError(err error) *chat.Error {
	switch {
	case errors.Is(err, usersig.ErrExpired):
		// Tencent documents 70001 as "UserSig expired, generate a new one".
		return chat.Errorf(chat.CodeSigExpired, "UserSig expired")
	case errors.Is(err, usersig.ErrBadSignature):
		return chat.Errorf(chat.CodeSigKeyMismatch, "UserSig verification failed: it was not signed with this app's key")
	case errors.Is(err, usersig.ErrIdentifierMismatch):
		return chat.Errorf(chat.CodeSigIdentifierMismatch, "identifier differs from the UserSig's")
	case errors.Is(err, usersig.ErrSDKAppIDMismatch):
		return chat.Errorf(chat.CodeSDKAppIDMismatch, "sdkappid differs from the UserSig's")
	default:
		return chat.Errorf(chat.CodeSigDecodeFailed, "UserSig could not be decoded")
	}
}

func failure(code int, info string) chat.Envelope {
	return chat.Envelope{ActionStatus: chat.StatusFail, ErrorCode: code, ErrorInfo: info}
}

func errorEnvelope(err *chat.Error) chat.Envelope { return failure(err.Code, err.Info) }

func writeEnvelope(w http.ResponseWriter, status int, env chat.Envelope) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(env) // the client may be gone: nothing to do
}

// RotateKey replaces the app's key. UserSigs signed with the previous key are
// refused from now on (70009).
func (s *Server) RotateKey(newKey string) {
	s.mu.Lock()
	s.key = []byte(newKey)
	s.mu.Unlock()
}

// Credentials returns what signs a request to s: its SDKAppID, its admin and
// its current key.
func (s *Server) Credentials() chat.Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return chat.Credentials{SDKAppID: s.appID, Admin: s.admin, Key: string(s.key)}
}

func (s *Server) count(cmd string) {
	s.mu.Lock()
	s.counts[cmd]++
	s.total++
	s.mu.Unlock()
}

// Requests returns how many requests for cmd reached s since it started or
// since ResetCounters, rejected and faulted ones included. Requests outside
// Prefix are counted under their path.
func (s *Server) Requests(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[cmd]
}

// RateLimited returns how many requests for cmd s refused with 60007 for
// going over the command's rate cap, since it started or since
// ResetCounters.
func (s *Server) RateLimited(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited[cmd]
}

// TotalRequests returns how many requests reached s, whatever their path.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// ResetCounters sets every request counter, and the counts of logins and
// of accounts registered at login, to zero.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	clear(s.counts)
	clear(s.rateLimited)
	s.total = 0
	s.logins = 0
	s.registered = 0
	s.mu.Unlock()
}

// Has reports whether the account id exists.
func (s *Server) Has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.accounts[id]
	return ok
}

// Account returns the account id as imported, with its latest profile.
func (s *Server) Account(id string) (chat.Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	return a, ok
}

// Accounts returns the UserIDs of every account, sorted.
func (s *Server) Accounts() []string {
	s.mu.Lock()
	ids := make([]string, 0, len(s.accounts))
	for id := range s.accounts {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	slices.Sort(ids)
	return ids
}

// Len returns the number of accounts.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accounts)
}

// Seed creates accounts without a request: no validation, no trial cap, no
// counters. Existing accounts keep their profile.
func (s *Server) Seed(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if _, ok := s.accounts[id]; !ok {
			s.accounts[id] = chat.Account{UserID: id}
		}
	}
}
