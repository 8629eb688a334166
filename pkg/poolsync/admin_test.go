package poolsync_test

import (
	"context"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// TestSyncSkipsAdmin: a user who maps to the app's admin identifier is
// never imported (not even with -profiles, which would overwrite its
// profile): skipped, counted and reported with the reason.
func TestSyncSkipsAdmin(t *testing.T) {
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: "test-key"})
	admin := emu.Credentials().Admin
	emu.Seed(admin)
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials())})
	if err != nil {
		t.Fatal(err)
	}
	var reported []poolsync.Outcome
	eng, err := poolsync.New(poolsync.Config{
		Pool: "us-east-1_EXAMPLE", Users: &throttled{}, Chat: client, Credentials: chatapi.StaticCredentials(emu.Credentials()),
		Mapping: chat.Mapping{UserIDAttribute: "username"}, Profiles: true,
		OnOutcome: func(o poolsync.Outcome) { reported = append(reported, o) },
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := eng.Users(context.Background(), []cognito.User{
		{Username: admin, Status: cognito.StatusConfirmed, Attributes: map[string]string{"nickname": "Mallory"}},
		{Username: "bob", Status: cognito.StatusConfirmed, Attributes: map[string]string{"nickname": "Bob"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.SkippedAdmin != 1 || c.Imported != 1 || c.Failed != 0 {
		t.Errorf("counts %+v, want the admin skipped and bob imported", c)
	}
	if a, _ := emu.Account(admin); a.Nick != "" {
		t.Errorf("the admin account's profile was overwritten: %+v", a)
	}
	var skipped bool
	for _, o := range reported {
		skipped = skipped || (o.Action == poolsync.AdminUser && o.UserID == admin && o.Reason != "")
	}
	if !skipped {
		t.Errorf("no outcome reports the admin skipped: %+v", reported)
	}
}
