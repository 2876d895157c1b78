// Command fullmesh shows fullmesh endpoints: the client opens a subflow from
// each of its fullmesh addresses to each address of the server it knows, the
// server's initial one and those it announced.
//
//	sudo go run ./examples/fullmesh
//	sudo go run ./examples/fullmesh -hold    # then look with ss -Mtin
//
// It builds a client and a server network namespace joined by two paths,
// gives the client endpoints for its path-1 and path-2 addresses with the
// flags "subflow fullmesh" and the server a signal endpoint for its path-2
// address, and raises the limits (client subflows 4 and add_addr_accepted 1,
// server subflows 4), all through the pm package. It sends data over one
// MPTCP connection, waits for the mesh to form and prints it: each client
// address by each server address. With -hold it then keeps the connection
// open until Enter or Ctrl-C, and prints the `ss` command to look at it.
// -size and -rate set the bytes sent and the rate of each path. It removes
// the namespaces when it ends, also on Ctrl-C. It needs root.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// labPrefix names the namespaces; the pid after it lets a later run remove
// what a killed run left.
const labPrefix = "mptcpex-fm-"

func main() {
	hold := flag.Bool("hold", false, "keep the connection open until Enter or Ctrl-C")
	lab.Main(labPrefix, 4<<20, func(l *lab.Lab, size int) error {
		p1, p2 := l.Paths[0], l.Paths[1]
		if err := l.SetLimits(4, 0, l.Server); err != nil {
			return err
		}
		if err := l.AddEndpoint(l.Server, p2, pm.FlagSignal); err != nil {
			return err
		}
		if err := l.SetLimits(4, 1, l.Client); err != nil {
			return err
		}
		for _, p := range l.Paths {
			if err := l.AddEndpoint(l.Client, p, pm.FlagSubflow|pm.FlagFullmesh); err != nil {
				return err
			}
		}
		c, err := l.Transfer(size, nil)
		if err != nil {
			return err
		}

		sfs, err := lab.WaitSubflows(c, 4, 2*time.Second)
		if err != nil {
			return err
		}
		fmt.Printf("mesh (client address, server address): %d subflows\n", len(sfs))
		fmt.Printf("  %-12s %-12s %s\n", "", p1.B4, p2.B4)
		for _, ca := range []netip.Addr{p1.A4, p2.A4} {
			fmt.Printf("  %-12s %-12s %s\n", ca, cell(sfs, ca, p1.B4), cell(sfs, ca, p2.B4))
		}
		if _, err := l.PrintSubflows(c); err != nil {
			return err
		}

		if *hold {
			fmt.Printf("holding the connection: look with `ip netns exec %s ss -Mtin`; Enter or Ctrl-C ends\n", l.Client.Name)
			line := make(chan struct{})
			go func() {
				bufio.NewReader(os.Stdin).ReadString('\n')
				close(line)
			}()
			select {
			case <-line:
			case <-l.Done():
			}
		}
		return nil
	})
}

// cell says which subflow, if any, goes from the client address ca to the
// server address sa.
func cell(sfs []mptcp.Subflow, ca, sa netip.Addr) string {
	for _, sf := range sfs {
		if sf.Local.Addr() == ca && sf.Remote.Addr() == sa {
			return fmt.Sprintf("subflow %d", sf.ID)
		}
	}
	return "-"
}
