// Command subflow-endpoint shows the client side of the in-kernel MPTCP path
// manager: a subflow endpoint on the client's second path makes the kernel
// open a second subflow from that address, and both paths carry the data.
//
//	sudo go run ./examples/subflow-endpoint
//
// It builds a client and a server network namespace joined by two paths of
// equal rate, gives the client a subflow endpoint for its path-2 address
// (bound to the path-2 device) and both hosts a limit of one extra subflow,
// all through the pm package, then sends data over one MPTCP connection and
// prints the bytes each subflow carried and the path it took. The server
// needs no endpoint: the client's MP_JOIN goes to the address and port the
// connection started with. -size and -rate set the bytes sent and the rate
// of each path; -hold keeps the connection open at the end until Enter or
// Ctrl-C, for a look with ss or nstat (with -look it runs a command in the
// client's namespace instead). It removes the namespaces when it ends, also
// on Ctrl-C. It needs root.
package main

import (
	"flag"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/pm"
)

// labPrefix names the namespaces; the pid after it lets a later run remove
// what a killed run left.
const labPrefix = "mptcpex-sf-"

func main() {
	hold := flag.Bool("hold", false, "keep the connection open at the end until Enter or Ctrl-C")
	lab.Main(labPrefix, 8<<20, func(l *lab.Lab, size int) error {
		// One extra subflow on each side, and where the client opens it from.
		if err := l.SetLimits(1, 0, l.Server, l.Client); err != nil {
			return err
		}
		if err := l.AddEndpoint(l.Client, l.Paths[1], pm.FlagSubflow); err != nil {
			return err
		}
		c, err := l.Transfer(size, nil)
		if err != nil {
			return err
		}
		return l.PrintAndHold(c, *hold)
	})
}
