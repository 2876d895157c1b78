//go:build linux

package nstest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/multipath-dev/go/internal/nstest"
)

// dialTimeout keeps a connect over a cut path from slowing the tests.
const dialTimeout = 2 * time.Second

// listen opens a TCP listener on addr:0 inside ns that reads every
// connection to its end and reports the bytes and time taken on the returned
// channel. The listener is closed when the test ends.
func listen(t *testing.T, ns *nstest.NS, addr netip.Addr, mptcp bool) (net.Listener, <-chan drained) {
	t.Helper()
	var ln net.Listener
	err := ns.Do(func() (err error) {
		var lc net.ListenConfig
		lc.SetMultipathTCP(mptcp)
		ln, err = lc.Listen(context.Background(), "tcp", netip.AddrPortFrom(addr, 0).String())
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s on %v: %v", ns.Name, addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	results := make(chan drained, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				start := time.Now()
				n, err := io.Copy(io.Discard, c)
				results <- drained{n, time.Since(start), err}
			}()
		}
	}()
	return ln, results
}

// drained is what a listen connection read.
type drained struct {
	n   int64
	d   time.Duration
	err error
}

// dial connects from inside ns to the listener's address.
func dial(ns *nstest.NS, to net.Addr, mptcp bool, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() (err error) {
		d := net.Dialer{Timeout: timeout}
		d.SetMultipathTCP(mptcp)
		c, err = d.Dial("tcp", to.String())
		return err
	})
	return c, err
}

// mustDial is dial that fails the test, and closes the connection at the end.
func mustDial(t *testing.T, ns *nstest.NS, to net.Addr, mptcp bool) net.Conn {
	t.Helper()
	c, err := dial(ns, to, mptcp, dialTimeout)
	if err != nil {
		t.Fatalf("dial from %s to %v: %v", ns.Name, to, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// localIP is the local address of a connection.
func localIP(c net.Conn) netip.Addr {
	return c.LocalAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
}

func TestDoEntersNamespace(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	var nsFile, hostFile os.FileInfo
	err := ns.Do(func() (err error) {
		var ifaces []net.Interface
		if ifaces, err = net.Interfaces(); err != nil {
			return err
		}
		if len(ifaces) != 1 || ifaces[0].Name != "lo" || ifaces[0].Flags&net.FlagUp == 0 {
			t.Errorf("interfaces in a new namespace = %+v, want only lo, up", ifaces)
		}
		nsFile, err = os.Stat("/proc/thread-self/ns/net")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	bound, err := os.Stat("/run/netns/" + ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	if hostFile, err = os.Stat("/proc/thread-self/ns/net"); err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(nsFile, bound) {
		t.Error("thread in Do is not in the namespace bound at /run/netns")
	}
	if os.SameFile(hostFile, bound) {
		t.Error("the test's own thread ended up in the namespace")
	}

	want := errors.New("from fn")
	if err := ns.Do(func() error { return want }); err != want {
		t.Errorf("Do returned %v, want fn's error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want fn's panic", r)
			}
		}()
		ns.Do(func() error { panic("boom") })
	}()
	if out := ns.MustRun(t, "cat", "/proc/net/dev"); strings.Contains(out, "eth") {
		t.Errorf("Run sees host interfaces:\n%s", out)
	}
	if _, err := ns.Run("false"); err == nil || !strings.Contains(err.Error(), "ip netns exec "+ns.Name+" false") {
		t.Errorf("Run(false) error = %v, want one naming the command line", err)
	}
}

func TestTwoHostsConnectivity(t *testing.T) {
	t.Parallel()
	topo := nstest.TwoHosts(t, 2)
	if len(topo.Paths) != 2 {
		t.Fatalf("got %d paths, want 2", len(topo.Paths))
	}
	for _, p := range topo.Paths {
		for _, fam := range []struct {
			name     string
			cli, srv netip.Addr
		}{{"ipv4", p.A4, p.B4}, {"ipv6", p.A6, p.B6}} {
			ln, _ := listen(t, topo.Server, fam.srv, false)
			start := time.Now()
			c := mustDial(t, topo.Client, ln.Addr(), false)
			// A SYN sent before the link is really up is dropped and resent
			// after a second.
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("path %d %s: first connect took %v", p.Index, fam.name, d)
			}
			if got := localIP(c); got != fam.cli {
				t.Errorf("path %d %s: client->server connection left from %v, want %v", p.Index, fam.name, got, fam.cli)
			}
			ln, _ = listen(t, topo.Client, fam.cli, false)
			if got := localIP(mustDial(t, topo.Server, ln.Addr(), false)); got != fam.srv {
				t.Errorf("path %d %s: server->client connection left from %v, want %v", p.Index, fam.name, got, fam.srv)
			}
		}
	}
	if _, err := net.InterfaceByName(topo.Paths[0].IfA); err == nil {
		t.Errorf("%s is visible in the host namespace", topo.Paths[0].IfA)
	}
	for _, ns := range []*nstest.NS{topo.Client, topo.Server} {
		for _, key := range []string{"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter", "net.ipv4.conf.p1a.rp_filter"} {
			if ns == topo.Server {
				key = strings.Replace(key, "p1a", "p1b", 1)
			}
			if got := ns.ReadSysctl(t, key); got != "0" {
				t.Errorf("%s in %s = %s, want 0", key, ns.Name, got)
			}
		}
	}
}

func TestSysctlRoundTrip(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	if got := ns.ReadSysctl(t, "net.mptcp.enabled"); got != "1" {
		t.Fatalf("net.mptcp.enabled in a new namespace = %q, want 1", got)
	}
	ns.Sysctl(t, "net.mptcp.enabled", "0")
	if got := ns.ReadSysctl(t, "net.mptcp.enabled"); got != "0" {
		t.Fatalf("net.mptcp.enabled after writing 0 = %q", got)
	}
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP)
		if err == nil {
			unix.Close(fd)
		}
		return err
	})
	if !errors.Is(err, unix.ENOPROTOOPT) {
		t.Errorf("MPTCP socket with net.mptcp.enabled=0: %v, want ENOPROTOOPT", err)
	}
	host, err := os.ReadFile("/proc/sys/net/mptcp/enabled")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(host)) == "0" {
		t.Error("writing the namespace's sysctl changed the host's")
	}
}

func TestCutRestore(t *testing.T) {
	t.Parallel()
	topo := nstest.TwoHosts(t, 1)
	p := topo.Paths[0]
	ln4, _ := listen(t, topo.Server, p.B4, false)
	ln6, _ := listen(t, topo.Server, p.B6, false)
	for _, ln := range []net.Listener{ln4, ln6} {
		mustDial(t, topo.Client, ln.Addr(), false)
	}

	p.Cut(t)
	for _, ln := range []net.Listener{ln4, ln6} {
		start := time.Now()
		c, err := dial(topo.Client, ln.Addr(), false, 500*time.Millisecond)
		if err == nil {
			c.Close()
			t.Errorf("dial %v over a cut path succeeded", ln.Addr())
		} else if d := time.Since(start); d > time.Second {
			t.Errorf("dial %v over a cut path took %v", ln.Addr(), d)
		} else {
			t.Logf("dial %v over a cut path: %v after %v", ln.Addr(), err, d.Round(time.Millisecond))
		}
	}

	if out := topo.Client.MustRun(t, "ip", "addr", "show", "dev", p.IfA); !hasAddrs(out, p.A4, p.A6) {
		t.Errorf("addresses gone while cut:\n%s", out)
	}

	p.Restore(t)
	checkRestored(t, topo, ln4, ln6)

	// Without keep_addr_on_down the kernel deletes IPv6 addresses on down;
	// Restore must put them back.
	for _, end := range []struct {
		ns     *nstest.NS
		ifname string
	}{{p.A, p.IfA}, {p.B, p.IfB}} {
		end.ns.Sysctl(t, "net/ipv6/conf/"+end.ifname+"/keep_addr_on_down", "0")
	}
	p.Cut(t)
	if out := topo.Client.MustRun(t, "ip", "addr", "show", "dev", p.IfA); hasAddrs(out, p.A6) {
		t.Logf("kernel kept the IPv6 address without keep_addr_on_down:\n%s", out)
	}
	p.Restore(t)
	checkRestored(t, topo, ln4, ln6)
}

// hasAddrs reports whether `ip addr show` output lists every address.
func hasAddrs(out string, addrs ...netip.Addr) bool {
	for _, a := range addrs {
		if !strings.Contains(out, " "+a.String()+"/") {
			return false
		}
	}
	return true
}

// checkRestored checks that path 1 of topo carries connections to ln4 and
// ln6 again and that both ends have their addresses.
func checkRestored(t *testing.T, topo *nstest.Topology, ln4, ln6 net.Listener) {
	t.Helper()
	p := topo.Paths[0]
	for _, ln := range []net.Listener{ln4, ln6} {
		if got := localIP(mustDial(t, topo.Client, ln.Addr(), false)); got != p.A4 && got != p.A6 {
			t.Errorf("connection after Restore left from %v", got)
		}
	}
	if out := p.A.MustRun(t, "ip", "addr", "show", "dev", p.IfA); !hasAddrs(out, p.A4, p.A6) {
		t.Errorf("addresses of %s after Restore:\n%s", p.IfA, out)
	}
	if out := p.B.MustRun(t, "ip", "addr", "show", "dev", p.IfB); !hasAddrs(out, p.B4, p.B6) {
		t.Errorf("addresses of %s after Restore:\n%s", p.IfB, out)
	}
}

func TestShape(t *testing.T) {
	t.Parallel()
	topo := nstest.TwoHosts(t, 1)
	p := topo.Paths[0]
	p.Shape(t, "40mbit")
	for _, end := range []struct {
		ns     *nstest.NS
		ifname string
	}{{p.A, p.IfA}, {p.B, p.IfB}} {
		out := end.ns.MustRun(t, "tc", "qdisc", "show", "dev", end.ifname)
		if !strings.Contains(out, "qdisc tbf") || !strings.Contains(out, "rate 40Mbit") {
			t.Errorf("tc qdisc show dev %s in %s:\n%s\nwant a 40Mbit tbf", end.ifname, end.ns.Name, out)
		}
	}

	// 1 MiB at 40 Mbit/s (5 MB/s) takes about 210 ms; the 20 kB bucket only
	// shortens that by 4 ms, so under 150 ms means the rate is not applied.
	const size = 1 << 20
	ln, done := listen(t, topo.Server, p.B4, false)
	c := mustDial(t, topo.Client, ln.Addr(), false)
	if _, err := c.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case r := <-done:
		if r.err != nil || r.n != size {
			t.Fatalf("server read %d bytes, %v; want %d", r.n, r.err, size)
		}
		if r.d < 150*time.Millisecond || r.d > 5*time.Second {
			t.Errorf("1 MiB over a 40mbit path took %v, want about 210ms", r.d)
		}
		t.Logf("1 MiB over a 40mbit path took %v", r.d.Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("transfer over the shaped path did not finish")
	}

	p.Shape(t, "1gbit")
	if out := p.A.MustRun(t, "tc", "qdisc", "show", "dev", p.IfA); !strings.Contains(out, "rate 1Gbit") || strings.Count(out, "qdisc") != 1 {
		t.Errorf("second Shape did not replace the first:\n%s", out)
	}
}

func TestCounter(t *testing.T) {
	t.Parallel()
	topo := nstest.TwoHosts(t, 1)
	p := topo.Paths[0]
	cli, srv := topo.Client, topo.Server

	active, passive := cli.Counter(t, "TcpActiveOpens"), srv.Counter(t, "TcpPassiveOpens")
	ln, _ := listen(t, srv, p.B4, false)
	mustDial(t, cli, ln.Addr(), false)
	if got := cli.Counter(t, "TcpActiveOpens"); got != active+1 {
		t.Errorf("TcpActiveOpens went from %d to %d after one connect", active, got)
	}
	// The server's counter moves when the handshake completes, which the
	// client sees first; poll briefly instead of racing it.
	waitCounter(t, srv, "TcpPassiveOpens", passive+1)

	syntx, synrx := cli.Counter(t, "MPTcpExtMPCapableSYNTX"), srv.Counter(t, "MPTcpExtMPCapableSYNRX")
	mln, _ := listen(t, srv, p.B4, true)
	mustDial(t, cli, mln.Addr(), true)
	if got := cli.Counter(t, "MPTcpExtMPCapableSYNTX"); got != syntx+1 {
		t.Errorf("MPTcpExtMPCapableSYNTX went from %d to %d after one MPTCP connect", syntx, got)
	}
	waitCounter(t, srv, "MPTcpExtMPCapableSYNRX", synrx+1)

	if got := cli.Counter(t, "TcpNoSuchCounter"); got != 0 {
		t.Errorf("absent counter = %d, want 0", got)
	}
}

// waitCounter waits up to a second for ns's counter name to reach want.
func waitCounter(t *testing.T, ns *nstest.NS, name string, want uint64) {
	t.Helper()
	var got uint64
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got = ns.Counter(t, name); got == want {
			return
		}
	}
	t.Errorf("%s in %s = %d, want %d", name, ns.Name, got, want)
}

func TestCleanupRemovesNamespace(t *testing.T) {
	var names []string
	t.Run("make", func(t *testing.T) {
		topo := nstest.TwoHosts(t, 1)
		names = []string{topo.Client.Name, topo.Server.Name}
		// A listener still open at the end must not keep the name around.
		listen(t, topo.Server, topo.Paths[0].B4, false)
		if out := topo.Client.MustRun(t, "ip", "netns", "list"); !strings.Contains(out, names[0]) {
			t.Fatalf("%s not in ip netns list:\n%s", names[0], out)
		}
	})
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.Contains(string(out), name) {
			t.Errorf("%s still listed after its test ended:\n%s", name, out)
		}
		if _, err := os.Stat("/run/netns/" + name); !errors.Is(err, syscall.ENOENT) {
			t.Errorf("/run/netns/%s after its test ended: %v", name, err)
		}
	}
}

// helperEnv makes TestHelperFailingTest run; the test binary re-runs itself
// with it to watch a failing test's cleanup.
const helperEnv = "NSTEST_FAILING_HELPER"

func TestCleanupAfterFailure(t *testing.T) {
	nstest.Require(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFailingTest$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("failing helper test passed:\n%s", out)
	}
	_, after, ok := strings.Cut(string(out), "namespace=")
	name, _, _ := strings.Cut(after, "\n")
	if !ok || !strings.HasPrefix(name, "mptcpt-") {
		t.Fatalf("helper printed no namespace:\n%s", out)
	}
	if _, err := os.Stat("/run/netns/" + name); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("/run/netns/%s after its test failed: %v\n%s", name, err, out)
	}
}

// TestHelperFailingTest makes a topology and fails; it only runs under
// TestCleanupAfterFailure.
func TestHelperFailingTest(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("only run by TestCleanupAfterFailure")
	}
	topo := nstest.TwoHosts(t, 1)
	fmt.Printf("namespace=%s\n", topo.Client.Name)
	t.Fatal("failing on purpose")
}
