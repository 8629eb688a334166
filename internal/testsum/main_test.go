package main

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:9: skipping: moto_server is not on PATH\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:3: got 1, want 2\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestB"}`,
		`{"Action":"output","Package":"p","Test":"TestC","Output":"    c_test.go:3: a log line of a passing test\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestC"}`,
		`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}`,
		`{"Action":"fail","Package":"p"}`,
		`{"Action":"output","Package":"q","Output":"ok  \tq\t0.2s\n"}`,
		`{"Action":"pass","Package":"q"}`,
	}, "\n")
	broken := `{"ImportPath":"r","Action":"build-output","Output":"r/x.go:1:1: syntax error\n"}` + "\n" + `{"ImportPath":"r","Action":"build-fail"}`
	var bout strings.Builder
	if failed, _ := summarize(strings.NewReader(broken), &bout); !failed || !strings.Contains(bout.String(), "syntax error") {
		t.Errorf("a build failure: failed %v, output %q", failed, bout.String())
	}
	var out strings.Builder
	failed, err := summarize(strings.NewReader(in), &out)
	if err != nil || !failed {
		t.Fatalf("failed %v, err %v", failed, err)
	}
	got := out.String()
	for _, want := range []string{"b_test.go:3: got 1, want 2", "FAIL\tp\t0.1s", "ok  \tq\t0.2s", "1 tests skipped: p.TestA (skipping: moto_server is not on PATH)"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "a log line of a passing test") {
		t.Errorf("a passing test's log was printed:\n%s", got)
	}
}
