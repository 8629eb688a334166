package poolsync_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/chatsync/chat-lambdas/internal/cognitotest"
	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
	"github.com/chatsync/chat-lambdas/pkg/cognito"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
	"github.com/chatsync/chat-lambdas/pkg/poolsync"
)

// benchUsers is the size of the benchmark's pool.
const benchUsers = 10_000

// listQuota is Cognito's ListUsers quota (the UserList category, 30
// requests a second per account and Region, not adjustable): the sync's
// rate (cognito.DefaultListRate) is set a little under it.
const listQuota = 30

// BenchmarkSync syncs a pool of 10,000 confirmed users on moto into an
// empty Chat emulator held to Tencent's documented caps, with the default
// ListUsers rate, and reports users synced a second against the binding
// limit: the listing limiter's rate × 60 users a page, or Chat's caps
// (account_check and multiaccount_import, 100 calls a second of 100
// accounts each), whichever is lower; and against the speed of Cognito's
// ListUsers quota itself (30 requests a second × 60 users a page), which
// the default rate of 27 holds to at most 90%.
func BenchmarkSync(b *testing.B) { benchSync(b, noLedger, false) }

// BenchmarkSyncLedger is BenchmarkSync with the ledger on moto's DynamoDB:
// every user synced is also recorded (BatchWriteItem, side by side with
// the imports). Its goal is at least 90% of the speed the ListUsers quota
// allows: %-of-limit is against the sync's own rate (27 requests a second,
// the binding limit), %-of-quota against Cognito's 30; compare both with
// BenchmarkSync's.
func BenchmarkSyncLedger(b *testing.B) { benchSync(b, sharedLedger, false) }

// BenchmarkSyncLedgerApart is BenchmarkSyncLedger with the ledger's
// DynamoDB on a moto_server of its own, as in AWS, where DynamoDB does not
// share Cognito's servers: one moto process answers one request's Python
// at a time, so in BenchmarkSyncLedger every ledger write delays the
// listing. It tells how much of BenchmarkSyncLedger's loss is moto's.
func BenchmarkSyncLedgerApart(b *testing.B) { benchSync(b, apartLedger, false) }

// BenchmarkSyncAgainLedgerApart is BenchmarkSyncLedgerApart run again:
// Chat holds every user already and the ledger records them all, as on
// every scheduled sync after the first. The sync checks each user in
// Chat and reads the ledger's items (BatchGetItem, 100 keys a call), and
// writes none. moto answers a BatchGetItem more slowly per item than a
// BatchWriteItem (about 1.3 s against 0.75 s for 3,000 items here), so
// this runs somewhat slower than rewriting every item would.
func BenchmarkSyncAgainLedgerApart(b *testing.B) { benchSync(b, apartLedger, true) }

// Where benchSync's ledger is.
const (
	noLedger     = iota
	sharedLedger // on the moto_server that serves Cognito
	apartLedger  // on a moto_server of its own
)

// benchSync runs the sync benchmarks: the ledger at ledgerAt, and, when
// again, Chat and the ledger holding every user before the run.
func benchSync(b *testing.B, ledgerAt int, again bool) {
	srv := moto.Shared(b)
	pool := cognitotest.NewPool(b, cip.NewFromConfig(srv.Config()), moto.UniqueName(b, "bench"))
	specs := make([]cognitotest.NewUser, benchUsers)
	for i := range specs {
		specs[i] = cognitotest.NewUser{Username: fmt.Sprintf("b%05d", i), Status: cognito.StatusForceChangePassword, Attributes: map[string]string{"nickname": fmt.Sprintf("N%d", i)}}
	}
	setup := time.Now()
	listed := pool.Add(b, specs)
	b.Logf("made %d users on moto in %v", benchUsers, time.Since(setup).Round(time.Second))

	timed := &timedAPI{API: pool.API}
	users := cognito.New(timed, cognito.Options{})
	caps := chatemu.DocumentedRateLimits()
	listLimit := users.ListRate() * cognito.PageSize
	chatLimit := float64(min(caps[chat.CmdCheck], caps[chat.CmdMultiImport]) * chat.MaxPerCall)
	limit := min(listLimit, chatLimit)

	ledgerSrv := srv
	if ledgerAt == apartLedger {
		ledgerSrv = moto.Start(b)
	}
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		emu := chatemu.StartTest(b, chatemu.Options{SDKAppID: 1400000000, Key: "bench-key", RateLimits: caps})
		var held []chat.Record // what Chat and the ledger hold before the run
		if again {
			for _, u := range listed {
				held = append(held, chat.Record{UserID: chat.SubUserID(u.Attributes["sub"]), Sub: u.Attributes["sub"], Username: u.Username, PoolID: pool.ID, Source: chat.SourceSync})
				emu.Seed(held[len(held)-1].UserID)
			}
		}
		client, err := chatapi.New(chatapi.Config{BaseURL: emu.URL, Credentials: chatapi.StaticCredentials(emu.Credentials())})
		if err != nil {
			b.Fatal(err)
		}
		cfg := poolsync.Config{Pool: pool.ID, Users: users, Chat: client}
		if ledgerAt != noLedger {
			api := dynamodb.NewFromConfig(ledgerSrv.Config())
			table := moto.UniqueName(b, "ledger")
			if err := ledger.CreateTable(context.Background(), api, table); err != nil {
				b.Fatal(err)
			}
			led := ledger.New(api, table, nil)
			if err := led.Record(context.Background(), held); err != nil {
				b.Fatal(err)
			}
			cfg.Ledger = led
		}
		eng, err := poolsync.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		c, err := eng.Run(context.Background())
		elapsed += time.Since(start)
		synced := c.Imported
		if again {
			synced = c.AlreadyInChat
		}
		if err != nil || synced != benchUsers || emu.Len() != benchUsers {
			b.Fatalf("sync: %+v, %v; Chat holds %d", c, err, emu.Len())
		}
		emu.Close()
	}
	perSec := float64(b.N*benchUsers) / elapsed.Seconds()
	b.ReportMetric(perSec, "users/s")
	b.ReportMetric(limit, "limit-users/s")
	b.ReportMetric(100*perSec/limit, "%-of-limit")
	b.ReportMetric(100*perSec/(listQuota*cognito.PageSize), "%-of-quota")
	b.ReportMetric(float64(timed.total.Load())/float64(timed.calls.Load())/1e6, "ms/ListUsers")
	b.Logf("%d ListUsers calls, %.1f ms each on average (16 streams in flight: moto answering in over 16/rate s would bind)",
		timed.calls.Load(), float64(timed.total.Load())/float64(timed.calls.Load())/1e6)
	b.Logf("%.0f users/s; binding limit %.0f users/s (listing %.0f = %.1f ListUsers/s × %d, Chat %.0f): %.1f%%; of the quota's %d users/s: %.1f%%",
		perSec, limit, listLimit, users.ListRate(), cognito.PageSize, chatLimit, 100*perSec/limit, listQuota*cognito.PageSize, 100*perSec/(listQuota*cognito.PageSize))
}

// timedAPI measures how long moto takes to answer ListUsers.
type timedAPI struct {
	cognito.API
	calls, total atomic.Int64
}

func (a *timedAPI) ListUsers(ctx context.Context, in *cip.ListUsersInput, optFns ...func(*cip.Options)) (*cip.ListUsersOutput, error) {
	start := time.Now()
	out, err := a.API.ListUsers(ctx, in, optFns...)
	a.calls.Add(1)
	a.total.Add(int64(time.Since(start)))
	return out, err
}
