//go:build linux

package mptcp_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// Parameters of BenchmarkFailover.
const (
	// failoverSteady is how much the server must have read before the
	// primary path is cut, so that the cut hits a connection in full flow:
	// 4 MiB is about a third of a second at failureRate.
	failoverSteady = 4 << 20
	// failoverResumed is how much more than at the cut the server must
	// read before the backup counts as carrying the stream: more than the
	// receive queue and the data in flight on path 1 at the cut, which are
	// read at once.
	failoverResumed = 8 << 20
	// failoverTimeout bounds each wait of one round.
	failoverTimeout = 15 * time.Second
)

// BenchmarkFailover measures the stall when the primary path of a
// connection whose second subflow is a backup is cut: the time from the cut
// (both ends of path 1 set down) until the server reads again, counted as
// in TestIntegrationFailureBackupTakeover (the longest pause in its reads
// after the cut, measured from the cut). The two paths are shaped to
// failureRate; the client has a subflow endpoint with the backup flag on
// path 2, set through pm.Client, and streams to the server as fast as it
// can.
//
// Each round (b.N of them, one per op) makes a new connection over path 1,
// which is brought back up after the previous round, and cuts it once the
// stream is in full flow. The reference, measured in the same round just
// before the cut, is the retransmission timeout (RTO) the kernel holds for
// the primary subflow, as `ss -ti` shows it: the sender learns that path 1
// is gone only when that timer fires, so the stall cannot be shorter.
// Metrics, medians over the rounds: stall-ms, rto-ms, x-rto = stall/RTO,
// and rtt-ms, the primary subflow's smoothed RTT.
//
// A round takes one to two seconds; -benchtime 1x runs one.
func BenchmarkFailover(b *testing.B) {
	topo := nstest.TwoHosts(b, 2)
	for _, p := range topo.Paths {
		p.Shape(b, failureRate)
	}
	p1, p2 := topo.Paths[0], topo.Paths[1]
	clientEndpoint(b, topo, p2, pm.FlagSubflow|pm.FlagBackup)
	var ln net.Listener
	if err := topo.Server.Do(func() (err error) {
		ln, err = (&mptcp.ListenConfig{Policy: mptcp.Require}).Listen(context.Background(), "tcp", netip.AddrPortFrom(p1.B4, 0).String())
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer ln.Close()

	var stalls, rtos, rtts, ratios []float64
	for i := 0; b.Loop(); i++ {
		if i > 0 {
			p1.Restore(b)
		}
		r := failoverRound(b, topo, ln)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		stalls = append(stalls, ms(r.stall))
		rtos = append(rtos, ms(r.rto))
		rtts = append(rtts, ms(r.rtt))
		ratios = append(ratios, float64(r.stall)/float64(r.rto))
	}
	b.ReportMetric(failoverMedian(stalls), "stall-ms")
	b.ReportMetric(failoverMedian(rtos), "rto-ms")
	b.ReportMetric(failoverMedian(ratios), "x-rto")
	b.ReportMetric(failoverMedian(rtts), "rtt-ms")
}

// failoverMedian returns the median of v, which it sorts; the upper one of the two
// middle values when len(v) is even.
func failoverMedian(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// failoverResult is what one round of BenchmarkFailover measured.
type failoverResult struct {
	stall, rto, rtt time.Duration
}

// failoverRound dials ln over path 1, streams until the server has read
// failoverSteady, cuts path 1 and waits until the server has read
// failoverResumed more. It leaves path 1 cut.
func failoverRound(b *testing.B, topo *nstest.Topology, ln net.Listener) failoverResult {
	b.Helper()
	var (
		mu       sync.Mutex
		marks    []readMark
		received atomic.Int64
		stopped  atomic.Bool
	)
	acc := make(chan net.Conn, 1)
	readDone := make(chan error, 1)
	go func() {
		s, err := ln.Accept()
		acc <- s
		if err != nil {
			readDone <- err
			return
		}
		buf := make([]byte, 256<<10)
		var total int64
		for {
			n, err := s.Read(buf)
			if n > 0 {
				total += int64(n)
				received.Store(total)
				mu.Lock()
				marks = append(marks, readMark{time.Now(), total})
				mu.Unlock()
			}
			if err != nil {
				if stopped.Load() {
					err = nil
				}
				readDone <- err
				return
			}
		}
	}()
	c, err := dialIn(topo.Client, &mptcp.Dialer{Policy: mptcp.Require}, ln.Addr().String())
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	s := <-acc
	if s == nil {
		c.Close()
		b.Fatalf("accept: %v", <-readDone)
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
	// data still queued at the client.
	stop := func() {
		stopped.Store(true)
		s.Close()
		c.Close()
		if err := <-writeDone; err != nil {
			b.Errorf("write: %v", err)
		}
		if err := <-readDone; err != nil {
			b.Errorf("read: %v", err)
		}
	}
	fail := func(format string, args ...any) {
		b.Helper()
		stop()
		b.Fatalf(format, args...)
	}
	waitRead := func(n int64) bool {
		for deadline := time.Now().Add(failoverTimeout); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if received.Load() >= n {
				return true
			}
		}
		return false
	}

	tc := c.(*net.TCPConn)
	if err := failoverWaitSubflows(tc, 2); err != nil {
		fail("%v", err)
	}
	if !waitRead(failoverSteady) {
		fail("server read %d bytes in %v, want %d", received.Load(), failoverTimeout, failoverSteady)
	}
	p1 := topo.Paths[0]
	rto, rtt, err := subflowTimers(topo.Client, p1.A4)
	if err != nil {
		fail("%v", err)
	}
	cut := time.Now()
	p1.Cut(b)
	atCut := received.Load()
	if !waitRead(atCut + failoverResumed) {
		fail("after the cut the server read %d bytes in %v, want %d", received.Load()-atCut, failoverTimeout, failoverResumed)
	}
	mu.Lock()
	stall, _ := longestPause(marks, cut)
	mu.Unlock()
	stop()
	return failoverResult{stall: stall, rto: rto, rtt: rtt}
}

// failoverWaitSubflows waits until c has n established subflows.
func failoverWaitSubflows(c *net.TCPConn, n int) error {
	in, err := mptcp.NewInspector(c)
	if err != nil {
		return err
	}
	var sfs []mptcp.Subflow
	for deadline := time.Now().Add(failoverTimeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if sfs, err = in.Subflows(sfs); err != nil {
			return err
		}
		est := 0
		for _, sf := range sfs {
			if sf.State == mptcp.TCPEstablished {
				est++
			}
		}
		if est >= n {
			return nil
		}
	}
	return fmt.Errorf("subflows after %v: %+v, want %d established", failoverTimeout, sfs, n)
}

// ssRTO and ssRTT match the retransmission timeout and the smoothed RTT
// (before the slash: rtt:<srtt>/<rttvar>) in an `ss -ti` line, both in ms.
var (
	ssRTO = regexp.MustCompile(`\brto:([0-9.]+)`)
	ssRTT = regexp.MustCompile(`\brtt:([0-9.]+)/`)
)

// subflowTimers returns the RTO and smoothed RTT the kernel holds for the
// TCP socket (an MPTCP subflow) from local address src in ns, from
// `ss -tinHO src SRC`, which prints each socket on one line.
func subflowTimers(ns *nstest.NS, src netip.Addr) (rto, rtt time.Duration, err error) {
	out, err := ns.Run("ss", "-tinHO", "state", "established", "src", src.String())
	if err != nil {
		return 0, 0, err
	}
	mo, mt := ssRTO.FindStringSubmatch(out), ssRTT.FindStringSubmatch(out)
	if mo == nil || mt == nil {
		return 0, 0, fmt.Errorf("no rto or rtt for a socket from %v in ss output %q", src, out)
	}
	ms := func(s string) (time.Duration, error) {
		f, err := strconv.ParseFloat(s, 64)
		return time.Duration(f * float64(time.Millisecond)), err
	}
	if rto, err = ms(mo[1]); err != nil {
		return 0, 0, err
	}
	if rtt, err = ms(mt[1]); err != nil {
		return 0, 0, err
	}
	return rto, rtt, nil
}
