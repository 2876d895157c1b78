// Command userspace-pm is a small userspace MPTCP path manager, the Go
// counterpart of mptcpd's core: it subscribes to the kernel's path-manager
// events of a network namespace and answers them with the userspace path
// manager's commands of the pm package, for each connection by its token.
//
//	sudo go run ./examples/userspace-pm -policy subflows -netns blue
//	sudo go run ./examples/userspace-pm -policy announce -addrs 192.0.2.2,192.0.2.3
//	sudo go run ./examples/userspace-pm -demo -policy subflows -hold   # then ss -Mtin
//	sudo go run ./examples/userspace-pm -demo -policy announce -withdraw-after 4194304
//	sudo go run ./examples/userspace-pm -demo -policy subflows -cut 600ms
//
// Two policies:
//
//   - subflows, for the client side: when a connection is established, open
//     a subflow (CreateSubflow) from every other local address of the
//     namespace to the peer's address; when one fails or closes, retry it
//     after -backoff (100ms), doubling the delay each time, up to -retries (5)
//     times.
//   - announce, for the server side: when a connection is established,
//     announce (ADD_ADDR) every other local address, with ids from 10 up.
//
// The local addresses are the global unicast addresses of the namespace's
// interfaces, or those -addrs lists; the daemon uses those of the
// connection's family. It prints one line per event it acts on and per
// command it sends, and stops on Ctrl-C, closing its subscription. It runs
// in the current namespace, or with -netns NAME in /run/netns/NAME, which
// must already use the userspace path manager (sysctl
// net.mptcp.path_manager=userspace, Linux 6.15; net.mptcp.pm_type=1 before):
// a connection keeps the path manager it was created with. It needs
// CAP_NET_ADMIN, and CAP_SYS_ADMIN for -netns.
//
// -demo builds the two namespaces and two paths of the examples' lab,
// switches the client's (subflows) or the server's (announce) namespace to
// the userspace path manager, runs the daemon in-process against it, sends
// data over one MPTCP connection with a sha256 check and prints the
// subflows. With -withdraw-after N the daemon takes back what it added once
// N bytes are written: it removes the announced address (RM_ADDR), or
// destroys the subflow it created, and the transfer ends on path 1. With
// -cut D path 2 is down when the connection starts and comes back D later:
// the subflow fails and is retried until it comes up. -hold keeps the
// connection open until Enter or Ctrl-C; -size and -rate set the bytes sent
// and the rate of each path. The demo removes the namespaces when it ends,
// also on Ctrl-C. It needs root.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/internal/netlab"
	"github.com/multipath-dev/go/mptcp"
)

// labPrefix names the demo's namespaces; the pid after it lets a later run
// remove what a killed run left.
const labPrefix = "mptcpex-us-"

// options are the command-line flags.
type options struct {
	policy        string
	netns         string
	addrs         string
	backoff       time.Duration
	retries       int
	demo          bool
	withdrawAfter int
	cut           time.Duration
	hold          bool
}

// register defines the flags on fs.
func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.policy, "policy", "subflows", "subflows (client side) or announce (server side)")
	fs.StringVar(&o.netns, "netns", "", "run in the network namespace /run/netns/`NAME` (default: the current one)")
	fs.StringVar(&o.addrs, "addrs", "", "comma-separated local addresses to use (default: all of the namespace)")
	fs.DurationVar(&o.backoff, "backoff", 100*time.Millisecond, "delay before the first retry of a subflow; it doubles")
	fs.IntVar(&o.retries, "retries", 5, "retries of a subflow before giving up")
	fs.BoolVar(&o.demo, "demo", false, "build two namespaces and run the daemon in one of them (root)")
	fs.IntVar(&o.withdrawAfter, "withdraw-after", 0, "demo: withdraw what the daemon added after `N` bytes (0: never)")
	fs.DurationVar(&o.cut, "cut", 0, "demo: path 2 is down from the start until this long after it")
	fs.BoolVar(&o.hold, "hold", false, "demo: keep the connection open until Enter or Ctrl-C")
}

// demoOnly are the flags that mean something only with -demo.
var demoOnly = map[string]bool{"size": true, "rate": true, "withdraw-after": true, "cut": true, "hold": true}

func main() {
	var o options
	// The command line is parsed twice: lab.Main, which -demo needs, parses
	// the flag package's set after adding -size and -rate to it, so this
	// first pass, which decides, knows those two as well.
	fs := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	o.register(fs)
	fs.Int("size", 8<<20, "demo: bytes the client sends")
	fs.String("rate", "40mbit", "demo: rate of each path, as tc writes it")
	fs.Parse(os.Args[1:])
	only, err := o.check(fs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "userspace-pm: %v\n", err)
		os.Exit(2)
	}
	if o.demo {
		o.register(flag.CommandLine)
		lab.Main(labPrefix, 8<<20, func(l *lab.Lab, size int) error { return demo(l, size, &o) })
		return
	}
	if err := standalone(&o, only); err != nil {
		fmt.Fprintf(os.Stderr, "userspace-pm: %v\n", err)
		os.Exit(1)
	}
}

// check checks the flags fs parsed and returns the -addrs addresses.
func (o *options) check(fs *flag.FlagSet) ([]netip.Addr, error) {
	var err error
	fs.Visit(func(f *flag.Flag) {
		switch {
		case demoOnly[f.Name] && !o.demo:
			err = errors.Join(err, fmt.Errorf("-%s needs -demo", f.Name))
		case (f.Name == "netns" || f.Name == "addrs") && o.demo:
			err = errors.Join(err, fmt.Errorf("-%s does not go with -demo, which builds its own namespaces", f.Name))
		}
	})
	if o.policy != "subflows" && o.policy != "announce" {
		err = errors.Join(err, fmt.Errorf("-policy %q: want subflows or announce", o.policy))
	}
	if o.retries < 0 || o.backoff <= 0 {
		err = errors.Join(err, errors.New("-retries must be 0 or more and -backoff more than 0"))
	}
	if fs.NArg() > 0 {
		err = errors.Join(err, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	var only []netip.Addr
	for s := range strings.SplitSeq(o.addrs, ",") {
		if s = strings.TrimSpace(s); s != "" {
			a, perr := netip.ParseAddr(s)
			err = errors.Join(err, perr)
			only = append(only, a)
		}
	}
	return only, err
}

// standalone runs the daemon until Ctrl-C or SIGTERM.
func standalone(o *options, only []netip.Addr) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	path := ""
	if o.netns != "" {
		path = "/run/netns/" + o.netns
	}
	r, err := start(path, o.policy, only, o.backoff, o.retries, os.Stdout)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-r.finished: // the subscription failed
	}
	return r.stop()
}

// demo runs the daemon in one of the lab's namespaces and a transfer through
// it.
func demo(l *lab.Lab, size int, o *options) error {
	ns, role := l.Client, "client"
	if o.policy == "announce" {
		ns, role = l.Server, "server"
		// The client's in-kernel path manager may use one announced address.
		if err := l.SetLimits(1, 1, l.Client); err != nil {
			return err
		}
	}
	// Choosing the userspace path manager is done for a whole namespace and
	// before its connections are made, which keep the one they started with.
	// It is the act of whoever runs the daemon: the pm package never writes
	// sysctls, so the demo does it here, through netlab.
	if err := ns.SetSysctl("net.mptcp.path_manager", "userspace"); err != nil {
		return err
	}
	fmt.Printf("sysctl: %s net.mptcp.path_manager = userspace\n", role)
	p2 := l.Paths[1]
	restored := make(chan error, 1)
	if o.cut > 0 {
		if err := p2.Cut(); err != nil {
			return err
		}
		fmt.Printf("demo: path 2 cut, back in %v\n", o.cut)
	}
	r, err := start("/run/netns/"+ns.Name, o.policy, nil, o.backoff, o.retries, os.Stdout)
	if err != nil {
		return err
	}
	defer r.stop()
	if o.cut > 0 {
		defer time.AfterFunc(o.cut, func() { restored <- restore(p2) }).Stop()
	}

	withdrawn := false
	c, err := l.Transfer(size, func(c *lab.Conn, written int) {
		if o.withdrawAfter <= 0 || withdrawn || written < o.withdrawAfter {
			return
		}
		withdrawn = true
		sfs, _ := lab.WaitSubflows(c, 2, 2*time.Second)
		fmt.Printf("demo: %d bytes written, client has %d subflows: withdrawing\n", written, len(sfs))
		r.withdraw()
	})
	if err != nil {
		return err
	}
	if o.cut > 0 {
		if err := <-restored; err != nil {
			return err
		}
	}
	want := 2
	if withdrawn {
		want = 1
	}
	if !waitSubflows(c, want, 3*time.Second) {
		fmt.Printf("demo: the connection does not have %d subflows on both ends within 3s\n", want)
	}
	if _, err := l.PrintSubflows(c); err != nil {
		return err
	}
	if o.hold {
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
	return r.stop()
}

// restore brings path p back, with its source routes, and says so.
func restore(p *netlab.Path) error {
	if err := p.Restore(); err != nil {
		return err
	}
	fmt.Println("demo: path 2 restored")
	return nil
}

// waitSubflows waits up to timeout until both ends of c have exactly n
// subflows, all established, and reports whether they did.
func waitSubflows(c *lab.Conn, n int, timeout time.Duration) bool {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		ok := true
		for _, e := range []syscall.Conn{c.Client, c.Server} {
			sfs, err := mptcp.SubflowsOf(e)
			est := 0
			for _, sf := range sfs {
				if sf.State == mptcp.TCPEstablished {
					est++
				}
			}
			ok = ok && err == nil && len(sfs) == n && est == n
		}
		if ok {
			return true
		}
	}
	return false
}
