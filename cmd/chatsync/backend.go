package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"strings"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/secrets"
)

// backendFlags are the flags that choose the Chat service: the embedded
// emulator, or the real service with a key from Secrets Manager or a file.
type backendFlags struct {
	secretID string
	sdkAppID uint64
	keyFile  string
	admin    string
	region   string
	baseURL  string
	emulator bool

	// noChat: the command never calls Chat (usersig), so it needs no
	// region or base URL.
	noChat bool
}

func (b *backendFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.secretID, "secret-id", "", "Secrets Manager secret `ID` (name or ARN) holding the Chat key (env CHAT_SECRET_ID)")
	fs.Uint64Var(&b.sdkAppID, "sdkappid", 0, "SDKAppID `N` of the app, to use a key without Secrets Manager")
	fs.StringVar(&b.keyFile, "key-file", "", "`FILE` holding the key, or the secret's JSON document (else env CHAT_SECRET_KEY)")
	fs.StringVar(&b.admin, "admin", secrets.DefaultAdmin, "the app admin `ID`, with -sdkappid")
	fs.StringVar(&b.region, "region", "", "Chat region `NAME`, one of "+strings.Join(chatapi.RegionNames(), ", ")+" (env CHAT_REGION)")
	fs.StringVar(&b.baseURL, "base-url", "", "Chat base `URL` instead of a region (env CHAT_BASE_URL)")
	fs.BoolVar(&b.emulator, "emulator", false, "use the embedded Chat emulator even when a key is configured")
}

// remote returns the real service the flags and environment configure, or
// nil for the emulator. set holds the flags given on the command line.
func (b *backendFlags) remote(set map[string]bool, getenv func(string) string) (*local.Remote, error) {
	var given []string
	for _, name := range []string{"secret-id", "sdkappid", "key-file", "admin", "region", "base-url"} {
		if set[name] {
			given = append(given, "-"+name)
		}
	}
	if b.emulator {
		if len(given) > 0 {
			return nil, usagef("-emulator cannot be combined with %s", strings.Join(given, ", "))
		}
		return nil, nil
	}
	withKey := set["sdkappid"] || set["key-file"]
	secretID := strings.TrimSpace(b.secretID)
	switch {
	case withKey && set["secret-id"]:
		return nil, usagef("give either -secret-id or -sdkappid/-key-file, not both")
	case set["secret-id"] && secretID == "":
		return nil, usagef("-secret-id is empty")
	case set["admin"] && !withKey:
		return nil, usagef("-admin goes with -sdkappid (a secret names its own admin)")
	case !withKey && !set["secret-id"]:
		secretID = strings.TrimSpace(getenv(config.EnvSecretID))
	}
	if !withKey && secretID == "" {
		if set["region"] || set["base-url"] {
			return nil, usagef("-region and -base-url need a key: -secret-id ID (or env CHAT_SECRET_ID), or -sdkappid N with -key-file FILE (or env CHAT_SECRET_KEY)")
		}
		return nil, nil
	}

	r := &local.Remote{SecretID: secretID}
	if err := b.endpoint(r, getenv); err != nil {
		return nil, err
	}
	if secretID != "" {
		d, err := config.SecretTTL(getenv(config.EnvSecretTTL))
		if err != nil {
			return nil, usagef("%v", err)
		}
		r.SecretTTL = d
	}
	if withKey {
		creds, err := b.credentials(set, getenv)
		if err != nil {
			return nil, err
		}
		r.Credentials = &creds
	}
	return r, nil
}

// endpoint sets the region or base URL from the flags, else the
// environment.
func (b *backendFlags) endpoint(r *local.Remote, getenv func(string) string) error {
	base, region := b.baseURL, b.region
	if strings.TrimSpace(base) == "" && strings.TrimSpace(region) == "" {
		base, region = getenv(config.EnvBaseURL), getenv(config.EnvRegion)
	}
	var err error
	r.Region, r.BaseURL, err = config.Endpoint(region, base)
	switch {
	case errors.Is(err, config.ErrNoEndpoint) && b.noChat:
		return nil // signing a UserSig calls no Chat endpoint
	case errors.Is(err, config.ErrNoEndpoint):
		return usagef("no Chat region: give -region NAME (or env %s), one of %s, or -base-url URL", config.EnvRegion, strings.Join(chatapi.RegionNames(), ", "))
	case err != nil:
		return usagef("%v", err)
	}
	return nil
}

// credentials reads the key for -sdkappid from -key-file or
// CHAT_SECRET_KEY. Errors never quote the file's content.
func (b *backendFlags) credentials(set map[string]bool, getenv func(string) string) (chat.Credentials, error) {
	creds := chat.Credentials{SDKAppID: b.sdkAppID, Admin: strings.TrimSpace(b.admin)}
	var key string
	switch {
	case b.keyFile != "":
		data, err := os.ReadFile(b.keyFile)
		if err != nil {
			return creds, usagef("cannot read the key file: %v", err)
		}
		data = bytes.TrimSpace(data)
		if bytes.HasPrefix(data, []byte("{")) {
			doc, err := secrets.Parse(data)
			if err != nil {
				return creds, usagef("key file %s: %v", b.keyFile, err)
			}
			if !set["sdkappid"] {
				creds.SDKAppID = doc.SDKAppID
			}
			if !set["admin"] {
				creds.Admin = doc.Admin
			}
			key = doc.Key
		} else {
			key = string(data)
		}
		if key == "" {
			return creds, usagef("key file %s is empty", b.keyFile)
		}
	default:
		key = strings.TrimSpace(getenv(config.EnvSecretKey))
		if key == "" {
			return creds, usagef("-sdkappid needs the key: -key-file FILE or env CHAT_SECRET_KEY (never a flag value)")
		}
	}
	if strings.ContainsAny(key, " \t\r\n") {
		return creds, usagef("the key holds white space: want the key alone (or the secret's JSON document) in the file")
	}
	creds.Key = key
	if creds.SDKAppID == 0 {
		return creds, usagef("no SDKAppID: give -sdkappid N (the key file holds a bare key)")
	}
	if err := chat.ValidateUserID(creds.Admin); err != nil {
		return creds, usagef("-admin: %v", err)
	}
	return creds, nil
}

// openStack builds the stack the flags choose. A nil remote means the
// emulator.
func (c *cli) openStack(ctx context.Context, r *local.Remote, log *slog.Logger) (*local.Stack, error) {
	return c.openStackMode(ctx, r, log, "")
}

// openStackMode is openStack with the handlers in an HTTP_AUTH_MODE; ""
// means IAM. USER_SIG_TTL and ADMIN_GROUP come from the environment.
func (c *cli) openStackMode(ctx context.Context, r *local.Remote, log *slog.Logger, authMode string) (*local.Stack, error) {
	ttl, err := config.UserSigTTL(c.getenv(config.EnvUserSigTTL))
	if err != nil {
		return nil, usagef("%v", err)
	}
	mapping, err := c.mapping()
	if err != nil {
		return nil, err
	}
	opts := local.Options{Logger: log, Mapping: mapping, AuthMode: authMode, AdminGroup: strings.TrimSpace(c.getenv(config.EnvAdminGroup)),
		UserSigTTL: ttl, UserPoolID: strings.TrimSpace(c.getenv(config.EnvUserPoolID))}
	var s *local.Stack
	if r == nil {
		s, err = local.StartEmulator(ctx, opts)
	} else {
		s, err = local.Connect(ctx, *r, opts)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}
