package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

func TestMain(m *testing.M) { moto.Main(m) }

// statuses cycles through every status a test pool holds.
var statuses = []string{cognito.StatusConfirmed, cognito.StatusUnconfirmed, cognito.StatusForceChangePassword, cognito.StatusResetRequired}

func newPool(t *testing.T, n int) (*cognitotest.Pool, []cognito.User) {
	t.Helper()
	srv := moto.Shared(t)
	pool := cognitotest.NewPool(t, cip.NewFromConfig(srv.Config()), moto.UniqueName(t, "pool"))
	var users []cognitotest.NewUser
	for i := range n {
		users = append(users, cognitotest.NewUser{
			Username:   fmt.Sprintf("user%04d", i),
			Status:     statuses[i%len(statuses)],
			Disabled:   i%7 == 3,
			Attributes: map[string]string{"email": fmt.Sprintf("u%d@example.com", i), "email_verified": "true", "nickname": fmt.Sprintf("Nick %d", i)},
		})
	}
	return pool, pool.Add(t, users)
}

// TestListPageStreams: the 16 streams, read page by page to their ends,
// return every user of the pool exactly once, as created.
func TestListPageStreams(t *testing.T) {
	t.Parallel()
	pool, want := newPool(t, 300)
	c := cognito.New(pool.API, cognito.Options{ListRate: 500})
	ctx := context.Background()
	got := map[string]cognito.User{}
	pages := 0
	for _, prefix := range cognito.Prefixes() {
		token := ""
		for {
			p, err := c.ListPage(ctx, pool.ID, prefix, token)
			if err != nil {
				t.Fatalf("ListPage(%s): %v", prefix, err)
			}
			pages++
			if len(p.Users) > cognito.PageSize {
				t.Errorf("page of %d users", len(p.Users))
			}
			for _, u := range p.Users {
				if !strings.HasPrefix(u.Attributes["sub"], prefix) {
					t.Errorf("stream %s listed sub %s", prefix, u.Attributes["sub"])
				}
				if _, dup := got[u.Username]; dup {
					t.Errorf("%s listed twice", u.Username)
				}
				got[u.Username] = u
			}
			if token = p.Next; token == "" {
				break
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d users, want %d", len(got), len(want))
	}
	for _, w := range want {
		g := got[w.Username]
		if g.Status != w.Status || g.Enabled != w.Enabled || g.Attributes["sub"] != w.Attributes["sub"] || g.Attributes["nickname"] != w.Attributes["nickname"] {
			t.Errorf("%s = %+v, want %+v", w.Username, g, w)
		}
	}
	if pages < len(cognito.Prefixes()) {
		t.Errorf("%d pages for 16 streams", pages)
	}
}

func TestListPageRefusesBadPrefix(t *testing.T) {
	c := cognito.New(&countingAPI{}, cognito.Options{})
	for _, p := range []string{"", "g", "ab", "A", `"`} {
		if _, err := c.ListPage(context.Background(), "pool", p, ""); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

// TestFindUser: FindBySub and GetUser find the same user, and report
// ErrNotFound for anyone else.
func TestFindUser(t *testing.T) {
	t.Parallel()
	pool, users := newPool(t, 12)
	c := cognito.New(pool.API, cognito.Options{ListRate: 500})
	ctx := context.Background()
	for _, u := range users {
		bySub, err := c.FindBySub(ctx, pool.ID, u.Attributes["sub"])
		if err != nil {
			t.Fatalf("FindBySub(%s): %v", u.Username, err)
		}
		byName, err := c.GetUser(ctx, pool.ID, u.Username)
		if err != nil {
			t.Fatalf("GetUser(%s): %v", u.Username, err)
		}
		for _, g := range []cognito.User{bySub, byName} {
			if g.Username != u.Username || g.Status != u.Status || g.Enabled != u.Enabled || g.Attributes["sub"] != u.Attributes["sub"] || g.Attributes["email"] != u.Attributes["email"] {
				t.Errorf("got %+v, want %+v", g, u)
			}
		}
	}
	tests := []struct {
		name string
		find func() error
	}{
		{"sub", func() error { _, err := c.FindBySub(ctx, pool.ID, "00000000-0000-4000-8000-000000000000"); return err }},
		{"username", func() error { _, err := c.GetUser(ctx, pool.ID, "nobody"); return err }},
	}
	for _, tt := range tests {
		if err := tt.find(); !errors.Is(err, cognito.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tt.name, err)
		}
	}
	if _, err := c.FindBySub(ctx, pool.ID, `x" or sub ^= "`); err == nil {
		t.Error("a sub with a quote was sent as a filter")
	}
}

// countingAPI answers ListUsers with TooManyRequests until throttled
// calls have been made, then with one user.
type countingAPI struct {
	cognito.API
	throttled int32
	calls     atomic.Int32
}

func (a *countingAPI) ListUsers(ctx context.Context, in *cip.ListUsersInput, _ ...func(*cip.Options)) (*cip.ListUsersOutput, error) {
	if a.calls.Add(1) <= a.throttled {
		return nil, &types.TooManyRequestsException{Message: aws.String("Too many requests")}
	}
	return &cip.ListUsersOutput{Users: []types.UserType{{Username: aws.String("u"), Enabled: true, UserStatus: types.UserStatusTypeConfirmed}}}, nil
}

// TestThrottlingRetried: TooManyRequests is retried until the call
// succeeds, and given up when the context ends.
func TestThrottlingRetried(t *testing.T) {
	tests := []struct {
		name      string
		throttled int32
		timeout   time.Duration
		wantErr   bool
	}{
		{"none", 0, time.Minute, false},
		{"three times", 3, time.Minute, false},
		{"until the deadline", 1 << 30, 50 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &countingAPI{throttled: tt.throttled}
			c := cognito.New(api, cognito.Options{ListRate: 1000, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			p, err := c.ListPage(ctx, "pool", "a", "")
			if tt.wantErr {
				var tm *types.TooManyRequestsException
				if !errors.As(err, &tm) {
					t.Fatalf("err = %v, want the throttling error", err)
				}
				return
			}
			if err != nil || len(p.Users) != 1 {
				t.Fatalf("ListPage = %+v, %v", p, err)
			}
			if got := api.calls.Load(); got != tt.throttled+1 {
				t.Errorf("%d calls, want %d", got, tt.throttled+1)
			}
		})
	}
}

func TestDefaultListRate(t *testing.T) {
	c := cognito.New(&countingAPI{}, cognito.Options{})
	if r := c.ListRate(); r >= 30 || r < 20 {
		t.Errorf("default ListRate %v: want a little under Cognito's 30/s", r)
	}
}
