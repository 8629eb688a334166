package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/chatsync/chat-lambdas/internal/moto"
	"github.com/chatsync/chat-lambdas/pkg/chatemu"
)

// The app the benchmarks use: the key of the UserSig known answers (see
// pkg/usersig's tests).
const (
	AppID = 1400000000
	Key   = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
)

// SecretString is the admin secret as stored in Secrets Manager.
const SecretString = `{"sdkAppId":1400000000,"secretKey":"` + Key + `","adminIdentifier":"administrator"}`

// AWS is a moto_server holding the functions' secret and queues.
type AWS struct {
	Moto     *moto.Server
	SecretID string
	RetryURL string
	DLQURL   string
}

// StartAWS starts a moto_server for tb (skipping tb when it is missing,
// failing it under CI=true) and creates the secret and both queues.
func StartAWS(tb testing.TB) *AWS {
	tb.Helper()
	srv := moto.Start(tb)
	ctx := context.Background()
	cfg := srv.Config()
	a := &AWS{Moto: srv, SecretID: moto.UniqueName(tb, "chat-admin")}
	if _, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(a.SecretID), SecretString: aws.String(SecretString),
	}); err != nil {
		tb.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg)
	for _, u := range []*string{&a.RetryURL, &a.DLQURL} {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(moto.UniqueName(tb, "q"))})
		if err != nil {
			tb.Fatal(err)
		}
		*u = *out.QueueUrl
	}
	return a
}

// Env returns the environment of a function process: the AWS SDK pointed
// at moto with dummy credentials and nothing read from ~/.aws, the secret,
// and CHAT_BASE_URL. queues adds the retry and dead-letter queues, as the
// deployed import function has them.
func (a *AWS) Env(chatBaseURL string, queues bool) []string {
	env := []string{
		"CHAT_SECRET_ID=" + a.SecretID,
		"CHAT_BASE_URL=" + chatBaseURL,
		"AWS_ENDPOINT_URL=" + a.Moto.URL,
		"AWS_REGION=" + moto.Region,
		"AWS_ACCESS_KEY_ID=" + moto.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + moto.SecretAccessKey,
		"AWS_SESSION_TOKEN=",
		// This machine's shell may point these at the host's CA bundle
		// (AWS_CA_BUNDLE makes the SDK parse it at init) or at a proxy;
		// Lambda sets none of them.
		"AWS_CA_BUNDLE=",
		"SSL_CERT_FILE=",
		"SSL_CERT_DIR=",
		"HTTP_PROXY=", "HTTPS_PROXY=", "NO_PROXY=", "http_proxy=", "https_proxy=", "no_proxy=",
		"GODEBUG=", "GOGC=", "GOMAXPROCS=",
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"TZ=:UTC", // as Lambda sets it
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_FUNCTION_NAME=bench",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
	}
	if queues {
		env = append(env, "RETRY_QUEUE_URL="+a.RetryURL, "DEAD_LETTER_QUEUE_URL="+a.DLQURL)
	}
	return env
}

// Far is a Chat emulator served over TLS behind a Proxy that adds a
// round-trip time, and the file of the CA a function process must trust to
// reach it (for SSL_CERT_FILE).
type Far struct {
	Emu    *chatemu.Running
	Proxy  *Proxy
	URL    string // https://127.0.0.1:port of the proxy
	CAFile string
}

// StartFar starts a TLS emulator with opts behind a proxy adding rtt, and
// writes the emulator's certificate as a PEM file into dir.
func StartFar(opts chatemu.Options, rtt time.Duration, dir string) (*Far, error) {
	emu, err := chatemu.StartTLS(opts)
	if err != nil {
		return nil, err
	}
	f := &Far{Emu: emu}
	u, err := url.Parse(emu.URL)
	if err != nil {
		f.Close()
		return nil, err
	}
	pemBytes, err := certPEM(u.Host, emu.CertPool())
	if err != nil {
		f.Close()
		return nil, err
	}
	caDir := filepath.Join(dir, "ca")
	if err := os.MkdirAll(caDir, 0o755); err != nil {
		f.Close()
		return nil, err
	}
	f.CAFile = filepath.Join(caDir, "chatemu-ca.pem")
	if err := os.WriteFile(f.CAFile, pemBytes, 0o644); err != nil {
		f.Close()
		return nil, err
	}
	if f.Proxy, err = StartProxy(u.Host, rtt); err != nil {
		f.Close()
		return nil, err
	}
	f.URL = "https://" + f.Proxy.Addr()
	return f, nil
}

// Env returns the variables that make a function process call the far
// emulator and trust its certificate: Go reads SSL_CERT_FILE and every file
// in SSL_CERT_DIR on Linux, so the directory holds the certificate alone.
func (f *Far) Env() []string {
	return []string{"CHAT_BASE_URL=" + f.URL, "SSL_CERT_FILE=" + f.CAFile, "SSL_CERT_DIR=" + filepath.Dir(f.CAFile)}
}

// Close stops the proxy and the emulator.
func (f *Far) Close() {
	if f.Proxy != nil {
		f.Proxy.Close()
	}
	f.Emu.Close()
}

// certPEM fetches the certificate a TLS server at addr presents, checks
// that roots trust it, and returns it PEM-encoded. chatemu exposes only a
// CertPool, which cannot be written out, so the certificate is taken from a
// handshake.
func certPEM(addr string, roots *x509.CertPool) ([]byte, error) {
	if roots == nil {
		return nil, errors.New("the emulator does not serve TLS")
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, errors.New("no certificate presented")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs[0].Raw}), nil
}
