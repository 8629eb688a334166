package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatsync/chat-lambdas/internal/lambdatest"
	"github.com/chatsync/chat-lambdas/pkg/chatapi"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// Goals of the UserSig function, against hello world through the same
// Runtime API harness.
const (
	GoalUserSigWarm      = 1.10             // warm invocation ÷ hello world's
	GoalUserSigColdSlack = time.Millisecond // cold first reply ≤ hello's + one secret fetch + this
)

// UserSigPayload is the UserSig function's direct invocation in the
// benchmarks.
var UserSigPayload = []byte(`{"UserID":"cold-user"}`)

// UserSigOK checks that a reply is the UserSig function's: a UserSig for
// the UserID asked.
func UserSigOK(r lambdatest.Result) error {
	if r.Failed() {
		return fmt.Errorf("function error: %s", r.Error)
	}
	var rep handler.UserSigReply
	if err := json.Unmarshal(r.Payload, &rep); err != nil || rep.UserSig == "" || rep.UserID != "cold-user" {
		return fmt.Errorf("the reply is not a UserSig for cold-user (%d bytes)", len(r.Payload))
	}
	return nil
}

// UserSigRig is the UserSig handler as the function builds it, with the
// credentials already cached, for its warm benchmark in-process.
type UserSigRig struct {
	Handler *handler.UserSigHandler
	invocation
}

// NewUserSigRig builds a UserSigRig.
func NewUserSigRig() *UserSigRig {
	creds := chatapi.StaticCredentials{SDKAppID: AppID, Admin: "administrator", Key: Key}
	return &UserSigRig{
		Handler:    handler.NewUserSigHandler(handler.UserSigConfig{Credentials: creds, Logger: discardLogger()}),
		invocation: newInvocation(),
	}
}

// Invoke is one direct invocation. The reply is checked as cheaply as the
// other rigs check theirs, so that the figure is the handler's.
func (r *UserSigRig) Invoke(context.Context) error {
	out, err := r.Handler.Invoke(r.ctx, UserSigPayload)
	if err != nil {
		return err
	}
	if !bytes.Contains(out, userSigField) {
		return fmt.Errorf("the reply is not a UserSig (%d bytes)", len(out))
	}
	return nil
}

var userSigField = []byte(`"UserSig":"`)

// UserSigColdBound is the cold goal of the UserSig function: hello world's
// first reply, plus one secret fetch, plus GoalUserSigColdSlack.
func (r *Report) UserSigColdBound() time.Duration {
	return find(r.Cold, "hello").First() + r.SecretFetch + GoalUserSigColdSlack
}

// UserSigWarmRatio is the UserSig function's warm invocation ÷ hello
// world's, both through the Runtime API harness.
func (r *Report) UserSigWarmRatio() float64 {
	return ratio(find(r.Cold, "usersig").Warm(), find(r.Cold, "hello").Warm())
}

func (r *Report) hasUserSig() bool { return len(find(r.Cold, "usersig").Samples) > 0 }

// userSigSummary adds the UserSig function's goals to the summary table.
func (r *Report) userSigSummary(p printer) {
	if !r.hasUserSig() {
		return
	}
	us := find(r.Cold, "usersig")
	w := r.UserSigWarmRatio()
	p("| warm usersig ÷ hello world, Runtime API | %.2f× | ≤ %.2f× | %s |\n", w, GoalUserSigWarm, met(w <= GoalUserSigWarm))
	bound := r.UserSigColdBound()
	p("| cold usersig first reply (bound: hello + 1 secret fetch + 1 ms = %s) | %s | ≤ %s | %s |\n", ms(bound), ms(us.First()), ms(bound), met(us.First() <= bound))
	for _, s := range r.Sizes {
		if s.Name == "usersig" {
			p("| size of usersig, linux/arm64 | %.2f MiB | ≤ %.0f MiB | %s |\n", s.MiB(), GoalSizeMiB, met(s.MiB() <= GoalSizeMiB))
		}
	}
}

// userSigSection explains the UserSig function's figures.
func (r *Report) userSigSection(p printer) {
	if !r.hasUserSig() {
		return
	}
	us, hello := find(r.Cold, "usersig"), find(r.Cold, "hello")
	p("## UserSig function\n\n")
	p("`functions/usersig` in the cold-path runs above (a direct invocation `{\"UserID\":\"cold-user\"}`), beside hello world. ")
	p("It makes no Chat call and its init opens no Chat connection (`setup.WithoutChat`): its cold start is hello world's plus the AWS SDK's start and one `GetSecretValue`, which begins at init. ")
	p("Its warm invocation signs one UserSig (HMAC-SHA256, a stored zlib stream) and writes one log line.\n\n")
	p("| | hello | usersig | usersig − hello | goal |\n|---|---:|---:|---:|---|\n")
	p("| first reply, median | %s | %s | %s | ≤ hello + 1 secret fetch (%s) + 1 ms |\n", ms(hello.First()), ms(us.First()), ms(us.First()-hello.First()), ms(r.SecretFetch))
	p("| warm invocation, median | %s | %s | %s | ≤ %.2f× hello (here %.2f×) |\n\n", ms(hello.Warm()), ms(us.Warm()), ms(us.Warm()-hello.Warm()), GoalUserSigWarm, r.UserSigWarmRatio())
}
