//go:build linux

package netlab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/multipath-dev/go/internal/netlab"
	"github.com/multipath-dev/go/internal/nstest"
)

// prefix starts the names of this test binary's namespaces.
const prefix = "netlabt-"

// dialTimeout keeps a connect over a cut path from slowing the tests.
const dialTimeout = 2 * time.Second

// staleOnce removes namespaces of crashed runs of these tests once.
var staleOnce sync.Once

// ready skips the test where namespaces cannot be made (failing it in CI,
// see nstest.Skip) and removes crashed runs' leftovers once per process.
func ready(t *testing.T) {
	t.Helper()
	nstest.Require(t)
	staleOnce.Do(func() {
		for _, name := range netlab.RemoveStale(prefix) {
			t.Logf("removed stale namespace %s", name)
		}
	})
}

// newNS is NewNS that fails the test on error and deletes the namespace
// when the test ends.
func newNS(t *testing.T) *netlab.NS {
	t.Helper()
	ready(t)
	ns, err := netlab.NewNS(prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { must(t, ns.Delete()) })
	return ns
}

// twoHosts is TwoHosts that fails the test on error and closes the
// topology when the test ends.
func twoHosts(t *testing.T, n int) *netlab.Topology {
	t.Helper()
	ready(t)
	topo, err := netlab.TwoHosts(prefix, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { must(t, topo.Close()) })
	return topo
}

// must fails the test with err, if any.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// run is ns.Run that fails the test on error.
func run(t *testing.T, ns *netlab.NS, name string, args ...string) string {
	t.Helper()
	out, err := ns.Run(name, args...)
	must(t, err)
	return out
}

// exists reports whether the namespace called name is bound in /run/netns.
func exists(t *testing.T, name string) bool {
	t.Helper()
	_, err := os.Stat("/run/netns/" + name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// listen opens a TCP listener on addr:0 inside ns that reads every
// connection to its end and reports the bytes and time taken on the returned
// channel. The listener is closed when the test ends.
func listen(t *testing.T, ns *netlab.NS, addr netip.Addr, mptcp bool) (net.Listener, <-chan drained) {
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
func dial(ns *netlab.NS, to net.Addr, mptcp bool, timeout time.Duration) (net.Conn, error) {
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
func mustDial(t *testing.T, ns *netlab.NS, to net.Addr, mptcp bool) net.Conn {
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

func TestNewNS(t *testing.T) {
	t.Parallel()
	a, b := newNS(t), newNS(t)
	name := regexp.MustCompile(`^` + prefix + fmt.Sprint(os.Getpid()) + `-\d+$`)
	for _, ns := range []*netlab.NS{a, b} {
		if !name.MatchString(ns.Name) || !exists(t, ns.Name) {
			t.Errorf("namespace %q: want a bound name matching %v", ns.Name, name)
		}
		for _, key := range []string{"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"} {
			if got, err := ns.Sysctl(key); err != nil || got != "0" {
				t.Errorf("%s in %s = %q, %v; want 0", key, ns.Name, got, err)
			}
		}
	}
	if a.Name == b.Name {
		t.Errorf("two namespaces named %s", a.Name)
	}

	if _, err := netlab.NewNS("bad/prefix-"); err == nil {
		t.Error("NewNS with a / in the prefix succeeded")
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	ready(t)
	ns, err := netlab.NewNS(prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Delete() }) // In case a check below fails first.
	must(t, ns.Delete())
	if exists(t, ns.Name) {
		t.Errorf("%s still bound after Delete", ns.Name)
	}
	if err := ns.Delete(); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
	if err := ns.Do(func() error { return nil }); err == nil || !strings.Contains(err.Error(), ns.Name) {
		t.Errorf("Do in a deleted namespace = %v, want an error naming it", err)
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
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
	must(t, err)
	bound, err := os.Stat("/run/netns/" + ns.Name)
	must(t, err)
	hostFile, err = os.Stat("/proc/thread-self/ns/net")
	must(t, err)
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
	err = ns.Do(func() error { runtime.Goexit(); return nil })
	if err == nil || !strings.Contains(err.Error(), "exited early") {
		t.Errorf("Do of a function that exits the goroutine = %v", err)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	if out := run(t, ns, "cat", "/proc/net/dev"); strings.Contains(out, "eth") {
		t.Errorf("Run sees host interfaces:\n%s", out)
	}
	out, err := ns.Run("sh", "-c", "echo to-stderr >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "ip netns exec "+ns.Name+" sh") ||
		!strings.Contains(err.Error(), "to-stderr") || !strings.Contains(out, "to-stderr") {
		t.Errorf("Run of a failing command = %q, %v; want the output and an error naming the command line", out, err)
	}
}

func TestTwoHosts(t *testing.T) {
	t.Parallel()
	topo := twoHosts(t, 2)
	if len(topo.Paths) != 2 {
		t.Fatalf("got %d paths, want 2", len(topo.Paths))
	}
	for i, p := range topo.Paths {
		if p.Index != i+1 || p.A != topo.Client || p.B != topo.Server ||
			p.IfA != fmt.Sprintf("p%da", i+1) || p.IfB != fmt.Sprintf("p%db", i+1) {
			t.Errorf("path %d = %+v", i+1, p)
		}
		checkIfindex(t, p.A, p.IfA, 1000+p.Index)
		checkIfindex(t, p.B, p.IfB, 2000+p.Index)
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
	for _, end := range []struct {
		ns     *netlab.NS
		ifname string
	}{{topo.Client, "p1a"}, {topo.Server, "p1b"}} {
		for _, key := range []string{"net.ipv4.conf." + end.ifname + ".rp_filter", "net/ipv6/conf/" + end.ifname + "/keep_addr_on_down"} {
			want := map[bool]string{true: "0", false: "1"}[strings.Contains(key, "rp_filter")]
			if got, err := end.ns.Sysctl(key); err != nil || got != want {
				t.Errorf("%s in %s = %q, %v; want %s", key, end.ns.Name, got, err, want)
			}
		}
	}
	// The source routes of path 2 on the client, as SourceRoute describes.
	if out := run(t, topo.Client, "ip", "-6", "rule", "show"); !strings.Contains(out, "40002:\tfrom 2001:db8:2::1 lookup 102") {
		t.Errorf("client's IPv6 rules lack path 2's:\n%s", out)
	}
	if out := run(t, topo.Server, "ip", "route", "show", "table", "102"); !strings.Contains(out, "default via 198.18.2.1 dev p2b") {
		t.Errorf("server's table 102:\n%s", out)
	}
}

// checkIfindex checks the interface index of ifname inside ns.
func checkIfindex(t *testing.T, ns *netlab.NS, ifname string, want int) {
	t.Helper()
	var got int
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err == nil {
			got = ifi.Index
		}
		return err
	})
	if err != nil || got != want {
		t.Errorf("ifindex of %s in %s = %d, %v; want %d", ifname, ns.Name, got, err, want)
	}
}

func TestTwoHostsErrors(t *testing.T) {
	ready(t)
	before, err := os.ReadDir("/run/netns")
	must(t, err)
	for _, n := range []int{0, -1, netlab.MaxPaths + 1} {
		if topo, err := netlab.TwoHosts(prefix, n); err == nil {
			topo.Close()
			t.Errorf("TwoHosts(%d) succeeded", n)
		}
	}
	if _, err := netlab.TwoHosts("bad/prefix-", 1); err == nil {
		t.Error("TwoHosts with a / in the prefix succeeded")
	}
	after, err := os.ReadDir("/run/netns")
	must(t, err)
	for _, e := range after {
		name := e.Name()
		if strings.HasPrefix(name, prefix+fmt.Sprint(os.Getpid())+"-") &&
			!slices.ContainsFunc(before, func(b os.DirEntry) bool { return b.Name() == name }) {
			t.Errorf("failed TwoHosts left %s behind", name)
		}
	}
}

func TestTopologyClose(t *testing.T) {
	t.Parallel()
	ready(t)
	topo, err := netlab.TwoHosts(prefix, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { topo.Close() }) // In case a check below fails first.
	must(t, topo.Close())
	for _, ns := range []*netlab.NS{topo.Client, topo.Server} {
		if exists(t, ns.Name) {
			t.Errorf("%s still bound after Close", ns.Name)
		}
	}
	if err := topo.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestLinkErrors(t *testing.T) {
	t.Parallel()
	a, b := newNS(t), newNS(t)
	for _, tc := range []struct {
		a, b  *netlab.NS
		index int
	}{{a, b, 0}, {a, b, netlab.MaxPaths + 1}, {a, a, 1}, {a, nil, 1}} {
		if _, err := netlab.Link(tc.a, tc.b, tc.index); err == nil {
			t.Errorf("Link(%v, %v, %d) succeeded", tc.a, tc.b, tc.index)
		}
	}

	// New interfaces in a get IPv6 disabled, so adding the IPv6 address
	// fails after the veth exists: Link must delete it again.
	must(t, a.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1"))
	if _, err := netlab.Link(a, b, 1); err == nil {
		t.Fatal("Link with IPv6 disabled succeeded")
	} else {
		t.Logf("Link with IPv6 disabled: %v", err)
	}
	for _, end := range []struct {
		ns     *netlab.NS
		ifname string
	}{{a, "p1a"}, {b, "p1b"}} {
		if out, err := end.ns.Run("ip", "link", "show", end.ifname); err == nil {
			t.Errorf("failed Link left %s in %s:\n%s", end.ifname, end.ns.Name, out)
		}
	}
	must(t, a.SetSysctl("net.ipv6.conf.default.disable_ipv6", "0"))
	p, err := netlab.Link(a, b, 1)
	must(t, err)
	if _, err := netlab.Link(a, b, 1); err == nil {
		t.Error("second Link with the same index succeeded")
	}
	ln, _ := listen(t, b, p.B6, false)
	mustDial(t, a, ln.Addr(), false)
}

func TestSysctl(t *testing.T) {
	t.Parallel()
	ns := newNS(t)
	if got, err := ns.Sysctl("net.mptcp.enabled"); err != nil || got != "1" {
		t.Fatalf("net.mptcp.enabled in a new namespace = %q, %v; want 1", got, err)
	}
	must(t, ns.SetSysctl("net.mptcp.enabled", "0"))
	if got, err := ns.Sysctl("net.mptcp.enabled"); err != nil || got != "0" {
		t.Fatalf("net.mptcp.enabled after writing 0 = %q, %v", got, err)
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
	must(t, err)
	if strings.TrimSpace(string(host)) == "0" {
		t.Error("writing the namespace's sysctl changed the host's")
	}

	if _, err := ns.Sysctl("net.no.such"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), ns.Name) {
		t.Errorf("Sysctl of a missing key = %v, want ErrNotExist naming the namespace", err)
	}
	if err := ns.SetSysctl("net.mptcp.enabled", "bogus"); err == nil {
		t.Error("SetSysctl of an invalid value succeeded")
	}
}

func TestCutRestore(t *testing.T) {
	t.Parallel()
	topo := twoHosts(t, 1)
	p := topo.Paths[0]
	ln4, _ := listen(t, topo.Server, p.B4, false)
	ln6, _ := listen(t, topo.Server, p.B6, false)
	for _, ln := range []net.Listener{ln4, ln6} {
		mustDial(t, topo.Client, ln.Addr(), false)
	}

	must(t, p.Cut())
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

	if out := run(t, topo.Client, "ip", "addr", "show", "dev", p.IfA); !hasAddrs(out, p.A4, p.A6) {
		t.Errorf("addresses gone while cut:\n%s", out)
	}

	must(t, p.Restore())
	checkRestored(t, topo, ln4, ln6)

	// Without keep_addr_on_down the kernel deletes IPv6 addresses on down;
	// Restore must put them back.
	must(t, p.A.SetSysctl("net/ipv6/conf/"+p.IfA+"/keep_addr_on_down", "0"))
	must(t, p.B.SetSysctl("net/ipv6/conf/"+p.IfB+"/keep_addr_on_down", "0"))
	must(t, p.Cut())
	if out := run(t, topo.Client, "ip", "addr", "show", "dev", p.IfA); hasAddrs(out, p.A6) {
		t.Logf("kernel kept the IPv6 address without keep_addr_on_down:\n%s", out)
	}
	must(t, p.Restore())
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
func checkRestored(t *testing.T, topo *netlab.Topology, ln4, ln6 net.Listener) {
	t.Helper()
	p := topo.Paths[0]
	for _, ln := range []net.Listener{ln4, ln6} {
		if got := localIP(mustDial(t, topo.Client, ln.Addr(), false)); got != p.A4 && got != p.A6 {
			t.Errorf("connection after Restore left from %v", got)
		}
	}
	if out := run(t, p.A, "ip", "addr", "show", "dev", p.IfA); !hasAddrs(out, p.A4, p.A6) {
		t.Errorf("addresses of %s after Restore:\n%s", p.IfA, out)
	}
	if out := run(t, p.B, "ip", "addr", "show", "dev", p.IfB); !hasAddrs(out, p.B4, p.B6) {
		t.Errorf("addresses of %s after Restore:\n%s", p.IfB, out)
	}
	// The kernel deletes a table's routes through a device that goes down;
	// Restore puts the source routes back.
	for _, fam := range []string{"-4", "-6"} {
		if out := run(t, p.A, "ip", fam, "route", "show", "table", strconv.Itoa(100+p.Index)); !strings.Contains(out, "default via") {
			t.Errorf("source route table %d (%s) after Restore: %q", 100+p.Index, fam, out)
		}
	}
}

func TestShape(t *testing.T) {
	t.Parallel()
	topo := twoHosts(t, 1)
	p := topo.Paths[0]
	if err := p.Shape("20furlongs"); err == nil || !strings.Contains(err.Error(), "20furlongs") {
		t.Errorf("Shape with a bad rate = %v, want an error naming it", err)
	}
	must(t, p.Shape("40mbit"))
	for _, end := range []struct {
		ns     *netlab.NS
		ifname string
	}{{p.A, p.IfA}, {p.B, p.IfB}} {
		out := run(t, end.ns, "tc", "qdisc", "show", "dev", end.ifname)
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

	must(t, p.Shape("1gbit"))
	if out := run(t, p.A, "tc", "qdisc", "show", "dev", p.IfA); !strings.Contains(out, "rate 1Gbit") || strings.Count(out, "qdisc") != 1 {
		t.Errorf("second Shape did not replace the first:\n%s", out)
	}
}

func TestCounter(t *testing.T) {
	t.Parallel()
	topo := twoHosts(t, 1)
	p := topo.Paths[0]
	cli, srv := topo.Client, topo.Server

	active, passive := counter(t, cli, "TcpActiveOpens"), counter(t, srv, "TcpPassiveOpens")
	ln, _ := listen(t, srv, p.B4, false)
	mustDial(t, cli, ln.Addr(), false)
	if got := counter(t, cli, "TcpActiveOpens"); got != active+1 {
		t.Errorf("TcpActiveOpens went from %d to %d after one connect", active, got)
	}
	// The server's counter moves when the handshake completes, which the
	// client sees first; poll briefly instead of racing it.
	waitCounter(t, srv, "TcpPassiveOpens", passive+1)

	syntx, synrx := counter(t, cli, "MPTcpExtMPCapableSYNTX"), counter(t, srv, "MPTcpExtMPCapableSYNRX")
	mln, _ := listen(t, srv, p.B4, true)
	mustDial(t, cli, mln.Addr(), true)
	if got := counter(t, cli, "MPTcpExtMPCapableSYNTX"); got != syntx+1 {
		t.Errorf("MPTcpExtMPCapableSYNTX went from %d to %d after one MPTCP connect", syntx, got)
	}
	waitCounter(t, srv, "MPTcpExtMPCapableSYNRX", synrx+1)

	if got := counter(t, cli, "TcpNoSuchCounter"); got != 0 {
		t.Errorf("absent counter = %d, want 0", got)
	}
	if got, err := cli.Counter("TcpMaxConn"); err == nil {
		t.Errorf("TcpMaxConn (-1) = %d, want an error", got)
	}
}

// counter is ns.Counter that fails the test on error.
func counter(t *testing.T, ns *netlab.NS, name string) uint64 {
	t.Helper()
	v, err := ns.Counter(name)
	must(t, err)
	return v
}

// waitCounter waits up to a second for ns's counter name to reach want.
func waitCounter(t *testing.T, ns *netlab.NS, name string, want uint64) {
	t.Helper()
	var got uint64
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got = counter(t, ns, name); got == want {
			return
		}
	}
	t.Errorf("%s in %s = %d, want %d", name, ns.Name, got, want)
}

func TestRemoveStale(t *testing.T) {
	ready(t)
	// A prefix of this run alone, so parallel runs neither see nor remove
	// these namespaces.
	pre := fmt.Sprintf("netlabrs%d-", os.Getpid())
	// A pid that existed a moment ago and, with pids handed out in order,
	// will not be reused during this test.
	cmd := exec.Command("true")
	must(t, cmd.Run())
	dead := cmd.Process.Pid
	if err := unix.Kill(dead, 0); !errors.Is(err, unix.ESRCH) {
		t.Skipf("pid %d was reused already", dead)
	}
	stale := fmt.Sprintf("%s%d-1", pre, dead)
	keep := []string{
		fmt.Sprintf("%s1-%d", pre, os.Getpid()),      // pid 1 is alive.
		fmt.Sprintf("%s%d-999999", pre, os.Getpid()), // our own.
		fmt.Sprintf("%s%d-1", pre, os.Getppid()),     // the go command.
		fmt.Sprintf("%sx%d-1", pre, dead),            // not a name NewNS makes.
	}
	for _, name := range append([]string{stale}, keep...) {
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v\n%s", name, err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	}

	if got := netlab.RemoveStale(pre); !slices.Equal(got, []string{stale}) {
		t.Errorf("RemoveStale = %q, want [%s]", got, stale)
	}
	if exists(t, stale) {
		t.Errorf("stale %s not removed", stale)
	}
	for _, name := range keep {
		if !exists(t, name) {
			t.Errorf("%s was removed", name)
		}
	}
}
