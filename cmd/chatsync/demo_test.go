package main

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatsync/chat-lambdas/internal/syncbuf"

	"github.com/chatsync/chat-lambdas/internal/local"
	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

func TestDemo(t *testing.T) {
	start := time.Now()
	r := run(t, "demo")
	r.want(t, exitOK,
		"backend:  embedded Chat emulator",
		"[1/11] Cognito sign-up (PostConfirmation_ConfirmSignUp) -> ImportFunction",
		"account 6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b (the sub without hyphens) imported",
		"profile set with portrait_set: Tag_Profile_IM_Gender=Gender_Type_Female, Tag_Profile_IM_BirthDay=19900517, Tag_Profile_Custom_Tier=gold",
		`> POST /accounts {"UserID":"alice","Nick":"Alice"}`,
		`< 200 {"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","FailAccounts":[]}`,
		"zoe NotImported",
		"> DELETE /accounts/alice",
		"alice kicked (the UserSigs issued to her stop working), then deleted",
		`"ResultCode":70107`,
		"[11/11] Final check",
		"[9/11] Cognito DeleteUser (via EventBridge) -> DeleteFunction: kick, delete",
		"kicked at",
		`login("6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b", the UserSig issued before) refused: code 70052`,
		"ghost NotImported",
		"[2/11] That user's UserSig (POST /usersig) -> UserSigFunction, then the SDK login",
		`login("6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b", UserSig) accepted by the emulator's login check`,
		`"UserSig":<`,
		"[3/11] A UserSig for the admin identifier: refused (403)",
		`< 403 {"error":{"code":"forbidden"`,
		"[10/11] The deleted user's fresh UserSig: refused (403), the ledger holds a tombstone",
		`< 403 {"error":{"code":"forbidden","message":"account deleted"}}`,
		"(source signup, sub 6b1f9c2e-4d3a-4e5f-8a7b-9c0d1e2f3a4b) deleted at",
		"PASS  11/11 steps ok",
		"12 Chat requests to the emulator, 1 secret fetch",
	)
	if strings.Contains(r.stdout, "FAIL") || strings.Contains(r.stdout, "mismatch") {
		t.Errorf("a step failed:\n%s", r.stdout)
	}
	if n := strings.Count(r.stdout, ". ok "); n != 11 {
		t.Errorf("%d steps ok, want 11:\n%s", n, r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr without -v: %s", r.stderr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the demo took %v", took)
	}
}

func TestDemoVerbose(t *testing.T) {
	r := run(t, "demo", "-v")
	r.want(t, exitOK, "PASS  11/11 steps ok", `"message":"import done"`, `"message":"delete done"`, `"message":"lifecycle event done"`, `"requestId":"`)
}

func TestDemoMismatchExitsNonZero(t *testing.T) {
	var stdout, stderr syncbuf.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
		demoSetup: func(s *local.Stack) {
			// Deletion disabled in the console: both deletes fail, and
			// alice is still there at the final check.
			s.Emulator.Inject(chatemu.Fault{Command: chat.CmdDelete, Code: 71000, Times: 100})
		}}
	if code := c.run(context.Background(), []string{"demo"}); code != exitFailure {
		t.Fatalf("exit status %d, want %d\n%s", code, exitFailure, stdout.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"[7/11] HTTP delete -> DeleteFunction", "FAIL", "mismatch: status 502, want 200",
		"alice is Imported, want NotImported", "FAIL  7/11 steps ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
	assertNoSecrets(t, out+stderr.String())
}

// TestDemoStepsListed: the demo's help and docs/local-tools.md list every
// step the demo runs, the same list in both.
func TestDemoStepsListed(t *testing.T) {
	r := run(t, "demo")
	r.want(t, exitOK)
	steps := regexp.MustCompile(`(?m)^\[(\d+)/(\d+)\] `).FindAllStringSubmatch(r.stdout, -1)
	if len(steps) == 0 {
		t.Fatalf("no steps in the demo's output:\n%s", r.stdout)
	}
	total, _ := strconv.Atoi(steps[0][2])
	items := regexp.MustCompile(`(?m)^  (\d+)\. `).FindAllStringSubmatch(demoSteps, -1)
	if len(steps) != total || len(items) != total {
		t.Errorf("the demo runs %d steps (of %d announced); its help lists %d", len(steps), total, len(items))
	}
	help := run(t, "help", "demo")
	if !strings.Contains(help.stdout, demoSteps) {
		t.Errorf("chatsync help demo does not list the steps:\n%s", help.stdout)
	}
	doc, err := os.ReadFile("../../docs/local-tools.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "<!-- demo-steps -->\n"+demoSteps+"<!-- /demo-steps -->") {
		t.Errorf("docs/local-tools.md does not list the demo's steps as its help does:\n%s", demoSteps)
	}
}
