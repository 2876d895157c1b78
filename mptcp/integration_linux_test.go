//go:build linux

package mptcp_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// listenIn creates a listener inside ns with lc.
func listenIn(t *testing.T, ns *nstest.NS, lc *mptcp.ListenConfig, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	err := ns.Do(func() (err error) {
		ln, err = lc.Listen(context.Background(), "tcp", addr)
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s on %s: %v", ns.Name, addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// dialIn dials from inside ns with d.
func dialIn(ns *nstest.NS, d *mptcp.Dialer, addr string) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() (err error) {
		c, err = d.Dial("tcp", addr)
		return err
	})
	return c, err
}

// sink accepts one connection on ln and reads it to EOF, returning the
// connection (still open) with the SHA-256 and length of what it read.
type sunk struct {
	conn *net.TCPConn
	sum  [32]byte
	n    int64
	err  error
}

func sink(ln net.Listener) <-chan sunk {
	ch := make(chan sunk, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ch <- sunk{err: err}
			return
		}
		h := sha256.New()
		n, err := io.Copy(h, c)
		r := sunk{conn: c.(*net.TCPConn), n: n, err: err}
		copy(r.sum[:], h.Sum(nil))
		ch <- r
	}()
	return ch
}

// waitSubflows polls c until it has n established subflows or the deadline
// passes.
func waitSubflows(t *testing.T, c *net.TCPConn, n int) []mptcp.Subflow {
	t.Helper()
	in, err := mptcp.NewInspector(c)
	if err != nil {
		t.Fatal(err)
	}
	var sfs []mptcp.Subflow
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if sfs, err = in.Subflows(sfs); err != nil {
			t.Fatalf("Subflows: %v", err)
		}
		est := 0
		for _, sf := range sfs {
			if sf.State == mptcp.TCPEstablished {
				est++
			}
		}
		if est >= n {
			return sfs
		}
	}
	t.Fatalf("%d subflows after 10s, want %d: %+v", len(sfs), n, sfs)
	return nil
}

func TestIntegrationTwoPaths(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		name := "IPv4"
		if v6 {
			name = "IPv6"
		}
		t.Run(name, func(t *testing.T) { testTwoPaths(t, v6) })
	}
}

func testTwoPaths(t *testing.T, v6 bool) {
	topo := nstest.TwoHosts(t, 2)
	p1, p2 := topo.Paths[0], topo.Paths[1]
	srvAddr, extra := p1.B4, p2.A4
	if v6 {
		srvAddr, extra = p1.B6, p2.A6
	}
	// The server accepts joins; the client has one subflow endpoint on
	// path 2.
	subflowEndpoint(t, topo, extra)

	ln := listenIn(t, topo.Server, &mptcp.ListenConfig{Policy: mptcp.Require}, netip.AddrPortFrom(srvAddr, 0).String())
	got := sink(ln)
	c, err := dialIn(topo.Client, &mptcp.Dialer{Policy: mptcp.Require}, ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	client := c.(*net.TCPConn)

	const n = 8 << 20
	data := make([]byte, n)
	rand.Read(data)
	// Why data goes first: the client's path manager opens subflows only
	// once the connection is fully established, which takes the server's
	// first data acknowledgement.
	if _, err := client.Write(data[:64<<10]); err != nil {
		t.Fatal(err)
	}
	waitSubflows(t, client, 2)
	if _, err := client.Write(data[64<<10:]); err != nil {
		t.Fatal(err)
	}
	client.CloseWrite()
	r := <-got
	if r.err != nil || r.n != n || r.sum != sha256.Sum256(data) {
		t.Fatalf("server read %d bytes (err %v), hash match %v; want %d intact", r.n, r.err, r.sum == sha256.Sum256(data), n)
	}
	server := r.conn
	defer server.Close()

	want := map[string][][2]netip.AddrPort{}
	cl := netip.MustParseAddrPort(client.LocalAddr().String())
	sv := netip.MustParseAddrPort(ln.Addr().String())
	for side, conn := range map[string]*net.TCPConn{"client": client, "server": server} {
		st, err := mptcp.StatusOf(conn)
		if err != nil || st != mptcp.StatusMPTCP {
			t.Errorf("%s: status %v, %v; want mptcp", side, st, err)
		}
		in, _ := mptcp.NewInspector(conn)
		var info mptcp.Info
		sfs, err := in.Snapshot(&info, nil)
		if err != nil {
			t.Fatalf("%s: Snapshot: %v", side, err)
		}
		if len(sfs) != 2 || info.Subflows() != 2 || info.ExtraSubflows != 1 {
			t.Errorf("%s: %d subflows listed, Info.Subflows %d, extra %d; want 2, 2, 1", side, len(sfs), info.Subflows(), info.ExtraSubflows)
		}
		var pairs [][2]netip.AddrPort
		var rcvd, sent uint64
		for _, sf := range sfs {
			pairs = append(pairs, [2]netip.AddrPort{sf.Local, sf.Remote})
			rcvd += sf.BytesReceived
			sent += sf.BytesSent
		}
		want[side] = pairs
		switch side {
		case "client":
			if info.BytesSent != n || info.BytesAcked < n || sent < n {
				t.Errorf("client: MPTCP bytes sent %d, acked %d, subflow bytes sent %d; want %d each", info.BytesSent, info.BytesAcked, sent, n)
			}
		case "server":
			if info.BytesReceived != n || rcvd < n {
				t.Errorf("server: MPTCP bytes received %d, subflow bytes received %d; want %d", info.BytesReceived, rcvd, n)
			}
		}
		compareSS(t, side, map[string]*nstest.NS{"client": topo.Client, "server": topo.Server}[side], info, sfs)
	}
	// An Inspector with room for one subflow grows its buffers, on both
	// the FULL_INFO path and the older one.
	for _, older := range []bool{false, true} {
		in, _ := mptcp.NewInspector(client)
		mptcp.SizeInspectorForTest(in, 1)
		if older {
			mptcp.UseOlderSubflowPathForTest(in)
		}
		if sfs, err := in.Subflows(nil); err != nil || len(sfs) != 2 {
			t.Errorf("inspector sized for 1 subflow (older path %v): %d subflows, %v; want 2", older, len(sfs), err)
		}
	}

	// The client's subflows: the initial one, and one from the endpoint
	// address on path 2, both to the server's address.
	cs := want["client"]
	if len(cs) == 2 {
		if cs[0] != [2]netip.AddrPort{cl, sv} || cs[1][0].Addr() != extra || cs[1][1] != sv {
			t.Errorf("client subflows %v; want %v->%v and %v:*->%v", cs, cl, sv, extra, sv)
		}
		ss := want["server"]
		for i := range ss {
			if ss[i] != [2]netip.AddrPort{cs[i][1], cs[i][0]} {
				t.Errorf("server subflow %d is %v, mirror of the client's %v expected", i, ss[i], cs[i])
			}
		}
	}
}

// subflowEndpoint sets the limits on both hosts to 2 subflows and 2
// accepted addresses through pm, and gives the client a subflow endpoint
// for addr on path 2's device; `ip mptcp` must then show the same.
func subflowEndpoint(tb testing.TB, topo *nstest.Topology, addr netip.Addr) {
	tb.Helper()
	two := uint32(2)
	p2 := topo.Paths[1]
	for _, ns := range []*nstest.NS{topo.Server, topo.Client} {
		c, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + ns.Name})
		if err != nil {
			tb.Fatal(err)
		}
		defer c.Close()
		if err := c.SetLimits(pm.LimitsUpdate{Subflows: &two, AddAddrAccepted: &two}); err != nil {
			tb.Fatal(err)
		}
		if out := ns.MustRun(tb, "ip", "mptcp", "limits", "show"); strings.TrimSpace(out) != "add_addr_accepted 2 subflows 2" {
			tb.Fatalf("%s: ip mptcp limits show: %q", ns.Name, out)
		}
		if ns != topo.Client {
			continue
		}
		var ifindex int
		if err := ns.Do(func() error {
			ifi, err := net.InterfaceByName(p2.IfA)
			if err == nil {
				ifindex = ifi.Index
			}
			return err
		}); err != nil {
			tb.Fatal(err)
		}
		ep, err := c.AddEndpoint(pm.Endpoint{Addr: addr, Interface: ifindex, Flags: pm.FlagSubflow})
		if err != nil {
			tb.Fatal(err)
		}
		want := fmt.Sprintf("%v id %d subflow dev %s", addr, ep.ID, p2.IfA)
		if out := ns.MustRun(tb, "ip", "mptcp", "endpoint", "show"); strings.TrimSpace(out) != want {
			tb.Fatalf("ip mptcp endpoint show: %q; want %q", out, want)
		}
	}
}

// ssRecord is one socket in the output of `ss -Mtin`.
type ssRecord struct {
	netid, local, peer, detail string
}

// ssDev is the "%dev" ss adds to the address of a device-bound socket.
var ssDev = regexp.MustCompile(`%[^:\]]+`)

var ssHeader = regexp.MustCompile(`^(tcp|mptcp)\s+\S+\s+\d+\s+\d+\s+(\S+)\s+(\S+)`)

func parseSS(out string) []ssRecord {
	var recs []ssRecord
	for _, line := range strings.Split(out, "\n") {
		if m := ssHeader.FindStringSubmatch(line); m != nil {
			recs = append(recs, ssRecord{netid: m[1], local: ssDev.ReplaceAllString(m[2], ""), peer: ssDev.ReplaceAllString(m[3], "")})
		} else if len(recs) > 0 && strings.HasPrefix(line, "\t") {
			recs[len(recs)-1].detail += line
		}
	}
	return recs
}

func ssField(detail, key string) string {
	m := regexp.MustCompile(`(?:^|\s)` + regexp.QuoteMeta(key) + `:(\S+)`).FindStringSubmatch(detail)
	if m == nil {
		return ""
	}
	return m[1]
}

// compareSS checks that ss -Mtin in ns shows the connection as the library
// does: the MPTCP socket with its token, extra-subflow count and sequence
// number, and one TCP subflow carrying that token per subflow we listed,
// with the same addresses.
func compareSS(t *testing.T, side string, ns *nstest.NS, info mptcp.Info, sfs []mptcp.Subflow) {
	t.Helper()
	out := ns.MustRun(t, "ss", "-Mtin")
	token := fmt.Sprintf("%x", info.Token) // ss prints it without leading zeros
	var msk *ssRecord
	var subflows []string
	for _, r := range parseSS(out) {
		switch {
		case r.netid == "mptcp" && ssField(r.detail, "token") == token:
			msk = &r
		case r.netid == "tcp" && strings.Contains(r.detail, "tcp-ulp-mptcp") && strings.Contains(ssField(r.detail, "token"), "/"+token+"("):
			subflows = append(subflows, r.local+" "+r.peer)
		}
	}
	if msk == nil {
		t.Errorf("%s: ss -Mtin shows no MPTCP socket with token %s:\n%s", side, token, out)
		return
	}
	extra, _ := strconv.Atoi(ssField(msk.detail, "subflows")) // absent means 0
	if extra != int(info.ExtraSubflows) {
		t.Errorf("%s: ss shows subflows:%d, the library %d extra subflows", side, extra, info.ExtraSubflows)
	}
	var ours []string
	for _, sf := range sfs {
		ours = append(ours, ssAddr(sf.Local)+" "+ssAddr(sf.Remote))
	}
	slices.Sort(ours)
	slices.Sort(subflows)
	if !slices.Equal(ours, subflows) {
		t.Errorf("%s: ss shows subflows %q, the library %q", side, subflows, ours)
	}
}

// ssAddr formats an address as ss -n prints it.
func ssAddr(ap netip.AddrPort) string {
	if ap.Addr().Is6() {
		return "[" + ap.Addr().String() + "]:" + strconv.Itoa(int(ap.Port()))
	}
	return ap.String()
}

func TestIntegrationFallbackServerDisabled(t *testing.T) {
	// Both families: the kernel answers MPTCP_INFO on a fallen-back socket
	// with EOPNOTSUPP for IPv4 and ENOPROTOOPT for IPv6.
	for _, v6 := range []bool{false, true} {
		t.Run(map[bool]string{false: "IPv4", true: "IPv6"}[v6], func(t *testing.T) {
			topo := nstest.TwoHosts(t, 1)
			topo.Server.Sysctl(t, "net.mptcp.enabled", "0")
			var avail error
			topo.Server.Do(func() error { avail = mptcp.Available(); return nil })
			var ue *mptcp.UnavailableError
			if !errors.As(avail, &ue) || ue.Reason != mptcp.ReasonDisabled {
				t.Fatalf("Available in the server namespace: %v; want ReasonDisabled", avail)
			}
			srv := topo.Paths[0].B4
			if v6 {
				srv = topo.Paths[0].B6
			}
			ln := listenIn(t, topo.Server, &mptcp.ListenConfig{}, netip.AddrPortFrom(srv, 0).String())
			got := sink(ln)
			c, err := dialIn(topo.Client, &mptcp.Dialer{}, ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("hello"))
			c.(*net.TCPConn).CloseWrite()
			r := <-got
			if r.err != nil || r.n != 5 {
				t.Fatalf("server read %d bytes, %v", r.n, r.err)
			}
			defer r.conn.Close()
			if st, err := mptcp.StatusOf(c.(*net.TCPConn)); st != mptcp.StatusFallback || err != nil {
				t.Errorf("client status %v, %v; want fallback", st, err)
			}
			if st, err := mptcp.StatusOf(r.conn); st != mptcp.StatusTCP || err != nil {
				t.Errorf("server status %v, %v; want tcp", st, err)
			}
			if _, err := mptcp.InfoOf(c.(*net.TCPConn)); !errors.Is(err, mptcp.ErrFallback) {
				t.Errorf("client InfoOf: %v; want ErrFallback", err)
			}
			if _, err := mptcp.SubflowsOf(c.(*net.TCPConn)); !errors.Is(err, mptcp.ErrFallback) {
				t.Errorf("client SubflowsOf: %v; want ErrFallback", err)
			}
			// Require refuses the fallen-back connection with ErrFallback.
			_, err = dialIn(topo.Client, &mptcp.Dialer{Policy: mptcp.Require}, ln.Addr().String())
			if !errors.Is(err, mptcp.ErrFallback) || errors.Is(err, mptcp.ErrUnavailable) {
				t.Errorf("Require to a server without MPTCP: %v; want ErrFallback", err)
			}
		})
	}
}

func TestIntegrationFallbackClientDisabled(t *testing.T) {
	topo := nstest.TwoHosts(t, 1)
	ln := listenIn(t, topo.Server, &mptcp.ListenConfig{Policy: mptcp.Require}, netip.AddrPortFrom(topo.Paths[0].B4, 0).String())
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	echo := func(c net.Conn) {
		t.Helper()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4)
		if _, err := io.ReadFull(c, b); err != nil || string(b) != "ping" {
			t.Fatalf("echo: %q, %v", b, err)
		}
	}
	status := func(c net.Conn) mptcp.Status {
		st, err := mptcp.StatusOf(c.(*net.TCPConn))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	topo.Client.Sysctl(t, "net.mptcp.enabled", "0")
	var avail error
	topo.Client.Do(func() error { avail = mptcp.Available(); return nil })
	if !errors.Is(avail, mptcp.ErrUnavailable) || !errors.Is(avail, syscall.ENOPROTOOPT) || !strings.Contains(avail.Error(), "net.mptcp.enabled=0") {
		t.Fatalf("Available with net.mptcp.enabled=0: %v; want ErrUnavailable, ENOPROTOOPT and the sysctl named", avail)
	}
	c, err := dialIn(topo.Client, &mptcp.Dialer{}, ln.Addr().String())
	if err != nil {
		t.Fatalf("Prefer with MPTCP disabled: %v", err)
	}
	echo(c)
	if st := status(c); st != mptcp.StatusTCP {
		t.Errorf("Prefer with MPTCP disabled: status %v; want tcp", st)
	}
	c.Close()
	_, err = dialIn(topo.Client, &mptcp.Dialer{Policy: mptcp.Require}, ln.Addr().String())
	var ue *mptcp.UnavailableError
	if !errors.As(err, &ue) || ue.Reason != mptcp.ReasonDisabled || !errors.Is(err, syscall.ENOPROTOOPT) {
		t.Errorf("Require with MPTCP disabled: %v; want an UnavailableError for the sysctl", err)
	}
	_, err = (func() (net.Listener, error) {
		var ln net.Listener
		err := topo.Client.Do(func() (err error) {
			ln, err = (&mptcp.ListenConfig{Policy: mptcp.Require}).Listen(context.Background(), "tcp", "127.0.0.1:0")
			return err
		})
		return ln, err
	})()
	if !errors.Is(err, mptcp.ErrUnavailable) {
		t.Errorf("Require listener with MPTCP disabled: %v; want ErrUnavailable", err)
	}

	// Switching it back on is seen by the same process at once.
	topo.Client.Sysctl(t, "net.mptcp.enabled", "1")
	topo.Client.Do(func() error { avail = mptcp.Available(); return nil })
	if avail != nil {
		t.Fatalf("Available after re-enabling: %v", avail)
	}
	c, err = dialIn(topo.Client, &mptcp.Dialer{Policy: mptcp.Require}, ln.Addr().String())
	if err != nil {
		t.Fatalf("Require after re-enabling: %v", err)
	}
	defer c.Close()
	echo(c)
	if st := status(c); st != mptcp.StatusMPTCP {
		t.Errorf("after re-enabling: status %v; want mptcp", st)
	}
}

func TestIntegrationRefusedOnce(t *testing.T) {
	topo := nstest.TwoHosts(t, 1)
	addr := netip.AddrPortFrom(topo.Paths[0].B4, 9).String() // nothing listens
	count := func() (opens, synTX, rsts uint64) {
		return topo.Client.Counter(t, "TcpActiveOpens"), topo.Client.Counter(t, "MPTcpExtMPCapableSYNTX"), topo.Server.Counter(t, "TcpOutRsts")
	}
	for _, p := range []mptcp.Policy{mptcp.Prefer, mptcp.Require} {
		o0, s0, r0 := count()
		_, err := dialIn(topo.Client, &mptcp.Dialer{Policy: p}, addr)
		o1, s1, r1 := count()
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%v: %v; want ECONNREFUSED", p, err)
		}
		if o1-o0 != 1 || s1-s0 != 1 || r1-r0 != 1 {
			t.Errorf("%v: %d connect attempts, %d MP_CAPABLE SYNs, %d RSTs from the server; want 1 each", p, o1-o0, s1-s0, r1-r0)
		}
	}
	// For comparison: the standard library's MPTCP mode retries as TCP.
	stdlibRetries(t, topo.Client, addr, count)
}

// stdlibRetries logs how many connect attempts the standard library's
// MPTCP mode makes for one failed dial, for comparison.
func stdlibRetries(t *testing.T, ns *nstest.NS, addr string, count func() (uint64, uint64, uint64)) {
	t.Helper()
	o0, _, _ := count()
	ns.Do(func() error {
		d := net.Dialer{Timeout: 300 * time.Millisecond}
		d.SetMultipathTCP(true)
		_, err := d.Dial("tcp", addr)
		t.Logf("net.Dialer.SetMultipathTCP(true): %v", err)
		return nil
	})
	o1, _, _ := count()
	t.Logf("net.Dialer.SetMultipathTCP(true) made %d connect attempts for one failed dial", o1-o0)
}

func TestIntegrationUnansweredOnce(t *testing.T) {
	if _, err := exec.LookPath("iptables"); err != nil {
		nstest.Skip(t, "iptables not installed")
	}
	topo := nstest.TwoHosts(t, 1)
	// The server drops every SYN to port 9: a destination that does not
	// answer. The rule's packet counter tells how many SYNs arrived.
	topo.Server.MustRun(t, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "9", "-j", "DROP")
	dropped := func() uint64 {
		out := topo.Server.MustRun(t, "iptables", "-nvxL", "INPUT")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 2 && f[2] == "DROP" {
				n, err := strconv.ParseUint(f[0], 10, 64)
				if err != nil {
					t.Fatalf("iptables counter %q: %v", f[0], err)
				}
				return n
			}
		}
		t.Fatalf("no DROP rule in:\n%s", out)
		return 0
	}
	addr := netip.AddrPortFrom(topo.Paths[0].B4, 9).String()
	count := func() (opens, syns, _ uint64) {
		return topo.Client.Counter(t, "TcpActiveOpens"), dropped(), 0
	}
	// A timeout well under the initial 1 s SYN retransmission timer, so
	// that one attempt is exactly one SYN.
	const timeout = 300 * time.Millisecond
	for _, p := range []mptcp.Policy{mptcp.Prefer, mptcp.Require} {
		o0, s0, _ := count()
		start := time.Now()
		_, err := dialIn(topo.Client, &mptcp.Dialer{Dialer: net.Dialer{Timeout: timeout}, Policy: p}, addr)
		took := time.Since(start)
		o1, s1, _ := count()
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || errors.Is(err, mptcp.ErrUnavailable) || errors.Is(err, mptcp.ErrFallback) {
			t.Errorf("%v: %v; want the dial's own timeout", p, err)
		}
		if o1-o0 != 1 || s1-s0 != 1 {
			t.Errorf("%v: %d connect attempts, %d SYNs at the server; want 1 each", p, o1-o0, s1-s0)
		}
		if took > 3*timeout {
			t.Errorf("%v: the dial took %v with a %v timeout", p, took, timeout)
		}
	}
	stdlibRetries(t, topo.Client, addr, count)
}
