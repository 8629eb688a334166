package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
)

// Goals of the ledger: its write overlaps the sign-up's Chat call, and its
// read is one GetItem on the UserSig function's warm path.
const (
	GoalLedgerSignup = 1.05 // sign-up first reply (cold) and warm invocation, with the ledger ÷ without, on loopback and near
	GoalLedgerFar    = 1.03 // far-region sign-up first reply with the ledger ÷ the cold floor
)

// SignUpSub is the sub of SignUpPayload's user.
const SignUpSub = "0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

// SignUpPayload is the post-confirmation trigger of the ledger benchmarks:
// one user, whose sub the ledger records.
var SignUpPayload = []byte(`{"version":"1","region":"us-east-1","userPoolId":"us-east-1_BENCH","userName":"bench-user",` +
	`"triggerSource":"PostConfirmation_ConfirmSignUp","request":{"userAttributes":{"sub":"` + SignUpSub + `","nickname":"Bench"}},"response":{}}`)

// LedgerDB is the ledger's DynamoDB in the benchmarks: a table in a
// moto_server of its own. On AWS, DynamoDB and Secrets Manager are two
// services that answer side by side; one moto process runs one request's
// Python at a time, so a moto shared with Secrets Manager would serve a
// cold start's GetSecretValue and PutItem in turn.
type LedgerDB struct {
	Moto  *moto.Server
	Table string
}

// StartLedgerDB starts a moto_server for tb (stopped at tb's cleanup) and
// makes a ledger table in it.
func StartLedgerDB(tb testing.TB) *LedgerDB {
	tb.Helper()
	d := &LedgerDB{Moto: moto.Start(tb)}
	d.Table = moto.UniqueName(tb, "ledger")
	if err := ledger.CreateTable(context.Background(), d.client(), d.Table); err != nil {
		tb.Fatal(err)
	}
	return d
}

func (d *LedgerDB) client() *dynamodb.Client { return dynamodb.NewFromConfig(d.Moto.Config()) }

// Env is what gives a function process the ledger: LEDGER_TABLE naming
// the table, and AWS_ENDPOINT_URL_DYNAMODB sending DynamoDB (alone: the
// other services stay at AWS.Env's endpoint) to d's moto.
func (d *LedgerDB) Env() []string {
	return []string{"LEDGER_TABLE=" + d.Table, "AWS_ENDPOINT_URL_DYNAMODB=" + d.Moto.URL}
}

// Queued is the number of messages in a's retry and dead-letter queues.
func (a *AWS) Queued(ctx context.Context) (int, error) {
	q := sqs.NewFromConfig(a.Moto.Config())
	n := 0
	for _, u := range []string{a.RetryURL, a.DLQURL} {
		out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u), AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			return 0, err
		}
		for _, v := range out.Attributes {
			k, err := strconv.Atoi(v)
			if err != nil {
				return 0, fmt.Errorf("queue %s: %w", u, err)
			}
			n += k
		}
	}
	return n, nil
}

// CheckSignUps checks what the ledger benchmarks' sign-ups left behind:
// d's table holds SignUpPayload's user as a live sign-up item, and the queues
// (a's) hold as many messages as before (queuedBefore). A sign-up whose import
// or ledger write failed goes to the retry queue and answers the trigger
// all the same, so the replies alone cannot tell a measured write from a
// failed one. It returns the item.
func (d *LedgerDB) CheckSignUps(ctx context.Context, a *AWS, queuedBefore int) (chat.Record, error) {
	var found []chat.Record
	err := ledger.New(d.client(), d.Table, nil).Live(ctx, func(r chat.Record) error {
		if r.Sub == SignUpSub {
			found = append(found, r)
		}
		return nil
	})
	if err != nil {
		return chat.Record{}, err
	}
	if len(found) != 1 || found[0].Source != chat.SourceSignup || found[0].UserID == "" {
		return chat.Record{}, fmt.Errorf("ledger %s: items of sub %s: %+v, want one live sign-up item", d.Table, SignUpSub, found)
	}
	n, err := a.Queued(ctx)
	if err != nil {
		return chat.Record{}, err
	}
	if n != queuedBefore {
		return found[0], errors.New("sign-ups were queued (" + strconv.Itoa(n-queuedBefore) + " messages): an import or a ledger write failed")
	}
	return found[0], nil
}

// GetItemTime is the median time of n strongly consistent GetItem calls
// on d's table, after one that warms the SDK client and its connection.
func (d *LedgerDB) GetItemTime(ctx context.Context, n int) (time.Duration, error) {
	l := ledger.New(d.client(), d.Table, nil)
	var ds []time.Duration
	for i := range n + 1 {
		start := time.Now()
		if _, err := l.Deleted(ctx, "cold-user"); err != nil {
			return 0, err
		}
		if i > 0 {
			ds = append(ds, time.Since(start))
		}
	}
	return Median(ds), nil
}

// NearRTT is the round trip to Chat in the ledger's near set: Chat a
// short network away, longer than a DynamoDB call (moto's take about 2 ms
// here), as any Chat region is from a Lambda function, which runs in AWS's
// network, not Tencent's. No vendor publishes the figure; what the set
// shows holds for any round trip longer than the ledger's call.
const NearRTT = 10 * time.Millisecond

// LedgerStats are the ledger's measurements: the sign-up (the import
// function's post-confirmation trigger) and the UserSig function, each
// without and with LEDGER_TABLE (a table in a moto of its own on
// loopback), in cold sets beside hello world, with Chat on loopback; and
// the sign-up with Chat near (NearRTT) and in the far region.
type LedgerStats struct {
	Rounds, Warm int
	Cold         []ColdStats // hello, signup, signup+ledger, usersig, usersig+ledger
	Near         []ColdStats // hello, signup, signup+ledger; Chat NearRTT away
	NearRTT      time.Duration
	FarRounds    int
	FarWarm      int
	Far          []ColdStats // hello, signup, signup+ledger
	RTT          time.Duration
	GetItem      time.Duration // median strongly consistent GetItem from moto with a warm SDK client
}

// FarFloor is the far sign-up's cold floor: hello world's cold start plus 3
// RTT.
func (l *LedgerStats) FarFloor() time.Duration { return find(l.Far, "hello").First() + 3*l.RTT }

// coldRatio and warmRatio are the ledger's cost in set: the first reply and
// the warm invocation of name with the ledger ÷ without.
func coldRatio(set []ColdStats, name string) float64 {
	return ratio(find(set, name+"+ledger").First(), find(set, name).First())
}

func warmRatio(set []ColdStats, name string) float64 {
	return ratio(find(set, name+"+ledger").Warm(), find(set, name).Warm())
}

func (l *LedgerStats) farRatio() float64 {
	return ratio(find(l.Far, "signup+ledger").First(), l.FarFloor())
}

func (l *LedgerStats) farRatioWithout() float64 {
	return ratio(find(l.Far, "signup").First(), l.FarFloor())
}

// summary adds the ledger's rows to the report's summary table.
func (l *LedgerStats) summary(p printer) {
	row := func(what string, r float64) {
		p("| %s | %.3f× | ≤ %.2f× | %s |\n", what, r, GoalLedgerSignup, met(r <= GoalLedgerSignup))
	}
	row("sign-up first reply (cold), ledger ÷ none, Chat on loopback", coldRatio(l.Cold, "signup"))
	row("sign-up warm invocation, ledger ÷ none, Chat on loopback", warmRatio(l.Cold, "signup"))
	if len(l.Near) > 0 {
		row(fmt.Sprintf("sign-up first reply (cold), ledger ÷ none, Chat %v away", l.NearRTT), coldRatio(l.Near, "signup"))
		row(fmt.Sprintf("sign-up warm invocation, ledger ÷ none, Chat %v away", l.NearRTT), warmRatio(l.Near, "signup"))
	}
	if len(l.Far) > 0 {
		p("| far sign-up first reply with the ledger ÷ floor (without: %.3f×) | %.3f× | ≤ %.2f× | %s |\n", l.farRatioWithout(), l.farRatio(), GoalLedgerFar, met(l.farRatio() <= GoalLedgerFar))
	}
	if us := find(l.Cold, "usersig+ledger"); len(us.Samples) > 0 {
		p("| usersig warm invocation with the ledger (one consistent GetItem), without: %s | %s (%.2f×) | (reported) | |\n", ms(find(l.Cold, "usersig").Warm()), ms(us.Warm()), warmRatio(l.Cold, "usersig"))
	}
}

// ledgerTable writes set as a table of first replies and warm invocations, with
// the +ledger rows' ratios to their rows without.
func ledgerTable(p printer, set []ColdStats) {
	p("| bootstrap | init | first reply, median | p90 | ÷ without | warm invocation, median | ÷ without |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range set {
		first, warm := "–", "–"
		if base, ok := strings.CutSuffix(s.Name, "+ledger"); ok {
			first, warm = fmt.Sprintf("**%.3f×**", coldRatio(set, base)), fmt.Sprintf("**%.3f×**", warmRatio(set, base))
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", s.Name, ms(s.Init()), ms(s.First()), ms(s.FirstQuantile(0.9)), first, ms(s.Warm()), warm)
	}
	p("\n")
}

// section writes the report's ledger section.
func (l *LedgerStats) section(p printer) {
	p("## Ledger\n\n")
	p("The same harness as the cold path, in sets of their own: each bootstrap started afresh %d times, interleaved, each followed by %d warm invocations. ", l.Rounds, l.Warm)
	p("**signup** is the import function given the post-confirmation trigger of one user (`bench.SignUpPayload`), as Cognito sends it, with its retry and dead-letter queues; **+ledger** is the same with `LEDGER_TABLE` naming a table in DynamoDB: ")
	p("the ledger's `PutItem` runs side by side with the Chat import (and with the secret fetch it waits for on a cold start), and the trigger answers when both are done. ")
	p("**usersig** is the UserSig function, a direct invocation; with the ledger it reads the UserID's item (`GetItem`, strongly consistent) side by side with the secret, and signs when both are in. ")
	p("DynamoDB is a moto_server of its own on loopback, as DynamoDB and Secrets Manager are two services on AWS (one moto process runs one request's Python at a time). ")
	p("A `GetItem` with a warm SDK client takes %s there (median of 20), against a fraction of a millisecond for the whole Chat call to the emulator on loopback: ", ms(l.GetItem))
	p("with Chat on loopback the write cannot hide behind the Chat call, and a warm sign-up with the ledger costs about one moto call more. ")
	p("No deployed function meets a Chat that close: a Lambda function runs in AWS's network and Chat in Tencent's, so the Chat call is a network round trip. ")
	p("The near set puts Chat %v of round trip away behind the far region's proxy, still with DynamoDB on loopback, and shows whether the write hides behind the call; the far set does the same at %v.\n\n", l.NearRTT, l.RTT)
	p("Chat on loopback:\n\n")
	ledgerTable(p, l.Cold)
	if len(l.Near) > 0 {
		p("Chat %v away (the same rounds):\n\n", l.NearRTT)
		ledgerTable(p, l.Near)
	}
	if len(l.Far) == 0 {
		return
	}
	p("Far region (%d fresh processes each, each followed by %d warm invocations; Chat %v of round trip away behind the proxy, DynamoDB and Secrets Manager on loopback, in the function's region). Cold floor: hello world's cold start + 3 RTT = %s; warm floor: 1 RTT.\n\n", l.FarRounds, l.FarWarm, l.RTT, ms(l.FarFloor()))
	p("| bootstrap | first reply, median | p90 | ÷ floor | warm invocation, median | ÷ 1 RTT |\n|---|---:|---:|---:|---:|---:|\n")
	for _, s := range l.Far {
		fr, wr := "–", "–"
		if s.Name != "hello" {
			fr, wr = fmt.Sprintf("**%.3f×**", ratio(s.First(), l.FarFloor())), fmt.Sprintf("%.3f×", ratio(s.Warm(), l.RTT))
		}
		p("| %s | %s | %s | %s | %s | %s |\n", s.Name, ms(s.First()), ms(s.FirstQuantile(0.9)), fr, ms(s.Warm()), wr)
	}
	p("\n")
}

// SpliceSection returns doc with its section titled heading (from the line
// "## heading" to the next "## ") replaced by section, or, when doc has no
// such section, with section inserted before the section titled before (at
// the end when that is missing too).
func SpliceSection(doc, heading, before, section string) string {
	start := strings.Index(doc, "\n## "+heading+"\n")
	if start >= 0 {
		end := strings.Index(doc[start+1:], "\n## ")
		if end < 0 {
			return doc[:start+1] + section
		}
		return doc[:start+1] + section + doc[start+1+end+1:]
	}
	if at := strings.Index(doc, "\n## "+before+"\n"); at >= 0 {
		return doc[:at+1] + section + doc[at+1:]
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + section
}

// Section renders the ledger section alone, for SpliceSection.
func (l *LedgerStats) Section() string {
	var b strings.Builder
	l.section(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) })
	return b.String()
}
