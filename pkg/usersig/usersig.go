// Package usersig generates and verifies Tencent Cloud Chat UserSigs
// (TLS sig API v2): an HMAC-SHA256 signature over the identifier, the
// SDKAppID and a validity window, wrapped in zlib-compressed JSON and a
// URL-safe base64 variant.
package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"strconv"
	"strings"
	"time"
)

// Errors returned by Verify. Each failure has its own error so callers (the
// Chat emulator) can map it to the code the real service answers with.
var (
	ErrMalformed          = errors.New("usersig: malformed")
	ErrBadSignature       = errors.New("usersig: signature mismatch")
	ErrExpired            = errors.New("usersig: expired")
	ErrSDKAppIDMismatch   = errors.New("usersig: sdkappid mismatch")
	ErrIdentifierMismatch = errors.New("usersig: identifier mismatch")
)

// maxDecoded bounds the decompressed size of a UserSig so that a hostile
// input cannot make Verify allocate without limit.
const maxDecoded = 16 << 10

// Sig is the decoded content of a UserSig.
type Sig struct {
	Identifier string
	SDKAppID   uint64
	Time       int64 // unix seconds at signing
	Expire     int64 // validity in seconds from Time
	UserBuf    []byte
	hasUserBuf bool
}

// ExpiresAt reports when the UserSig stops being valid.
func (s Sig) ExpiresAt() time.Time { return time.Unix(s.Time+s.Expire, 0) }

// Generate makes a UserSig for identifier, valid for expire from now.
func Generate(key []byte, sdkAppID uint64, identifier string, now time.Time, expire time.Duration) string {
	return generate(key, sdkAppID, identifier, now.Unix(), int64(expire/time.Second), nil, false)
}

// GenerateWithUserBuf makes a UserSig that also carries userbuf.
func GenerateWithUserBuf(key []byte, sdkAppID uint64, identifier string, now time.Time, expire time.Duration, userbuf []byte) string {
	return generate(key, sdkAppID, identifier, now.Unix(), int64(expire/time.Second), userbuf, true)
}

// HMAC returns TLS.sig, the base64 HMAC-SHA256 of the signed content. It is
// exported for the known-answer tests.
func HMAC(key []byte, sdkAppID uint64, identifier string, unix, expire int64, userbuf []byte, withUserBuf bool) string {
	var b strings.Builder
	b.Grow(128)
	b.WriteString("TLS.identifier:")
	b.WriteString(identifier)
	b.WriteString("\nTLS.sdkappid:")
	b.WriteString(strconv.FormatUint(sdkAppID, 10))
	b.WriteString("\nTLS.time:")
	b.WriteString(strconv.FormatInt(unix, 10))
	b.WriteString("\nTLS.expire:")
	b.WriteString(strconv.FormatInt(expire, 10))
	b.WriteString("\n")
	if withUserBuf {
		b.WriteString("TLS.userbuf:")
		b.WriteString(base64.StdEncoding.EncodeToString(userbuf))
		b.WriteString("\n")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// doc is the JSON body of a UserSig.
type doc struct {
	Ver        string      `json:"TLS.ver"`
	Identifier string      `json:"TLS.identifier"`
	SDKAppID   json.Number `json:"TLS.sdkappid"`
	Expire     json.Number `json:"TLS.expire"`
	Time       json.Number `json:"TLS.time"`
	Sig        string      `json:"TLS.sig"`
	UserBuf    *string     `json:"TLS.userbuf,omitempty"`
}

func generate(key []byte, sdkAppID uint64, identifier string, unix, expire int64, userbuf []byte, withUserBuf bool) string {
	d := doc{
		Ver:        "2.0",
		Identifier: identifier,
		SDKAppID:   json.Number(strconv.FormatUint(sdkAppID, 10)),
		Expire:     json.Number(strconv.FormatInt(expire, 10)),
		Time:       json.Number(strconv.FormatInt(unix, 10)),
		Sig:        HMAC(key, sdkAppID, identifier, unix, expire, userbuf, withUserBuf),
	}
	if withUserBuf {
		s := base64.StdEncoding.EncodeToString(userbuf)
		d.UserBuf = &s
	}
	raw, _ := json.Marshal(d) // cannot fail: strings and numbers only
	return escape(base64.StdEncoding.EncodeToString(zlibStored(raw)))
}

// zlibStored wraps b in a zlib stream (RFC 1950) of stored, uncompressed
// DEFLATE blocks (RFC 1951 section 3.2.4): what zlib writes at level 0, and
// what every zlib reader accepts. A UserSig is a few hundred bytes, so
// compressing it saves little, while compress/zlib's writer allocates more
// than a megabyte of state per call: this is a hundred times cheaper, which
// matters on a cold start's first request.
func zlibStored(b []byte) []byte {
	const maxBlock = 65535
	sum := adler32.Checksum(b)
	out := make([]byte, 0, 2+len(b)+5*(len(b)/maxBlock+1)+4)
	out = append(out, 0x78, 0x01) // CM 8 (deflate), 32K window; FLEVEL 0; FCHECK
	for {
		n := min(len(b), maxBlock)
		final := byte(0)
		if n == len(b) {
			final = 1
		}
		out = append(out, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		out = append(out, b[:n]...)
		b = b[n:]
		if final == 1 {
			break
		}
	}
	return append(out, byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum))
}

var (
	escaper   = strings.NewReplacer("+", "*", "/", "-", "=", "_")
	unescaper = strings.NewReplacer("*", "+", "-", "/", "_", "=")
)

func escape(s string) string   { return escaper.Replace(s) }
func unescape(s string) string { return unescaper.Replace(s) }

// Decode parses a UserSig without checking its signature.
func Decode(userSig string) (Sig, string, error) {
	if userSig == "" || len(userSig) > maxDecoded {
		return Sig{}, "", ErrMalformed
	}
	z, err := base64.StdEncoding.DecodeString(unescape(userSig))
	if err != nil {
		return Sig{}, "", ErrMalformed
	}
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return Sig{}, "", ErrMalformed
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxDecoded+1))
	if err != nil || len(raw) > maxDecoded {
		return Sig{}, "", ErrMalformed
	}
	var d doc
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return Sig{}, "", ErrMalformed
	}
	if d.Ver != "2.0" || d.Sig == "" {
		return Sig{}, "", ErrMalformed
	}
	var s Sig
	s.Identifier = d.Identifier
	if s.SDKAppID, err = strconv.ParseUint(d.SDKAppID.String(), 10, 64); err != nil {
		return Sig{}, "", ErrMalformed
	}
	if s.Time, err = strconv.ParseInt(d.Time.String(), 10, 64); err != nil {
		return Sig{}, "", ErrMalformed
	}
	if s.Expire, err = strconv.ParseInt(d.Expire.String(), 10, 64); err != nil || s.Expire < 0 {
		return Sig{}, "", ErrMalformed
	}
	if d.UserBuf != nil {
		if s.UserBuf, err = base64.StdEncoding.DecodeString(*d.UserBuf); err != nil {
			return Sig{}, "", ErrMalformed
		}
		s.hasUserBuf = true
	}
	return s, d.Sig, nil
}

// Verify checks that userSig was signed with key for sdkAppID and identifier
// and is still valid at now. It returns the decoded content on success.
// The checks run in this order: format, SDKAppID, identifier, signature,
// expiry, so a wrong key is reported before an old timestamp.
func Verify(userSig string, key []byte, sdkAppID uint64, identifier string, now time.Time) (Sig, error) {
	s, sig, err := Decode(userSig)
	if err != nil {
		return Sig{}, err
	}
	if s.SDKAppID != sdkAppID {
		return s, ErrSDKAppIDMismatch
	}
	if s.Identifier != identifier {
		return s, ErrIdentifierMismatch
	}
	want := HMAC(key, s.SDKAppID, s.Identifier, s.Time, s.Expire, s.UserBuf, s.hasUserBuf)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return s, ErrBadSignature
	}
	if now.Unix() > s.Time+s.Expire {
		return s, fmt.Errorf("%w at %s", ErrExpired, s.ExpiresAt().UTC().Format(time.RFC3339))
	}
	return s, nil
}
