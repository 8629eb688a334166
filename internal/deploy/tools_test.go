package deploy

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// repoRoot returns the module root (the directory holding go.mod).
func repoRoot(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = os.ErrNotExist
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatalf("cannot find the module root (go.mod): %v", rootErr)
	}
	return rootDir
}

// inCI reports whether missing tools must fail rather than skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// missingTool skips the test, or fails it under CI=true.
func missingTool(t testing.TB, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf("CI=true and "+format, args...)
	}
	t.Skipf(format, args...)
}

// readRootFile reads a file relative to the module root. Reading through the
// test process (not only through a tool) lets `go test` invalidate its cache
// when the file changes.
func readRootFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// cfnLint returns the path of cfn-lint, or skips/fails.
func cfnLint(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("cfn-lint")
	if err != nil {
		missingTool(t, "cfn-lint not found on PATH: pip install cfn-lint==1.51.0 (or `make tools`)")
	}
	return p
}

// samCLI returns the SAM CLI: `sam` on PATH, else .venv/bin/sam at the root.
func samCLI(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("sam"); err == nil {
		return p
	}
	p := filepath.Join(repoRoot(t), ".venv", "bin", "sam")
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return p
	}
	missingTool(t, "SAM CLI not found (no `sam` on PATH, no .venv/bin/sam): run `make tools`")
	return ""
}

// toolEnv is the environment for the Python tools: no telemetry, and a
// region for the SAM translator when none is set.
func toolEnv() []string {
	env := append(os.Environ(), "SAM_CLI_TELEMETRY=0")
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		env = append(env, "AWS_DEFAULT_REGION=us-east-1")
	}
	return env
}

type result struct {
	stdout, stderr string
	err            error
}

func (r result) combined() string { return strings.TrimSpace(r.stdout + "\n" + r.stderr) }

// run runs a command in the module root with a timeout.
func run(t testing.TB, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = toolEnv()
	cmd.Stdin = nil
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	shown := make([]string, len(args))
	for i, a := range args {
		if strings.Contains(a, "\n") {
			a = "<script>"
		}
		shown[i] = a
	}
	t.Logf("%s %s: %v (%s)", filepath.Base(name), strings.Join(shown, " "), errOrOK(err), time.Since(start).Round(time.Millisecond))
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

func errOrOK(err error) any {
	if err == nil {
		return "ok"
	}
	return err
}
