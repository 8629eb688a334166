package setup_test

import (
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/config"
	"github.com/chatsync/chat-lambdas/pkg/setup"
)

// TestImportHandlerRefusesUnwiredQueue: a queue URL set in the environment
// with no queue wired (a main package that left out queues.ForImport) ends
// the init with one line, rather than losing sign-ups later. The check
// ends the process, so it runs in a child process of the test binary.
func TestImportHandlerRefusesUnwiredQueue(t *testing.T) {
	if os.Getenv("SETUP_UNWIRED_CHILD") == "1" {
		p := &setup.Parts{Log: slog.New(slog.DiscardHandler), Config: config.Config{RetryQueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/retry"}}
		p.ImportHandler()
		return // not reached when the check holds
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportHandlerRefusesUnwiredQueue$")
	cmd.Env = append(os.Environ(), "SETUP_UNWIRED_CHILD=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("child: %v, want exit status 1\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "init failed: ") || !strings.Contains(string(out), "RETRY_QUEUE_URL set, but no queue is wired") {
		t.Errorf("child wrote %q, want one init-failure line", out)
	}
}
