// Command backup shows a backup subflow: the client's second path carries
// (almost) no data while the first path works, and takes over when the first
// path is cut in the middle of a transfer, which then completes intact.
//
//	sudo go run ./examples/backup
//	sudo go run ./examples/backup -hold    # look with ss -Mtin before the cut
//
// It builds a client and a server network namespace joined by two paths of
// equal rate, gives the client an endpoint for its path-2 address with the
// flags "subflow backup" (bound to the path-2 device) and both hosts a limit
// of one extra subflow, all through the pm package. It starts sending over
// one MPTCP connection, prints the bytes each subflow carried so far, cuts
// path 1 (both ends down) once half the data is written, and prints how long
// the backup subflow took to carry the data (256 KiB acknowledged) and the
// bytes each subflow sent after the cut. With -hold it keeps the connection
// open just before the cut, until Enter or Ctrl-C, and prints the `ss`
// command that shows the backup subflow (with -look it runs a command there
// instead). -size and -rate set the bytes sent and the rate of each path. It removes the namespaces when it ends, also on
// Ctrl-C. It needs root.
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
const labPrefix = "mptcpex-bk-"

// takenOver is how many bytes the backup subflow must have had acknowledged
// since the cut to count as carrying the transfer.
const takenOver = 256 << 10

func main() {
	hold := flag.Bool("hold", false, "before the cut, keep the connection open until Enter or Ctrl-C")
	lab.Main(labPrefix, 8<<20, func(l *lab.Lab, size int) error {
		if err := l.SetLimits(1, 0, l.Client, l.Server); err != nil {
			return err
		}
		backup := l.Paths[1].A4
		if err := l.AddEndpoint(l.Client, l.Paths[1], pm.FlagSubflow|pm.FlagBackup); err != nil {
			return err
		}

		// Cut path 1 once half the data is written, and watch for the
		// backup subflow to take over.
		var atCut []mptcp.Subflow
		var cutErr error
		takeover := make(chan time.Duration, 1)
		cut := func(c *lab.Conn, written int) {
			if atCut != nil || cutErr != nil || written < size/2 {
				return
			}
			// The path manager opens the backup subflow once the connection
			// is established; make sure it is there before the cut.
			if _, cutErr = lab.WaitSubflows(c, 2, 2*time.Second); cutErr != nil {
				return
			}
			fmt.Printf("before the cut, after writing %d bytes:\n", written)
			if atCut, cutErr = l.PrintSubflows(c); cutErr != nil {
				return
			}
			if *hold {
				l.Hold(l.Client)
			}
			if cutErr = l.Paths[0].Cut(); cutErr == nil {
				fmt.Println("cut path 1")
				go watch(c, backup, acked(atCut, backup), time.Now(), takeover)
			}
		}
		c, err := l.Transfer(size, cut)
		if err != nil {
			return err
		}
		if cutErr != nil {
			return cutErr
		}
		select {
		case d := <-takeover:
			fmt.Printf("the backup subflow carried the data %v after the cut\n", d.Round(time.Millisecond))
		default:
			fmt.Println("the backup subflow never carried the data")
		}

		fmt.Println("at the end:")
		sfs, err := l.PrintSubflows(c)
		if err != nil {
			return err
		}
		printSinceCut(sfs, atCut)
		return nil
	})
}

// printSinceCut prints the bytes each subflow of sfs sent since the cut,
// when the subflows were atCut.
func printSinceCut(sfs, atCut []mptcp.Subflow) {
	fmt.Println("since the cut:")
	var total uint64
	since := make([]uint64, len(sfs))
	for i, sf := range sfs {
		since[i] = sf.BytesSent
		for _, b := range atCut {
			if b.ID == sf.ID {
				since[i] -= b.BytesSent
			}
		}
		total += since[i]
	}
	for i, sf := range sfs {
		fmt.Printf("  subflow %d: %v -> %v, sent %d bytes since the cut (%.1f%%)\n",
			sf.ID, sf.Local, sf.Remote, since[i], 100*float64(since[i])/float64(max(total, 1)))
	}
}

// acked returns the bytes acknowledged on the subflow from addr.
func acked(sfs []mptcp.Subflow, addr netip.Addr) uint64 {
	for _, sf := range sfs {
		if sf.Local.Addr() == addr {
			return sf.BytesAcked
		}
	}
	return 0
}

// watch sends on takeover how long after cut the subflow from addr had
// takenOver bytes more acknowledged than the base it had at the cut. It
// stops when the connection fails.
func watch(c *lab.Conn, addr netip.Addr, base uint64, cut time.Time, takeover chan<- time.Duration) {
	in, err := mptcp.NewInspector(c.Client)
	if err != nil {
		return
	}
	var sfs []mptcp.Subflow
	for ; ; time.Sleep(5 * time.Millisecond) {
		if sfs, err = in.Subflows(sfs); err != nil {
			return // the connection is closed
		}
		if acked(sfs, addr) >= base+takenOver {
			takeover <- time.Since(cut)
			return
		}
	}
}
