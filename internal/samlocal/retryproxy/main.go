// Command retryproxy is the userland proxy of the Docker daemon that
// `make sam-local` starts (dockerd --userland-proxy-path): it forwards a
// published TCP port to a container, as Docker's own docker-proxy does, and
// takes the same flags, but it keeps trying to reach the container for a
// few seconds instead of resetting the connection at once.
//
// Why: with --iptables=false every published port goes through the
// userland proxy, which accepts connections before the container listens.
// SAM's readiness check connects to the published port, so it passes at
// once, and under qemu the Lambda runtime interface emulator in an arm64
// container takes about half a second to listen: docker-proxy would reset
// SAM's invoke request, and SAM then waits out the function's whole
// timeout and prints "No response from invoke container".
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// dialFor is how long a connection waits for the container to listen.
const dialFor = 15 * time.Second

func main() {
	proto := flag.String("proto", "tcp", "proxy protocol")
	hostIP := flag.String("host-ip", "", "host ip")
	hostPort := flag.Int("host-port", -1, "host port")
	containerIP := flag.String("container-ip", "", "container ip")
	containerPort := flag.Int("container-port", -1, "container port")
	flag.Parse()

	// dockerd reads the outcome of the start from fd 3: "0\n", or "1\n"
	// and the error.
	parent := os.NewFile(3, "signal-parent")
	fail := func(err error) {
		fmt.Fprintf(parent, "1\n%s", err)
		parent.Close()
		os.Exit(1)
	}
	if *proto != "tcp" {
		fail(fmt.Errorf("retryproxy: only tcp, not %s", *proto))
	}
	backend := net.JoinHostPort(*containerIP, strconv.Itoa(*containerPort))
	ln, err := net.Listen("tcp", net.JoinHostPort(*hostIP, strconv.Itoa(*hostPort)))
	if err != nil {
		fail(err)
	}
	fmt.Fprint(parent, "0\n")
	parent.Close()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		ln.Close()
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go forward(c, backend)
	}
}

func forward(c net.Conn, backend string) {
	defer c.Close()
	var b net.Conn
	for deadline := time.Now().Add(dialFor); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if b, err = net.DialTimeout("tcp", backend, time.Second); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return
		}
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(b, c)
	go pipe(c, b)
	<-done
	<-done
}
