package setup_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

// acceptor counts the connections made to a loopback listener.
func acceptor(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- struct{}{}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return "http://" + ln.Addr().String(), conns
}

// TestWithoutChat: the parts of the import and delete functions connect to
// Chat at init (to warm the connection); WithoutChat, the UserSig function's,
// make no Chat client and open no connection.
func TestWithoutChat(t *testing.T) {
	aws := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
	getenv := func(k string) string { return aws[k] }
	build := func(opts ...setup.Option) (*setup.Parts, <-chan struct{}) {
		url, conns := acceptor(t)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		cfg := config.Config{SecretID: "chat/admin", BaseURL: url, SecretTTL: time.Minute, UserSigTTL: time.Hour}
		p, err := setup.New(ctx, cfg, getenv, slog.New(slog.DiscardHandler), opts...)
		if err != nil {
			t.Fatal(err)
		}
		return p, conns
	}

	withChat, conns := build()
	select {
	case <-conns:
	case <-time.After(10 * time.Second):
		t.Fatal("the default parts never connected to Chat: this test would show nothing")
	}
	if withChat.Chat == nil {
		t.Fatal("no Chat client by default")
	}

	p, conns := build(setup.WithoutChat())
	if p.Chat != nil {
		t.Error("WithoutChat made a Chat client")
	}
	if p.UserSigHandler() == nil || p.Secrets == nil {
		t.Fatal("no UserSig handler or secret source")
	}
	select {
	case <-conns:
		t.Error("WithoutChat opened a connection to Chat")
	case <-time.After(300 * time.Millisecond):
	}
}
