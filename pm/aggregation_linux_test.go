//go:build linux

package pm_test

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
	"golang.org/x/sys/unix"
)

// Parameters of BenchmarkAggregation.
const (
	// aggRateMbit is the rate R, in Mbit/s, each path is shaped to with
	// tbf, in both directions. 40 Mbit/s is slow enough that the two-core
	// test machine sends 4R without running out of CPU, and fast enough
	// that the window below holds 30 MB per path, so a tbf bucket (20 KB
	// at this rate) is noise.
	aggRateMbit = 40
	// aggWarmup is how long data flows before the window starts, counted
	// from when the last subflow is established, so that the window
	// sees neither slow start nor the joins.
	aggWarmup = 1 * time.Second
	// aggWindow is how long the server counts the bytes it receives.
	aggWindow = 3 * time.Second
	// aggJoinTimeout is how long the extra subflows may take to come up.
	aggJoinTimeout = 5 * time.Second
	// aggMTU is the MTU set on the veth ends (the -pm.aggmtu flag
	// overrides it; 0 keeps the veth default of 1500). tbf counts whole
	// frames, so the efficiencies are of payload over frame bytes. With
	// 9000 the headers (Ethernet, IP, TCP with timestamps, and MPTCP's DSS
	// option of about 24 bytes a packet) are 1% of a frame; with 1500 they
	// are 4.4% for TCP and 5.9% for MPTCP, which caps MPTCP's efficiency
	// at 0.94, below the goal, whatever the scheduler does.
	aggMTU = 9000
	// aggCongestion is the congestion control the client's sockets use
	// (TCP_CONGESTION; the -pm.aggcc flag overrides it, "" keeps the
	// namespace's default, which is the host's). Only the client sends
	// data, so only its choice matters. It is fixed so the result does not
	// depend on the host's default: with BBR, the default on some hosts,
	// the efficiency of MPTCP varies from run to run (see
	// docs/performance.md).
	aggCongestion = "cubic"
)

var (
	aggMTUFlag = flag.Int("pm.aggmtu", aggMTU, "MTU of the veths in BenchmarkAggregation; 0 keeps the default (1500)")
	aggCCFlag  = flag.String("pm.aggcc", aggCongestion, "congestion control of the sending sockets in BenchmarkAggregation; empty keeps the namespace's default")
)

// BenchmarkAggregation measures how much of n equal paths one MPTCP
// connection uses, for n = 2 and n = 4 (sub-benchmarks paths=2, paths=4).
// Two namespaces are joined by n veth paths, each shaped to R (aggRateMbit)
// by tbf; the in-kernel path manager, configured through pm.Client on both
// hosts (limits subflows n, a subflow endpoint on each of the client's
// path-2 to path-n addresses bound to its interface), adds a subflow over
// each of paths 2 to n to a connection made over path 1. The client streams
// data to the server; once all n subflows are established and aggWarmup has
// passed, the server counts what it reads during aggWindow. Then a plain
// TCP connection over path 1 alone is measured the same way, as the
// reference of what one path gives.
//
// Metrics: mptcp-goodput-Mbit/s and efficiency = goodput/(nR) (goal >=
// 0.95); tcp-goodput-Mbit/s and tcp-efficiency = TCP goodput/R; vs-tcp =
// MPTCP goodput / TCP goodput (ideally n); and sf1-Mbit/s to sfn-Mbit/s,
// the rate at which each MPTCP subflow's bytes were acknowledged during the
// window (retransmissions not counted), to show the split.
//
// The scenario runs once per call of the benchmark function whatever b.N
// is, and takes about 2*(aggWarmup+aggWindow) plus setup: run it with
// -benchtime 1x (with a longer benchtime the testing package would call it
// again with a larger b.N; the metrics do not depend on b.N, but ns/op
// does, and means nothing here). It does not report allocations: one call
// builds namespaces, runs ip and tc and moves tens of megabytes, so
// allocs/op would count the setup and the test's own buffers, not the
// library's cost per byte.
func BenchmarkAggregation(b *testing.B) {
	for _, n := range []int{2, 4} {
		b.Run(fmt.Sprintf("paths=%d", n), func(b *testing.B) { benchAggregation(b, n) })
	}
}

// benchAggregation is BenchmarkAggregation over n paths.
func benchAggregation(b *testing.B, n int) {
	topo := nstest.TwoHosts(b, n)
	if mtu := *aggMTUFlag; mtu != 0 {
		for _, p := range topo.Paths {
			p.A.MustRun(b, "ip", "link", "set", p.IfA, "mtu", strconv.Itoa(mtu))
			p.B.MustRun(b, "ip", "link", "set", p.IfB, "mtu", strconv.Itoa(mtu))
		}
	}
	rate := fmt.Sprintf("%dmbit", aggRateMbit)
	for _, p := range topo.Paths {
		p.Shape(b, rate)
	}
	p1 := topo.Paths[0]

	limit := uint32(n)
	for _, ns := range []*nstest.NS{topo.Client, topo.Server} {
		c, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + ns.Name})
		if err != nil {
			b.Fatalf("Dial %s: %v", ns.Name, err)
		}
		defer c.Close()
		if err := c.SetLimits(pm.LimitsUpdate{Subflows: &limit}); err != nil {
			b.Fatalf("SetLimits in %s: %v", ns.Name, err)
		}
		if ns != topo.Client {
			continue
		}
		for _, p := range topo.Paths[1:] {
			var ifi *net.Interface
			if err := ns.Do(func() (err error) {
				ifi, err = net.InterfaceByName(p.IfA)
				return err
			}); err != nil {
				b.Fatal(err)
			}
			if _, err := c.AddEndpoint(pm.Endpoint{Addr: p.A4, Interface: ifi.Index, Flags: pm.FlagSubflow}); err != nil {
				b.Fatalf("AddEndpoint(%v): %v", p.A4, err)
			}
		}
	}

	var mln, tln net.Listener
	if err := topo.Server.Do(func() (err error) {
		lc := mptcp.ListenConfig{Policy: mptcp.Require}
		if mln, err = lc.Listen(context.Background(), "tcp", netip.AddrPortFrom(p1.B4, 0).String()); err != nil {
			return err
		}
		var tlc net.ListenConfig
		tlc.SetMultipathTCP(false)
		tln, err = tlc.Listen(context.Background(), "tcp", netip.AddrPortFrom(p1.B4, 0).String())
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer mln.Close()
	defer tln.Close()

	md := &mptcp.Dialer{Policy: mptcp.Require}
	md.Control = aggSetCongestion
	mres := aggMeasure(b, topo.Client, mln, md.Dial, n)
	var td net.Dialer
	td.Control = aggSetCongestion
	td.SetMultipathTCP(false)
	tres := aggMeasure(b, topo.Client, tln, td.Dial, 0)

	const r = aggRateMbit
	b.ReportMetric(mres.mbit, "mptcp-goodput-Mbit/s")
	b.ReportMetric(mres.mbit/float64(n*r), "efficiency")
	for i, sf := range mres.subflowMbit {
		b.ReportMetric(sf, fmt.Sprintf("sf%d-Mbit/s", i+1))
	}
	b.ReportMetric(tres.mbit, "tcp-goodput-Mbit/s")
	b.ReportMetric(tres.mbit/r, "tcp-efficiency")
	b.ReportMetric(mres.mbit/tres.mbit, "vs-tcp")
}

// aggSetCongestion is the dialers' Control: it sets the -pm.aggcc
// congestion control on the socket before it connects. On an MPTCP socket
// the kernel applies it to every subflow. Setting an algorithm that
// net.ipv4.tcp_allowed_congestion_control does not list needs
// CAP_NET_ADMIN, which the namespaces need anyway.
func aggSetCongestion(network, address string, rc syscall.RawConn) error {
	cc := *aggCCFlag
	if cc == "" {
		return nil
	}
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc)
	}); cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("setsockopt TCP_CONGESTION %q: %w", cc, err)
	}
	return nil
}

// aggResult is what aggMeasure measured.
type aggResult struct {
	mbit        float64   // goodput the server received, Mbit/s
	subflowMbit []float64 // per MPTCP subflow, from BytesAcked
}

// aggMeasure dials ln from the client namespace, streams data over the
// connection and returns the goodput the server received during aggWindow,
// which starts aggWarmup after the connection (with subflows > 0, its
// subflows'th subflow) is established. subflows is 0 for a TCP connection.
func aggMeasure(b *testing.B, client *nstest.NS, ln net.Listener, dial func(network, addr string) (net.Conn, error), subflows int) aggResult {
	b.Helper()
	// received counts what the server read. Once stopped is set, both ends
	// are closed and the errors that causes are not failures.
	var received atomic.Int64
	var stopped atomic.Bool
	type accepted struct {
		c   net.Conn
		err error
	}
	acc := make(chan accepted, 1)
	readDone := make(chan error, 1)
	go func() {
		s, err := ln.Accept()
		acc <- accepted{s, err}
		if err != nil {
			readDone <- err
			return
		}
		defer s.Close()
		buf := make([]byte, 256<<10)
		for {
			n, err := s.Read(buf)
			received.Add(int64(n))
			if err != nil {
				if stopped.Load() {
					err = nil
				}
				readDone <- err
				return
			}
		}
	}()
	var c net.Conn
	if err := client.Do(func() (err error) {
		c, err = dial("tcp", ln.Addr().String())
		return err
	}); err != nil {
		b.Fatal(err)
	}
	a := <-acc
	if a.err != nil {
		c.Close()
		b.Fatalf("Accept: %v", a.err)
	}
	writeDone := make(chan error, 1)
	go func() {
		buf := make([]byte, 256<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				if stopped.Load() {
					err = nil
				}
				writeDone <- err
				return
			}
		}
	}()
	// stop closes the server's end first, so that neither waits for the
	// data still queued at the client to drain through the shaped paths.
	stop := func() {
		stopped.Store(true)
		a.c.Close()
		c.Close()
		if err := <-writeDone; err != nil {
			b.Errorf("write: %v", err)
		}
		if err := <-readDone; err != nil {
			b.Errorf("read: %v", err)
		}
	}

	tc := c.(*net.TCPConn)
	if cc := *aggCCFlag; cc != "" {
		if got, err := aggCongestionOf(tc); err != nil || got != cc {
			stop()
			b.Fatalf("congestion control of %v is %q (%v), want %q", c.LocalAddr(), got, err, cc)
		}
	}
	var sfs []mptcp.Subflow
	if subflows > 0 {
		for _, conn := range []net.Conn{c, a.c} {
			if st, err := mptcp.StatusOf(conn.(*net.TCPConn)); err != nil || st != mptcp.StatusMPTCP {
				stop()
				b.Fatalf("connection %v-%v is %v (%v), not MPTCP", conn.LocalAddr(), conn.RemoteAddr(), st, err)
			}
		}
		var err error
		deadline := time.Now().Add(aggJoinTimeout)
		for {
			if sfs, err = mptcp.SubflowsOf(tc); err != nil {
				stop()
				b.Fatalf("SubflowsOf: %v", err)
			}
			if aggEstablished(sfs) == subflows {
				break
			}
			if time.Now().After(deadline) {
				stop()
				b.Fatalf("%d of %d subflows established within %v; subflows: %+v", aggEstablished(sfs), subflows, aggJoinTimeout, sfs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	time.Sleep(aggWarmup)
	if subflows > 0 {
		var err error
		if sfs, err = mptcp.SubflowsOf(tc); err != nil {
			stop()
			b.Fatalf("SubflowsOf: %v", err)
		}
	}
	n0, t0 := received.Load(), time.Now()
	time.Sleep(aggWindow)
	n1, t1 := received.Load(), time.Now()
	var res aggResult
	res.mbit = float64(n1-n0) * 8 / t1.Sub(t0).Seconds() / 1e6
	if subflows > 0 {
		end, err := mptcp.SubflowsOf(tc)
		if err != nil {
			stop()
			b.Fatalf("SubflowsOf: %v", err)
		}
		if aggEstablished(end) != subflows || len(sfs) != subflows || len(end) != subflows {
			stop()
			b.Fatalf("not %d established subflows during the whole window: at its start %+v, at its end %+v", subflows, sfs, end)
		}
		res.subflowMbit = make([]float64, subflows)
		for i := range subflows {
			if sfs[i].Local != end[i].Local {
				stop()
				b.Fatalf("the subflows changed during the window: at its start %+v, at its end %+v", sfs, end)
			}
			res.subflowMbit[i] = float64(end[i].BytesAcked-sfs[i].BytesAcked) * 8 / t1.Sub(t0).Seconds() / 1e6
		}
	}
	stop()
	return res
}

// aggCongestionOf returns the congestion control of c's socket.
func aggCongestionOf(c *net.TCPConn) (string, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return "", err
	}
	var cc string
	if cerr := rc.Control(func(fd uintptr) {
		cc, err = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION)
	}); cerr != nil {
		return "", cerr
	}
	return cc, err
}

// aggEstablished counts the established subflows in sfs.
func aggEstablished(sfs []mptcp.Subflow) int {
	n := 0
	for _, sf := range sfs {
		if sf.State == mptcp.TCPEstablished {
			n++
		}
	}
	return n
}
