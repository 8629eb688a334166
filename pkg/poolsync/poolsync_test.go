package poolsync_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// checkCounts checks the invariant of Counts and the numbers a first sync
// of the fixture gives.
func checkCounts(t *testing.T, fx *fixture, c poolsync.Counts, imported, inChat int) {
	t.Helper()
	if c.Listed != len(fx.users) {
		t.Errorf("listed %d, want %d", c.Listed, len(fx.users))
	}
	if sum := c.SkippedUnconfirmed + c.SkippedUnmappable + c.AlreadyInChat + c.Imported + c.Failed; sum != c.Listed {
		t.Errorf("counts %+v do not add up to listed", c)
	}
	want := poolsync.Counts{SkippedUnconfirmed: fx.unconf, SkippedUnmappable: fx.unmapped, AlreadyInChat: inChat, Imported: imported}
	got := poolsync.Counts{SkippedUnconfirmed: c.SkippedUnconfirmed, SkippedUnmappable: c.SkippedUnmappable, AlreadyInChat: c.AlreadyInChat, Imported: c.Imported, Failed: c.Failed}
	if got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
}

// checkChat checks that Chat holds exactly the seeded accounts and the
// ones a sync must import, with their nicknames.
func checkChat(t *testing.T, fx *fixture, emu *chatemu.Running) {
	t.Helper()
	if got, want := emu.Len(), len(fx.seeded)+len(fx.want); got != want {
		t.Errorf("Chat holds %d accounts, want %d", got, want)
	}
	for id := range fx.want {
		if !emu.Has(id) {
			t.Errorf("%s was not imported", id)
		}
	}
	for _, u := range fx.users {
		id := u.Attributes["custom:chat_id"]
		if fx.want[id] {
			if a, _ := emu.Account(id); a.Nick != u.Attributes["nickname"] {
				t.Errorf("%s: Nick %q, want %q", id, a.Nick, u.Attributes["nickname"])
			}
		}
	}
}

// TestSyncPool: on a pool of users in every status, some already in Chat
// and some unmappable, a dry run imports nothing, an interrupted sync
// started again imports exactly the confirmed, mappable, missing users,
// another run imports none, and a profiles run carries a changed nickname.
func TestSyncPool(t *testing.T) {
	fx := pool(t)
	emu, client := fx.newChat(t)
	ctx := context.Background()
	newEngine := func(cfg poolsync.Config) *poolsync.Engine {
		cfg.Pool, cfg.Users, cfg.Chat, cfg.Mapping = fx.pool.ID, fx.lister(1000), client, chatIDMapping
		e, err := poolsync.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}

	t.Run("dry run", func(t *testing.T) {
		var (
			mu       sync.Mutex
			outcomes = map[poolsync.Action]int{}
		)
		c, err := newEngine(poolsync.Config{DryRun: true, OnOutcome: func(o poolsync.Outcome) {
			mu.Lock()
			outcomes[o.Action]++
			mu.Unlock()
		}}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkCounts(t, fx, c, len(fx.want), fx.inChat)
		if n := emu.Requests(chat.CmdMultiImport) + emu.Requests(chat.CmdImport); n != 0 {
			t.Errorf("dry run made %d import calls", n)
		}
		if emu.Len() != len(fx.seeded) {
			t.Errorf("Chat holds %d accounts after a dry run, want %d", emu.Len(), len(fx.seeded))
		}
		if outcomes[poolsync.WouldImport] != len(fx.want) || outcomes[poolsync.Unmappable] != fx.unmapped || outcomes[poolsync.Exists] != fx.inChat {
			t.Errorf("outcomes = %v", outcomes)
		}
	})

	var first poolsync.Counts
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var imported atomic.Int32
		c, err := newEngine(poolsync.Config{OnOutcome: func(o poolsync.Outcome) {
			if o.Action == poolsync.Imported && imported.Add(1) == int32(len(fx.want)/3) {
				cancel()
			}
		}}).Run(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want the cancellation", err)
		}
		if c.Imported == 0 || c.Imported >= len(fx.want) {
			t.Fatalf("interrupted run imported %d of %d", c.Imported, len(fx.want))
		}
		first = c
	})

	t.Run("again", func(t *testing.T) {
		// The interrupted run may have imported more than it counted:
		// Chat can carry out a call whose reply the cancellation cut
		// off, and may still be carrying it out now. Such accounts are
		// found by account_check, so the second run imports at most
		// what the first did not count, every user is either imported
		// or found in Chat, and Chat ends up holding exactly the users
		// it should.
		if done := emu.Len() - len(fx.seeded); done < first.Imported {
			t.Errorf("Chat holds %d new accounts, the interrupted run counted %d", done, first.Imported)
		}
		c, err := newEngine(poolsync.Config{}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Imported == 0 || c.Imported > len(fx.want)-first.Imported {
			t.Errorf("imported %d after an interrupted run that counted %d of %d", c.Imported, first.Imported, len(fx.want))
		}
		checkCounts(t, fx, c, c.Imported, fx.inChat+len(fx.want)-c.Imported)
		checkChat(t, fx, emu)
	})

	t.Run("second run imports none", func(t *testing.T) {
		emu.ResetCounters()
		c, err := newEngine(poolsync.Config{}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkCounts(t, fx, c, 0, fx.inChat+len(fx.want))
		if n := emu.Requests(chat.CmdMultiImport); n != 0 {
			t.Errorf("%d multiaccount_import calls", n)
		}
		if n, max := emu.Requests(chat.CmdCheck), 16*((len(fx.users)/16/(5*cognito.PageSize)+1)*3); n > max {
			t.Errorf("%d account_check calls, want at most %d (calls of up to 100)", n, max)
		}
		checkChat(t, fx, emu)
	})

	t.Run("profiles", func(t *testing.T) {
		var u cognito.User
		for _, x := range fx.users {
			if fx.want[x.Attributes["custom:chat_id"]] {
				u = x
				break
			}
		}
		id := u.Attributes["custom:chat_id"]
		_, err := fx.pool.API.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
			UserPoolId: aws.String(fx.pool.ID), Username: aws.String(u.Username),
			UserAttributes: []types.AttributeType{{Name: aws.String("nickname"), Value: aws.String("Renamed")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			fx.pool.API.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
				UserPoolId: aws.String(fx.pool.ID), Username: aws.String(u.Username),
				UserAttributes: []types.AttributeType{{Name: aws.String("nickname"), Value: aws.String(u.Attributes["nickname"])}},
			})
		})
		c, err := newEngine(poolsync.Config{}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if a, _ := emu.Account(id); a.Nick == "Renamed" {
			t.Fatal("a sync without profiles updated a nickname")
		}
		c, err = newEngine(poolsync.Config{Profiles: true}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if a, _ := emu.Account(id); a.Nick != "Renamed" {
			t.Errorf("%s: Nick %q after a profiles run, want Renamed", id, a.Nick)
		}
		if c.Updated != fx.inChat+len(fx.want) || c.Imported != 0 {
			t.Errorf("profiles run: %+v, want %d updated", c, fx.inChat+len(fx.want))
		}
	})
}

// TestSyncFailures: users whose import Chat refuses, or whose calls fail
// after their retries, are counted as failed with a reason, and a later
// run imports them.
func TestSyncFailures(t *testing.T) {
	fx := pool(t)
	emu, client := fx.newChat(t)
	emu.Inject(chatemu.Fault{Command: chat.CmdMultiImport, Code: chat.CodeNotAdmin, Times: 2})
	var (
		mu     sync.Mutex
		failed []poolsync.Outcome
	)
	e, err := poolsync.New(poolsync.Config{Pool: fx.pool.ID, Users: fx.lister(1000), Chat: client, Mapping: chatIDMapping, OnOutcome: func(o poolsync.Outcome) {
		if o.Action == poolsync.Failed {
			mu.Lock()
			failed = append(failed, o)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Failed == 0 || c.Failed != len(failed) || c.Imported+c.Failed != len(fx.want) {
		t.Fatalf("counts %+v, %d failure outcomes", c, len(failed))
	}
	for _, o := range failed {
		if o.UserID == "" || o.Reason == "" {
			t.Errorf("failure without UserID or reason: %+v", o)
		}
	}
	c, err = e.Run(context.Background())
	if err != nil || c.Failed != 0 {
		t.Fatalf("second run: %+v, %v", c, err)
	}
	checkChat(t, fx, emu)
}

func TestNewRefusesMissingParts(t *testing.T) {
	tests := []struct {
		name string
		cfg  poolsync.Config
	}{
		{"no pool", poolsync.Config{Users: cognito.New(nil, cognito.Options{}), Chat: nilChat{}}},
		{"no lister", poolsync.Config{Pool: "p", Chat: nilChat{}}},
		{"no chat", poolsync.Config{Pool: "p", Users: cognito.New(nil, cognito.Options{})}},
	}
	for _, tt := range tests {
		if _, err := poolsync.New(tt.cfg); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

type nilChat struct{ poolsync.Chat }

// failingLister fails every listing.
type failingLister struct{}

func (failingLister) ListPage(context.Context, string, string, string) (cognito.Page, error) {
	return cognito.Page{}, errors.New("list users: access denied")
}
