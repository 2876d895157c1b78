// Command lb-server shows how an MPTCP server behind a layer-4 load balancer
// steers the joins of its clients away from the shared address and port:
// it refuses joins to the address and port a connection started on (the C
// flag) and announces an address with a port of its own, where the client
// joins instead.
//
//	sudo go run ./examples/lb-server
//	sudo go run ./examples/lb-server -plain   # a server without that setup
//	sudo go run ./examples/lb-server -hold    # then look with ss -Mtin
//
// It builds a client and a server network namespace joined by two paths.
// The client is set up as a desktop client usually is: a subflow endpoint
// for its path-2 address (bound to the path-2 device) and the default
// limits. The server's operator writes net.mptcp.allow_join_initial_addr_port=0
// in the server's namespace (the example does that for the operator; the
// library never changes sysctls), so the server's MP_CAPABLE carries the C
// flag, and adds a signal endpoint for the server's path-2 address with port
// 10100, through the pm package. The client's add_addr_accepted stays 0:
// from a peer that set the C flag, Linux uses one announced address anyway,
// with the client's subflow endpoints. It sends data over one MPTCP
// connection to 198.18.1.2:5201, which stands for the load balancer's
// shared address, and prints where the client's join went, the server's
// join counters and the subflows. With -plain the server keeps the
// defaults: the client joins 198.18.1.2:5201, which behind a load balancer
// could reach another backend. -hold keeps the connection open until Enter
// or Ctrl-C. -size and -rate set the bytes sent and the rate of each path.
// It removes the namespaces when it ends, also on Ctrl-C. It needs root.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"time"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// labPrefix names the namespaces; the pid after it lets a later run remove
// what a killed run left.
const labPrefix = "mptcpex-lb-"

// joinPort is the server's dedicated port for joins.
const joinPort = 10100

func main() {
	plain := flag.Bool("plain", false, "leave the server's defaults: joins go to the initial address and port")
	hold := flag.Bool("hold", false, "keep the connection open until Enter or Ctrl-C")
	lab.Main(labPrefix, 4<<20, func(l *lab.Lab, size int) error {
		p2 := l.Paths[1]
		// The client: one subflow endpoint and the limits of a fresh
		// namespace, spelt out.
		if err := l.SetLimits(2, 0, l.Client); err != nil {
			return err
		}
		if err := l.AddEndpoint(l.Client, p2, pm.FlagSubflow); err != nil {
			return err
		}
		if err := l.SetLimits(1, 0, l.Server); err != nil {
			return err
		}
		if err := setUp(l, !*plain); err != nil {
			return err
		}

		c, err := l.Transfer(size, nil)
		if err != nil {
			return err
		}
		if err := printJoins(l, c); err != nil {
			return err
		}
		return l.PrintAndHold(c, *hold)
	})
}

// printJoins waits for the client's join and says where it went, then
// prints how many announced addresses the client used, by MPTCP_INFO, and
// the server's join counters.
func printJoins(l *lab.Lab, c *lab.Conn) error {
	sfs, err := lab.WaitSubflows(c, 2, 2*time.Second)
	if err != nil {
		return err
	}
	initial := netip.AddrPortFrom(l.Paths[0].B4, lab.Port)
	for _, sf := range sfs[1:] {
		where := "the dedicated port"
		if sf.Remote == initial {
			where = "the initial address and port (behind a load balancer: its shared one)"
		}
		fmt.Printf("join: subflow %d from %v to %v, %s\n", sf.ID, sf.Local.Addr(), sf.Remote, where)
	}
	if len(sfs) < 2 {
		fmt.Println("join: none within 2s")
	}
	info, err := mptcp.InfoOf(c.Client)
	if err != nil {
		return err
	}
	fmt.Printf("client: announced addresses used %d, limit %d\n", info.AddAddrAccepted, info.LimitAddAddrAccepted)
	for _, name := range []string{"MPTcpExtMPJoinSynRx", "MPTcpExtMPJoinPortSynRx"} {
		n, err := l.Server.Counter(name)
		if err != nil {
			return err
		}
		fmt.Printf("server: %s %d\n", name, n)
	}
	return nil
}

// setUp does what the server's operator does behind a load balancer, if
// lb is true: it refuses joins to the initial address and port, and
// announces the server's own address on path 2 with the dedicated port.
// Either way it prints the sysctl that says whether such joins are allowed.
func setUp(l *lab.Lab, lb bool) error {
	const key = "net.mptcp.allow_join_initial_addr_port"
	note := "the default: joins to %v:%d allowed"
	if lb {
		if err := l.Server.SetSysctl(key, "0"); err != nil {
			return err
		}
		note = "the operator's setting: no joins to %v:%d"
	}
	v, err := l.Server.Sysctl(key)
	if err != nil {
		return err
	}
	fmt.Printf("server: %s = %s (%s)\n", key, v, fmt.Sprintf(note, l.Paths[0].B4, lab.Port))
	if !lb {
		return nil
	}
	c, err := l.PM(l.Server)
	if err != nil {
		return err
	}
	defer c.Close()
	ep, err := c.AddEndpoint(pm.Endpoint{Addr: l.Paths[1].B4, Port: joinPort, Flags: pm.FlagSignal})
	if err == nil {
		fmt.Printf("pm: server endpoint %v port %d id %d %v\n", ep.Addr, ep.Port, ep.ID, ep.Flags)
	}
	return err
}
