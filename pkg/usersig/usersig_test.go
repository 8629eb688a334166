package usersig_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/usersig"
)

const (
	testKey   = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	testAppID = 1400000000
	// foreignSig was made by Tencent's own implementation for identifier "0",
	// time 1569910200, expire 15552000 (spec section 1).
	foreignSig = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwjDB4pTsxIKCzBQlK0MTAyiAyKRWFGQWpQLFTU1NjeCiJZm5YDEzS0tDAyOYaHFmOtBM54KsUqeUwGLLqPK8UndHryCL-Lx8-1RPy7Ty1AijMk9f30hLk0x-r3CvSFulWgAPYy*9"
)

func TestHMACKnownAnswers(t *testing.T) {
	tests := []struct {
		id           string
		unix, expire int64
		userbuf      []byte
		withUserBuf  bool
		want         string
	}{
		{"0", 1569910200, 15552000, nil, false, "CpjuBdQs9ZwnuGAJR8onoOeI9fweX2vIMMY94iOJWJY="},
		{"0", 1569910200, 15552000, []byte("abc"), true, "bC3u5cuslSg8Ds7KY58mhSkTrxunrFu50dkdkCYH4i8="},
		{"administrator", 1700000000, 86400, nil, false, "yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60="},
	}
	for _, tt := range tests {
		got := usersig.HMAC([]byte(testKey), testAppID, tt.id, tt.unix, tt.expire, tt.userbuf, tt.withUserBuf)
		if got != tt.want {
			t.Errorf("HMAC(%q, %d, %d, userbuf=%v) = %s, want %s", tt.id, tt.unix, tt.expire, tt.withUserBuf, got, tt.want)
		}
	}
}

func TestVerifyForeignSig(t *testing.T) {
	s, err := usersig.Verify(foreignSig, []byte(testKey), testAppID, "0", time.Unix(1569910300, 0))
	if err != nil {
		t.Fatalf("Verify at signing time: %v", err)
	}
	if s.Identifier != "0" || s.SDKAppID != testAppID || s.Time != 1569910200 || s.Expire != 15552000 {
		t.Errorf("decoded %+v", s)
	}
	_, err = usersig.Verify(foreignSig, []byte(testKey), testAppID, "0", time.Now())
	if !errors.Is(err, usersig.ErrExpired) {
		t.Fatalf("Verify today = %v, want ErrExpired", err)
	}
}

func TestRoundTrip(t *testing.T) {
	now := time.Unix(1700000000, 0)
	for _, withBuf := range []bool{false, true} {
		var sig string
		if withBuf {
			sig = usersig.GenerateWithUserBuf([]byte(testKey), testAppID, "administrator", now, 24*time.Hour, []byte("abc"))
		} else {
			sig = usersig.Generate([]byte(testKey), testAppID, "administrator", now, 24*time.Hour)
		}
		if strings.ContainsAny(sig, "+/=") {
			t.Errorf("UserSig %q keeps a URL-unsafe character", sig)
		}
		s, err := usersig.Verify(sig, []byte(testKey), testAppID, "administrator", now.Add(time.Hour))
		if err != nil {
			t.Fatalf("userbuf=%v: Verify: %v", withBuf, err)
		}
		if withBuf && string(s.UserBuf) != "abc" {
			t.Errorf("userbuf = %q", s.UserBuf)
		}
		if !s.ExpiresAt().Equal(now.Add(24 * time.Hour)) {
			t.Errorf("ExpiresAt = %v", s.ExpiresAt())
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	now := time.Unix(1700000000, 0)
	good := usersig.Generate([]byte(testKey), testAppID, "administrator", now, time.Hour)
	tests := []struct {
		name  string
		sig   string
		key   string
		appID uint64
		id    string
		at    time.Time
		want  error
	}{
		{"tampered", good[:len(good)-6] + "AAAAAA", testKey, testAppID, "administrator", now, usersig.ErrMalformed},
		{"garbage", "not-a-sig", testKey, testAppID, "administrator", now, usersig.ErrMalformed},
		{"empty", "", testKey, testAppID, "administrator", now, usersig.ErrMalformed},
		{"wrong key", good, "another-key", testAppID, "administrator", now, usersig.ErrBadSignature},
		{"expired", good, testKey, testAppID, "administrator", now.Add(time.Hour + time.Second), usersig.ErrExpired},
		{"wrong sdkappid", good, testKey, 1400000001, "administrator", now, usersig.ErrSDKAppIDMismatch},
		{"wrong identifier", good, testKey, testAppID, "admin2", now, usersig.ErrIdentifierMismatch},
		{"forged content", usersig.Generate([]byte("other"), testAppID, "administrator", now, time.Hour), testKey, testAppID, "administrator", now, usersig.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := usersig.Verify(tt.sig, []byte(tt.key), tt.appID, tt.id, tt.at)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	// The boundary: valid at exactly time+expire, expired one second later.
	if _, err := usersig.Verify(good, []byte(testKey), testAppID, "administrator", now.Add(time.Hour)); err != nil {
		t.Errorf("at expiry instant: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(foreignSig)
	f.Add(usersig.Generate([]byte(testKey), testAppID, "administrator", time.Unix(1700000000, 0), time.Hour))
	f.Add("")
	f.Add("eJyrVgrxCdYrSy1S")
	f.Fuzz(func(t *testing.T, sig string) {
		s, err := usersig.Verify(sig, []byte(testKey), testAppID, "0", time.Unix(1569910300, 0))
		if err == nil && s.Identifier != "0" {
			t.Fatalf("accepted a UserSig for %q", s.Identifier)
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		usersig.Generate([]byte(testKey), testAppID, "administrator", now, 24*time.Hour)
	}
}

func ExampleGenerate() {
	sig := usersig.Generate([]byte(testKey), testAppID, "administrator", time.Unix(1700000000, 0), 24*time.Hour)
	s, err := usersig.Verify(sig, []byte(testKey), testAppID, "administrator", time.Unix(1700000100, 0))
	fmt.Println(s.Identifier, s.Expire, err)
	// Output: administrator 86400 <nil>
}
