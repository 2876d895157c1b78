// Command godebug shows how the GODEBUG setting multipathtcp turns MPTCP on
// in a Go program that was not written for it: one that calls plain
// net.Listen and net.Dial. Go does not go through libc, so mptcpize, which
// preloads a library that rewrites socket(), has no effect on it; this
// setting is the way to force MPTCP from outside.
//
// The example runs itself as a child, once with GODEBUG unset and once for
// each value, and prints which sockets the kernel made MPTCP, as
// getsockopt(SOL_SOCKET, SO_PROTOCOL) reports them, and what the
// connection became (mptcp.StatusOf of the client end):
//
//	multipathtcp=0   neither the listener nor the dialer uses MPTCP
//	multipathtcp=1   both use MPTCP
//	multipathtcp=2   the listener only
//	multipathtcp=3   the dialer only; the server's plain TCP listener then
//	                 makes the client's MPTCP socket fall back to TCP
//
// Unset, the default follows the go line of the main module's go.mod: from
// go 1.24 on it is 2, an MPTCP listener and a TCP dialer (before, 0). This
// module says go 1.25.0. A `//go:debug multipathtcp=1` line in the main
// package changes the default the same way.
//
//	go run ./examples/godebug
//
// With -child it is the plain program: it listens on loopback, dials itself,
// prints one line of socket protocols and exits (with -hold, once its
// standard input is closed, so that the sockets can be looked at meanwhile).
//
//	GODEBUG=multipathtcp=3 go run ./examples/godebug -child
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
)

// settings are the values the parent runs the child with; "" leaves
// GODEBUG unset.
var settings = []string{"", "0", "1", "2", "3"}

func main() {
	child := flag.Bool("child", false, "be the plain net.Listen and net.Dial program")
	hold := flag.Bool("hold", false, "with -child, keep the sockets open until standard input is closed")
	flag.Parse()
	log.SetFlags(0)
	var err error
	if *child {
		err = runChild(os.Stdout, *hold)
	} else {
		err = runTable(os.Stdout)
	}
	if err != nil {
		log.Fatalf("godebug: %v", err)
	}
}

// program is an ordinary Go server and client on loopback: nothing in it
// asks for MPTCP.
func program() (ln net.Listener, client, server net.Conn, err error) {
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, nil, nil, err
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		ln.Close()
		return nil, nil, nil, err
	}
	return ln, client, server, nil
}

// runChild runs program and prints the SO_PROTOCOL of its three sockets
// and the status of the connection, as
// "listener 262, client 6, accepted 6, connection tcp".
func runChild(w io.Writer, hold bool) error {
	ln, client, server, err := program()
	if err != nil {
		return err
	}
	defer ln.Close()
	defer client.Close()
	defer server.Close()
	var protos [3]int
	for i, c := range []syscall.Conn{ln.(*net.TCPListener), client.(*net.TCPConn), server.(*net.TCPConn)} {
		if protos[i], err = lab.Protocol(c); err != nil {
			return err
		}
	}
	st, err := mptcp.StatusOf(client.(*net.TCPConn))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "listener %d, client %d, accepted %d, connection %s\n", protos[0], protos[1], protos[2], st)
	if hold {
		io.Copy(io.Discard, os.Stdin)
	}
	return nil
}

// runTable runs this program as a child for each of settings and prints a
// table of what each made MPTCP.
func runTable(w io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GODEBUG\tlistener\tclient\taccepted\tconnection")
	for _, v := range settings {
		cmd := exec.Command(self, "-child")
		cmd.Env = withoutGODEBUG(os.Environ())
		label := "(not set)"
		if v != "" {
			label = "multipathtcp=" + v
			cmd.Env = append(cmd.Env, "GODEBUG="+label)
		}
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("child with GODEBUG %s: %v", label, err)
		}
		var l, c, a int
		var st string
		if _, err := fmt.Sscanf(string(out), "listener %d, client %d, accepted %d, connection %s", &l, &c, &a, &st); err != nil {
			return fmt.Errorf("child with GODEBUG %s printed %q: %v", label, out, err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", label, kind(l), kind(c), kind(a), st)
	}
	return tw.Flush()
}

// kind names a socket's protocol in the table.
func kind(proto int) string {
	switch proto {
	case lab.ProtoMPTCP:
		return "MPTCP"
	case lab.ProtoTCP:
		return "TCP"
	}
	return fmt.Sprint(proto)
}

// withoutGODEBUG returns env without its GODEBUG variable.
func withoutGODEBUG(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			out = append(out, kv)
		}
	}
	return out
}
