// Command subflows lists the subflows of an MPTCP connection, each with its
// kernel id, addresses, TCP state, round-trip time and byte counters, as one
// atomic MPTCP_FULL_INFO snapshot read through mptcp.Inspector.Snapshot.
//
//	sudo go run ./examples/subflows
//	sudo go run ./examples/subflows -hold   # and compare with ss -Mtin
//	sudo go run ./examples/subflows -older  # the two calls of Linux 5.16-6.4
//
// It builds a client and a server network namespace joined by two paths,
// gives the client a subflow endpoint on path 2 and both hosts a limit of
// one extra subflow, sends -size bytes over one MPTCP connection, waits
// until the connection has two subflows and the server has acknowledged all
// the data, and prints the subflows of both ends. With -hold it keeps the
// connection open until Enter, and prints the `ss -Mtin` command that
// shows the same subflows. It removes the namespaces when it ends, also on
// Ctrl-C. It needs root.
//
// On Linux 6.5 and later the Inspector reads the subflows, their tcp_info
// and the connection's MPTCP_INFO in one MPTCP_FULL_INFO call. On 5.16–6.4
// it combines MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS, two calls between
// which subflows may come or go, and the subflow ids read 0; the package
// has no switch to force that path, so this example says which one the
// kernel allowed. With -older it makes those two calls itself, with raw
// getsockopt calls through golang.org/x/sys/unix, on any kernel that has
// them (5.16 and later), and prints what they give: no subflow ids.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// labPrefix names the namespaces; the pid after it lets a later run remove
// what a killed run left.
const labPrefix = "mptcpex-sfl-"

func main() {
	hold := flag.Bool("hold", false, "keep the connection open until Enter, to compare with ss -Mtin")
	older := flag.Bool("older", false, "read the subflows with MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS, raw getsockopt calls")
	lab.Main(labPrefix, 2<<20, func(l *lab.Lab, size int) error {
		c, err := twoSubflows(l, size)
		if err != nil {
			return err
		}
		for _, end := range []struct {
			name string
			conn *net.TCPConn
		}{{"client", c.Client}, {"server", c.Server}} {
			list := list
			if *older {
				list = listOlder
			}
			if err := list(end.name, end.conn); err != nil {
				return err
			}
		}
		if *hold {
			l.Hold(l.Client)
		}
		return nil
	})
}

// twoSubflows gives both hosts a limit of one extra subflow and the client
// a subflow endpoint on path 2, sends size bytes over one connection, and
// returns it once it has two subflows and its data is acknowledged.
func twoSubflows(l *lab.Lab, size int) (*lab.Conn, error) {
	if err := l.SetLimits(1, 0, l.Server, l.Client); err != nil {
		return nil, err
	}
	if err := l.AddEndpoint(l.Client, l.Paths[1], pm.FlagSubflow); err != nil {
		return nil, err
	}
	c, err := l.Transfer(size, nil)
	if err == nil {
		_, err = lab.WaitSubflows(c, 2, 5*time.Second)
	}
	if err == nil {
		err = settle(c.Client, time.Second)
	}
	return c, err
}

// settle waits up to timeout until the peer has acknowledged at the MPTCP
// level all the data the client sent, so that no retransmission changes
// the counters after they are printed.
func settle(c *net.TCPConn, timeout time.Duration) error {
	in, err := mptcp.NewInspector(c)
	if err != nil {
		return err
	}
	var info mptcp.Info
	for end := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if err := in.Info(&info); err != nil {
			return err
		}
		if !info.Has(mptcp.FieldBytesAcked) || info.BytesAcked >= info.BytesSent || time.Now().After(end) {
			return nil
		}
	}
}

// list prints the subflows of one end of the connection.
func list(name string, c *net.TCPConn) error {
	in, err := mptcp.NewInspector(c)
	if err != nil {
		return err
	}
	var info mptcp.Info
	sfs, err := in.Snapshot(&info, nil)
	if errors.Is(err, mptcp.ErrNotMPTCP) {
		fmt.Printf("%s: not MPTCP: %v\n", name, err)
		return nil
	}
	if err != nil {
		return err
	}
	// The Inspector uses MPTCP_FULL_INFO wherever the kernel has it, and a
	// kernel that has it returns the 6.5 struct mptcp_info, with
	// retransmits.
	how := "MPTCP_TCPINFO + MPTCP_SUBFLOW_ADDRS, two calls (Linux 5.16-6.4)"
	if info.Has(mptcp.FieldRetransmits) {
		how = "MPTCP_FULL_INFO, one atomic call (Linux 6.5+)"
	}
	fmt.Printf("%s: %d subflows, token %08x, from %s\n", name, len(sfs), info.Token, how)
	for _, sf := range sfs {
		fmt.Printf("  id %d: %v -> %v %v, rtt %v, sent %d B, acked %d B, received %d B, retransmitted %d B\n",
			sf.ID, unmap(sf.Local), unmap(sf.Remote), sf.State, sf.RTT,
			sf.BytesSent, sf.BytesAcked, sf.BytesReceived, sf.BytesRetrans)
	}
	return nil
}

// unmap shows an IPv4-mapped IPv6 address, as the server's dual-stack
// listener gives, as IPv4.
func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
