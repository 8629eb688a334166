package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/ledger"
)

// Goals of the ledger: its write overlaps the sign-up's Chat call, and its
// read is one GetItem on the UserSig function's warm path.
const (
	GoalLedgerSignup = 1.05 // sign-up first reply (cold) and warm invocation, with the ledger ÷ without
	GoalLedgerFar    = 1.03 // far-region sign-up first reply with the ledger ÷ the cold floor
)

// SignUpPayload is the post-confirmation trigger of the ledger benchmarks:
// one user, whose sub the ledger records.
var SignUpPayload = []byte(`{"version":"1","region":"us-east-1","userPoolId":"us-east-1_BENCH","userName":"bench-user",` +
	`"triggerSource":"PostConfirmation_ConfirmSignUp","request":{"userAttributes":{"sub":"0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","nickname":"Bench"}},"response":{}}`)

// CreateLedger makes a ledger table in a's moto and returns its name.
func (a *AWS) CreateLedger(tb testing.TB) string {
	tb.Helper()
	table := moto.UniqueName(tb, "ledger")
	if err := ledger.CreateTable(context.Background(), dynamodb.NewFromConfig(a.Moto.Config()), table); err != nil {
		tb.Fatal(err)
	}
	return table
}

// LedgerStats are the ledger's measurements: the sign-up (the import
// function's post-confirmation trigger) and the UserSig function, each
// without and with LEDGER_TABLE (moto's DynamoDB on loopback), in cold
// sets beside hello world; and the sign-up in the far region.
type LedgerStats struct {
	Rounds, Warm int
	Cold         []ColdStats // hello, signup, signup+ledger, usersig, usersig+ledger
	FarRounds    int
	Far          []ColdStats // hello, signup, signup+ledger
	RTT          time.Duration
}

// FarFloor is the far sign-up's cold floor: hello world's cold start plus 3
// RTT.
func (l *LedgerStats) FarFloor() time.Duration { return find(l.Far, "hello").First() + 3*l.RTT }

// ratios of the ledger's figures, with ÷ without.
func (l *LedgerStats) coldRatio(name string) float64 {
	return ratio(find(l.Cold, name+"+ledger").First(), find(l.Cold, name).First())
}

func (l *LedgerStats) warmRatio(name string) float64 {
	return ratio(find(l.Cold, name+"+ledger").Warm(), find(l.Cold, name).Warm())
}

func (l *LedgerStats) farRatio() float64 {
	return ratio(find(l.Far, "signup+ledger").First(), l.FarFloor())
}

func (l *LedgerStats) farRatioWithout() float64 {
	return ratio(find(l.Far, "signup").First(), l.FarFloor())
}

// summary adds the ledger's rows to the report's summary table.
func (l *LedgerStats) summary(p printer) {
	p("| sign-up first reply (cold), ledger ÷ none | %.3f× | ≤ %.2f× | %s |\n", l.coldRatio("signup"), GoalLedgerSignup, met(l.coldRatio("signup") <= GoalLedgerSignup))
	p("| sign-up warm invocation, ledger ÷ none | %.3f× | ≤ %.2f× | %s |\n", l.warmRatio("signup"), GoalLedgerSignup, met(l.warmRatio("signup") <= GoalLedgerSignup))
	if len(l.Far) > 0 {
		p("| far sign-up first reply with the ledger ÷ floor | %.3f× | ≤ %.2f× | %s |\n", l.farRatio(), GoalLedgerFar, met(l.farRatio() <= GoalLedgerFar))
	}
	p("| usersig warm invocation with the ledger (one consistent GetItem) | %s | (reported) | |\n", ms(find(l.Cold, "usersig+ledger").Warm()))
}

// section writes the report's ledger section.
func (l *LedgerStats) section(p printer) {
	p("## Ledger\n\n")
	p("The same harness as the cold path, in a set of its own: each bootstrap started afresh %d times, interleaved, each followed by %d warm invocations. ", l.Rounds, l.Warm)
	p("**signup** is the import function given the post-confirmation trigger of one user (`bench.SignUpPayload`), as Cognito sends it, with its retry and dead-letter queues; **+ledger** is the same with `LEDGER_TABLE` naming a table in moto's DynamoDB on loopback: ")
	p("the ledger's `PutItem` runs side by side with the Chat import, and the trigger answers when both are done. ")
	p("**usersig** is the UserSig function, a direct invocation; with the ledger it reads the UserID's item (`GetItem`, strongly consistent) before it signs. ")
	p("moto is a Python server on this machine: its DynamoDB answers in milliseconds where the real one answers in single-digit milliseconds in-region, so these ratios overstate the ledger's cost.\n\n")
	p("| bootstrap | init | first reply, median | p90 | ÷ without | warm invocation, median | ÷ without |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range l.Cold {
		first, warm := "–", "–"
		if base, ok := strings.CutSuffix(s.Name, "+ledger"); ok {
			first, warm = fmt.Sprintf("**%.3f×**", l.coldRatio(base)), fmt.Sprintf("**%.3f×**", l.warmRatio(base))
		}
		p("| %s | %s | %s | %s | %s | %s | %s |\n", s.Name, ms(s.Init()), ms(s.First()), ms(s.FirstQuantile(0.9)), first, ms(s.Warm()), warm)
	}
	p("\n")
	if len(l.Far) == 0 {
		return
	}
	p("Far region (%d fresh processes each; Chat %v of round trip away behind the proxy, DynamoDB and Secrets Manager on loopback, in the function's region). Cold floor: hello world's cold start + 3 RTT = %s.\n\n", l.FarRounds, l.RTT, ms(l.FarFloor()))
	p("| bootstrap | first reply, median | p90 | ÷ floor | warm invocation, median |\n|---|---:|---:|---:|---:|\n")
	for _, s := range l.Far {
		fr := "–"
		if s.Name != "hello" {
			fr = fmt.Sprintf("**%.3f×**", ratio(s.First(), l.FarFloor()))
		}
		p("| %s | %s | %s | %s | %s |\n", s.Name, ms(s.First()), ms(s.FirstQuantile(0.9)), fr, ms(s.Warm()))
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
