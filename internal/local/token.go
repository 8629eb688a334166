package local

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Local tokens stand in for Cognito ID tokens when `chatsync local` serves
// the API in jwt mode: HS256 JWTs signed with a key kept on this machine.
// They are for local development only; a deployed stack verifies
// Cognito's own tokens with API Gateway's JWT authorizer.
const (
	// TokenIssuer is the iss claim of every local token.
	TokenIssuer = "chatsync-local"
	// TokenKeySize is the size in bytes of a local token key.
	TokenKeySize = 32
	// tokenAlg is the one signing algorithm a local token may name.
	tokenAlg = "HS256"
)

// TokenClaims are what a local token says about its user.
type TokenClaims struct {
	Sub      string   // sub
	Username string   // cognito:username; Sub when empty
	Groups   []string // cognito:groups
}

// A TokenKey signs and verifies local tokens. It prints without the key.
type TokenKey struct {
	secret []byte
}

// String keeps the key out of %v and %s.
func (TokenKey) String() string { return "TokenKey{[redacted]}" }

// GoString keeps the key out of %#v.
func (k TokenKey) GoString() string { return k.String() }

// NewTokenKey returns a fresh random key.
func NewTokenKey() TokenKey {
	b := make([]byte, TokenKeySize)
	rand.Read(b) // never fails (crypto/rand)
	return TokenKey{secret: b}
}

// DefaultTokenKeyFile is where `chatsync token` and `chatsync local` keep
// their key unless told otherwise: chatsync/local-jwt.key in the user's
// configuration directory (os.UserConfigDir).
func DefaultTokenKeyFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory for the local token key (give a key file): %w", err)
	}
	return filepath.Join(dir, "chatsync", "local-jwt.key"), nil
}

// LoadTokenKey reads the key in the file at path, creating the file (mode
// 0600, in a directory of mode 0700) with a fresh key when there is none,
// so that every process that names the file signs and verifies alike.
func LoadTokenKey(path string) (TokenKey, error) {
	k, err := readTokenKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := createTokenKey(path); err != nil {
		return TokenKey{}, fmt.Errorf("create the local token key %s: %w", path, err)
	}
	return readTokenKey(path)
}

// readTokenKey reads a key file: the key in base64 on one line, readable
// by its owner alone.
func readTokenKey(path string) (TokenKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return TokenKey{}, err
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return TokenKey{}, fmt.Errorf("the local token key %s may be read by others (mode %04o): chmod 600 it", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return TokenKey{}, err
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(b) < TokenKeySize {
		return TokenKey{}, fmt.Errorf("the local token key %s does not hold %d bytes in base64: remove it and a new one is made", path, TokenKeySize)
	}
	return TokenKey{secret: b}, nil
}

// createTokenKey writes a fresh key file at path. It is written aside and
// linked into place, so that a process reading the file never sees half
// of it; when another process made the file first, its key stands.
func createTokenKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".local-jwt-*.tmp") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(NewTokenKey().secret) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// tokenPayload is the claims set of a local token, as a Cognito ID token
// spells those claims.
type tokenPayload struct {
	Sub      string   `json:"sub"`
	Username string   `json:"cognito:username"`
	Groups   []string `json:"cognito:groups,omitempty"`
	TokenUse string   `json:"token_use"`
	Iss      string   `json:"iss"`
	Iat      int64    `json:"iat"`
	Exp      int64    `json:"exp"`
}

// Issue returns a token for c, issued at now and valid for ttl.
func (k TokenKey) Issue(c TokenClaims, now time.Time, ttl time.Duration) (string, error) {
	if c.Sub == "" {
		return "", errors.New("a token needs a sub")
	}
	if ttl <= 0 {
		return "", errors.New("a token needs a positive lifetime")
	}
	if c.Username == "" {
		c.Username = c.Sub
	}
	header, _ := json.Marshal(map[string]string{"alg": tokenAlg, "typ": "JWT"})
	payload, err := json.Marshal(tokenPayload{
		Sub: c.Sub, Username: c.Username, Groups: c.Groups, TokenUse: "id",
		Iss: TokenIssuer, Iat: now.Unix(), Exp: now.Add(ttl).Unix(),
	})
	if err != nil {
		return "", err
	}
	signed := b64(header) + "." + b64(payload)
	return signed + "." + b64(k.sign(signed)), nil
}

// Errors of Verify. None carries the token or the key.
var (
	ErrTokenMalformed = errors.New("the token is not a JWT")
	ErrTokenAlg       = errors.New("the token is not signed with " + tokenAlg)
	ErrTokenSignature = errors.New("the token's signature does not verify")
	ErrTokenExpired   = errors.New("the token has expired")
	ErrTokenIssuer    = errors.New("the token's issuer is not " + TokenIssuer)
)

// Verify checks a token at now: its header names HS256 (any other alg,
// "none" included, is refused), its signature verifies with k (compared in
// constant time), it has not expired and its issuer is TokenIssuer. It
// returns the token's claims, numbers as json.Number.
func (k TokenKey) Verify(token string, now time.Time) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, ErrTokenMalformed
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, err
	}
	if header.Alg != tokenAlg {
		return nil, ErrTokenAlg
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, k.sign(parts[0]+"."+parts[1])) {
		return nil, ErrTokenSignature
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, err
	}
	exp, ok := claims["exp"].(json.Number)
	if secs, err := exp.Int64(); !ok || err != nil || now.Unix() >= secs {
		return nil, ErrTokenExpired
	}
	if claims["iss"] != TokenIssuer {
		return nil, ErrTokenIssuer
	}
	return claims, nil
}

// sign returns the HMAC-SHA256 of s under k.
func (k TokenKey) sign(s string) []byte {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// decodeSegment decodes one base64url segment of a token as a JSON object.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return ErrTokenMalformed
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil || d.More() {
		return ErrTokenMalformed
	}
	return nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
