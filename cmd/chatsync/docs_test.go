package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docCommand is one "$ command" of a console example and what the doc
// shows it printing.
type docCommand struct {
	line, output string
}

// docExample returns the console example of docs/local-tools.md between
// <!-- name --> and <!-- /name -->, without its fences.
func docExample(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("../../docs/local-tools.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start, end := "<!-- "+name+" -->\n```console\n", "```\n<!-- /"+name+" -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("docs/local-tools.md has no %s example", name)
	}
	return doc[i+len(start) : j]
}

// docConsole returns the commands of the console example name, each with
// its output.
func docConsole(t *testing.T, name string) []docCommand {
	t.Helper()
	var cmds []docCommand
	for _, l := range strings.SplitAfter(docExample(t, name), "\n") {
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			cmds = append(cmds, docCommand{line: strings.TrimSuffix(cmd, "\n")})
			continue
		}
		if len(cmds) == 0 {
			t.Fatalf("%s example: output before any command: %q", name, l)
		}
		cmds[len(cmds)-1].output += l
	}
	return cmds
}

// TestInvokeDocExample: the chatsync invoke example of docs/local-tools.md
// prints, byte for byte, what the doc shows.
func TestInvokeDocExample(t *testing.T) {
	for _, c := range docConsole(t, "invoke-example") {
		line, stdin := c.line, ""
		if m := regexp.MustCompile(`^echo '([^']*)' \| (.*)$`).FindStringSubmatch(line); m != nil {
			stdin, line = m[1]+"\n", m[2]
		}
		rest, ok := strings.CutPrefix(line, "go run ./cmd/chatsync ")
		if !ok {
			t.Fatalf("not a chatsync command: %s", c.line)
		}
		rest, quiet := strings.CutSuffix(rest, " 2>/dev/null")
		args := strings.Fields(rest)
		for i, a := range args {
			if strings.HasPrefix(a, "events/") {
				args[i] = "../../" + a
			}
		}
		r := runCLI(t, runOpts{stdin: stdin}, args...)
		got := r.stdout
		if !quiet {
			got += r.stderr
		}
		if r.code != exitOK || got != c.output {
			t.Errorf("$ %s\nexit %d, prints:\n%s\ndocs/local-tools.md shows:\n%s", c.line, r.code, got, c.output)
		}
	}
}

// TestLocalDocExample: the curl example of docs/local-tools.md, against a
// fresh chatsync local, prints byte for byte what the doc shows, headers
// included for curl -i (the request ID and the date put in from the doc).
func TestLocalDocExample(t *testing.T) {
	base, _, _ := startLocal(t)
	for _, c := range docConsole(t, "local-curl") {
		checkCurl(t, base, c, nil)
	}
}

// TestLocalJWTDocExample: the jwt-mode example of docs/local-tools.md,
// with its token from chatsync token, against a fresh chatsync local -auth
// jwt sharing its key file, prints what the doc shows.
func TestLocalJWTDocExample(t *testing.T) {
	file := filepath.Join(t.TempDir(), "jwt.key")
	base, _, _ := startLocal(t, "-auth", "jwt", "-jwt-key-file", file)
	vars := map[string]string{}
	for _, c := range docConsole(t, "local-jwt") {
		if m := regexp.MustCompile(`^export (\w+)=\$\(chatsync token (.*)\)$`).FindStringSubmatch(c.line); m != nil {
			vars[m[1]] = token(t, append(strings.Fields(m[2]), "-key-file", file)...)
			continue
		}
		checkCurl(t, base, c, vars)
	}
	if len(vars) == 0 {
		t.Error("the example makes no token")
	}
}

var (
	curlLine   = regexp.MustCompile(`^curl -sS( -i)?(?: -X ([A-Z]+))? localhost:3000(\S+)((?: -H (?:'[^']*'|"[^"]*"))*)(?: -d '([^']*)')?$`)
	curlHeader = regexp.MustCompile(` -H (?:'([^:']+): ([^']*)'|"([^:"]+): ([^"]*)")`)
)

// checkCurl runs one curl line of a doc example against base, with the
// shell variables vars put into its double-quoted headers, and compares
// what curl would print with the doc.
func checkCurl(t *testing.T, base string, c docCommand, vars map[string]string) {
	t.Helper()
	u, _ := url.Parse(base)
	m := curlLine.FindStringSubmatch(c.line)
	if m == nil {
		t.Fatalf("not a curl line this test can run: %s", c.line)
	}
	method, path, body := m[2], m[3], m[5]
	headers := map[string]string{}
	for _, h := range curlHeader.FindAllStringSubmatch(m[4], -1) {
		if h[1] != "" {
			headers[h[1]] = h[2]
			continue
		}
		headers[h[3]] = os.Expand(h[4], func(k string) string { return vars[k] })
	}
	if method == "" {
		method = http.MethodGet
		if body != "" {
			method = http.MethodPost
		}
	}
	got := rawExchange(t, u.Host, method, path, body, headers, m[1] != "")
	if m[1] != "" {
		for _, h := range []string{"Apigw-Requestid", "Date"} {
			shown := regexp.MustCompile(`(?m)^` + h + `: .*$`).FindString(c.output)
			got = regexp.MustCompile(`(?m)^`+h+`: .*$`).ReplaceAllLiteralString(got, shown)
		}
	}
	if got != c.output {
		t.Errorf("$ %s\nprints:\n%s\ndocs/local-tools.md shows:\n%s", c.line, got, c.output)
	}
}

// rawExchange sends one request as curl does, with the headers of its -H
// options (curl's own Content-Type for a body, form-urlencoded, unless one
// is given), and returns what curl prints: the body and a newline-less
// ending as sent, with the status line and headers first (CRLF as LF) when
// withHeaders.
func rawExchange(t *testing.T, host, method, path, body string, headers map[string]string, withHeaders bool) string {
	t.Helper()
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, port, _ := net.SplitHostPort(host)
	req := method + " " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n"
	for k, v := range headers {
		req += k + ": " + v + "\r\n"
	}
	if body != "" {
		if _, ok := headers["Content-Type"]; !ok {
			req += "Content-Type: application/x-www-form-urlencoded\r\n"
		}
		req += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	req += "Connection: close\r\n\r\n" + body
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(bufio.NewReader(conn))
	if err != nil {
		t.Fatal(err)
	}
	head, payload, _ := strings.Cut(string(raw), "\r\n\r\n")
	head = strings.ReplaceAll(head, "\r\n", "\n")
	// Connection: close makes the server add that header; curl's own
	// keep-alive request would not have it.
	head = strings.Replace(head, "\nConnection: close", "", 1)
	if withHeaders {
		return head + "\n\n" + payload
	}
	return payload
}
