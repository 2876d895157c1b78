//go:build linux

package pm_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/internal/unix"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// The userspace path manager's commands against the kernel: two namespaces
// joined by two paths, an MPTCP connection over path 1, and the commands
// that add and remove a second subflow over path 2.

// usTransferSize is how much the transfers after a removal send.
const usTransferSize = 16 << 20

// usNetNS is the path of ns for pm.Config.NetNSPath.
func usNetNS(ns *nstest.NS) string { return "/run/netns/" + ns.Name }

// usDial opens a Client in ns.
func usDial(t *testing.T, ns *nstest.NS) *pm.Client {
	t.Helper()
	c, err := pm.Dial(&pm.Config{NetNSPath: usNetNS(ns)})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// usGenl opens a bare generic netlink socket in ns and resolves mptcp_pm.
func usGenl(t *testing.T, ns *nstest.NS) (*genetlink.Conn, genetlink.Family) {
	t.Helper()
	f, err := os.Open(usNetNS(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conn, err := genetlink.Dial(&netlink.Config{NetNS: int(f.Fd()), Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fam, err := conn.GetFamily(unix.MPTCP_PM_NAME)
	if err != nil {
		t.Fatal(err)
	}
	return conn, fam
}

// usSubscribe joins the mptcp_pm_events group in ns and never reads: the
// kernel lets peers join userspace-PM connections only while the
// namespace has a listener on that group (mptcp_userspace_pm_active).
func usSubscribe(t *testing.T, ns *nstest.NS) {
	t.Helper()
	conn, fam := usGenl(t, ns)
	for _, g := range fam.Groups {
		if g.Name == unix.MPTCP_PM_EV_GRP_NAME {
			if err := conn.JoinGroup(g.ID); err != nil {
				t.Fatalf("joining %s: %v", g.Name, err)
			}
			return
		}
	}
	t.Fatalf("family %s has no group %s", fam.Name, unix.MPTCP_PM_EV_GRP_NAME)
}

// usRaw sends a request the library would refuse and returns the kernel's
// answer.
func usRaw(t *testing.T, ns *nstest.NS, cmd uint8, ae *netlink.AttributeEncoder) error {
	t.Helper()
	conn, fam := usGenl(t, ns)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Execute(genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: unix.MPTCP_PM_VER},
		Data:   b,
	}, fam.ID, netlink.Request|netlink.Acknowledge)
	return err
}

// usPair is an MPTCP connection between the two namespaces of a topology.
type usPair struct {
	client, server *net.TCPConn
	// port is the server's listening port.
	port uint16
}

// usConnect makes an MPTCP connection (policy Require on both ends) from
// the client to the server's path-1 address; the server listens on every
// IPv4 address, so that joins to its path-2 address find the listener.
func usConnect(t *testing.T, topo *nstest.Topology) usPair {
	t.Helper()
	var ln net.Listener
	if err := topo.Server.Do(func() (err error) {
		lc := mptcp.ListenConfig{Policy: mptcp.Require}
		ln, err = lc.Listen(context.Background(), "tcp4", "0.0.0.0:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Errorf("Accept: %v", err)
		}
		accepted <- c
	}()
	var c net.Conn
	if err := topo.Client.Do(func() (err error) {
		d := mptcp.Dialer{Policy: mptcp.Require}
		c, err = d.Dial("tcp4", netip.AddrPortFrom(topo.Paths[0].B4, port).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := <-accepted
	if s == nil {
		t.FailNow()
	}
	t.Cleanup(func() { s.Close() })
	// The connection is fully established, and subflows may join, once
	// the server has seen data.
	if _, err := c.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	return usPair{client: c.(*net.TCPConn), server: s.(*net.TCPConn), port: port}
}

// usToken returns the connection token of c.
func usToken(t *testing.T, c *net.TCPConn) uint32 {
	t.Helper()
	info, err := mptcp.InfoOf(c)
	if err != nil {
		t.Fatalf("InfoOf: %v", err)
	}
	return info.Token
}

// usWaitSubflows waits until c has exactly n subflows, all established,
// and returns them.
func usWaitSubflows(t *testing.T, what string, c *net.TCPConn, n int) []mptcp.Subflow {
	t.Helper()
	var sfs []mptcp.Subflow
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if sfs, err = mptcp.SubflowsOf(c); err != nil {
			t.Fatalf("%s: SubflowsOf: %v", what, err)
		}
		est := 0
		for _, sf := range sfs {
			if sf.State == mptcp.TCPEstablished {
				est++
			}
		}
		if len(sfs) == n && est == n {
			return sfs
		}
	}
	t.Fatalf("%s: subflows after 5s: %+v; want %d established", what, sfs, n)
	return nil
}

// usOnPath checks that sf runs between the two ends of path p, local end
// first.
func usOnPath(t *testing.T, what string, sf mptcp.Subflow, local, remote netip.Addr) {
	t.Helper()
	if sf.Local.Addr() != local || sf.Remote.Addr() != remote {
		t.Errorf("%s: subflow %v -> %v, want %v -> %v", what, sf.Local, sf.Remote, local, remote)
	}
}

// usWaitCounter waits until counter name in ns reaches want.
func usWaitCounter(t *testing.T, ns *nstest.NS, name string, want uint64) {
	t.Helper()
	var got uint64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = ns.Counter(t, name); got >= want {
			break
		}
	}
	if got != want {
		t.Errorf("%s in %s = %d, want %d", name, ns.Name, got, want)
	}
}

// usSSFlags returns the MPTCP subflow flags `ss -Mtin` prints for the
// subflow local -> remote in ns ("Jec", "JBec", ...: B is backup as the
// peer asked, b as this end asked), or "" without ss.
func usSSFlags(t *testing.T, ns *nstest.NS, local, remote netip.AddrPort) string {
	t.Helper()
	if _, err := exec.LookPath("ss"); err != nil {
		t.Log("no ss binary; subflow flags not checked")
		return ""
	}
	lines := strings.Split(ns.MustRun(t, "ss", "-Mtin"), "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) < 6 || f[0] != "tcp" || usNoDev(f[4]) != local.String() || usNoDev(f[5]) != remote.String() || i+1 == len(lines) {
			continue
		}
		for w := range strings.FieldsSeq(lines[i+1]) {
			if v, ok := strings.CutPrefix(w, "flags:"); ok {
				return v
			}
		}
	}
	t.Errorf("ss -Mtin in %s lists no subflow %v -> %v:\n%s", ns.Name, local, remote, strings.Join(lines, "\n"))
	return ""
}

// usNoDev removes the "%dev" ss prints after the address of a socket
// bound to a device.
func usNoDev(s string) string {
	i, j := strings.IndexByte(s, '%'), strings.LastIndexByte(s, ':')
	if i < 0 || j < i {
		return s
	}
	return s[:i] + s[j:]
}

// usCheckFlag checks that ss shows flag letter c for a subflow, or not.
func usCheckFlag(t *testing.T, ns *nstest.NS, local, remote netip.AddrPort, c string, want bool) {
	t.Helper()
	flags := usSSFlags(t, ns, local, remote)
	if flags != "" && strings.Contains(flags, c) != want {
		t.Errorf("ss flags of %v -> %v in %s: %q; want %q present: %v", local, remote, ns.Name, flags, c, want)
	}
}

// usTransfer sends usTransferSize random bytes from the client to the
// server and checks that they all arrive intact.
// usTransferOnPath1 runs usTransfer and checks that the client is left with
// one subflow, on p1, which carried the whole transfer.
func usTransferOnPath1(t *testing.T, p usPair, p1 *nstest.Path) {
	t.Helper()
	usTransfer(t, p)
	csfs := usWaitSubflows(t, "client after transfer", p.client, 1)
	usOnPath(t, "client after transfer", csfs[0], p1.A4, p1.B4)
	if csfs[0].BytesAcked < usTransferSize {
		t.Errorf("path 1 carried %d bytes, want at least %d", csfs[0].BytesAcked, usTransferSize)
	}
}

func usTransfer(t *testing.T, p usPair) {
	t.Helper()
	data := make([]byte, usTransferSize)
	rand.Read(data)
	want := sha256.Sum256(data)
	type result struct {
		n   int64
		sum [sha256.Size]byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		h := sha256.New()
		n, err := io.CopyN(h, p.server, usTransferSize)
		var r result
		r.n, r.err = n, err
		copy(r.sum[:], h.Sum(nil))
		done <- r
	}()
	if err := p.client.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.client.Write(data); err != nil {
		t.Fatalf("writing %d bytes: %v", len(data), err)
	}
	r := <-done
	if r.err != nil || r.n != usTransferSize || r.sum != want {
		t.Fatalf("server read %d bytes (%v), SHA-256 %x; want %d bytes, %x", r.n, r.err, r.sum, usTransferSize, want)
	}
}

// usEndpoints checks the connection's local addresses.
func usEndpoints(t *testing.T, c *pm.Client, token uint32, want ...pm.Endpoint) {
	t.Helper()
	got, err := c.ConnectionEndpoints(token)
	if err != nil {
		t.Fatalf("ConnectionEndpoints: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("ConnectionEndpoints = %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("ConnectionEndpoints = %+v, want %+v", got, want)
			break
		}
	}
}

// The server uses the userspace path manager and announces its path-2
// address; the client's in-kernel path manager opens a subflow to it.
// Backup is set and cleared on that subflow, the address is removed, and
// the connection carries on over path 1 alone.
func TestIntegrationUserspaceAnnounce(t *testing.T) {
	topo := nstest.TwoHosts(t, 2)
	p1, p2 := topo.Paths[0], topo.Paths[1]
	topo.Server.Sysctl(t, "net.mptcp.path_manager", "userspace")
	usSubscribe(t, topo.Server)
	cc, sc := usDial(t, topo.Client), usDial(t, topo.Server)
	one, two := uint32(1), uint32(2)
	if err := cc.SetLimits(pm.LimitsUpdate{AddAddrAccepted: &one, Subflows: &two}); err != nil {
		t.Fatal(err)
	}
	p := usConnect(t, topo)
	token := usToken(t, p.server)
	usEndpoints(t, sc, token)

	announced := pm.Endpoint{ID: 5, Addr: p2.B4, Flags: pm.FlagSignal}
	if err := sc.Announce(token, announced); err != nil {
		t.Fatalf("Announce: %v", err)
	}
	csfs := usWaitSubflows(t, "client", p.client, 2)
	ssfs := usWaitSubflows(t, "server", p.server, 2)
	usOnPath(t, "client initial", csfs[0], p1.A4, p1.B4)
	usOnPath(t, "client new", csfs[1], p2.A4, p2.B4)
	usOnPath(t, "server new", ssfs[1], p2.B4, p2.A4)
	usEndpoints(t, sc, token, announced)
	if ep, err := sc.ConnectionEndpoint(token, 5); err != nil || ep != announced {
		t.Errorf("ConnectionEndpoint(5) = %+v, %v; want %+v", ep, err, announced)
	}
	// Announcing the same address and id again is accepted, and the
	// userspace PM sends the ADD_ADDR again.
	if err := sc.Announce(token, announced); err != nil {
		t.Errorf("second Announce: %v", err)
	}
	usWaitCounter(t, topo.Client, "MPTcpExtAddAddr", 2)

	// Backup: the server sends MP_PRIO on the path-2 subflow.
	sf := ssfs[1]
	if err := sc.SetSubflowBackup(token, sf.Local, sf.Remote, true); err != nil {
		t.Fatalf("SetSubflowBackup: %v", err)
	}
	usWaitCounter(t, topo.Server, "MPTcpExtMPPrioTx", 1)
	usWaitCounter(t, topo.Client, "MPTcpExtMPPrioRx", 1)
	usCheckFlag(t, topo.Server, sf.Local, sf.Remote, "b", true)
	usCheckFlag(t, topo.Client, sf.Remote, sf.Local, "B", true)
	usEndpoints(t, sc, token, pm.Endpoint{ID: 5, Addr: p2.B4, Flags: pm.FlagSignal | pm.FlagBackup})
	// Port 0 matches any port.
	anyPort := func(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr(), 0) }
	if err := sc.SetSubflowBackup(token, anyPort(sf.Local), anyPort(sf.Remote), false); err != nil {
		t.Fatalf("SetSubflowBackup(false): %v", err)
	}
	usWaitCounter(t, topo.Server, "MPTcpExtMPPrioTx", 2)
	usWaitCounter(t, topo.Client, "MPTcpExtMPPrioRx", 2)
	usCheckFlag(t, topo.Client, sf.Remote, sf.Local, "B", false)
	usEndpoints(t, sc, token, announced)

	// Remove: RM_ADDR makes the client close its subflow to the address.
	if err := sc.Remove(token, 5); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	usWaitCounter(t, topo.Client, "MPTcpExtRmAddr", 1)
	usWaitSubflows(t, "client after Remove", p.client, 1)
	usWaitSubflows(t, "server after Remove", p.server, 1)
	usEndpoints(t, sc, token)
	usTransferOnPath1(t, p, p1)
}

// An address announced with FlagBackup: the subflow the peer opens to it
// is a backup subflow from the start.
func TestIntegrationUserspaceAnnounceBackup(t *testing.T) {
	topo := nstest.TwoHosts(t, 2)
	p2 := topo.Paths[1]
	topo.Server.Sysctl(t, "net.mptcp.path_manager", "userspace")
	usSubscribe(t, topo.Server)
	cc, sc := usDial(t, topo.Client), usDial(t, topo.Server)
	one, two := uint32(1), uint32(2)
	if err := cc.SetLimits(pm.LimitsUpdate{AddAddrAccepted: &one, Subflows: &two}); err != nil {
		t.Fatal(err)
	}
	p := usConnect(t, topo)
	token := usToken(t, p.server)
	ep := pm.Endpoint{ID: 5, Addr: p2.B4, Flags: pm.FlagSignal | pm.FlagBackup}
	if err := sc.Announce(token, ep); err != nil {
		t.Fatalf("Announce: %v", err)
	}
	sf := usWaitSubflows(t, "server", p.server, 2)[1]
	usWaitSubflows(t, "client", p.client, 2)
	usOnPath(t, "server new", sf, p2.B4, p2.A4)
	usCheckFlag(t, topo.Server, sf.Local, sf.Remote, "b", true)
	usCheckFlag(t, topo.Client, sf.Remote, sf.Local, "B", true)
	usEndpoints(t, sc, token, ep)
}

// The client uses the userspace path manager and creates a subflow over
// path 2 to the server's path-1 address; the server uses the in-kernel
// path manager. Backup is set on the subflow, the subflow is destroyed,
// and the connection carries on over path 1 alone.
func TestIntegrationUserspaceCreateSubflow(t *testing.T) {
	topo := nstest.TwoHosts(t, 2)
	p1, p2 := topo.Paths[0], topo.Paths[1]
	topo.Client.Sysctl(t, "net.mptcp.path_manager", "userspace")
	// The sysctl of kernels before 6.15 mirrors the new one.
	if got := topo.Client.ReadSysctl(t, "net.mptcp.pm_type"); got != "1" {
		t.Errorf("net.mptcp.pm_type = %q with path_manager userspace, want 1", got)
	}
	cc := usDial(t, topo.Client)
	var ifindex int
	if err := topo.Client.Do(func() error {
		ifi, err := net.InterfaceByName(p2.IfA)
		if err == nil {
			ifindex = ifi.Index
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	p := usConnect(t, topo)
	token := usToken(t, p.client)
	remote := netip.AddrPortFrom(p1.B4, p.port)

	local := pm.Endpoint{ID: 2, Addr: p2.A4, Interface: ifindex}
	if err := cc.CreateSubflow(token, local, remote); err != nil {
		t.Fatalf("CreateSubflow: %v", err)
	}
	csfs := usWaitSubflows(t, "client", p.client, 2)
	usWaitSubflows(t, "server", p.server, 2)
	sf := csfs[1]
	usOnPath(t, "client new", sf, p2.A4, p1.B4)
	if sf.Remote != remote {
		t.Errorf("new subflow to %v, want %v", sf.Remote, remote)
	}
	// The kernel adds FlagSubflow.
	local.Flags = pm.FlagSubflow
	usEndpoints(t, cc, token, local)

	if err := cc.SetSubflowBackup(token, sf.Local, sf.Remote, true); err != nil {
		t.Fatalf("SetSubflowBackup: %v", err)
	}
	usWaitCounter(t, topo.Client, "MPTcpExtMPPrioTx", 1)
	usWaitCounter(t, topo.Server, "MPTcpExtMPPrioRx", 1)
	usCheckFlag(t, topo.Client, sf.Local, sf.Remote, "b", true)
	usCheckFlag(t, topo.Server, sf.Remote, sf.Local, "B", true)
	local.Flags |= pm.FlagBackup
	usEndpoints(t, cc, token, local)

	// Destroy closes the subflow and forgets the address without RM_ADDR.
	if err := cc.DestroySubflow(token, sf.Local, sf.Remote); err != nil {
		t.Fatalf("DestroySubflow: %v", err)
	}
	usWaitSubflows(t, "client after DestroySubflow", p.client, 1)
	usWaitSubflows(t, "server after DestroySubflow", p.server, 1)
	usWaitCounter(t, topo.Client, "MPTcpExtRmSubflow", 1)
	if n := topo.Client.Counter(t, "MPTcpExtRmAddrTx"); n != 0 {
		t.Errorf("MPTcpExtRmAddrTx = %d after DestroySubflow, want 0", n)
	}
	usEndpoints(t, cc, token)
	usTransferOnPath1(t, p, p1)
}

// Both ends use the userspace path manager. The client creates a subflow
// to a server address the server never announced: the server's kernel
// lists that address as implicit, with an id it picked, and keeps it after
// the subflow is gone, until the server removes it.
func TestIntegrationUserspaceImplicit(t *testing.T) {
	topo := nstest.TwoHosts(t, 2)
	p2 := topo.Paths[1]
	for _, ns := range []*nstest.NS{topo.Client, topo.Server} {
		ns.Sysctl(t, "net.mptcp.path_manager", "userspace")
	}
	usSubscribe(t, topo.Server)
	cc, sc := usDial(t, topo.Client), usDial(t, topo.Server)
	p := usConnect(t, topo)
	token, serverToken := usToken(t, p.client), usToken(t, p.server)
	usEndpoints(t, sc, serverToken)

	// FlagBackup opens the subflow as a backup one.
	remote := netip.AddrPortFrom(p2.B4, p.port)
	if err := cc.CreateSubflow(token, pm.Endpoint{ID: 3, Addr: p2.A4, Flags: pm.FlagBackup}, remote); err != nil {
		t.Fatalf("CreateSubflow: %v", err)
	}
	sf := usWaitSubflows(t, "client", p.client, 2)[1]
	usWaitSubflows(t, "server", p.server, 2)
	usOnPath(t, "client new", sf, p2.A4, p2.B4)
	usCheckFlag(t, topo.Client, sf.Local, sf.Remote, "b", true)
	usCheckFlag(t, topo.Server, sf.Remote, sf.Local, "B", true)
	usEndpoints(t, cc, token, pm.Endpoint{ID: 3, Addr: p2.A4, Flags: pm.FlagSubflow | pm.FlagBackup})
	implicit := pm.Endpoint{ID: 1, Addr: p2.B4, Flags: pm.FlagImplicit}
	usEndpoints(t, sc, serverToken, implicit)

	if err := cc.DestroySubflow(token, sf.Local, sf.Remote); err != nil {
		t.Fatalf("DestroySubflow: %v", err)
	}
	usWaitSubflows(t, "client after DestroySubflow", p.client, 1)
	usWaitSubflows(t, "server after DestroySubflow", p.server, 1)
	usEndpoints(t, cc, token)
	usEndpoints(t, sc, serverToken, implicit)
	if err := sc.Remove(serverToken, implicit.ID); err != nil {
		t.Fatalf("Remove of the implicit address: %v", err)
	}
	usEndpoints(t, sc, serverToken)
}

// On a dual-stack server socket the subflows have IPv4-mapped addresses:
// DestroySubflow finds one only from that form (or a mix of the two), not
// from plain IPv4, as documented.
func TestIntegrationUserspaceDestroyMapped(t *testing.T) {
	topo := nstest.TwoHosts(t, 2)
	p1, p2 := topo.Paths[0], topo.Paths[1]
	topo.Server.Sysctl(t, "net.mptcp.path_manager", "userspace")
	usSubscribe(t, topo.Server)
	cc, sc := usDial(t, topo.Client), usDial(t, topo.Server)
	one := uint32(1)
	if err := cc.SetLimits(pm.LimitsUpdate{AddAddrAccepted: &one}); err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	if err := topo.Server.Do(func() (err error) {
		lc := mptcp.ListenConfig{Policy: mptcp.Require}
		ln, err = lc.Listen(context.Background(), "tcp", ":0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		s, _ := ln.Accept()
		accepted <- s
	}()
	var c net.Conn
	if err := topo.Client.Do(func() (err error) {
		d := mptcp.Dialer{Policy: mptcp.Require}
		c, err = d.Dial("tcp4", netip.AddrPortFrom(p1.B4, uint16(ln.Addr().(*net.TCPAddr).Port)).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	if s == nil {
		t.Fatal("Accept failed")
	}
	defer s.Close()
	server := s.(*net.TCPConn)
	token := usToken(t, server)
	if err := sc.Announce(token, pm.Endpoint{ID: 5, Addr: p2.B4, Flags: pm.FlagSignal}); err != nil {
		t.Fatal(err)
	}
	sf := usWaitSubflows(t, "server", server, 2)[1]
	mapped := netip.AddrFrom16(p2.B4.As16())
	if sf.Local.Addr() != mapped {
		t.Fatalf("server subflow from %v, want the IPv4-mapped %v", sf.Local, mapped)
	}
	unmap := func(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) }
	err := sc.DestroySubflow(token, unmap(sf.Local), unmap(sf.Remote))
	usWantError(t, "DestroySubflow with plain IPv4 addresses", err, pm.ErrSubflowNotFound, syscall.ESRCH, "subflow not found")
	if err := sc.DestroySubflow(token, unmap(sf.Local), sf.Remote); err != nil {
		t.Errorf("DestroySubflow with a mix: %v", err)
	}
	usWaitSubflows(t, "server after DestroySubflow", server, 1)
}

// usWantError checks that err is an *pm.Error with the errno and the
// extended-ack text, matching target.
func usWantError(t *testing.T, what string, err error, target error, errno syscall.Errno, msg string) {
	t.Helper()
	var e *pm.Error
	switch {
	case !errors.As(err, &e):
		t.Errorf("%s = %v (%T), want an *pm.Error", what, err, err)
	case e.Err != errno || e.Message != msg:
		t.Errorf("%s = %v: Err %v, Message %q; want %v, %q", what, err, e.Err, e.Message, errno, msg)
	case target != nil && !errors.Is(err, target):
		t.Errorf("%s = %v, does not match %v", what, err, target)
	}
}

// usWantValidation checks that err is a *pm.ValidationError of field.
func usWantValidation(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ve *pm.ValidationError
	if !errors.As(err, &ve) || ve.Field != field || !errors.Is(err, pm.ErrInvalid) {
		t.Errorf("%s = %v, want a ValidationError of %s", what, err, field)
	}
}

// usWantKernel checks the kernel's raw answer to a request the library
// refuses: the library's validation matches the kernel's.
func usWantKernel(t *testing.T, what string, err error, errno syscall.Errno, msg string) {
	t.Helper()
	var oe *netlink.OpError
	if !errors.As(err, &oe) || !errors.Is(oe.Err, errno) || oe.Message != msg {
		t.Errorf("kernel answer to %s: %v; want %v with %q", what, err, errno, msg)
	}
}

// Every refusal of the userspace path manager's commands, with the exact
// errno and text the kernel gives, and the library's classification; for
// input the library refuses before sending, the kernel's own answer to
// it, sent raw.
func TestIntegrationUserspaceErrors(t *testing.T) {
	topo := nstest.TwoHosts(t, 2)
	p1, p2 := topo.Paths[0], topo.Paths[1]
	topo.Server.Sysctl(t, "net.mptcp.path_manager", "userspace")
	usSubscribe(t, topo.Server)
	cc, sc := usDial(t, topo.Client), usDial(t, topo.Server)
	p := usConnect(t, topo)
	token, clientToken := usToken(t, p.server), usToken(t, p.client)
	local := netip.AddrPortFrom(p1.B4, p.server.LocalAddr().(*net.TCPAddr).AddrPort().Port())
	remote := p.server.RemoteAddr().(*net.TCPAddr).AddrPort()
	ep := pm.Endpoint{ID: 5, Addr: p2.B4, Flags: pm.FlagSignal}
	if err := sc.Announce(token, ep); err != nil {
		t.Fatalf("Announce: %v", err)
	}
	// A token the kernel knows in no namespace: the two are random.
	unknown := token ^ clientToken ^ 0x5a5a5a5a
	if unknown == token || unknown == clientToken {
		unknown++
	}

	// Each command, on a connection of the in-kernel path manager and
	// with an unknown token.
	type command struct {
		name string
		call func(c *pm.Client, token uint32) error
	}
	commands := []command{
		{"Announce", func(c *pm.Client, tok uint32) error {
			return c.Announce(tok, pm.Endpoint{ID: 9, Addr: p2.A4, Flags: pm.FlagSignal})
		}},
		{"Remove", func(c *pm.Client, tok uint32) error { return c.Remove(tok, 5) }},
		{"CreateSubflow", func(c *pm.Client, tok uint32) error {
			return c.CreateSubflow(tok, pm.Endpoint{ID: 9, Addr: p2.A4}, netip.AddrPortFrom(p2.B4, p.port))
		}},
		{"DestroySubflow", func(c *pm.Client, tok uint32) error { return c.DestroySubflow(tok, remote, local) }},
		{"SetSubflowBackup", func(c *pm.Client, tok uint32) error {
			return c.SetSubflowBackup(tok, remote, local, true)
		}},
		{"ConnectionEndpoints", func(c *pm.Client, tok uint32) error { _, err := c.ConnectionEndpoints(tok); return err }},
	}
	inKernel := func(when string) {
		for _, cmd := range commands {
			usWantError(t, cmd.name+" on an in-kernel PM connection "+when, cmd.call(cc, clientToken),
				pm.ErrInKernelPM, syscall.EINVAL, "userspace PM not selected")
		}
		// The kernel overwrites the text of get: not found is all it says.
		_, err := cc.ConnectionEndpoint(clientToken, 1)
		usWantError(t, "ConnectionEndpoint on an in-kernel PM connection "+when, err,
			pm.ErrNotFound, syscall.EINVAL, "address not found")
	}
	inKernel("")
	// A connection keeps the path manager it was created with.
	topo.Client.Sysctl(t, "net.mptcp.path_manager", "userspace")
	inKernel("after switching its namespace to userspace")

	for _, cmd := range commands {
		err := cmd.call(sc, unknown)
		usWantError(t, cmd.name+" with an unknown token", err, pm.ErrUnknownToken, syscall.EINVAL, "invalid token")
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s with an unknown token = %v, does not match os.ErrNotExist", cmd.name, err)
		}
	}
	_, err := sc.ConnectionEndpoint(unknown, 5)
	usWantError(t, "ConnectionEndpoint with an unknown token", err, pm.ErrNotFound, syscall.EINVAL, "address not found")

	// Refusals by the userspace path manager of the connection.
	usWantError(t, "Remove of an unknown id", sc.Remove(token, 77),
		pm.ErrNotFound, syscall.EINVAL, "address with id 77 not found")
	_, err = sc.ConnectionEndpoint(token, 77)
	usWantError(t, "ConnectionEndpoint of an unknown id", err, pm.ErrNotFound, syscall.EINVAL, "address not found")
	usWantError(t, "DestroySubflow of no subflow", sc.DestroySubflow(token, netip.AddrPortFrom(p2.B4, 1), netip.AddrPortFrom(p2.A4, 2)),
		pm.ErrSubflowNotFound, syscall.ESRCH, "subflow not found")
	usWantError(t, "SetSubflowBackup of no subflow", sc.SetSubflowBackup(token, netip.AddrPortFrom(p2.B4, 0), netip.AddrPortFrom(p2.A4, 0), true),
		pm.ErrSubflowNotFound, syscall.EINVAL, "subflow not found")
	// The kernel changed the address's flag before looking for a subflow.
	usEndpoints(t, sc, token, pm.Endpoint{ID: 5, Addr: p2.B4, Flags: pm.FlagSignal | pm.FlagBackup})
	if err := sc.SetSubflowBackup(token, netip.AddrPortFrom(p2.B4, 0), netip.AddrPortFrom(p2.A4, 0), false); !errors.Is(err, pm.ErrSubflowNotFound) {
		t.Errorf("SetSubflowBackup(false) of no subflow = %v, want ErrSubflowNotFound", err)
	}
	usWantError(t, "Announce of a used id with another address",
		sc.Announce(token, pm.Endpoint{ID: 5, Addr: netip.MustParseAddr("198.18.9.9"), Flags: pm.FlagSignal}),
		os.ErrExist, syscall.EINVAL, "did not match address and id")
	usWantError(t, "Announce of a known address with another id",
		sc.Announce(token, pm.Endpoint{ID: 6, Addr: p2.B4, Flags: pm.FlagSignal}),
		os.ErrExist, syscall.EINVAL, "did not match address and id")
	usWantError(t, "CreateSubflow with an id of another address",
		sc.CreateSubflow(token, pm.Endpoint{ID: 5, Addr: p1.B4}, netip.AddrPortFrom(p2.A4, 9)),
		os.ErrExist, syscall.EINVAL, "did not match address and id")
	usWantError(t, "CreateSubflow from an address that is not local",
		sc.CreateSubflow(token, pm.Endpoint{ID: 7, Addr: netip.MustParseAddr("198.18.9.9")}, remote),
		syscall.EADDRNOTAVAIL, syscall.EADDRNOTAVAIL, "connect error: -99")
	// Nothing of the failed calls stayed.
	usEndpoints(t, sc, token, ep)

	// Input the library refuses before sending, and the kernel's answer.
	usWantValidation(t, "Announce with id 0", sc.Announce(token, pm.Endpoint{Addr: p2.B4, Flags: pm.FlagSignal}), "Endpoint.ID")
	usWantKernel(t, "announce with id 0", usRaw(t, topo.Server, unix.MPTCP_PM_CMD_ANNOUNCE,
		usRawAddr(token, unix.MPTCP_PM_ATTR_ADDR, p2.B4, 0, 0, unix.MPTCP_PM_ADDR_FLAG_SIGNAL)),
		syscall.EINVAL, "invalid addr id")
	usWantValidation(t, "Announce without FlagSignal", sc.Announce(token, pm.Endpoint{ID: 9, Addr: p2.B4}), "Endpoint.Flags")
	usWantKernel(t, "announce without signal", usRaw(t, topo.Server, unix.MPTCP_PM_CMD_ANNOUNCE,
		usRawAddr(token, unix.MPTCP_PM_ATTR_ADDR, p2.B4, 9, 0, 0)),
		syscall.EINVAL, "invalid addr flags")
	usWantValidation(t, "CreateSubflow with FlagSignal",
		sc.CreateSubflow(token, pm.Endpoint{ID: 9, Addr: p2.B4, Flags: pm.FlagSignal}, remote), "Endpoint.Flags")
	ae := usRawAddr(token, unix.MPTCP_PM_ATTR_ADDR, p2.B4, 9, 0, unix.MPTCP_PM_ADDR_FLAG_SIGNAL)
	usRawNest(ae, unix.MPTCP_PM_ATTR_ADDR_REMOTE, remote.Addr(), 0, remote.Port(), 0)
	usWantKernel(t, "subflow create with signal", usRaw(t, topo.Server, unix.MPTCP_PM_CMD_SUBFLOW_CREATE, ae),
		syscall.EINVAL, "invalid addr flags")
	usWantValidation(t, "CreateSubflow from IPv4 to IPv6",
		sc.CreateSubflow(token, pm.Endpoint{ID: 9, Addr: p2.B4}, netip.AddrPortFrom(p2.A6, 80)), "remote")
	ae = usRawAddr(token, unix.MPTCP_PM_ATTR_ADDR, p2.B4, 9, 0, 0)
	usRawNest(ae, unix.MPTCP_PM_ATTR_ADDR_REMOTE, p2.A6, 0, 80, 0)
	usWantKernel(t, "subflow create from IPv4 to IPv6", usRaw(t, topo.Server, unix.MPTCP_PM_CMD_SUBFLOW_CREATE, ae),
		syscall.EINVAL, "families mismatch")
	usWantValidation(t, "CreateSubflow without remote port",
		sc.CreateSubflow(token, pm.Endpoint{ID: 9, Addr: p2.B4}, netip.AddrPortFrom(p2.A4, 0)), "remote")
	usWantValidation(t, "DestroySubflow without local port",
		sc.DestroySubflow(token, netip.AddrPortFrom(local.Addr(), 0), remote), "local")
	ae = usRawAddr(token, unix.MPTCP_PM_ATTR_ADDR, local.Addr(), 0, 0, 0)
	usRawNest(ae, unix.MPTCP_PM_ATTR_ADDR_REMOTE, remote.Addr(), 0, remote.Port(), 0)
	usWantKernel(t, "subflow destroy without local port", usRaw(t, topo.Server, unix.MPTCP_PM_CMD_SUBFLOW_DESTROY, ae),
		syscall.EINVAL, "missing local port")
	usWantValidation(t, "DestroySubflow without remote port",
		sc.DestroySubflow(token, local, netip.AddrPortFrom(remote.Addr(), 0)), "remote")
	ae = usRawAddr(token, unix.MPTCP_PM_ATTR_ADDR, local.Addr(), 0, local.Port(), 0)
	usRawNest(ae, unix.MPTCP_PM_ATTR_ADDR_REMOTE, remote.Addr(), 0, 0, 0)
	usWantKernel(t, "subflow destroy without remote port", usRaw(t, topo.Server, unix.MPTCP_PM_CMD_SUBFLOW_DESTROY, ae),
		syscall.EINVAL, "missing remote port")

	// The connection was not disturbed: one subflow, bytes intact.
	if _, err := p.client.Write([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len("still here"))
	if _, err := io.ReadFull(p.server, got); err != nil || !bytes.Equal(got, []byte("still here")) {
		t.Errorf("read %q, %v after the refusals", got, err)
	}
}

// usRawAddr returns an encoder holding token and an address nest of type
// typ (see usRawNest).
func usRawAddr(token uint32, typ uint16, a netip.Addr, id uint8, port uint16, flags uint32) *netlink.AttributeEncoder {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.MPTCP_PM_ATTR_TOKEN, token)
	usRawNest(ae, typ, a, id, port, flags)
	return ae
}

// usRawNest adds an address nest of type typ with family, address, and id,
// port and flags when not zero.
func usRawNest(ae *netlink.AttributeEncoder, typ uint16, a netip.Addr, id uint8, port uint16, flags uint32) {
	ae.Nested(typ, func(nae *netlink.AttributeEncoder) error {
		if a.Is4() {
			nae.Uint16(unix.MPTCP_PM_ADDR_ATTR_FAMILY, unix.AF_INET)
			b := a.As4()
			nae.Bytes(unix.MPTCP_PM_ADDR_ATTR_ADDR4, b[:])
		} else {
			nae.Uint16(unix.MPTCP_PM_ADDR_ATTR_FAMILY, unix.AF_INET6)
			b := a.As16()
			nae.Bytes(unix.MPTCP_PM_ADDR_ATTR_ADDR6, b[:])
		}
		if id != 0 {
			nae.Uint8(unix.MPTCP_PM_ADDR_ATTR_ID, id)
		}
		if port != 0 {
			nae.Uint16(unix.MPTCP_PM_ADDR_ATTR_PORT, port)
		}
		if flags != 0 {
			nae.Uint32(unix.MPTCP_PM_ADDR_ATTR_FLAGS, flags)
		}
		return nil
	})
}
