// Command testsum prints `go test -json` output the way `go test` prints it,
// and ends with one line naming the tests that were skipped and why, which
// a plain `go test` run hides. It exits 1 when any test or package failed.
//
//	go test -json ./... | go run ./internal/testsum
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// summarize copies the package lines and the output of failed tests from
// r to w, then the skipped tests; it reports whether anything failed.
func summarize(r io.Reader, w io.Writer) (failed bool, err error) {
	output := map[string][]string{} // package/test: its output so far
	var skipped []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(w, sc.Text()) // a build error or other plain text
			continue
		}
		key := e.Package + "/" + e.Test
		switch e.Action {
		case "build-output": // compiler errors (Go 1.24 and later)
			fmt.Fprint(w, e.Output)
		case "build-fail":
			failed = true
		case "output":
			if e.Test == "" {
				// Package-level lines: "ok", "FAIL", "?", build output.
				if !strings.HasPrefix(e.Output, "PASS") && !strings.HasPrefix(e.Output, "=== ") {
					fmt.Fprint(w, e.Output)
				}
				continue
			}
			output[key] = append(output[key], e.Output)
		case "fail":
			failed = true
			if e.Test != "" {
				fmt.Fprint(w, strings.Join(output[key], ""))
			}
			delete(output, key)
		case "skip":
			if e.Test != "" {
				skipped = append(skipped, e.Package+"."+e.Test+reason(output[key]))
			}
			delete(output, key)
		case "pass":
			delete(output, key)
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	if len(skipped) > 0 {
		sort.Strings(skipped)
		fmt.Fprintf(w, "%d tests skipped: %s\n", len(skipped), strings.Join(skipped, "; "))
	}
	return failed, nil
}

// reason picks the skip message from a test's output.
func reason(lines []string) string {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, ": "); i > 0 && strings.Contains(l[:i], "_test.go:") {
			return " (" + l[i+2:] + ")"
		}
	}
	return ""
}
