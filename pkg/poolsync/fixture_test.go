package poolsync_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
)

func TestMain(m *testing.M) { moto.Main(m) }

// poolSize is the number of users of the shared test pool.
const poolSize = 2000

// chatIDMapping takes the UserID from custom:chat_id, which some users of
// the test pool lack and some hold too long.
var chatIDMapping = chat.Mapping{UserIDAttribute: "custom:chat_id"}

// fixture is a pool of users in every status, some unmappable, and what a
// sync with chatIDMapping must do with each.
type fixture struct {
	pool     *cognitotest.Pool
	users    []cognito.User
	seeded   []string        // UserIDs already in Chat before a sync
	want     map[string]bool // UserIDs a sync imports: confirmed (any status but UNCONFIRMED), mappable, not seeded
	inChat   int             // mappable, not UNCONFIRMED, seeded
	unconf   int
	unmapped int // not UNCONFIRMED, no usable UserID
}

var shared struct {
	once sync.Once
	fx   *fixture
}

// pool returns the package's shared test pool, made on first use.
func pool(t *testing.T) *fixture {
	t.Helper()
	srv := moto.Shared(t)
	shared.once.Do(func() { shared.fx = newFixture(t, srv, poolSize) })
	if shared.fx == nil {
		t.Fatal("the shared pool could not be made")
	}
	return shared.fx
}

func newFixture(t *testing.T, srv *moto.Server, n int) *fixture {
	statuses := []string{cognito.StatusUnconfirmed, cognito.StatusForceChangePassword, cognito.StatusResetRequired}
	fx := &fixture{want: map[string]bool{}}
	fx.pool = cognitotest.NewPool(t, cip.NewFromConfig(srv.Config()), "sync-pool")
	var specs []cognitotest.NewUser
	for i := range n {
		u := cognitotest.NewUser{
			Username:   fmt.Sprintf("user%05d", i),
			Status:     cognito.StatusConfirmed,
			Disabled:   i%10 == 3,
			Attributes: map[string]string{"email": fmt.Sprintf("u%d@example.com", i), "email_verified": "true", "nickname": fmt.Sprintf("Nick %d", i)},
		}
		if i%10 < len(statuses) {
			u.Status = statuses[i%10]
		}
		id := fmt.Sprintf("chat-%05d", i)
		switch {
		case i%13 == 5: // no chat_id at all
			id = ""
		case i%29 == 7: // over Chat's 32 bytes
			id = strings.Repeat("x", 40)
			u.Attributes["custom:chat_id"] = id
		case i%31 == 11: // outside printable ASCII: no SDK login takes it
			id = fmt.Sprintf("chat %05d", i)
			u.Attributes["custom:chat_id"] = id
		default:
			u.Attributes["custom:chat_id"] = id
		}
		seeded := i%4 == 0
		mappable := chat.ValidateUserID(id) == nil
		if seeded && mappable {
			fx.seeded = append(fx.seeded, id)
		}
		switch {
		case u.Status == cognito.StatusUnconfirmed:
			fx.unconf++
		case !mappable:
			fx.unmapped++
		case seeded:
			fx.inChat++
		default:
			fx.want[id] = true
		}
		specs = append(specs, u)
	}
	fx.users = fx.pool.Add(t, specs)
	return fx
}

// newChat starts an emulator at Tencent's documented caps, holding the
// fixture's seeded accounts, and a client for it.
func (fx *fixture) newChat(t testing.TB) (*chatemu.Running, *chatapi.Client) {
	t.Helper()
	emu := chatemu.StartTest(t, chatemu.Options{SDKAppID: 1400000000, Key: "test-key", RateLimits: chatemu.DocumentedRateLimits()})
	emu.Seed(fx.seeded...)
	emu.ResetCounters()
	client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials())})
	if err != nil {
		t.Fatal(err)
	}
	return emu, client
}

func (fx *fixture) lister(rate float64) *cognito.Client {
	return cognito.New(fx.pool.API, cognito.Options{ListRate: rate})
}
