// Command laminar shows a laminar endpoint (Linux 6.18): when the server
// announces an address, the client's path manager opens the subflow to it
// from the laminar endpoint's address and device, instead of from the
// address its routing table picks. Each laminar endpoint serves at most one
// subflow of a connection.
//
//	sudo go run ./examples/laminar
//	sudo go run ./examples/laminar -laminar=false   # routing picks the address
//	sudo go run ./examples/laminar -hold            # then look with ss -Mtin
//
// It builds a client and a server network namespace joined by two paths.
// The server gets a third address, 198.18.3.2 on its path-2 device, and a
// signal endpoint that announces it; the client gets a default route over
// path 1, as a host whose first interface has the default route, so that
// routing would reach 198.18.3.2 over path 1. With a laminar endpoint for
// the client's path-2 address (bound to the path-2 device) the subflow to
// the announced address leaves from 198.18.2.1 over path 2 instead. Both
// hosts allow one extra subflow and the client accepts one announced
// address, all set through the pm package. It sends data over one MPTCP
// connection and prints which local address the subflow to the announced
// address uses, the client's endpoints and the subflows; with -hold it then
// keeps the connection open until Enter or Ctrl-C. On a kernel without
// laminar endpoints it says "laminar endpoints need Linux 6.18" and exits
// with status 0. -size and -rate set the bytes sent and the rate of each
// path. It removes the namespaces when it ends, also on Ctrl-C. It needs
// root.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/internal/netlab"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// labPrefix names the namespaces; the pid after it lets a later run remove
// what a killed run left.
const labPrefix = "mptcpex-lam-"

// announced is the server's extra address, which it announces.
var announced = netip.MustParseAddr("198.18.3.2")

// needs is what the example says, and all it does, on a kernel without
// laminar endpoints.
const needs = "laminar endpoints need Linux 6.18"

func main() {
	laminar := flag.Bool("laminar", true, "give the client a laminar endpoint for its path-2 address")
	hold := flag.Bool("hold", false, "keep the connection open until Enter or Ctrl-C")
	lab.Main(labPrefix, 4<<20, func(l *lab.Lab, size int) error {
		if *laminar && !kernelAtLeast(6, 18) {
			fmt.Println(needs)
			return nil
		}
		p1, p2 := l.Paths[0], l.Paths[1]
		if _, err := l.Server.Run("ip", "addr", "add", announced.String()+"/32", "dev", p2.IfB); err != nil {
			return err
		}
		fmt.Printf("server: extra address %v on %s\n", announced, p2.IfB)
		if _, err := l.Client.Run("ip", "route", "add", "default", "via", p1.B4.String(), "dev", p1.IfA); err != nil {
			return err
		}
		fmt.Printf("client: default route via %v dev %s (path 1)\n", p1.B4, p1.IfA)

		if err := l.SetLimits(1, 0, l.Server); err != nil {
			return err
		}
		if err := announce(l); err != nil {
			return err
		}
		if err := l.SetLimits(1, 1, l.Client); err != nil {
			return err
		}
		if *laminar {
			if err := l.AddEndpoint(l.Client, p2, pm.FlagLaminar); err != nil {
				return err
			}
			if ok, err := keptLaminar(l); err != nil {
				return err
			} else if !ok {
				fmt.Println(needs) // the kernel dropped the flag
				return nil
			}
		}

		c, err := l.Transfer(size, nil)
		if err != nil {
			return err
		}
		if err := printJoin(c, p1, p2); err != nil {
			return err
		}
		if err := l.PrintEndpoints(l.Client); err != nil {
			return err
		}
		return l.PrintAndHold(c, *hold)
	})
}

// printJoin waits for the client's subflow to the announced address and
// says which local address it uses, and over which path, after the
// connection's laminar-endpoint and announcement counts of MPTCP_INFO.
func printJoin(c *lab.Conn, p1, p2 *netlab.Path) error {
	sfs, err := lab.WaitSubflows(c, 2, 2*time.Second)
	if err != nil {
		return err
	}
	info, err := mptcp.InfoOf(c.Client)
	if err != nil {
		return err
	}
	fmt.Printf("client: laminar endpoints %d, announced addresses used %d\n", info.EndpLaminarMax, info.AddAddrAccepted)
	for _, sf := range sfs {
		if sf.Remote.Addr() != announced {
			continue
		}
		how := ""
		switch sf.Local.Addr() {
		case p2.A4:
			how = ", path 2 (the laminar endpoint)"
		case p1.A4:
			how = ", path 1 (routing's choice)"
		}
		fmt.Printf("subflow to the announced %v: from %v%s\n", announced, sf.Local.Addr(), how)
		return nil
	}
	fmt.Printf("no subflow to the announced %v\n", announced)
	return nil
}

// announce gives the server a signal endpoint for the announced address
// and prints it.
func announce(l *lab.Lab) error {
	c, err := l.PM(l.Server)
	if err != nil {
		return err
	}
	defer c.Close()
	ep, err := c.AddEndpoint(pm.Endpoint{Addr: announced, Flags: pm.FlagSignal})
	if err == nil {
		fmt.Printf("pm: server endpoint %v id %d %v\n", ep.Addr, ep.ID, ep.Flags)
	}
	return err
}

// keptLaminar reports whether an endpoint of the client has the laminar
// flag: a kernel that does not know it drops it (6.18.y and later stable
// kernels) or stores it unused (older ones; kernelAtLeast catches those).
func keptLaminar(l *lab.Lab) (bool, error) {
	c, err := l.PM(l.Client)
	if err != nil {
		return false, err
	}
	defer c.Close()
	eps, err := c.Endpoints()
	for _, ep := range eps {
		if ep.Flags&pm.FlagLaminar != 0 {
			return true, err
		}
	}
	return false, err
}

// kernelAtLeast reports whether the running kernel's release is at least
// major.minor.
func kernelAtLeast(major, minor int) bool {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return false
	}
	f := strings.FieldsFunc(string(b), func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		return false
	}
	maj, _ := strconv.Atoi(f[0])
	mnr, _ := strconv.Atoi(f[1])
	return maj > major || maj == major && mnr >= minor
}
