//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/multipath-dev/go/internal/netlab"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// labPrefix names the namespaces the two-path mode makes; the pid after it
// lets a later run remove what a killed run left.
const labPrefix = "mptcpqs-"

// twoPaths builds a client and a server namespace joined by two paths of
// the given rate, configures the path managers through pm, sends size bytes
// from the client to the server and shows both subflows carrying them. It
// removes the namespaces when it ends, also on Ctrl-C.
func twoPaths(w io.Writer, size int, rate string) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("the two-path mode builds network namespaces and needs root")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	for _, name := range netlab.RemoveStale(labPrefix) {
		fmt.Fprintf(w, "removed %s, left by an earlier run\n", name)
	}
	lab, err := netlab.TwoHosts(labPrefix, 2)
	if err != nil {
		return err
	}
	defer func() {
		cerr := lab.Close()
		if cerr == nil {
			fmt.Fprintf(w, "removed namespaces %s and %s\n", lab.Client.Name, lab.Server.Name)
		}
		err = errors.Join(err, cerr)
	}()
	p1, p2 := lab.Paths[0], lab.Paths[1]
	for _, p := range lab.Paths {
		if err := p.Shape(rate); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "client %s and server %s, joined by path 1 (%v - %v) and path 2 (%v - %v), each shaped to %s\n",
		lab.Client.Name, lab.Server.Name, p1.A4, p1.B4, p2.A4, p2.B4, rate)

	if err := configure(w, lab); err != nil {
		return err
	}

	var ln net.Listener
	if err := lab.Server.Do(func() (err error) {
		ln, err = (&mptcp.ListenConfig{Policy: mptcp.Require}).Listen(ctx, "tcp", netip.AddrPortFrom(p1.B4, 5201).String())
		return err
	}); err != nil {
		return err
	}
	defer ln.Close()
	got := make(chan received, 1)
	go receive(ln, got)

	var c net.Conn
	if err := lab.Client.Do(func() (err error) {
		c, err = (&mptcp.Dialer{Policy: mptcp.Require}).DialContext(ctx, "tcp", ln.Addr().String())
		return err
	}); err != nil {
		return err
	}
	client := c.(*net.TCPConn)
	defer client.Close()
	// Ctrl-C: closing both ends ends the transfer; the deferred calls then
	// remove the namespaces.
	go func() {
		<-ctx.Done()
		client.Close()
		ln.Close()
	}()

	data := make([]byte, size)
	rand.Read(data)
	fmt.Fprintf(w, "sending %d bytes from %s to %s\n", size, client.LocalAddr(), client.RemoteAddr())
	start := time.Now()
	if _, err := client.Write(data); err != nil {
		return interrupted(ctx, err)
	}
	if err := client.CloseWrite(); err != nil {
		return interrupted(ctx, err)
	}
	r := <-got
	if r.err != nil {
		return interrupted(ctx, r.err)
	}
	defer r.conn.Close()
	elapsed := time.Since(start)
	verdict := "intact"
	if r.n != int64(size) || r.sum != sha256.Sum256(data) {
		verdict = "CORRUPTED"
	}
	fmt.Fprintf(w, "server received %d bytes in %v (%.1f Mbit/s), sha256 %s\n\n",
		r.n, elapsed.Round(time.Millisecond), float64(r.n)*8/elapsed.Seconds()/1e6, verdict)

	showSubflows(w, "client", client, true)
	showSubflows(w, "server", r.conn, false)
	if verdict != "intact" {
		return errors.New("data did not arrive intact")
	}
	return nil
}

// configure sets the limits on both hosts and a subflow endpoint for path 2
// on the client, through the pm package.
func configure(w io.Writer, lab *netlab.Topology) error {
	two := uint32(2)
	for _, ns := range []*netlab.NS{lab.Server, lab.Client} {
		c, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + ns.Name})
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.SetLimits(pm.LimitsUpdate{Subflows: &two, AddAddrAccepted: &two}); err != nil {
			return err
		}
		l, err := c.Limits()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "pm: %s limits: subflows %d, add_addr_accepted %d\n", ns.Name, l.Subflows, l.AddAddrAccepted)
		if ns != lab.Client {
			continue
		}
		p2 := lab.Paths[1]
		var ifindex int
		if err := ns.Do(func() error {
			ifi, err := net.InterfaceByName(p2.IfA)
			if err == nil {
				ifindex = ifi.Index
			}
			return err
		}); err != nil {
			return err
		}
		ep, err := c.AddEndpoint(pm.Endpoint{Addr: p2.A4, Interface: ifindex, Flags: pm.FlagSubflow})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "pm: %s endpoint %v id %d %v dev %s\n", ns.Name, ep.Addr, ep.ID, ep.Flags, p2.IfA)
	}
	return nil
}

type received struct {
	conn *net.TCPConn
	n    int64
	sum  [32]byte
	err  error
}

func receive(ln net.Listener, got chan<- received) {
	c, err := ln.Accept()
	if err != nil {
		got <- received{err: err}
		return
	}
	h := sha256.New()
	n, err := io.Copy(h, c)
	r := received{conn: c.(*net.TCPConn), n: n, err: err}
	copy(r.sum[:], h.Sum(nil))
	got <- r
}

// showSubflows prints each subflow of c with the share of the bytes it
// carried: sent ones on the client, received ones on the server.
func showSubflows(w io.Writer, side string, c *net.TCPConn, sender bool) {
	st, _ := mptcp.StatusOf(c)
	sfs, err := mptcp.SubflowsOf(c)
	if err != nil {
		fmt.Fprintf(w, "%s: %v: %v\n", side, st, err)
		return
	}
	var total uint64
	for _, sf := range sfs {
		total += carried(sf, sender)
	}
	fmt.Fprintf(w, "%s: %v, %d subflows\n", side, st, len(sfs))
	for _, sf := range sfs {
		b := carried(sf, sender)
		fmt.Fprintf(w, "  subflow %d: %v -> %v, %s %d bytes (%.0f%%)\n",
			sf.ID, sf.Local, sf.Remote, map[bool]string{true: "sent", false: "received"}[sender], b, 100*float64(b)/float64(max(total, 1)))
	}
	fmt.Fprintln(w)
}

func carried(sf mptcp.Subflow, sender bool) uint64 {
	if sender {
		return sf.BytesSent
	}
	return sf.BytesReceived
}

// interrupted turns the error of a transfer cut by Ctrl-C into a short
// message.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	return err
}
