package chatapi

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

type swapCreds struct{ c chat.Credentials }

func (s *swapCreds) Credentials(context.Context) (chat.Credentials, error) { return s.c, nil }
func (s *swapCreds) Refresh(context.Context) (chat.Credentials, error)     { return s.c, nil }

func TestUserSigCache(t *testing.T) {
	now := time.Unix(1700000000, 0)
	src := &swapCreds{chat.Credentials{SDKAppID: 1400000000, Admin: "administrator", Key: "k1"}}
	c, err := New(Config{BaseURL: "http://127.0.0.1:1", Credentials: src, Now: func() time.Time { return now }, SigExpire: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _ := c.signedQueryFor(ctx)
	b, _ := c.signedQueryFor(ctx)
	if a != b {
		t.Error("a second request made a new UserSig")
	}
	now = now.Add(31 * time.Minute) // past half its life: renewed
	if d, _ := c.signedQueryFor(ctx); d == a {
		t.Error("UserSig not renewed at half its life")
	}
	e, _ := c.signedQueryFor(ctx)
	src.c.Key = "k2" // the key rotated: the cached UserSig goes with it
	if f, _ := c.signedQueryFor(ctx); f == e || f.creds.Key != "k2" {
		t.Error("UserSig survived a key change")
	}
	src.c.Key = ""
	if _, err := c.signedQueryFor(ctx); err == nil {
		t.Error("signed with an empty key")
	}
}

func TestBackupDomain(t *testing.T) {
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: "k"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c, err := New(Config{BaseURL: dead, Credentials: StaticCredentials(emu.Credentials()), BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.bases = []string{dead, emu.URL} // as a region's primary and backup
	stats, err := c.ImportAccount(context.Background(), chat.Account{UserID: "alice"})
	if err != nil || stats.Attempts != 2 {
		t.Fatalf("attempts %d, err %v; want the backup to answer the second attempt", stats.Attempts, err)
	}
	if c.BaseURL() != emu.URL {
		t.Errorf("next request goes to %s, want the backup", c.BaseURL())
	}
}
