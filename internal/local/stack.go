package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/handler"
	"github.com/chatsync/chat-lambdas/pkg/metrics"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

// The app an emulator stack serves.
const (
	EmulatorSDKAppID = 1400000000
	EmulatorAdmin    = chatemu.DefaultAdmin
	EmulatorSecretID = "local/chat-admin" // its name in the stack's SecretStore
)

// DefaultConnectTimeout bounds the first read of the secret in Connect.
const DefaultConnectTimeout = 15 * time.Second

// Options configure the handlers of a Stack.
type Options struct {
	// Logger receives the handlers' log lines; nil discards them.
	Logger *slog.Logger
	// Mapping maps Cognito attributes to accounts, as USER_ID_ATTRIBUTE,
	// NICK_ATTRIBUTE and FACE_URL_ATTRIBUTE do; the zero value takes the
	// functions' defaults.
	Mapping chat.Mapping
	// UserPoolID is the stack's user pool (USER_POOL_ID), for lifecycle
	// events that come without the stack's wrapper.
	UserPoolID string
	// MetricsOut receives the functions' EMF documents, one a line, as
	// Lambda's log stream would; nil discards them (Stack.Metrics totals
	// them either way).
	MetricsOut io.Writer
	// AuthMode is HTTP_AUTH_MODE: handler.AuthIAM (when empty) or
	// handler.AuthJWT, for every handler.
	AuthMode string
	// AdminGroup is ADMIN_GROUP, the jwt-mode group whose members may act
	// on anyone; handler.DefaultAdminGroup when empty.
	AdminGroup string
	// UserSigTTL is USER_SIG_TTL; 0 means handler.DefaultUserSigTTL.
	UserSigTTL time.Duration
	// Ledger, when set, is the handlers' ledger (LEDGER_TABLE in a
	// deployment): imports record, deletes tombstone, and the UserSig
	// handler refuses deleted accounts. Nil: no ledger.
	Ledger setup.Ledger
}

// A Stack is what a deployed function process holds: a credentials source,
// one Chat client and the three handlers, in one process. The handlers use
// Options.AuthMode (IAM by default) and no retry or dead-letter queue.
type Stack struct {
	// Backend names the Chat service and where the key comes from, in one
	// line that never carries the key.
	Backend string
	// Real reports whether the stack was built by Connect, for the real
	// service, rather than by StartEmulator.
	Real bool

	Emulator *chatemu.Running // the in-process emulator; nil when Real
	Store    *SecretStore     // the emulator's stand-in for Secrets Manager; nil when Real
	Secrets  *secrets.Source  // the cached secret; nil when the key was given directly
	Client   *chatapi.Client
	// The functions' handlers, with their metrics, as the functions' mains
	// wire them.
	Import  Function
	Delete  Function
	UserSig Function
	// Metrics totals the EMF documents the functions write, for a summary
	// at the end of a local run (see metrics.Summary).
	Metrics *metrics.Collector

	creds chatapi.CredentialsSource // what the client and the UserSig handler sign with
}

// Credentials returns what the stack's client signs with (the admin
// identifier in it is what every command refuses to touch).
func (s *Stack) Credentials() chatapi.CredentialsSource { return s.creds }

// StartEmulator starts a Chat emulator on a loopback port, with a fresh
// random key that never leaves the process, and builds a stack on it. The
// key reaches the client the way it does in a deployment: as a JSON secret
// read through a secrets.Source, from an in-memory SecretStore.
func StartEmulator(ctx context.Context, opts Options) (*Stack, error) {
	key, err := randomKey()
	if err != nil {
		return nil, err
	}
	emu, err := chatemu.Start(chatemu.Options{
		SDKAppID:   EmulatorSDKAppID,
		Key:        key,
		Admin:      EmulatorAdmin,
		RateLimits: chatemu.DocumentedRateLimits(),
		// The custom profile fields the mapping names are set up, as an
		// operator sets them up in the Chat console.
		CustomProfileFields: opts.Mapping.Profile.CustomKeys(),
	})
	if err != nil {
		return nil, fmt.Errorf("start the Chat emulator: %w", err)
	}
	store := NewSecretStore()
	secret, err := json.Marshal(map[string]any{"sdkAppId": EmulatorSDKAppID, "secretKey": key, "adminIdentifier": EmulatorAdmin})
	if err != nil {
		emu.Close()
		return nil, err
	}
	store.Put(EmulatorSecretID, string(secret))
	log := logger(opts.Logger)
	src, err := secrets.NewSource(store, secrets.Config{SecretID: EmulatorSecretID, Logger: log})
	if err != nil {
		emu.Close()
		return nil, err
	}
	src.Start(ctx)
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: src})
	if err != nil {
		emu.Close()
		return nil, err
	}
	s := &Stack{
		Backend:  fmt.Sprintf("embedded Chat emulator at %s (SDKAppID %d, admin %q, in memory: empty at start); key from the in-process secret %q", emu.URL, EmulatorSDKAppID, EmulatorAdmin, EmulatorSecretID),
		Emulator: emu,
		Store:    store,
		Secrets:  src,
		Client:   client,
		creds:    src,
	}
	s.handlers(log, opts)
	return s, nil
}

// Remote says how to reach the real Tencent Cloud Chat service: a region or
// base URL, and either a Secrets Manager secret or the credentials
// themselves.
type Remote struct {
	Region  string // a key of chatapi.Regions (CHAT_REGION)
	BaseURL string // overrides Region (CHAT_BASE_URL)

	// SecretID names the Secrets Manager secret holding the key
	// (CHAT_SECRET_ID). AWS credentials, the region and endpoints come from
	// the SDK's default chain; when no region is configured, an ARN's region
	// is used.
	SecretID  string
	SecretTTL time.Duration // 0: secrets.DefaultTTL

	// Credentials are used instead of a secret when SecretID is empty.
	Credentials *chat.Credentials
}

// Connect builds a stack on the real service. With a secret it reads the
// secret once before returning, so that a missing secret or permission
// shows up at once, with the secrets package's explanation.
func Connect(ctx context.Context, r Remote, opts Options) (*Stack, error) {
	log := logger(opts.Logger)
	s := &Stack{Real: true}
	var (
		creds  chatapi.CredentialsSource
		origin string
	)
	switch {
	case r.SecretID != "":
		src, awsRegion, err := secretSource(ctx, r, log)
		if err != nil {
			return nil, err
		}
		creds, s.Secrets = src, src
		origin = fmt.Sprintf("key from Secrets Manager secret %q (AWS region %s)", r.SecretID, awsRegion)
	case r.Credentials != nil:
		if err := r.Credentials.Validate(); err != nil {
			return nil, fmt.Errorf("chat credentials: %w", err)
		}
		creds = chatapi.StaticCredentials(*r.Credentials)
		origin = fmt.Sprintf("SDKAppID %d, admin %q, key given locally", r.Credentials.SDKAppID, r.Credentials.Admin)
	default:
		return nil, errors.New("no Chat key: want a Secrets Manager secret ID or credentials")
	}
	var client *chatapi.Client
	where := "no Chat endpoint (UserSigs only: they are signed here, with no Chat call)"
	if strings.TrimSpace(r.Region) != "" || strings.TrimSpace(r.BaseURL) != "" {
		var err error
		if client, err = chatapi.New(chatapi.Config{Region: r.Region, BaseURL: r.BaseURL, Credentials: creds}); err != nil {
			return nil, err
		}
		where = client.BaseURL()
		if r.BaseURL == "" {
			where = fmt.Sprintf("region %s (%s)", strings.ToLower(strings.TrimSpace(r.Region)), client.BaseURL())
		}
	}
	s.Backend = "Tencent Cloud Chat (real service), " + where + "; " + origin
	if s.Secrets != nil {
		fctx, cancel := context.WithTimeout(ctx, DefaultConnectTimeout)
		c, err := s.Secrets.Credentials(fctx)
		cancel()
		if err != nil {
			return nil, err
		}
		s.Backend += fmt.Sprintf(": SDKAppID %d, admin %q", c.SDKAppID, c.Admin)
	}
	s.Client, s.creds = client, creds
	s.handlers(log, opts)
	return s, nil
}

// secretSource builds a secrets.Source on the AWS SDK's default
// configuration, and returns the AWS region it reads from.
func secretSource(ctx context.Context, r Remote, log *slog.Logger) (*secrets.Source, string, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		if a, err := arn.Parse(r.SecretID); err == nil && a.Region != "" {
			cfg.Region = a.Region
		} else {
			return nil, "", errors.New("no AWS region for Secrets Manager: set AWS_REGION (or a profile's region), or give the secret's full ARN")
		}
	}
	src, err := secrets.NewSource(secretsmanager.NewFromConfig(cfg), secrets.Config{SecretID: r.SecretID, TTL: r.SecretTTL, Logger: log})
	if err != nil {
		return nil, "", err
	}
	return src, cfg.Region, nil
}

// handlers builds the handlers through the same wiring as the functions'
// mains, with the options' auth mode and no queues.
func (s *Stack) handlers(log *slog.Logger, o Options) {
	m := o.Mapping.WithDefaults()
	mode := o.AuthMode
	if mode == "" {
		mode = handler.AuthIAM
	}
	group := o.AdminGroup
	if group == "" {
		group = handler.DefaultAdminGroup
	}
	ttl := o.UserSigTTL
	if ttl <= 0 {
		ttl = handler.DefaultUserSigTTL
	}
	s.Metrics = &metrics.Collector{Next: o.MetricsOut}
	p := &setup.Parts{Log: log, Chat: s.Client, Secrets: s.Secrets, Credentials: s.creds, MetricsOut: s.Metrics, Ledger: o.Ledger, Config: config.Config{
		AuthMode:         mode,
		AdminGroup:       group,
		UserIDAttribute:  m.UserIDAttribute,
		NickAttribute:    m.NickAttribute,
		FaceURLAttribute: m.FaceURLAttribute,
		UserPoolID:       o.UserPoolID,
		UserSigTTL:       ttl,
		MetricsNamespace: metrics.DefaultNamespace,

		ProfileAttributes: m.Profile.String(), // as the functions read PROFILE_ATTRIBUTES
	}}
	if s.Client != nil { // without Chat (usersig alone) only the UserSig function runs
		s.Import = p.Metered("import", p.ImportHandler())
		s.Delete = p.Metered("delete", p.DeleteHandler())
	}
	s.UserSig = p.Metered("usersig", p.UserSigHandler())
}

// Function returns the handler of the function named "import", "delete" or
// "usersig" (or by its template name, ImportFunction, DeleteFunction or
// UserSigFunction), and its timeout in template.yaml.
func (s *Stack) Function(name string) (Function, time.Duration, bool) {
	switch strings.ToLower(strings.TrimSuffix(name, "Function")) {
	case "import":
		return s.Import, ImportTimeout, s.Import != nil
	case "delete":
		return s.Delete, DeleteTimeout, s.Delete != nil
	case "usersig":
		return s.UserSig, UserSigTimeout, true
	}
	return nil, 0, false
}

// Close stops the emulator, if any.
func (s *Stack) Close() error {
	if s.Emulator != nil {
		return s.Emulator.Close()
	}
	return nil
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// randomKey returns a fresh 256-bit key in hex, like a Chat app key.
func randomKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
