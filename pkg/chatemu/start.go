package chatemu

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"time"
)

// Running is an emulator served on a loopback port. The embedded *Server
// gives access to its accounts and test hooks.
type Running struct {
	*Server

	// URL is the base URL, such as "http://127.0.0.1:41873", with no
	// trailing slash; requests go to URL + Prefix + command.
	URL string

	srv   *http.Server
	roots *x509.CertPool // nil when serving plain HTTP
}

// Start serves a new emulator over plain HTTP on a free port of 127.0.0.1.
// Call Close to stop it.
func Start(opts Options) (*Running, error) { return start(opts, false) }

// StartTLS is like Start but serves HTTPS (HTTP/1.1) with a fresh
// self-signed certificate for 127.0.0.1, ::1 and localhost. Clients trust it
// through Client, ClientTLSConfig or CertPool.
func StartTLS(opts Options) (*Running, error) { return start(opts, true) }

// TB is the part of testing.TB that StartTest uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// StartTest is Start for tests: it fails tb if the emulator cannot start and
// closes it when the test ends.
func StartTest(tb TB, opts Options) *Running {
	tb.Helper()
	r, err := Start(opts)
	if err != nil {
		tb.Fatalf("chatemu: %v", err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

func start(opts Options, useTLS bool) (*Running, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	r := &Running{Server: New(opts)}
	r.srv = &http.Server{
		Handler:           r.Server,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // dropped connections are the point
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if useTLS {
		cert, roots, err := selfSigned()
		if err != nil {
			ln.Close()
			return nil, err
		}
		r.roots = roots
		r.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // HTTP/1.1 only, as Drop needs
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		scheme = "https"
	}
	r.URL = scheme + "://" + ln.Addr().String()
	go r.srv.Serve(ln) // returns http.ErrServerClosed on Close
	return r, nil
}

// Close stops serving and closes every connection, interrupting delayed
// requests.
func (r *Running) Close() error {
	if err := r.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// CertPool returns the pool that trusts a StartTLS emulator's certificate,
// or nil for a plain HTTP one.
func (r *Running) CertPool() *x509.CertPool { return r.roots }

// ClientTLSConfig returns a client TLS configuration that trusts the
// emulator, or nil for a plain HTTP one.
func (r *Running) ClientTLSConfig() *tls.Config {
	if r.roots == nil {
		return nil
	}
	return &tls.Config{RootCAs: r.roots, MinVersion: tls.VersionTLS12}
}

// Client returns a new HTTP client for the emulator, with its own
// keep-alive connection pool, trusting its certificate if it serves HTTPS.
func (r *Running) Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = r.ClientTLSConfig()
	return &http.Client{Transport: t}
}

// selfSigned makes a certificate for the loopback addresses, and a pool that
// trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"chatemu"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}
