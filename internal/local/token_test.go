package local_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/local"
)

var tokenNow = time.Unix(1_800_000_000, 0)

func TestTokenRoundTrip(t *testing.T) {
	k := local.NewTokenKey()
	tok, err := k.Issue(local.TokenClaims{Sub: "alice", Groups: []string{"chat-admins", "staff"}}, tokenNow, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := k.Verify(tok, tokenNow.Add(time.Hour-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(claims)
	want := `{"cognito:groups":["chat-admins","staff"],"cognito:username":"alice","exp":1800003600,"iat":1800000000,"iss":"chatsync-local","sub":"alice","token_use":"id"}`
	if string(got) != want {
		t.Errorf("claims %s\nwant   %s", got, want)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if string(header) != `{"alg":"HS256","typ":"JWT"}` {
		t.Errorf("header %s", header)
	}
}

// forge signs header and payload as a token with secret (nil: no signature).
func forge(secret []byte, header, payload string) string {
	s := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	if secret == nil {
		return s + "."
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(s))
	return s + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// TestTokenVerifyRefuses: every kind of bad token is refused with its own
// error, and none of the errors carries the token.
func TestTokenVerifyRefuses(t *testing.T) {
	k, secret := knownKey(t)
	forgeWith := func(payload string) string { return forge(secret, `{"alg":"HS256","typ":"JWT"}`, payload) }
	good, _ := k.Issue(local.TokenClaims{Sub: "alice"}, tokenNow, time.Hour)
	other, _ := local.NewTokenKey().Issue(local.TokenClaims{Sub: "alice"}, tokenNow, time.Hour)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	admin := strings.Replace(string(payload), `"sub":"alice"`, `"sub":"alice","cognito:groups":["chat-admins"]`, 1)
	exp := fmt.Sprint(tokenNow.Add(time.Hour).Unix())
	tests := []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"empty", "", tokenNow, local.ErrTokenMalformed},
		{"two parts", parts[0] + "." + parts[1], tokenNow, local.ErrTokenMalformed},
		{"header not base64url", "!!." + parts[1] + "." + parts[2], tokenNow, local.ErrTokenMalformed},
		{"alg none", forge(nil, `{"alg":"none","typ":"JWT"}`, string(payload)), tokenNow, local.ErrTokenAlg},
		{"alg None with a signature", forge([]byte("x"), `{"alg":"None"}`, string(payload)), tokenNow, local.ErrTokenAlg},
		{"alg HS512", forge([]byte("x"), `{"alg":"HS512"}`, string(payload)), tokenNow, local.ErrTokenAlg},
		{"alg RS256", forge([]byte("x"), `{"alg":"RS256"}`, string(payload)), tokenNow, local.ErrTokenAlg},
		{"no alg", forge([]byte("x"), `{"typ":"JWT"}`, string(payload)), tokenNow, local.ErrTokenAlg},
		{"another key", other, tokenNow, local.ErrTokenSignature},
		{"payload changed", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(admin)) + "." + parts[2], tokenNow, local.ErrTokenSignature},
		{"signature cut", parts[0] + "." + parts[1] + "." + parts[2][:10], tokenNow, local.ErrTokenSignature},
		{"expired", good, tokenNow.Add(time.Hour), local.ErrTokenExpired},
		{"long expired", good, tokenNow.Add(48 * time.Hour), local.ErrTokenExpired},
		{"no exp", forgeWith(`{"sub":"alice","iss":"chatsync-local"}`), tokenNow, local.ErrTokenExpired},
		{"exp a string", forgeWith(`{"sub":"alice","iss":"chatsync-local","exp":"` + exp + `"}`), tokenNow, local.ErrTokenExpired},
		{"another issuer", forgeWith(`{"sub":"alice","iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE","exp":` + exp + `}`), tokenNow, local.ErrTokenIssuer},
		{"no issuer", forgeWith(`{"sub":"alice","exp":` + exp + `}`), tokenNow, local.ErrTokenIssuer},
		{"payload not an object", forgeWith(`["sub"]`), tokenNow, local.ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := k.Verify(tt.token, tt.at)
			if !errors.Is(err, tt.want) || claims != nil {
				t.Fatalf("Verify = %v, %v; want %v", claims, err, tt.want)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("the error carries the token: %v", err)
			}
		})
	}
	if _, err := k.Verify(good, tokenNow); err != nil {
		t.Errorf("the untouched token: %v", err)
	}
	if _, err := k.Verify(forgeWith(`{"sub":"alice","iss":"chatsync-local","exp":`+exp+`}`), tokenNow); err != nil {
		t.Errorf("a token forged with the key itself (the forgery works): %v", err)
	}
}

// knownKey returns a key whose bytes the test knows, loaded from a key
// file it writes.
func knownKey(t *testing.T) (local.TokenKey, []byte) {
	t.Helper()
	secret := []byte("0123456789abcdef0123456789abcdef")
	path := filepath.Join(t.TempDir(), "local-jwt.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := local.LoadTokenKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return k, secret
}

func sameKey(a, b local.TokenKey) bool {
	tok, err := a.Issue(local.TokenClaims{Sub: "probe"}, tokenNow, time.Minute)
	if err != nil {
		return false
	}
	_, err = b.Verify(tok, tokenNow)
	return err == nil
}

func TestLoadTokenKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chatsync", "local-jwt.key")
	k1, err := local.LoadTokenKey(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", info.Mode().Perm())
	}
	if d, _ := os.Stat(filepath.Dir(path)); d.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %04o, want 0700", d.Mode().Perm())
	}
	k2, err := local.LoadTokenKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(k1, k2) || sameKey(k1, local.NewTokenKey()) {
		t.Error("a second load does not give the same key, or any key verifies")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the key directory holds %d entries, want the key file alone", len(entries))
	}
	data, _ := os.ReadFile(path)
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data))); err != nil || len(b) != local.TokenKeySize {
		t.Errorf("the file holds %d bytes of key (%v), want %d", len(b), err, local.TokenKeySize)
	}
	for _, s := range []string{fmt.Sprint(k1), fmt.Sprintf("%+v", k1), fmt.Sprintf("%#v", k1)} {
		if strings.Contains(s, strings.TrimSpace(string(data))) || !strings.Contains(s, "redacted") {
			t.Errorf("a TokenKey prints as %q", s)
		}
	}

	os.Chmod(path, 0o644)
	if _, err := local.LoadTokenKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key file others may read: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("short\n"), 0o600)
	if _, err := local.LoadTokenKey(path); err == nil || strings.Contains(err.Error(), "short") {
		t.Errorf("a file that holds no key: %v", err)
	}
}

// TestLoadTokenKeyConcurrently: processes that make the key file at the
// same time end with one key.
func TestLoadTokenKeyConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local-jwt.key")
	keys := make([]local.TokenKey, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := local.LoadTokenKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !sameKey(keys[0], k) {
			t.Fatal("two loads made different keys")
		}
	}
}
