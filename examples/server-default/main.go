// Command server-default shows why a server can enable MPTCP by default:
// one MPTCP listener (mptcp.ListenConfig) serves MPTCP clients and plain
// TCP clients alike, and the kernel hands the server an ordinary TCP socket
// for a client that did not ask for MPTCP, so that client pays nothing for
// it.
//
// It starts the listener on loopback, connects to it once with an MPTCP
// client (mptcp.Dialer) and once with a plain TCP one (net.Dialer with
// SetMultipathTCP(false)), has the server echo what each sends, and prints, per
// accepted connection, its mptcp.StatusOf and its SO_PROTOCOL, which on an
// accepted socket tells whether the client asked for MPTCP. It needs no
// privileges.
//
//	go run ./examples/server-default
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"syscall"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
)

func main() {
	flag.Parse() // no flags, but -h gets a usage line
	log.SetFlags(0)
	if flag.NArg() > 0 {
		log.Fatalf("server-default: unexpected arguments %q", flag.Args())
	}
	if err := run(os.Stdout); err != nil {
		log.Fatalf("server-default: %v", err)
	}
}

func run(w io.Writer) error {
	ln, err := (&mptcp.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	proto, err := lab.Protocol(ln.(syscall.Conn))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "listener (mptcp.ListenConfig): SO_PROTOCOL %d (%s)\n", proto, lab.ProtocolName(proto))

	plain := &net.Dialer{}
	plain.SetMultipathTCP(false)
	clients := []struct {
		name string
		dial func(network, address string) (net.Conn, error)
	}{
		{"MPTCP client (mptcp.Dialer)", (&mptcp.Dialer{}).Dial},
		{"TCP client (net.Dialer, SetMultipathTCP(false))", plain.Dial},
	}
	for _, cl := range clients {
		c, err := cl.dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			return err
		}
		defer s.Close()
		go io.Copy(s, s) // the server echoes
		if err := lab.EchoCheck(c, "hello"); err != nil {
			return err
		}
		st, err := mptcp.StatusOf(s.(*net.TCPConn))
		if err != nil {
			return err
		}
		proto, err := lab.Protocol(s.(*net.TCPConn))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s:\n  accepted socket: StatusOf %s, SO_PROTOCOL %d (%s), echo ok\n",
			cl.name, st, proto, lab.ProtocolName(proto))
	}
	return nil
}
