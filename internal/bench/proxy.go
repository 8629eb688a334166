package bench

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy is a TCP proxy on a loopback port that makes the server behind it
// look far away: it adds a round-trip time (RTT) to every exchange, as a
// function in us-east-1 sees Chat's servers in Singapore.
//
// The model:
//
//   - Each direction of each connection is a delay line of RTT/2: bytes read
//     from one side at time t are written to the other at t + RTT/2. The
//     delay is per segment, not cumulative, so a stream of segments arrives
//     spread out as it was sent, only later (unlimited bandwidth, no loss).
//   - The TCP handshake costs one RTT before the client's first byte can
//     leave. On loopback the kernel completes the handshake before the proxy
//     sees the connection, so connect returns at once; the proxy charges the
//     handshake instead by holding the client's bytes until one RTT after it
//     accepted the connection. What the client observes end to end is the
//     same as on a real path: a connection dialled at t0 delivers its first
//     byte to the server at t0 + 1.5 RTT, and an HTTPS request sent on a new
//     connection is answered after 3 RTT (TCP, TLS 1.3, the request) plus
//     the server's own time.
//   - A half-close (FIN) travels the same delay line as data.
type Proxy struct {
	ln     net.Listener
	target string
	rtt    time.Duration

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// StartProxy listens on a free port of 127.0.0.1 and forwards every
// connection to target (host:port), adding rtt as described on Proxy.
func StartProxy(target string, rtt time.Duration) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, rtt: rtt, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// RTT returns the round-trip time the proxy adds.
func (p *Proxy) RTT() time.Duration { return p.rtt }

// Close stops accepting, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		accepted := time.Now()
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				return
			}
			if !p.track(s) {
				return
			}
			defer p.untrack(s)
			var pipes sync.WaitGroup
			pipes.Go(func() { p.pipe(s, c, accepted.Add(p.rtt)) })
			pipes.Go(func() { p.pipe(c, s, time.Time{}) })
			pipes.Wait()
		}()
	}
}

// segment is a chunk of a stream and when it may be delivered; nil data is
// the end of the stream.
type segment struct {
	data []byte
	at   time.Time
}

// pipe copies src to dst through a delay line of RTT/2; no byte leaves
// before notBefore + RTT/2.
func (p *Proxy) pipe(dst, src net.Conn, notBefore time.Time) {
	oneWay := p.rtt / 2
	line := make(chan segment, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		broken := false
		for seg := range line {
			if broken {
				continue
			}
			if d := time.Until(seg.at); d > 0 {
				time.Sleep(d)
			}
			if seg.data == nil {
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
				} else {
					dst.Close()
				}
				continue
			}
			if _, err := dst.Write(seg.data); err != nil {
				broken = true
				src.Close() // the reader below stops
			}
		}
	}()
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		now := time.Now()
		if now.Before(notBefore) {
			now = notBefore
		}
		if n > 0 {
			line <- segment{data: buf[:n], at: now.Add(oneWay)}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				line <- segment{at: now.Add(oneWay)}
			} else {
				dst.Close()
			}
			break
		}
	}
	close(line)
	<-done
}
