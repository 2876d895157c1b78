// Package lab does what the path-manager scenario examples share: it builds
// a client and a server network namespace joined by two shaped paths,
// configures their path managers through the pm package, opens one MPTCP
// connection between them, sends data with a sha256 check, and prints the
// subflows with the bytes each carried and the path it took. It removes the
// namespaces when the example ends, also on Ctrl-C.
//
// It needs Linux and root, as netlab does; elsewhere Main says so and exits.
package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/multipath-dev/go/internal/netlab"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// Port is the port the server listens on.
const Port = 5201

// transferTimeout bounds one transfer, so a path manager that never
// recovers fails the example instead of hanging it.
const transferTimeout = 30 * time.Second

// A Lab is a client and a server namespace joined by two paths, made by
// Main. On every path the client is end A and the server end B.
type Lab struct {
	*netlab.Topology
	w     io.Writer
	ctx   context.Context
	stop  context.CancelFunc
	conns []*Conn
	look  string // the -look command, run by Hold
}

// Main is the main function of a scenario example. It parses the command
// line, with the flags -size (bytes to send, default size), -rate (of each
// path, default 40mbit) and -look (see Hold) besides those the example
// defined, builds a Lab whose namespaces are named
// "<prefix><pid>-<counter>" (removing those a killed run left), runs body
// in it with the -size value, and removes the namespaces again. If building
// the Lab, body or the removal failed, it prints the error on stderr and
// exits with status 1.
func Main(prefix string, size int, body func(l *Lab, size int) error) {
	n := flag.Int("size", size, "bytes the client sends, 1 to 1 GiB")
	rate := flag.String("rate", "40mbit", "rate of each path, as tc writes it")
	look := flag.String("look", "", "with -hold: run `CMD` with sh in the client's namespace while the connection is held, then end")
	flag.Parse()
	if err := CheckArgs(*n); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(2)
	}
	l, err := start(os.Stdout, prefix, *rate)
	if err == nil {
		l.look = *look
		// Deferred, so that a panic in body still removes the namespaces.
		closed := false
		defer func() {
			if !closed {
				l.close()
			}
		}()
		err = body(l, *n)
		closed = true
		err = errors.Join(err, l.close())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

// MaxSize is the most bytes an example sends: the data is held in memory.
const MaxSize = 1 << 30

// CheckArgs checks a -size value and that flag.Parse left no arguments,
// which no example takes.
func CheckArgs(size int) error {
	if size < 1 || size > MaxSize {
		return fmt.Errorf("-size %d: want 1 to %d bytes", size, MaxSize)
	}
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	return nil
}

// start builds a Lab of two paths, each shaped to rate, and prints what it
// built to w. Ctrl-C or SIGTERM from the start on closes the Lab's
// connections, so that Main can remove the namespaces.
func start(w io.Writer, prefix string, rate string) (*Lab, error) {
	if runtime.GOOS != "linux" {
		return nil, errors.New("this example builds network namespaces and needs Linux")
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("this example builds network namespaces and needs root")
	}
	// From here on Ctrl-C must not kill the process before it removes the
	// namespaces: it cancels l.ctx, which ends the connections.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	for _, name := range netlab.RemoveStale(prefix) {
		fmt.Fprintf(w, "removed %s, left by an earlier run\n", name)
	}
	topo, err := netlab.TwoHosts(prefix, 2)
	if err != nil {
		stop()
		return nil, err
	}
	for _, p := range topo.Paths {
		if err := p.Shape(rate); err != nil {
			topo.Close()
			stop()
			return nil, err
		}
		fmt.Fprintf(w, "path %d: client %v (%s) - server %v (%s), %s\n", p.Index, p.A4, p.IfA, p.B4, p.IfB, rate)
	}
	fmt.Fprintf(w, "namespaces: client %s, server %s\n", topo.Client.Name, topo.Server.Name)
	return &Lab{Topology: topo, w: w, ctx: ctx, stop: stop}, nil
}

// close closes the connections, deletes the namespaces and says so.
func (l *Lab) close() error {
	l.stop()
	for _, c := range l.conns {
		c.close()
	}
	if err := l.Topology.Close(); err != nil {
		return err
	}
	fmt.Fprintf(l.w, "removed namespaces %s and %s\n", l.Client.Name, l.Server.Name)
	return nil
}

// Done returns a channel that is closed by Ctrl-C or SIGTERM.
func (l *Lab) Done() <-chan struct{} { return l.ctx.Done() }

// role names ns as "client" or "server".
func (l *Lab) role(ns *netlab.NS) string {
	if ns == l.Client {
		return "client"
	}
	return "server"
}

// pm opens a path-manager client for ns.
func (l *Lab) pm(ns *netlab.NS) (*pm.Client, error) {
	return pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + ns.Name})
}

// SetLimits sets the path-manager limits of each of nss and prints them.
func (l *Lab) SetLimits(subflows, addAddrAccepted uint32, nss ...*netlab.NS) error {
	for _, ns := range nss {
		c, err := l.pm(ns)
		if err != nil {
			return err
		}
		err = c.SetLimits(pm.LimitsUpdate{Subflows: &subflows, AddAddrAccepted: &addAddrAccepted})
		var got pm.Limits
		if err == nil {
			got, err = c.Limits()
		}
		c.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(l.w, "pm: %s limits subflows %d add_addr_accepted %d\n", l.role(ns), got.Subflows, got.AddAddrAccepted)
	}
	return nil
}

// AddEndpoint gives ns an endpoint for its own IPv4 address on path p,
// bound to its interface on p, with flags, and prints it.
func (l *Lab) AddEndpoint(ns *netlab.NS, p *netlab.Path, flags pm.Flags) error {
	addr, dev := p.A4, p.IfA
	if ns == p.B {
		addr, dev = p.B4, p.IfB
	}
	ep := pm.Endpoint{Addr: addr, Flags: flags}
	// Interface indexes are per namespace: look it up inside.
	if err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(dev)
		if err == nil {
			ep.Interface = ifi.Index
		}
		return err
	}); err != nil {
		return err
	}
	c, err := l.pm(ns)
	if err != nil {
		return err
	}
	defer c.Close()
	if ep, err = c.AddEndpoint(ep); err != nil {
		return err
	}
	fmt.Fprintf(l.w, "pm: %s endpoint %v id %d %v dev %s\n", l.role(ns), ep.Addr, ep.ID, ep.Flags, dev)
	return nil
}

// PrintEndpoints prints the path-manager endpoints of ns, which may include
// ones the kernel made itself (implicit).
func (l *Lab) PrintEndpoints(ns *netlab.NS) error {
	c, err := l.pm(ns)
	if err != nil {
		return err
	}
	defer c.Close()
	eps, err := c.Endpoints()
	if err != nil {
		return err
	}
	if len(eps) == 0 {
		fmt.Fprintf(l.w, "pm: %s endpoints now: none\n", l.role(ns))
		return nil
	}
	fmt.Fprintf(l.w, "pm: %s endpoints now:\n", l.role(ns))
	for _, ep := range eps {
		fmt.Fprintf(l.w, "  %v id %d %v\n", ep.Addr, ep.ID, ep.Flags)
	}
	return nil
}

// A Conn is one MPTCP connection between the lab's client and server.
type Conn struct {
	// Client and Server are its two ends.
	Client, Server *net.TCPConn
	// ln is the server's listener, which stays open: the client's MP_JOINs
	// to the server's addresses arrive there.
	ln net.Listener
}

// close closes both ends and the listener.
func (c *Conn) close() {
	c.Client.Close()
	c.Server.Close()
	c.ln.Close()
}

// Transfer opens an MPTCP connection from the client to the server's path-1
// address, with the Require policy on both ends, sends size random bytes,
// half-closes it, checks that the server received them intact and prints how
// long it took. progress, if not nil, is called after each write of at most
// 64 KiB with the bytes written so far. The connection stays open, for a
// look at its subflows, until the Lab is removed.
//
// The server listens on all its addresses, and keeps listening: an MP_JOIN
// is a SYN to one of the server's addresses at the listener's port, so a
// listener bound to the path-1 address, or one closed after Accept, refuses
// the joins and the connection keeps one subflow.
func (l *Lab) Transfer(size int, progress func(c *Conn, written int)) (*Conn, error) {
	c, err := l.connect()
	if err != nil {
		return nil, err
	}
	return c, l.send(c, size, progress)
}

// connect opens the connection Transfer uses.
func (l *Lab) connect() (*Conn, error) {
	var ln net.Listener
	if err := l.Server.Do(func() (err error) {
		lc := &mptcp.ListenConfig{Policy: mptcp.Require}
		ln, err = lc.Listen(l.ctx, "tcp", fmt.Sprintf(":%d", Port))
		return err
	}); err != nil {
		return nil, l.interrupted(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	var client net.Conn
	if err := l.Client.Do(func() (err error) {
		d := &mptcp.Dialer{Dialer: net.Dialer{Timeout: 5 * time.Second}, Policy: mptcp.Require}
		client, err = d.DialContext(l.ctx, "tcp", netip.AddrPortFrom(l.Paths[0].B4, Port).String())
		return err
	}); err != nil {
		ln.Close()
		return nil, l.interrupted(err)
	}
	server := <-accepted
	if server == nil {
		client.Close()
		ln.Close()
		return nil, errors.New("accept failed")
	}
	c := &Conn{Client: client.(*net.TCPConn), Server: server.(*net.TCPConn), ln: ln}
	l.conns = append(l.conns, c)
	go func() {
		<-l.ctx.Done() // Ctrl-C, or the end of the Lab
		c.close()
	}()
	fmt.Fprintf(l.w, "connected %v -> %v\n", c.Client.LocalAddr(), c.Client.RemoteAddr())
	return c, nil
}

// send does the sending for Transfer.
func (l *Lab) send(c *Conn, size int, progress func(c *Conn, written int)) error {
	data := make([]byte, size)
	rand.Read(data)
	deadline := time.Now().Add(transferTimeout)
	c.Client.SetDeadline(deadline)
	c.Server.SetDeadline(deadline)

	// The server hashes what it receives until the client half-closes.
	var n int64
	var sum []byte
	var rerr error
	received := make(chan struct{})
	go func() {
		defer close(received)
		h := sha256.New()
		n, rerr = io.Copy(h, c.Server)
		sum = h.Sum(nil)
	}()

	start := time.Now()
	for off := 0; off < size; {
		w, err := c.Client.Write(data[off:min(off+64<<10, size)])
		off += w
		if err != nil {
			return l.interrupted(err)
		}
		if progress != nil {
			progress(c, off)
		}
	}
	if err := c.Client.CloseWrite(); err != nil {
		return l.interrupted(err)
	}
	<-received
	if rerr != nil {
		return l.interrupted(rerr)
	}
	elapsed := time.Since(start)
	verdict := "intact"
	if want := sha256.Sum256(data); n != int64(size) || !bytes.Equal(sum, want[:]) {
		verdict = "CORRUPTED"
	}
	fmt.Fprintf(l.w, "sent %d bytes in %v (%.1f Mbit/s), server received %d, sha256 %s\n",
		size, elapsed.Round(time.Millisecond), float64(n)*8/elapsed.Seconds()/1e6, n, verdict)
	if verdict != "intact" {
		return errors.New("data did not arrive intact")
	}
	return nil
}

// interrupted turns the error of a transfer cut short by Ctrl-C into a
// short message.
func (l *Lab) interrupted(err error) error {
	if l.ctx.Err() != nil {
		return errors.New("interrupted")
	}
	return err
}

// WaitSubflows waits up to timeout until the client end of c has at least n
// established subflows and returns its subflows as they were last seen.
func WaitSubflows(c *Conn, n int, timeout time.Duration) ([]mptcp.Subflow, error) {
	in, err := mptcp.NewInspector(c.Client)
	if err != nil {
		return nil, err
	}
	var sfs []mptcp.Subflow
	for end := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if sfs, err = in.Subflows(sfs); err != nil {
			return nil, err
		}
		up := 0
		for _, sf := range sfs {
			if sf.State == mptcp.TCPEstablished {
				up++
			}
		}
		if up >= n || time.Now().After(end) {
			return sfs, nil
		}
	}
}

// PrintSubflows prints the subflows of both ends of c with the bytes each
// carried, sent ones on the client and received ones on the server, and the
// path each took, which the client's address of the subflow tells. It
// returns the client's subflows.
func (l *Lab) PrintSubflows(c *Conn) ([]mptcp.Subflow, error) {
	client, err := l.printSide(c.Client, false)
	if err == nil {
		_, err = l.printSide(c.Server, true)
	}
	return client, err
}

// printSide prints the subflows of one end for PrintSubflows.
func (l *Lab) printSide(end *net.TCPConn, server bool) ([]mptcp.Subflow, error) {
	side, verb := "client", "sent"
	if server {
		side, verb = "server", "received"
	}
	sfs, err := mptcp.SubflowsOf(end)
	if err != nil {
		return nil, fmt.Errorf("%s subflows: %w", side, err)
	}
	carried := func(sf mptcp.Subflow) uint64 {
		if server {
			return sf.BytesReceived
		}
		return sf.BytesSent
	}
	var total uint64
	for _, sf := range sfs {
		total += carried(sf)
	}
	fmt.Fprintf(l.w, "%s: %d subflows\n", side, len(sfs))
	for _, sf := range sfs {
		// The server's dual-stack listener gives IPv4-mapped addresses.
		local := netip.AddrPortFrom(sf.Local.Addr().Unmap(), sf.Local.Port())
		remote := netip.AddrPortFrom(sf.Remote.Addr().Unmap(), sf.Remote.Port())
		clientAddr := local.Addr()
		if server {
			clientAddr = remote.Addr()
		}
		b := carried(sf)
		fmt.Fprintf(l.w, "  subflow %d: %v -> %v (path %d, %v), %s %d bytes (%.1f%%)\n",
			sf.ID, local, remote, l.pathOf(clientAddr), sf.State, verb, b, 100*float64(b)/float64(max(total, 1)))
	}
	return sfs, nil
}

// pathOf returns the index of the path whose client address is a, or 0 if
// none is.
func (l *Lab) pathOf(a netip.Addr) int {
	for _, p := range l.Paths {
		if p.A4 == a {
			return p.Index
		}
	}
	return 0
}
