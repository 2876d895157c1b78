//go:build linux

package mptcp_test

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// failureSize is the length of the stream each failure test sends: at
// 100mbit per path it takes a few seconds, long enough to break something
// in the middle of it.
const failureSize = 32 << 20

// failureRate is the rate every path of the failure tests is shaped to.
const failureRate = "100mbit"

// transferTimeout bounds every read and write of a transfer.
const transferTimeout = 30 * time.Second

// clientEndpoint sets the limits on both hosts to 2 subflows and 2 accepted
// addresses and gives the client an endpoint with flags for p's client
// address, bound to p's device. It returns the endpoint's id.
func clientEndpoint(t testing.TB, topo *nstest.Topology, p *nstest.Path, flags pm.Flags) uint8 {
	t.Helper()
	two := uint32(2)
	var id uint8
	for _, ns := range []*nstest.NS{topo.Server, topo.Client} {
		c, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + ns.Name})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SetLimits(pm.LimitsUpdate{Subflows: &two, AddAddrAccepted: &two}); err != nil {
			t.Fatal(err)
		}
		if ns != topo.Client {
			continue
		}
		var ifindex int
		if err := ns.Do(func() error {
			ifi, err := net.InterfaceByName(p.IfA)
			if err == nil {
				ifindex = ifi.Index
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ep, err := c.AddEndpoint(pm.Endpoint{Addr: p.A4, Interface: ifindex, Flags: flags})
		if err != nil {
			t.Fatal(err)
		}
		id = ep.ID
	}
	return id
}

// readMark is one read of a timed sink: when it returned and how many bytes
// had been read in all by then.
type readMark struct {
	at    time.Time
	total int64
}

// timedSunk is what a timed sink read: as sunk, with the time of every read.
type timedSunk struct {
	sunk
	marks []readMark
}

// timedSink is sink that timestamps every read and counts the bytes read so
// far in progress.
func timedSink(ln net.Listener, progress *atomic.Int64) <-chan timedSunk {
	ch := make(chan timedSunk, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ch <- timedSunk{sunk: sunk{err: err}}
			return
		}
		c.SetReadDeadline(time.Now().Add(transferTimeout))
		h := sha256.New()
		r := timedSunk{sunk: sunk{conn: c.(*net.TCPConn)}}
		buf := make([]byte, 256<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				h.Write(buf[:n])
				r.n += int64(n)
				progress.Store(r.n)
				r.marks = append(r.marks, readMark{time.Now(), r.n})
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				r.err = err
				break
			}
		}
		copy(r.sum[:], h.Sum(nil))
		ch <- r
	}()
	return ch
}

// transfer is a known random stream being sent from the client to a timed
// sink on the server.
type transfer struct {
	client   *net.TCPConn
	data     []byte
	got      <-chan timedSunk
	received atomic.Int64
	wrote    chan error
	start    time.Time
}

// startTransfer listens on srvAddr in the server namespace with lc, dials it
// from the client, sends the first 64 KiB, waits for subflows established
// subflows if subflows > 0, and sends the rest of n random bytes in the
// background, closing the write side at the end.
func startTransfer(t *testing.T, topo *nstest.Topology, lc *mptcp.ListenConfig, srvAddr netip.Addr, n, subflows int) *transfer {
	t.Helper()
	ln := listenIn(t, topo.Server, lc, netip.AddrPortFrom(srvAddr, 0).String())
	tr := &transfer{data: make([]byte, n), wrote: make(chan error, 1)}
	rand.Read(tr.data)
	tr.got = timedSink(ln, &tr.received)
	c, err := dialIn(topo.Client, &mptcp.Dialer{}, ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	tr.client = c.(*net.TCPConn)
	tr.client.SetWriteDeadline(time.Now().Add(transferTimeout))
	tr.start = time.Now()
	// The client's path manager opens subflows only once the server has
	// acknowledged data.
	const first = 64 << 10
	if _, err := tr.client.Write(tr.data[:first]); err != nil {
		t.Fatal(err)
	}
	if subflows > 0 {
		waitSubflows(t, tr.client, subflows)
	}
	go func() {
		_, err := tr.client.Write(tr.data[first:])
		if err == nil {
			err = tr.client.CloseWrite()
		}
		tr.wrote <- err
	}()
	return tr
}

// waitReceived waits until the server has read at least n bytes.
func (tr *transfer) waitReceived(t *testing.T, n int64) {
	t.Helper()
	for deadline := time.Now().Add(transferTimeout); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if tr.received.Load() >= n {
			return
		}
	}
	t.Fatalf("server read %d bytes in %v, want %d", tr.received.Load(), transferTimeout, n)
}

// finish waits for the transfer to end and checks that the server read the
// stream intact. It returns what the sink read, its connection closed at
// the end of the test.
func (tr *transfer) finish(t *testing.T) timedSunk {
	t.Helper()
	timeout := time.After(transferTimeout + 5*time.Second)
	select {
	case err := <-tr.wrote:
		if err != nil {
			t.Fatalf("client write after %d bytes received: %v", tr.received.Load(), err)
		}
	case <-timeout:
		t.Fatalf("client write not done; server read %d bytes", tr.received.Load())
	}
	var r timedSunk
	select {
	case r = <-tr.got:
	case <-timeout:
		t.Fatalf("server not done; read %d bytes", tr.received.Load())
	}
	if r.conn != nil {
		t.Cleanup(func() { r.conn.Close() })
	}
	if r.err != nil || r.n != int64(len(tr.data)) || r.sum != sha256.Sum256(tr.data) {
		t.Fatalf("server read %d bytes (err %v), hash match %v; want %d intact", r.n, r.err, r.sum == sha256.Sum256(tr.data), len(tr.data))
	}
	t.Logf("%d bytes intact in %v", r.n, time.Since(tr.start).Round(time.Millisecond))
	return r
}

// logSubflows logs the client's subflows with their byte counters.
func logSubflows(t *testing.T, c *net.TCPConn) []mptcp.Subflow {
	t.Helper()
	sfs, err := mptcp.SubflowsOf(c)
	if err != nil {
		t.Fatalf("SubflowsOf: %v", err)
	}
	for _, sf := range sfs {
		t.Logf("subflow %d %v -> %v %v: sent %d, acked %d, retransmitted %d", sf.ID, sf.Local, sf.Remote, sf.State, sf.BytesSent, sf.BytesAcked, sf.BytesRetrans)
	}
	return sfs
}

// shapedTwoPaths returns two hosts joined by two paths shaped to
// failureRate.
func shapedTwoPaths(t *testing.T) *nstest.Topology {
	topo := nstest.TwoHosts(t, 2)
	for _, p := range topo.Paths {
		p.Shape(t, failureRate)
	}
	return topo
}

func TestIntegrationFailurePathCut(t *testing.T) {
	for _, cut := range []int{2, 1} {
		t.Run(fmt.Sprintf("path%d", cut), func(t *testing.T) {
			topo := shapedTwoPaths(t)
			clientEndpoint(t, topo, topo.Paths[1], pm.FlagSubflow)
			tr := startTransfer(t, topo, &mptcp.ListenConfig{Policy: mptcp.Require}, topo.Paths[0].B4, failureSize, 2)
			tr.waitReceived(t, failureSize/3)
			p := topo.Paths[cut-1]
			p.Cut(t)
			t.Logf("path %d cut at %d bytes received", cut, tr.received.Load())
			time.Sleep(time.Second)
			p.Restore(t)
			t.Logf("path %d restored at %d bytes received", cut, tr.received.Load())
			tr.finish(t)
			logSubflows(t, tr.client)
		})
	}
}

func TestIntegrationFailureEndpointDeleted(t *testing.T) {
	topo := shapedTwoPaths(t)
	id := clientEndpoint(t, topo, topo.Paths[1], pm.FlagSubflow)
	tr := startTransfer(t, topo, &mptcp.ListenConfig{Policy: mptcp.Require}, topo.Paths[0].B4, failureSize, 2)
	tr.waitReceived(t, failureSize/3)
	c, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + topo.Client.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.DeleteEndpoint(id); err != nil {
		t.Fatalf("DeleteEndpoint(%d): %v", id, err)
	}
	deleted := time.Now()
	var sfs []mptcp.Subflow
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if sfs, err = mptcp.SubflowsOf(tr.client); err != nil {
			t.Fatalf("SubflowsOf: %v", err)
		}
		if len(sfs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d subflows 5s after deleting the endpoint, want 1: %+v", len(sfs), sfs)
		}
	}
	t.Logf("extra subflow gone %v after deleting the endpoint, at %d bytes received", time.Since(deleted).Round(time.Millisecond), tr.received.Load())
	tr.finish(t)
	if sfs := logSubflows(t, tr.client); len(sfs) != 1 || sfs[0].Local.Addr() != topo.Paths[0].A4 {
		t.Errorf("after the transfer: subflows %+v; want only the initial one", sfs)
	}
}

func TestIntegrationFailureBackupTakeover(t *testing.T) {
	topo := shapedTwoPaths(t)
	clientEndpoint(t, topo, topo.Paths[1], pm.FlagSubflow|pm.FlagBackup)
	tr := startTransfer(t, topo, &mptcp.ListenConfig{Policy: mptcp.Require}, topo.Paths[0].B4, failureSize, 2)
	tr.waitReceived(t, failureSize/3)
	cut := time.Now()
	topo.Paths[0].Cut(t)
	t.Logf("path 1 cut at %d bytes received", tr.received.Load())
	r := tr.finish(t)
	logSubflows(t, tr.client)

	// The stall is the longest pause in the server's reads after the cut,
	// counted from the cut: what was already in the server's buffers is
	// read at once, then nothing comes until the backup subflow takes over.
	stall, resumedAt := longestPause(r.marks, cut)
	t.Logf("stall after cutting path 1: %v (reads resumed at %d bytes)", stall.Round(time.Millisecond), resumedAt)
	if stall > 10*time.Second {
		t.Errorf("backup subflow took %v to take over, want at most 10s", stall)
	}
}

// longestPause finds the longest gap between reads after cut (the first
// gap counted from cut itself) and returns the time from cut to the read
// that ended it, with the bytes read by then.
func longestPause(marks []readMark, cut time.Time) (time.Duration, int64) {
	prev, gap := cut, time.Duration(-1)
	var stall time.Duration
	var at int64
	for _, m := range marks {
		if !m.at.After(cut) {
			continue
		}
		if d := m.at.Sub(prev); d > gap {
			gap, stall, at = d, m.at.Sub(cut), m.total
		}
		prev = m.at
	}
	return stall, at
}

// peerHelperEnv selects the helper mode of the test binary in which
// TestFailurePeerHelperProcess is a server for TestIntegrationFailurePeerKilled.
const peerHelperEnv = "MPTCP_TEST_FAILURE_PEER"

// TestFailurePeerHelperProcess is not a test: run with peerHelperEnv set to
// an address, it listens there, prints "listening <addr>" and discards what
// it reads until it is killed.
func TestFailurePeerHelperProcess(t *testing.T) {
	addr := os.Getenv(peerHelperEnv)
	if addr == "" {
		t.Skip("helper process for TestIntegrationFailurePeerKilled")
	}
	ln, err := mptcp.Listen("tcp", addr)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("listening", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		go io.Copy(io.Discard, c)
	}
}

// openFDs counts the open file descriptors of the process.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// settledGoroutines returns the number of goroutines once it stops
// falling, or after 2s.
func settledGoroutines(limit int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && n > limit; n = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

func TestIntegrationFailurePeerKilled(t *testing.T) {
	topo := shapedTwoPaths(t)
	clientEndpoint(t, topo, topo.Paths[1], pm.FlagSubflow)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	goroutines0, fds0 := runtime.NumGoroutine(), openFDs(t)

	cmd := exec.Command("ip", "netns", "exec", topo.Server.Name, exe, "-test.run=^TestFailurePeerHelperProcess$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), peerHelperEnv+"="+netip.AddrPortFrom(topo.Paths[0].B4, 0).String())
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitOnce sync.Once
	wait := func() { waitOnce.Do(func() { cmd.Process.Kill(); cmd.Wait() }) }
	t.Cleanup(wait)
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addrc <- a
			}
		}
		close(addrc)
	}()
	var addr string
	select {
	case a, ok := <-addrc:
		if !ok {
			t.Fatal("helper process exited without listening")
		}
		addr = a
	case <-time.After(10 * time.Second):
		t.Fatal("helper process did not listen within 10s")
	}

	c, err := dialIn(topo.Client, &mptcp.Dialer{Policy: mptcp.Require}, addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	client := c.(*net.TCPConn)
	client.SetDeadline(time.Now().Add(transferTimeout))
	if _, err := client.Write(make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	waitSubflows(t, client, 2)

	var written atomic.Int64
	type result struct {
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		buf := make([]byte, 256<<10)
		rand.Read(buf)
		for {
			n, err := client.Write(buf)
			written.Add(int64(n))
			if err != nil {
				done <- result{err, time.Now()}
				return
			}
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); written.Load() < 4<<20; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("client wrote %d bytes in 10s", written.Load())
		}
	}
	// A reader too: how the client learns depends on what the peer's
	// kernel does when the process dies. With unread data in the peer's
	// receive queue its close is an MP_FASTCLOSE, and Write fails with
	// ECONNRESET. With none it is a DATA_FIN: Read returns EOF at once,
	// while the orphaned socket (FIN-WAIT-2) keeps taking data until its
	// buffer is full, so Write only blocks (Linux 6.18). Either is prompt.
	readDone := make(chan result, 1)
	go func() {
		_, err := io.Copy(io.Discard, client)
		if err == nil {
			err = io.EOF
		}
		readDone <- result{err, time.Now()}
	}()
	killed := time.Now()
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	var r result
	how := "Write"
	select {
	case r = <-done:
	case r = <-readDone:
		how = "Read"
	case <-time.After(5 * time.Second):
		t.Fatalf("5s after the peer was killed, the client has neither a Write error nor a Read EOF (%d bytes written)", written.Load())
	}
	t.Logf("client %s ended %v after SIGKILL, %d bytes written: %v", how, r.at.Sub(killed).Round(time.Millisecond), written.Load(), r.err)
	if d := r.at.Sub(killed); d > 2*time.Second {
		t.Errorf("client %s ended %v after the peer was killed, want within 2s", how, d)
	}
	if how == "Read" && !errors.Is(r.err, io.EOF) && !errors.Is(r.err, syscall.ECONNRESET) {
		t.Errorf("client Read after the peer was killed: %v; want EOF or ECONNRESET", r.err)
	}
	if how == "Write" && !errors.Is(r.err, syscall.ECONNRESET) && !errors.Is(r.err, syscall.EPIPE) {
		t.Errorf("client Write after the peer was killed: %v; want ECONNRESET or EPIPE", r.err)
	}
	// Closing ends whichever of the two goroutines still runs.
	client.Close()
	if how == "Write" {
		<-readDone
	} else {
		<-done
	}
	wait()

	goroutines1 := settledGoroutines(goroutines0 + 2)
	fds1 := openFDs(t)
	t.Logf("goroutines %d before, %d after; open fds %d before, %d after", goroutines0, goroutines1, fds0, fds1)
	if goroutines1 > goroutines0+2 {
		t.Errorf("goroutines: %d before, %d after; leak", goroutines0, goroutines1)
	}
	if fds1 > fds0+2 {
		t.Errorf("open fds: %d before, %d after; leak", fds0, fds1)
	}
}

func TestIntegrationFailureFallbackMiddlebox(t *testing.T) {
	check := func(t *testing.T, topo *nstest.Topology) {
		tr := startTransfer(t, topo, &mptcp.ListenConfig{Policy: mptcp.Prefer}, topo.Paths[0].B4, 8<<20, 0)
		r := tr.finish(t)
		if st, err := mptcp.StatusOf(tr.client); st != mptcp.StatusFallback || err != nil {
			t.Errorf("client status %v, %v; want fallback", st, err)
		}
		if _, err := mptcp.InfoOf(tr.client); !errors.Is(err, mptcp.ErrFallback) {
			t.Errorf("client InfoOf: %v; want ErrFallback", err)
		}
		if st, err := mptcp.StatusOf(r.conn); err != nil || st == mptcp.StatusMPTCP {
			t.Errorf("server status %v, %v; want no MPTCP", st, err)
		}
	}
	t.Run("ServerDisabled", func(t *testing.T) {
		topo := nstest.TwoHosts(t, 1)
		topo.Paths[0].Shape(t, failureRate)
		topo.Server.Sysctl(t, "net.mptcp.enabled", "0")
		check(t, topo)
	})
	t.Run("TCPOptStrip", func(t *testing.T) {
		if _, err := exec.LookPath("iptables"); err != nil {
			nstest.Skip(t, "iptables not installed")
		}
		topo := nstest.TwoHosts(t, 1)
		topo.Paths[0].Shape(t, failureRate)
		topo.Server.MustRun(t, "iptables", "-t", "mangle", "-A", "PREROUTING", "-p", "tcp", "-j", "TCPOPTSTRIP", "--strip-options", "30")
		check(t, topo)
	})
}
