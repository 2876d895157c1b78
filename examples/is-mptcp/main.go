// Command is-mptcp shows how to tell whether a connection uses MPTCP, fell
// back to TCP, or was plain TCP from the start. For four connection ends on
// loopback it makes, itself, the three getsockopt calls the kernel offers,
// applies the rule that combines them, and compares the verdict with
// mptcp.StatusOf (which does the same for you) and with the standard
// library's net.TCPConn.MultipathTCP.
//
//	go run ./examples/is-mptcp
//	go run ./examples/is-mptcp -6
//
// The ends are: an MPTCP client connected to an MPTCP server, the server's
// end of that connection, an MPTCP client connected to a plain TCP server
// (it falls back), and the server's end of a plain TCP client on an MPTCP
// listener (a plain TCP socket). The calls are getsockopt(SOL_TCP,
// TCP_IS_MPTCP) (Linux 6.10), a 4-byte getsockopt(SOL_MPTCP, MPTCP_INFO)
// (5.16; it fails once the connection is TCP) and getsockopt(SOL_SOCKET,
// SO_PROTOCOL) (262 for a socket created as MPTCP, fallen back or not).
// -6 uses ::1, where a fallen-back socket answers MPTCP_INFO with
// ENOPROTOOPT instead of EOPNOTSUPP. It needs Linux and no privileges.
//
// The plain TCP server is a net.ListenConfig with SetMultipathTCP(false): in
// a module whose go directive is 1.24 or later, a plain net.Listen creates
// an MPTCP listener.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"

	"github.com/multipath-dev/go/mptcp"
)

// dialer is what mptcp.Dialer and net.Dialer have in common.
type dialer interface {
	Dial(network, address string) (net.Conn, error)
}

func main() {
	v6 := flag.Bool("6", false, "use IPv6 loopback (::1)")
	flag.Parse()
	log.SetFlags(0)
	if flag.NArg() > 0 {
		log.Fatalf("is-mptcp: unexpected arguments %q", flag.Args())
	}
	addr := "127.0.0.1:0"
	if *v6 {
		addr = "[::1]:0"
	}
	if err := run(os.Stdout, addr); err != nil {
		log.Fatalf("is-mptcp: %v", err)
	}
}

func run(w io.Writer, addr string) error {
	ctx := context.Background()
	mptcpLn, err := (&mptcp.ListenConfig{Policy: mptcp.Require}).Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer mptcpLn.Close()
	var plain net.ListenConfig
	plain.SetMultipathTCP(false) // net.Listen would make an MPTCP listener
	tcpLn, err := plain.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer tcpLn.Close()
	var plainDialer net.Dialer
	plainDialer.SetMultipathTCP(false) // the default, said out loud

	mc, ms, err := connect(&mptcp.Dialer{}, mptcpLn)
	if err != nil {
		return err
	}
	fc, _, err := connect(&mptcp.Dialer{}, tcpLn)
	if err != nil {
		return err
	}
	_, ts, err := connect(&plainDialer, mptcpLn)
	if err != nil {
		return err
	}
	for _, end := range []struct {
		what string
		conn *net.TCPConn
	}{
		{"MPTCP client to an MPTCP server, client end", mc},
		{"MPTCP client to an MPTCP server, server end", ms},
		{"MPTCP client to a plain TCP server, client end", fc},
		{"plain TCP client to an MPTCP listener, server end", ts},
	} {
		if err := show(w, end.what, end.conn); err != nil {
			return err
		}
	}
	return nil
}

// connect dials ln with d, sends a byte so that both ends have completed
// their handshake, and returns both ends. They are closed when the program
// ends.
func connect(d dialer, ln net.Listener) (client, server *net.TCPConn, err error) {
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	s := <-accepted
	if s == nil {
		return nil, nil, errors.New("accept failed")
	}
	if _, err := c.Write([]byte{1}); err != nil {
		return nil, nil, err
	}
	if _, err := s.Read(make([]byte, 1)); err != nil {
		return nil, nil, err
	}
	return c.(*net.TCPConn), s.(*net.TCPConn), nil
}

// show prints what the three calls returned on c, the verdict of the rule,
// and what the library and the standard library say.
func show(w io.Writer, what string, c *net.TCPConn) error {
	r, err := probe(c)
	if err != nil {
		return err
	}
	st, err := mptcp.StatusOf(c)
	if err != nil {
		return err
	}
	std, err := c.MultipathTCP()
	if err != nil {
		return err
	}
	agree := "agree"
	if st != r.status || (st == mptcp.StatusMPTCP) != std {
		agree = "DISAGREE"
	}
	fmt.Fprintf(w, "%s:\n", what)
	fmt.Fprintf(w, "  getsockopt(SOL_TCP, TCP_IS_MPTCP)    %s\n", r.isMPTCP)
	fmt.Fprintf(w, "  getsockopt(SOL_MPTCP, MPTCP_INFO)    %s\n", r.info)
	fmt.Fprintf(w, "  getsockopt(SOL_SOCKET, SO_PROTOCOL)  %s\n", r.protocol)
	fmt.Fprintf(w, "  rule: %v, decided by %s\n", r.status, r.by)
	fmt.Fprintf(w, "  mptcp.StatusOf %v, net.TCPConn.MultipathTCP %v: %s\n", st, std, agree)
	return nil
}
