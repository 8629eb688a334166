package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chatsync/chat-lambdas/internal/secretsapi"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// EmulatorSecretARN is the ARN the Secrets Manager stand-in reports for the
// emulator's secret: an example account's, like every ARN SAM makes up
// locally.
const EmulatorSecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + EmulatorSecretID + "-LOCAL0"

// Emulator is what `chatsync emulator` serves on one port: the Chat
// emulator's REST API (paths under chatemu.Prefix) and a Secrets Manager
// stand-in (secretsapi) whose one secret, EmulatorSecretID, holds the
// emulator's key in the functions' secret shape. A function given
// EmulatorEnv runs against it exactly as against AWS and Tencent.
//
// With a state file its key, accounts and kicks survive a restart (Save
// writes them, NewEmulator reads them back), so UserSigs issued before a
// restart still verify.
type Emulator struct {
	Chat  *chatemu.Server
	Store *SecretStore

	secrets   *secretsapi.Handler
	statePath string

	mu    sync.Mutex // serialises Save
	saved int        // Chat.TotalRequests at the last Save
}

// emulatorState is the state file: the key and the emulator's State. It
// holds the emulator's key, so it is written readable by its owner only.
type emulatorState struct {
	Version  int    `json:"version"`
	SDKAppID uint64 `json:"sdkAppId"`
	Admin    string `json:"adminIdentifier"`
	Key      string `json:"secretKey"`
	chatemu.State
}

const stateVersion = 1

// NewEmulator makes an emulator with a fresh random key, or, when
// statePath names an existing state file, with the key and accounts saved
// there. An empty statePath keeps nothing.
func NewEmulator(statePath string) (*Emulator, error) {
	st := emulatorState{Version: stateVersion, SDKAppID: EmulatorSDKAppID, Admin: EmulatorAdmin}
	loaded := false
	if statePath != "" {
		b, err := os.ReadFile(statePath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("state file: %w", err)
		default:
			if err := json.Unmarshal(b, &st); err != nil {
				return nil, fmt.Errorf("state file %s: not a chatsync emulator state (%v)", statePath, err)
			}
			if st.Version != stateVersion || st.SDKAppID == 0 || st.Key == "" || st.Admin == "" {
				return nil, fmt.Errorf("state file %s: want version %d with sdkAppId, adminIdentifier and secretKey", statePath, stateVersion)
			}
			loaded = true
		}
	}
	if !loaded {
		key, err := randomKey()
		if err != nil {
			return nil, err
		}
		st.Key = key
	}
	srv := chatemu.New(chatemu.Options{SDKAppID: st.SDKAppID, Key: st.Key, Admin: st.Admin, RateLimits: chatemu.DocumentedRateLimits()})
	if err := srv.Restore(st.State); err != nil {
		return nil, fmt.Errorf("state file %s: %w", statePath, err)
	}
	secret, err := json.Marshal(map[string]any{"sdkAppId": st.SDKAppID, "secretKey": st.Key, "adminIdentifier": st.Admin})
	if err != nil {
		return nil, err
	}
	store := NewSecretStore()
	store.Put(EmulatorSecretID, string(secret))
	store.Put(EmulatorSecretARN, string(secret))
	e := &Emulator{Chat: srv, Store: store, statePath: statePath}
	e.secrets = &secretsapi.Handler{Store: store, ARN: func(string) string { return EmulatorSecretARN }}
	return e, nil
}

// ServeHTTP routes Secrets Manager requests to the stand-in and the rest
// to the Chat emulator.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if secretsapi.IsRequest(r) {
		e.secrets.ServeHTTP(w, r)
		return
	}
	e.Chat.ServeHTTP(w, r)
}

// Credentials returns the app's credentials (the key included: never print
// them).
func (e *Emulator) Credentials() chat.Credentials { return e.Chat.Credentials() }

// StatePath returns the state file, or "" when none is kept.
func (e *Emulator) StatePath() string { return e.statePath }

// Save writes the key and the accounts to the state file, through a
// temporary file and a rename so that a crash never leaves half a file; it
// does nothing without a state file, or when no request came since the
// last Save.
func (e *Emulator) Save() error {
	if e.statePath == "" {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.Chat.TotalRequests()
	if n == e.saved && fileExists(e.statePath) {
		return nil
	}
	creds := e.Chat.Credentials()
	st := emulatorState{Version: stateVersion, SDKAppID: creds.SDKAppID, Admin: creds.Admin, Key: creds.Key, State: e.Chat.State()}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(e.statePath), "."+filepath.Base(e.statePath)+".*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), e.statePath); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	e.saved = n
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// EmulatorEnv returns the environment a function needs to run against an
// emulator served at base (such as "http://198.18.0.1:8400"), as
// NAME=value lines in a fixed order. AWS credentials and the region are
// not among them: SAM gives its containers placeholders, and the stand-in
// does not check them.
func EmulatorEnv(base string) []string {
	base = strings.TrimRight(base, "/")
	return []string{
		"CHAT_BASE_URL=" + base,
		"CHAT_SECRET_ID=" + EmulatorSecretID,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + base,
	}
}
