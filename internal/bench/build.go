package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Bootstraps are the packages the benchmarks build, relative to the module
// root.
var Bootstraps = map[string]string{
	"import":  "./functions/import",
	"delete":  "./functions/delete",
	"usersig": "./functions/usersig",
	"hello":   "./internal/bench/testdata/hello",
	"naive":   "./internal/bench/testdata/naive",
}

// BuildFlags are the Makefile's flags for a Lambda bootstrap.
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// ModuleRoot returns the directory holding go.mod, searching upward from
// the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Build compiles the package pkg (a path relative to root, such as
// "./functions/import") for goos/goarch into out, as the Makefile builds a
// bootstrap: static (CGO_ENABLED=0), no RPC mode, stripped, trimmed paths.
// Empty goos or goarch mean this machine's.
func Build(root, pkg, out, goos, goarch string) error {
	if goos == "" {
		goos = runtime.GOOS
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s (GOOS=%s GOARCH=%s): %v\n%s", strings.Join(args, " "), goos, goarch, err, b)
	}
	return nil
}

// FileSize returns the size of the file at path in bytes.
func FileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
