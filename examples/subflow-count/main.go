// Command subflow-count shows the pitfall of counting subflows: the kernel's
// mptcpi_subflows (Info.ExtraSubflows) counts only the subflows added to the
// first one, so it reads 0 for a connection with one subflow. It prints
// that field, mptcpi_subflows_total (Info.SubflowsTotal, Linux 6.8), the
// number of subflows MPTCP_FULL_INFO lists and Info.Subflows() for one
// connection, first with one subflow and then with two.
//
//	sudo go run ./examples/subflow-count
//
// It builds a client and a server network namespace joined by two paths,
// gives both hosts a limit of one extra subflow and starts sending -size
// bytes over one MPTCP connection, which has one subflow since the client
// has no endpoint. After the first write it prints the counts and gives the
// client a subflow endpoint on path 2; the path manager opens a second
// subflow for the connection already open, and once the transfer is done
// the counts are printed again. All counts come from one Inspector.Snapshot, so they agree with
// each other. With -hold it then keeps the connection open until Enter, and
// prints the `ss -Mtin` command that shows its subflows. It removes the
// namespaces when it ends, also on Ctrl-C. It needs root.
package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// labPrefix names the namespaces; the pid after it lets a later run remove
// what a killed run left.
const labPrefix = "mptcpex-cnt-"

func main() {
	hold := flag.Bool("hold", false, "keep the connection open until Enter, to compare with ss -Mtin")
	lab.Main(labPrefix, 2<<20, func(l *lab.Lab, size int) error {
		err := countTwice(l, size)
		if err == nil && *hold {
			l.Hold(l.Client)
		}
		return err
	})
}

// countTwice sends size bytes over one connection and prints the counts
// after the first write, with one subflow, and at the end, with two.
func countTwice(l *lab.Lab, size int) error {
	if err := l.SetLimits(1, 0, l.Server, l.Client); err != nil {
		return err
	}
	// After the first write the connection has one subflow: count, and
	// add the endpoint. The path manager opens the second subflow while
	// the transfer goes on; it opens none for a connection that already
	// sent its DATA_FIN.
	var err error
	added := false
	c, terr := l.Transfer(size, func(c *lab.Conn, written int) {
		if added {
			return
		}
		added = true
		if err = count(c, 1); err == nil {
			err = l.AddEndpoint(l.Client, l.Paths[1], pm.FlagSubflow)
		}
	})
	if err := errors.Join(terr, err); err != nil {
		return err
	}
	if _, err := lab.WaitSubflows(c, 2, 5*time.Second); err != nil {
		return err
	}
	return count(c, 2)
}

// count prints the four counts of the client end of c, which should have
// want subflows.
func count(c *lab.Conn, want int) error {
	in, err := mptcp.NewInspector(c.Client)
	if err != nil {
		return err
	}
	var info mptcp.Info
	sfs, err := in.Snapshot(&info, nil)
	if err != nil {
		return err
	}
	total := "absent (Linux 6.8+)"
	if info.Has(mptcp.FieldSubflowsTotal) {
		total = fmt.Sprint(info.SubflowsTotal)
	}
	plural := "s"
	if want == 1 {
		plural = ""
	}
	fmt.Printf("with %d subflow%s:\n", want, plural)
	fmt.Printf("  mptcpi_subflows        Info.ExtraSubflows  %d   (the extra ones only)\n", info.ExtraSubflows)
	fmt.Printf("  mptcpi_subflows_total  Info.SubflowsTotal  %s\n", total)
	fmt.Printf("  MPTCP_FULL_INFO        len(Subflows)       %d\n", len(sfs))
	fmt.Printf("  mptcp package          Info.Subflows()     %d\n", info.Subflows())
	return nil
}
