// Package moto runs a local moto_server (Python moto) for tests: one process
// that serves Secrets Manager, SQS, Cognito and DynamoDB on a loopback port, reached by
// the AWS SDK for Go v2 through a base endpoint or the AWS_ENDPOINT_URL_*
// environment variables.
//
// A test starts its own server with Start, or shares one per test binary
// with Shared (stopped by Main in a TestMain, and in any case killed with the
// test binary on Linux). A shared server keeps its state between tests, so
// tests give their resources unique names (see UniqueName) instead of
// resetting it.
//
// When moto_server is not on PATH the tests that need it are skipped, unless
// the environment variable CI is true: there they fail, so a CI machine that
// lost moto cannot pass by skipping.
package moto

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/chatsync/chat-lambdas/internal/syncbuf"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Binary is the name of the moto server command looked up on PATH.
const Binary = "moto_server"

// Region is the AWS region tests use against moto.
const Region = "us-east-1"

// AccessKeyID and SecretAccessKey are the dummy credentials that Config and
// SetEnv use; moto accepts any.
const (
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
)

// StartTimeout bounds how long Start waits for the server to answer.
const StartTimeout = 30 * time.Second

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint, such as "http://127.0.0.1:41234", without a
	// trailing slash.
	URL string

	cmd    *exec.Cmd
	out    *syncbuf.Buffer // the server's combined stdout and stderr
	exited chan struct{}
	stop   sync.Once
}

// Start starts a moto_server for tb on a free loopback port, waits until it
// answers, and stops it when tb's cleanup runs. It skips tb when moto_server
// is not installed, or fails tb when the environment variable CI is true.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		failOrSkip(tb, err)
		return nil
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartAt is Start on a given address, such as a Docker bridge's, for a
// server that containers must reach.
func StartAt(tb testing.TB, host string, port int) *Server {
	tb.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		failOrSkip(tb, fmt.Errorf("%w: %v", errMissing, err))
		return nil
	}
	s, err := startOnce(bin, host, port)
	if err != nil {
		tb.Fatalf("moto: %v", err)
		return nil
	}
	tb.Cleanup(s.Stop)
	return s
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the test binary's shared moto_server, starting it on first
// use. It is stopped by Main; without a TestMain calling Main it lives until
// the test binary exits (on Linux the kernel kills it then). Tests that share
// it must use unique resource names; see UniqueName. Like Start, it skips or
// fails tb when moto_server is missing.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() { shared.srv, shared.err = start() })
	if shared.err != nil {
		failOrSkip(tb, shared.err)
		return nil
	}
	return shared.srv
}

// Main runs the tests of a package and stops the shared server, if any,
// before exiting. Use it as the body of TestMain:
//
//	func TestMain(m *testing.M) { moto.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	os.Exit(code)
}

// errMissing marks a moto_server that is not installed.
var errMissing = errors.New("moto_server is not on PATH (install it with: pip install 'moto[server]')")

// InCI reports whether the environment variable CI is set to true, as CI
// services do.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

func failOrSkip(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, errMissing) && !InCI() {
		tb.Skipf("skipping: %v; with CI=true this is a failure", err)
	}
	tb.Fatalf("moto: %v", err)
}

// start launches moto_server, retrying on a fresh port if the one picked was
// taken in the meantime.
func start() (*Server, error) {
	bin, err := exec.LookPath(Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMissing, err)
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := startOnce(bin, "127.0.0.1", port)
		if err == nil || attempt == 3 {
			return s, err
		}
	}
}

func startOnce(bin, host string, port int) (*Server, error) {
	s := &Server{
		URL:    "http://" + net.JoinHostPort(host, strconv.Itoa(port)),
		out:    &syncbuf.Buffer{},
		exited: make(chan struct{}),
	}
	s.cmd = exec.Command(bin, "-H", host, "-p", strconv.Itoa(port))
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	setProcAttr(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(StartTimeout); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\n%s output:\n%s", err, Binary, s.out.String())
	}
	return s, nil
}

// waitReady polls the server until it answers any HTTP request.
func (s *Server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before answering (%v)", Binary, s.cmd.ProcessState)
		default:
		}
		resp, err := client.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			// Another server may have taken the port between freePort and
			// moto's bind: only moto answers 200 here, and ours must still
			// be running (a moto that lost the port exits).
			if resp.StatusCode == http.StatusOK {
				select {
				case <-s.exited:
					return fmt.Errorf("%s exited after the port answered (%v): another server has the port", Binary, s.cmd.ProcessState)
				case <-time.After(100 * time.Millisecond):
					return nil
				}
			}
			err = fmt.Errorf("the port answered HTTP %d: another server has it", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer on %s within %v: %w", Binary, s.URL, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server and everything it started (its process group): a
// SIGTERM, then SIGKILL if it has not exited within 3 seconds. It is safe to
// call more than once.
func (s *Server) Stop() {
	s.stop.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		signalGroup(s.cmd, false)
		select {
		case <-s.exited:
		case <-time.After(3 * time.Second):
			signalGroup(s.cmd, true)
			<-s.exited
		}
	})
}

// Output returns what the server has written so far (its request log), for
// debugging a failing test.
func (s *Server) Output() string { return s.out.String() }

// Config returns an aws.Config that sends every service's requests to the
// server, with static dummy credentials and region us-east-1. It reads
// nothing from the environment or the shared AWS files.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		BaseEndpoint: aws.String(s.URL),
	}
}

// EndpointEnv lists the environment variables SetEnv points at the server.
var EndpointEnv = []string{
	"AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_SECRETS_MANAGER",
	"AWS_ENDPOINT_URL_SQS",
	"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
	"AWS_ENDPOINT_URL_DYNAMODB",
}

// SetEnv points the AWS SDK's environment at the server for the rest of tb,
// as a Lambda builds its configuration with config.LoadDefaultConfig: the
// AWS_ENDPOINT_URL variables in EndpointEnv, dummy static credentials,
// region us-east-1, and empty shared config files so that nothing from the
// host's ~/.aws applies. It uses tb.Setenv, so tb and its parents must not
// be parallel.
func (s *Server) SetEnv(tb testing.TB) {
	tb.Helper()
	for _, k := range EndpointEnv {
		tb.Setenv(k, s.URL)
	}
	dir := tb.TempDir()
	empty := dir + "/empty"
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		tb.Fatalf("moto: %v", err)
	}
	for k, v := range map[string]string{
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS":    "",
		"AWS_ACCESS_KEY_ID":                      AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":                  SecretAccessKey,
		"AWS_SESSION_TOKEN":                      "",
		"AWS_PROFILE":                            "",
		"AWS_DEFAULT_PROFILE":                    "",
		"AWS_REGION":                             Region,
		"AWS_DEFAULT_REGION":                     Region,
		"AWS_CONFIG_FILE":                        empty,
		"AWS_SHARED_CREDENTIALS_FILE":            empty,
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_ROLE_ARN":                           "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	} {
		tb.Setenv(k, v)
	}
}

// Reset clears all of the server's state (POST /moto-api/reset). Do not use
// it on a Shared server while other tests may run.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// UniqueName returns a resource name made of prefix, tb's name and a random
// suffix, using only letters, digits, '-' and '_' (valid for secrets,
// queues and user pools), at most 64 bytes long.
func UniqueName(tb testing.TB, prefix string) string {
	tb.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("moto: %v", err)
	}
	name := strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return r
		}
		return '-'
	}, tb.Name())
	suffix := "-" + hex.EncodeToString(b[:])
	if prefix != "" {
		name = prefix + "-" + name
	}
	if max := 64 - len(suffix); len(name) > max {
		name = name[:max]
	}
	return name + suffix
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
