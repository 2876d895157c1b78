// Command stdlib uses the standard library's own MPTCP support, the Go
// snippet of the implementation guide written out in full: a server whose
// net.ListenConfig and a client whose net.Dialer have SetMultipathTCP(true),
// exchanging an echo over loopback. It then inspects both ends with the
// mptcp package, which works on any syscall.Conn: StatusOf, InfoOf and
// SubflowsOf, beside what the standard library itself reports,
// TCPConn.MultipathTCP, and the socket's SO_PROTOCOL. It needs no
// privileges.
//
//	go run ./examples/stdlib
//
// With -server-tcp the server calls SetMultipathTCP(false): the client's
// MPTCP socket falls back to TCP, which MultipathTCP reports as false and
// StatusOf as "fallback", and the server's socket is plain TCP, "tcp".
//
// Last, it dials a closed port with both the standard library's Dialer and
// mptcp.Dialer and prints the sockets each made, as a Control hook saw
// them: the standard library retries a failed MPTCP dial, whatever the
// error, as plain TCP, so it connects to a refusing destination twice;
// mptcp.Dialer falls back only when MPTCP itself is unavailable, and
// connects once.
//
//	go run ./examples/stdlib -server-tcp
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
)

func main() {
	serverTCP := flag.Bool("server-tcp", false, "the server calls SetMultipathTCP(false)")
	flag.Parse()
	log.SetFlags(0)
	if flag.NArg() > 0 {
		log.Fatalf("stdlib: unexpected arguments %q", flag.Args())
	}
	if err := run(os.Stdout, !*serverTCP); err != nil {
		log.Fatalf("stdlib: %v", err)
	}
}

func run(w io.Writer, serverMPTCP bool) error {
	ctx := context.Background()

	// The server.
	lc := &net.ListenConfig{}
	lc.SetMultipathTCP(serverMPTCP)
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Fprintf(w, "server: net.ListenConfig with SetMultipathTCP(%v)\n", serverMPTCP)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
		io.Copy(c, c)
	}()

	// The client.
	d := &net.Dialer{}
	d.SetMultipathTCP(true)
	c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintln(w, "client: net.Dialer with SetMultipathTCP(true)")
	if err := lab.EchoCheck(c, "hello"); err != nil {
		return err
	}
	fmt.Fprintln(w, `echo: "hello" came back`)

	s, ok := <-accepted
	if !ok {
		return fmt.Errorf("accept failed")
	}
	defer s.Close()
	fmt.Fprintln(w)
	agree := report(w, "client", c.(*net.TCPConn))
	agree = report(w, "server", s.(*net.TCPConn)) && agree
	if !agree {
		return fmt.Errorf("MultipathTCP and StatusOf disagree")
	}
	fmt.Fprintln(w, "MultipathTCP() and StatusOf agree on both ends")
	fmt.Fprintln(w)
	return refused(w)
}

// refused dials a closed port on loopback with the standard library's
// MPTCP Dialer and with mptcp.Dialer, and prints the sockets each made:
// the standard library retries any failed MPTCP dial as plain TCP, so a
// refused destination is tried twice and the second error is returned.
func refused(w io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()

	var made []string // the protocols of the sockets one dial made
	record := func(_, _ string, c syscall.RawConn) error {
		proto, err := lab.Protocol(rawConn{c})
		made = append(made, lab.ProtocolName(proto))
		return err
	}
	std := &net.Dialer{Control: record}
	std.SetMultipathTCP(true)
	ours := &mptcp.Dialer{Dialer: net.Dialer{Control: record}}
	for _, d := range []struct {
		name string
		dial func(network, address string) (net.Conn, error)
	}{
		{"net.Dialer with SetMultipathTCP(true)", std.Dial},
		{"mptcp.Dialer", ours.Dial},
	} {
		made = nil
		c, err := d.dial("tcp", addr)
		if err == nil {
			c.Close()
			return fmt.Errorf("%s connected to the closed port %s", d.name, addr)
		}
		fmt.Fprintf(w, "closed port, %s: sockets tried: %s\n", d.name, strings.Join(made, ", "))
	}
	return nil
}

// rawConn makes the syscall.RawConn a Control hook is given a
// syscall.Conn.
type rawConn struct{ rc syscall.RawConn }

// SyscallConn returns the RawConn.
func (r rawConn) SyscallConn() (syscall.RawConn, error) { return r.rc, nil }

// report prints what the standard library and the mptcp package say about
// one end, and whether the two agree.
func report(w io.Writer, side string, c *net.TCPConn) bool {
	std, err := c.MultipathTCP()
	if err != nil {
		fmt.Fprintf(w, "%s: MultipathTCP: %v\n", side, err)
		return false
	}
	st, err := mptcp.StatusOf(c)
	if err != nil {
		fmt.Fprintf(w, "%s: StatusOf: %v\n", side, err)
		return false
	}
	proto, err := lab.Protocol(c)
	if err != nil {
		fmt.Fprintf(w, "%s: SO_PROTOCOL: %v\n", side, err)
		return false
	}
	fmt.Fprintf(w, "%s: MultipathTCP() %v, StatusOf %s, SO_PROTOCOL %d (%s)\n",
		side, std, st, proto, lab.ProtocolName(proto))
	agree := std == (st == mptcp.StatusMPTCP)
	info, err := mptcp.InfoOf(c)
	if err != nil {
		// It matches mptcp.ErrNotMPTCP, and mptcp.ErrFallback after a fallback.
		fmt.Fprintf(w, "  InfoOf: %v\n", err)
		return agree
	}
	fmt.Fprintf(w, "  InfoOf: token %08x, %d subflow(s), %d bytes sent, %d received\n",
		info.Token, info.Subflows(), info.BytesSent, info.BytesReceived)
	sfs, err := mptcp.SubflowsOf(c)
	if err != nil {
		fmt.Fprintf(w, "  SubflowsOf: %v\n", err)
		return agree
	}
	for _, sf := range sfs {
		fmt.Fprintf(w, "  subflow %d: %v -> %v %v\n", sf.ID, sf.Local, sf.Remote, sf.State)
	}
	return agree
}
