// Command socket creates an MPTCP socket the way the implementation guide
// teaches: ask the kernel for IPPROTO_MPTCP, and if it refuses, let the
// errno say why and use a plain TCP socket instead. It does so through the
// mptcp package: a Dialer with the Require policy is the MPTCP attempt, whose
// *mptcp.UnavailableError keeps the errno and its Reason, and one with the
// Disable policy is the TCP socket.
//
// It starts an echo server on loopback, connects to it, and prints the
// errno if the MPTCP socket was refused, the protocol of the socket it
// connected with, read back with getsockopt(SOL_SOCKET, SO_PROTOCOL): 262
// (IPPROTO_MPTCP) or 6 (IPPROTO_TCP), and that the echo came back. The
// errnos of a refused MPTCP socket are:
//
//	EINVAL            the kernel is older than 5.6 and has no MPTCP
//	EPROTONOSUPPORT   the kernel (5.6 or later) was built without CONFIG_MPTCP
//	ENOPROTOOPT       the sysctl net.mptcp.enabled is 0 in this network namespace
//	anything else     a security policy (seccomp, an LSM) refused it
//
// In a program, the default policy, Prefer, does all of this in one Dial;
// the example spells the two steps out to show the errno.
//
//	go run ./examples/socket
//
// To see the fallback, as root, in a throwaway network namespace whose
// net.mptcp.enabled is 0:
//
//	unshare -n sh -c 'ip link set lo up && sysctl -qw net.mptcp.enabled=0 && go run ./examples/socket'
package main

import (
	"errors"
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

// errnoNames are the names of the errnos a refused MPTCP socket may carry.
var errnoNames = map[syscall.Errno]string{
	syscall.EINVAL:          "EINVAL",
	syscall.EPROTONOSUPPORT: "EPROTONOSUPPORT",
	syscall.ENOPROTOOPT:     "ENOPROTOOPT",
	syscall.EPERM:           "EPERM",
	syscall.EACCES:          "EACCES",
}

func main() {
	flag.Parse() // no flags, but -h gets a usage line
	log.SetFlags(0)
	if flag.NArg() > 0 {
		log.Fatalf("socket: unexpected arguments %q", flag.Args())
	}
	if err := run(os.Stdout); err != nil {
		log.Fatalf("socket: %v", err)
	}
}

func run(w io.Writer) error {
	ln, err := mptcp.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	go lab.Echo(ln)
	addr := ln.Addr().String()

	// Step 1: an MPTCP socket, and nothing else.
	c, err := (&mptcp.Dialer{Policy: mptcp.Require}).Dial("tcp", addr)
	var ue *mptcp.UnavailableError
	switch {
	case err == nil:
		fmt.Fprintln(w, "MPTCP socket: created")
	case errors.As(err, &ue):
		fmt.Fprintf(w, "MPTCP socket: refused with %s: %s\n", errnoString(ue.Err), ue.Reason)
		// Step 2: the kernel said no, so a plain TCP socket.
		fmt.Fprintln(w, "falling back to a plain TCP socket")
		c, err = (&mptcp.Dialer{Policy: mptcp.Disable}).Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()

	proto, err := lab.Protocol(c.(*net.TCPConn))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "connected with SO_PROTOCOL %d (%s)\n", proto, lab.ProtocolName(proto))

	msg := "hello over " + lab.ProtocolName(proto)
	if err := lab.EchoCheck(c, msg); err != nil {
		return err
	}
	fmt.Fprintf(w, "echo: %q came back\n", msg)
	return nil
}

// errnoString names an errno and gives its number, as in
// "ENOPROTOOPT (errno 92)".
func errnoString(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	name, ok := errnoNames[errno]
	if !ok {
		name = errno.Error()
	}
	return fmt.Sprintf("%s (errno %d)", name, int(errno))
}
