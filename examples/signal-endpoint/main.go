// Command signal-endpoint shows the server side of the in-kernel MPTCP path
// manager: a signal endpoint makes the server announce its second address
// (ADD_ADDR), and the client's path manager opens a subflow to it on its
// own, if its add_addr_accepted limit allows.
//
//	sudo go run ./examples/signal-endpoint
//	sudo go run ./examples/signal-endpoint -accept 0
//
// It builds a client and a server network namespace joined by two paths,
// gives the server a signal endpoint for its path-2 address 198.18.2.2
// (bound to the path-2 device) and a limit of one extra subflow, and the
// client no endpoint but limits of one extra subflow and -accept accepted
// announcements, all through the pm package. It sends data over one MPTCP
// connection and prints the announcement counters of MPTCP_INFO, the
// client's endpoints (the kernel adds an implicit one for the address its
// new subflow uses) and the subflows. With -accept 0, the default of a fresh
// namespace, the client ignores the announcement and keeps one subflow: the
// common pitfall. The join goes to the announced address at the port of the
// connection, so the server listens on all its addresses. -size and -rate
// set the bytes sent and the rate of each path; -hold keeps the connection
// open at the end until Enter or Ctrl-C, for a look with ss or nstat (with
// -look it runs a command in the client's namespace instead). It removes
// the namespaces when it ends, also on Ctrl-C. It needs root.
package main

import (
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// labPrefix names the namespaces; the pid after it lets a later run remove
// what a killed run left.
const labPrefix = "mptcpex-sig-"

func main() {
	hold := flag.Bool("hold", false, "keep the connection open at the end until Enter or Ctrl-C")
	accept := flag.Uint("accept", 1, "the client's add_addr_accepted limit")
	lab.Main(labPrefix, 4<<20, func(l *lab.Lab, size int) error {
		// The server announces its path-2 address; the client has no
		// endpoint, only limits that let it use one announced address.
		if err := l.SetLimits(1, 0, l.Server); err != nil {
			return err
		}
		if err := l.AddEndpoint(l.Server, l.Paths[1], pm.FlagSignal); err != nil {
			return err
		}
		if err := l.SetLimits(1, uint32(*accept), l.Client); err != nil {
			return err
		}
		c, err := l.Transfer(size, nil)
		if err != nil {
			return err
		}
		// The announcement and the join it leads to may still be under way
		// after a short transfer.
		if sfs, err := lab.WaitSubflows(c, 2, time.Second); err != nil {
			return err
		} else if len(sfs) < 2 {
			fmt.Println("no second subflow within 1s")
		}

		var server, client mptcp.Info
		if err := info(c.Server, &server); err != nil {
			return err
		}
		if err := info(c.Client, &client); err != nil {
			return err
		}
		fmt.Printf("server: add_addr_signal %d (addresses it announced), signal endpoints %d\n", server.AddAddrSignal, server.EndpSignalMax)
		fmt.Printf("client: add_addr_accepted %d (announced addresses it used), limit %d\n", client.AddAddrAccepted, client.LimitAddAddrAccepted)
		if err := l.PrintEndpoints(l.Client); err != nil {
			return err
		}
		return l.PrintAndHold(c, *hold)
	})
}

// info reads the MPTCP_INFO of one end of the connection into i.
func info(end *net.TCPConn, i *mptcp.Info) error {
	in, err := mptcp.NewInspector(end)
	if err != nil {
		return err
	}
	return in.Info(i)
}
