package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMakefileLambdaTargets: the targets `sam build` calls compile the right
// package with the Lambda flags into $(ARTIFACTS_DIR)/bootstrap.
func TestMakefileLambdaTargets(t *testing.T) {
	readRootFile(t, "Makefile")
	mk, err := exec.LookPath("make")
	if err != nil {
		missingTool(t, "make not found")
	}
	for id, pkg := range functionPackages {
		r := run(t, time.Minute, mk, "-n", "build-"+id, "ARTIFACTS_DIR=/artifacts/"+id)
		if r.err != nil {
			t.Fatalf("make -n build-%s: %v\n%s", id, r.err, r.combined())
		}
		cmd := r.stdout
		for _, want := range []string{
			"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "go build", "-tags lambda.norpc", "-trimpath",
			"-ldflags='-s -w'", `-o "/artifacts/` + id + `/bootstrap"`, pkg,
		} {
			if !strings.Contains(cmd, want) {
				t.Errorf("build-%s: %q missing from:\n%s", id, want, cmd)
			}
		}
	}
}

// TestSamconfig: samconfig.toml parses and carries the expected defaults.
func TestSamconfig(t *testing.T) {
	readRootFile(t, "samconfig.toml")
	py, err := exec.LookPath("python3")
	if err != nil {
		missingTool(t, "python3 not found")
	}
	const script = `
import sys, tomllib
c = tomllib.load(open("samconfig.toml", "rb"))
d = c["default"]
checks = [
    c["version"] == 0.1,
    bool(d["global"]["parameters"]["stack_name"]),
    d["build"]["parameters"]["cached"] is True,
    d["build"]["parameters"]["parallel"] is True,
    d["deploy"]["parameters"]["capabilities"] == "CAPABILITY_IAM",
    d["deploy"]["parameters"]["confirm_changeset"] is True,
    d["deploy"]["parameters"]["resolve_s3"] is True,
    d["validate"]["parameters"]["lint"] is True,
]
bad = [i for i, ok in enumerate(checks) if not ok]
if bad:
    sys.exit("failed checks: %s" % bad)
`
	r := run(t, time.Minute, py, "-c", script)
	if r.err != nil {
		t.Fatalf("samconfig.toml: %v\n%s", r.err, r.combined())
	}
}

// TestCIScript: .ci/run is an executable bash script that stops on errors,
// sets CI=true and ends in make test.
func TestCIScript(t *testing.T) {
	b := readRootFile(t, ".ci/run")
	fi, err := os.Stat(filepath.Join(repoRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&0o111 == 0 {
		t.Errorf(".ci/run is not executable")
	}
	s := string(b)
	for _, want := range []string{"#!/usr/bin/env bash", "set -euo pipefail", "export CI=true", "make test", "docker.sh install", "sam-local"} {
		if !strings.Contains(s, want) {
			t.Errorf(".ci/run lacks %q", want)
		}
	}
}

// TestMakeBuildAll: `make build` builds every function's bootstrap into
// bin/<short name>.
func TestMakeBuildAll(t *testing.T) {
	readRootFile(t, "Makefile")
	mk, err := exec.LookPath("make")
	if err != nil {
		missingTool(t, "make not found")
	}
	r := run(t, time.Minute, mk, "-n", "build")
	if r.err != nil {
		t.Fatalf("make -n build: %v\n%s", r.err, r.combined())
	}
	for short, pkg := range map[string]string{
		"import": "./functions/import", "delete": "./functions/delete",
		"usersig": "./functions/usersig", "sync": "./functions/sync",
	} {
		want := "bin/" + short + `/bootstrap" ` + pkg
		if !strings.Contains(r.stdout, want) {
			t.Errorf("make build does not build %s into bin/%s:\n%s", pkg, short, r.stdout)
		}
	}
}

// TestMakeDemoSaysWhatItDoes: `make demo` and `make local` compile chatsync
// with `go run`, which prints nothing for about a minute on a cold build
// cache; they say what is happening first. `make demo` run for real prints
// the note on stderr before the demo's first line.
func TestMakeDemoSaysWhatItDoes(t *testing.T) {
	readRootFile(t, "Makefile")
	mk, err := exec.LookPath("make")
	if err != nil {
		missingTool(t, "make not found")
	}
	const note = "building chatsync (the first build takes about a minute)..."
	for _, target := range []string{"demo", "local"} {
		r := run(t, time.Minute, mk, "-n", target)
		if r.err != nil {
			t.Fatalf("make -n %s: %v\n%s", target, r.err, r.combined())
		}
		i, j := strings.Index(r.stdout, note), strings.Index(r.stdout, "go run ./cmd/chatsync "+target)
		if i < 0 || j < 0 || i > j {
			t.Errorf("make %s does not say %q before go run:\n%s", target, note, r.stdout)
		}
	}
	r := run(t, 5*time.Minute, mk, "--no-print-directory", "demo")
	if r.err != nil {
		t.Fatalf("make demo: %v\n%s", r.err, r.combined())
	}
	if first, _, _ := strings.Cut(r.stderr, "\n"); first != note {
		t.Errorf("make demo's first line on stderr = %q, want %q", first, note)
	}
	if !strings.Contains(r.stdout, "11/11 steps ok") {
		t.Errorf("make demo did not run the demo:\n%s", r.stdout)
	}
}
