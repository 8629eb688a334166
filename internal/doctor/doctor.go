// Package doctor checks a deployed chat-lambdas stack from the outside, for
// `chatsync doctor`: the sign-up trigger and its permission, the CloudTrail
// trail lifecycle events need, the dead-letter queues and the ledger table.
// Each check returns a Result, one line for an operator with what to do.
//
// It talks to Cognito, Lambda, CloudTrail, SQS, DynamoDB and CloudFormation
// through small consumer-side interfaces that the AWS SDK's clients
// implement; none of them is linked into a Lambda function.
package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Result is the outcome of one check.
type Result struct {
	OK     bool
	Name   string // what was checked, e.g. "secret"
	Detail string // what was found
	Fix    string // what to do, when it failed
}

// Pass returns a passing Result.
func Pass(name, format string, args ...any) Result {
	return Result{OK: true, Name: name, Detail: fmt.Sprintf(format, args...)}
}

// Fail returns a failing Result with what to do about it.
func Fail(name, fix, format string, args ...any) Result {
	return Result{Name: name, Detail: fmt.Sprintf(format, args...), Fix: fix}
}

// String is the Result's line: "PASS name: detail", or
// "FAIL name: detail; fix: what to do".
func (r Result) String() string {
	word := "FAIL"
	if r.OK {
		word = "PASS"
	}
	line := fmt.Sprintf("%s %s: %s", word, r.Name, oneLine(r.Detail))
	if !r.OK && r.Fix != "" {
		line += "; fix: " + oneLine(r.Fix)
	}
	return line
}

// Report writes one line per result and reports whether all passed.
func Report(w io.Writer, results []Result) bool {
	ok := true
	for _, r := range results {
		fmt.Fprintln(w, r.String())
		ok = ok && r.OK
	}
	return ok
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
