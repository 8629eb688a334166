// Package config is the one home of the settings: it reads each environment
// variable, gives it its default and checks it, for the functions and for
// chatsync alike, so a bad setting fails the init with one clear line rather
// than the first invocation.
package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// The environment variables.
const (
	EnvSecretID           = "CHAT_SECRET_ID"
	EnvRegion             = "CHAT_REGION"
	EnvBaseURL            = "CHAT_BASE_URL"
	EnvSecretTTL          = "CHAT_SECRET_TTL"
	EnvSecretKey          = "CHAT_SECRET_KEY" // chatsync only: a key given without Secrets Manager
	EnvAuthMode           = "HTTP_AUTH_MODE"
	EnvAdminGroup         = "ADMIN_GROUP"
	EnvUserIDAttribute    = "USER_ID_ATTRIBUTE"
	EnvNickAttribute      = "NICK_ATTRIBUTE"
	EnvFaceURLAttribute   = "FACE_URL_ATTRIBUTE"
	EnvRetryQueueURL      = "RETRY_QUEUE_URL"
	EnvDeadLetterQueueURL = "DEAD_LETTER_QUEUE_URL"
	EnvRateShare          = "CHAT_RATE_SHARE"
	EnvUserPoolID         = "USER_POOL_ID"
	EnvSyncQueueURL       = "SYNC_QUEUE_URL"
	EnvSyncListRate       = "SYNC_LIST_RATE"
	EnvUserSigTTL         = "USER_SIG_TTL"
	EnvMetricsNamespace   = "METRICS_NAMESPACE"
	EnvProfileAttributes  = "PROFILE_ATTRIBUTES"
	EnvSyncPrune          = "SYNC_PRUNE"
)

// Config holds the settings of the functions; settings a function does not
// use are simply empty there.
type Config struct {
	SecretID   string        // CHAT_SECRET_ID
	Region     string        // CHAT_REGION
	BaseURL    string        // CHAT_BASE_URL, overrides Region
	SecretTTL  time.Duration // CHAT_SECRET_TTL, default secrets.DefaultTTL
	AuthMode   string        // HTTP_AUTH_MODE: "iam" (default) or "jwt"
	AdminGroup string        // ADMIN_GROUP, default handler.DefaultAdminGroup
	RateShare  float64       // CHAT_RATE_SHARE: the fraction of Tencent's caps one process may use, default 1
	LocalRun   bool          // AWS_SAM_LOCAL is "true": plain http may reach a private address (PlainHTTPAllowed)

	UserIDAttribute    string // USER_ID_ATTRIBUTE, default chat.DefaultUserIDAttribute
	NickAttribute      string // NICK_ATTRIBUTE, default chat.DefaultNickAttribute
	FaceURLAttribute   string // FACE_URL_ATTRIBUTE, default chat.DefaultFaceURLAttribute
	RetryQueueURL      string // RETRY_QUEUE_URL
	DeadLetterQueueURL string // DEAD_LETTER_QUEUE_URL

	UserPoolID   string        // USER_POOL_ID: the stack's pool (lifecycle events, sync)
	SyncQueueURL string        // SYNC_QUEUE_URL: the scheduled sync's queue
	SyncListRate float64       // SYNC_LIST_RATE: ListUsers requests a second of one sync process; 0: the sync's default
	UserSigTTL   time.Duration // USER_SIG_TTL, default handler.DefaultUserSigTTL

	MetricsNamespace string // METRICS_NAMESPACE, default metrics.DefaultNamespace

	ProfileAttributes string // PROFILE_ATTRIBUTES: profile fields beyond Nick and FaceUrl, as checked by Load; "": none

	// LedgerTable is LEDGER_TABLE: the DynamoDB table of the ledger of Chat
	// accounts; empty: no ledger (no prune, no lockout).
	LedgerTable string
	SyncPrune   bool // SYNC_PRUNE: the scheduled sync also prunes orphans (needs LEDGER_TABLE)
}

// Mapping returns the attribute mapping the settings name. The profile
// fields are those of ProfileAttributes, which Load has checked; a
// Config built otherwise with a bad value gets none.
func (c Config) Mapping() chat.Mapping {
	profile, _ := chat.ParseProfileFields(c.ProfileAttributes)
	return chat.Mapping{UserIDAttribute: c.UserIDAttribute, NickAttribute: c.NickAttribute, FaceURLAttribute: c.FaceURLAttribute, Profile: profile}
}

// Auth returns the HTTP authorization the settings name.
func (c Config) Auth() handler.Auth {
	return handler.Auth{Mode: c.AuthMode, AdminGroup: c.AdminGroup, Mapping: c.Mapping()}
}

// Load reads the configuration through getenv (os.Getenv in a function).
// The error names every bad setting on one line.
func Load(getenv func(string) string) (Config, error) {
	return load(getenv, true)
}

// LoadWithoutChat is Load for a function that never calls Chat (the UserSig
// function): CHAT_REGION and CHAT_BASE_URL may both be unset, and are still
// checked when set.
func LoadWithoutChat(getenv func(string) string) (Config, error) {
	return load(getenv, false)
}

func load(getenv func(string) string, callsChat bool) (Config, error) {
	get := lookup(getenv)
	m := LoadMapping(getenv)
	c := Config{
		SecretID:           get(EnvSecretID, ""),
		AuthMode:           strings.ToLower(get(EnvAuthMode, handler.AuthIAM)),
		AdminGroup:         get(EnvAdminGroup, handler.DefaultAdminGroup),
		UserIDAttribute:    m.UserIDAttribute,
		NickAttribute:      m.NickAttribute,
		FaceURLAttribute:   m.FaceURLAttribute,
		RetryQueueURL:      get(EnvRetryQueueURL, ""),
		DeadLetterQueueURL: get(EnvDeadLetterQueueURL, ""),
		UserPoolID:         get(EnvUserPoolID, ""),
		MetricsNamespace:   get(EnvMetricsNamespace, metrics.DefaultNamespace),
		SyncQueueURL:       get(EnvSyncQueueURL, ""),
		LocalRun:           LocalRun(getenv),
		LedgerTable:        get(EnvLedgerTable, ""),
	}
	var errs []string
	if c.SecretID == "" {
		errs = append(errs, EnvSecretID+" is required")
	}
	var err error
	if c.Region, c.BaseURL, err = endpoint(get(EnvRegion, ""), get(EnvBaseURL, ""), c.LocalRun); err != nil && (callsChat || !errors.Is(err, ErrNoEndpoint)) {
		errs = append(errs, err.Error())
	}
	if c.SecretTTL, err = SecretTTL(get(EnvSecretTTL, "")); err != nil {
		errs = append(errs, err.Error())
	}
	if c.RateShare, err = RateShare(get(EnvRateShare, "")); err != nil {
		errs = append(errs, err.Error())
	}
	if c.UserSigTTL, err = UserSigTTL(get(EnvUserSigTTL, "")); err != nil {
		errs = append(errs, err.Error())
	}
	c.ProfileAttributes = get(EnvProfileAttributes, "")
	if _, err := ProfileFields(c.ProfileAttributes); err != nil {
		errs = append(errs, err.Error())
	}
	if err := c.Auth().Validate(); err != nil {
		errs = append(errs, err.Error())
	}
	if err := (metrics.Config{Namespace: c.MetricsNamespace, Function: "check"}).Validate(); err != nil {
		errs = append(errs, strings.TrimPrefix(err.Error(), "metrics: "))
	}
	if v := get(EnvSyncListRate, ""); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0 && r <= 30) {
			errs = append(errs, fmt.Sprintf("%s %q: want ListUsers requests a second, above 0 and at most 30 (Cognito's quota)", EnvSyncListRate, v))
		}
		c.SyncListRate = r
	}
	if err := LedgerTable(c.LedgerTable); err != nil {
		errs = append(errs, err.Error())
	}
	switch v := strings.ToLower(get(EnvSyncPrune, "false")); v {
	case "true", "false":
		c.SyncPrune = v == "true"
		if c.SyncPrune && c.LedgerTable == "" {
			errs = append(errs, EnvSyncPrune+" is true, but "+EnvLedgerTable+" is unset: prune needs the ledger")
		}
	default:
		errs = append(errs, fmt.Sprintf("%s %q: want true or false", EnvSyncPrune, v))
	}
	for k, v := range map[string]string{EnvRetryQueueURL: c.RetryQueueURL, EnvDeadLetterQueueURL: c.DeadLetterQueueURL, EnvSyncQueueURL: c.SyncQueueURL} {
		if v != "" && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
			errs = append(errs, fmt.Sprintf("%s %q: want a queue URL", k, v))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return c, errors.New("config: " + strings.Join(errs, "; "))
	}
	return c, nil
}

// lookup returns a reader of trimmed settings with a default.
func lookup(getenv func(string) string) func(k, def string) string {
	return func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
}

// LoadMapping reads USER_ID_ATTRIBUTE, NICK_ATTRIBUTE and FACE_URL_ATTRIBUTE,
// with their defaults.
func LoadMapping(getenv func(string) string) chat.Mapping {
	get := lookup(getenv)
	return chat.Mapping{
		UserIDAttribute:  get(EnvUserIDAttribute, ""),
		NickAttribute:    get(EnvNickAttribute, ""),
		FaceURLAttribute: get(EnvFaceURLAttribute, ""),
	}.WithDefaults()
}

// ProfileFields parses PROFILE_ATTRIBUTES: comma-separated
// cognito-attribute=ChatTag pairs (see chat.ParseProfileFields); empty
// means none.
func ProfileFields(s string) (chat.ProfileFields, error) {
	f, err := chat.ParseProfileFields(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", EnvProfileAttributes, strings.TrimSpace(s), err)
	}
	return f, nil
}

// ErrNoEndpoint is Endpoint's error when neither a region nor a base URL is
// given.
var ErrNoEndpoint = errors.New(EnvRegion + " or " + EnvBaseURL + " is required")

// Endpoint checks a Chat region and base URL (CHAT_REGION, CHAT_BASE_URL)
// and returns them normalised. A base URL overrides the region; the region
// is then not checked.
func Endpoint(region, baseURL string) (string, string, error) {
	return endpoint(region, baseURL, false)
}

// endpoint is Endpoint where local (see LocalRun) lets a plain http base
// URL reach the addresses PlainHTTPAllowed names.
func endpoint(region, baseURL string, local bool) (string, string, error) {
	region, baseURL = strings.TrimSpace(region), strings.TrimSpace(baseURL)
	if baseURL != "" {
		parse := chatapi.ParseBaseURL
		if local && PlainHTTPAllowed(hostname(baseURL), true) {
			parse = chatapi.ParseLocalBaseURL
		}
		u, err := parse(baseURL)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", EnvBaseURL, err)
		}
		return strings.ToLower(region), u, nil
	}
	if region == "" {
		return "", "", ErrNoEndpoint
	}
	r, err := chatapi.LookupRegion(region)
	if err != nil {
		return "", "", fmt.Errorf("%s %q: %w", EnvRegion, region, err)
	}
	return r.Name, "", nil
}

// SecretTTL parses CHAT_SECRET_TTL: a positive Go duration; empty means
// secrets.DefaultTTL.
func SecretTTL(s string) (time.Duration, error) {
	return durationSetting{EnvSecretTTL, "5m", secrets.DefaultTTL, func(d time.Duration) string {
		if d <= 0 {
			return "must be positive"
		}
		return ""
	}}.parse(s)
}

// durationSetting is a setting that is a Go duration: its variable, an
// example for the error message, its default, and what else a value must
// be ("" when it is fine).
type durationSetting struct {
	env, example string
	def          time.Duration
	check        func(time.Duration) string
}

func (ds durationSetting) parse(s string) (time.Duration, error) {
	if s = strings.TrimSpace(s); s == "" {
		return ds.def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q: want a Go duration such as %s", ds.env, s, ds.example)
	}
	if msg := ds.check(d); msg != "" {
		return 0, fmt.Errorf("%s %q: %s", ds.env, s, msg)
	}
	return d, nil
}

// RateShare parses CHAT_RATE_SHARE: a number above 0 and at most 1; empty
// means 1, the whole of each cap.
func RateShare(s string) (float64, error) {
	if s = strings.TrimSpace(s); s == "" {
		return 1, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= 1) {
		return 0, fmt.Errorf("%s %q: want a number above 0 and at most 1, such as 0.25", EnvRateShare, s)
	}
	return f, nil
}

// Bounds of USER_SIG_TTL. The upper one is Tencent's own default lifetime
// of a UserSig, 180 days.
const (
	MinUserSigTTL = time.Minute
	MaxUserSigTTL = 4320 * time.Hour
)

// UserSigTTL parses USER_SIG_TTL: a Go duration from MinUserSigTTL to
// MaxUserSigTTL; empty means handler.DefaultUserSigTTL.
func UserSigTTL(s string) (time.Duration, error) {
	return durationSetting{EnvUserSigTTL, "24h", handler.DefaultUserSigTTL, func(d time.Duration) string {
		if d < MinUserSigTTL || d > MaxUserSigTTL {
			return "must be from 1m to 4320h (180 days)"
		}
		return ""
	}}.parse(s)
}

// LedgerTable checks LEDGER_TABLE: empty (no ledger), a DynamoDB table name
// (3 to 255 letters, digits, '_', '-' and '.') or a table's ARN.
func LedgerTable(s string) error {
	if s == "" || strings.HasPrefix(s, "arn:") && strings.Contains(s, ":table/") {
		return nil
	}
	ok := len(s) >= 3 && len(s) <= 255
	for _, r := range s {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	}
	if !ok {
		return fmt.Errorf("%s %q: want a DynamoDB table name (3 to 255 letters, digits, '_', '-', '.') or its ARN", EnvLedgerTable, s)
	}
	return nil
}
