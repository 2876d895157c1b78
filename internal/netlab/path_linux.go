//go:build linux

package netlab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// upTimeout bounds the wait for a link to come up with usable addresses.
const upTimeout = 5 * time.Second

// Path index i gets ifindex ifindexA+i on its A end and ifindexB+i on its B
// end, so the two ends never share one (see Link).
const (
	ifindexA = 1000
	ifindexB = 2000
)

// ifaFlagTentative is IFA_F_TENTATIVE in /proc/net/if_inet6's flags column.
const ifaFlagTentative = 0x40

// TwoHosts builds a [Topology]: a client and a server namespace made by
// [NewNS] with prefix, joined by n >= 1 paths made by [Link], numbered 1 to
// n, each routed by source address with [Path.SourceRoute]. If any step
// fails, TwoHosts deletes the namespaces it made before returning the
// error; otherwise the caller deletes them with [Topology.Close].
func TwoHosts(prefix string, n int) (*Topology, error) {
	if n < 1 || n > MaxPaths {
		return nil, fmt.Errorf("netlab: TwoHosts needs 1 to %d paths, not %d", MaxPaths, n)
	}
	topo := new(Topology)
	if err := topo.build(prefix, n); err != nil {
		return nil, errors.Join(err, topo.Close())
	}
	return topo, nil
}

// build fills in an empty topology, leaving what it made in place on error.
func (t *Topology) build(prefix string, n int) (err error) {
	if t.Client, err = NewNS(prefix); err != nil {
		return err
	}
	if t.Server, err = NewNS(prefix); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		p, err := Link(t.Client, t.Server, i)
		if err != nil {
			return err
		}
		t.Paths = append(t.Paths, p)
		if err := p.SourceRoute(); err != nil {
			return err
		}
	}
	return nil
}

// SourceRoute makes each end of p route by source address where the main
// table cannot: a socket bound to the path's device (as an MPTCP endpoint
// with a dev is) reaches any address of the other end's namespace through
// this path. It adds, on both ends, a routing table 100+Index whose default
// route is the far end of p, and rules selecting it for packets from the
// path's own addresses, IPv4 and IPv6. So in a [Topology], a subflow from the
// client's path-2 endpoint to the server's path-1 address takes path 2 and
// the server answers on path 2.
//
// The rules come after the main table (preference 40000+Index): placed
// before it they would send the server's answers from its path-1 address
// back over path 1, where the client's socket bound to path 2's device drops
// them. On error, the rules and routes added so far stay.
func (p *Path) SourceRoute() error {
	table, pref := strconv.Itoa(100+p.Index), strconv.Itoa(40000+p.Index)
	ends := p.ends()
	for i, end := range ends {
		for _, fam := range p.families(i) {
			if _, err := end.ns.ip(fam.flag, "rule", "add", "from", fam.local, "table", table, "pref", pref); err != nil {
				return err
			}
		}
	}
	p.routed = true
	return p.sourceRoutes()
}

// sourceFamily is one address family of one end's source routing.
type sourceFamily struct{ flag, local, gw string }

// families returns, for end i of p, the IPv4 and IPv6 source addresses and
// the far end's addresses as gateways.
func (p *Path) families(i int) []sourceFamily {
	ends := p.ends()
	end, far := ends[i], ends[1-i]
	return []sourceFamily{
		{"-4", end.addr4.String(), far.addr4.String()},
		{"-6", end.addr6.String(), far.addr6.String()},
	}
}

// sourceRoutes installs, or puts back, the default routes of the path's
// table. Why again after Restore: the kernel deletes a table's routes
// through a device when the device goes down; the rules stay.
func (p *Path) sourceRoutes() error {
	table := strconv.Itoa(100 + p.Index)
	for i, end := range p.ends() {
		for _, fam := range p.families(i) {
			if _, err := end.ns.ip(fam.flag, "route", "replace", "default", "via", fam.gw, "dev", end.ifname, "table", table); err != nil {
				return err
			}
		}
	}
	return nil
}

// Link creates veth path number index (1 to [MaxPaths]) between a and b,
// named p<index>a in a and p<index>b in b (with ifindex 1000+index and
// 2000+index), with the addresses [Path] describes, both ends up. It returns
// once both ends are operationally up and the IPv6 addresses are not
// tentative. The veth goes away with the namespaces; if Link fails after
// creating it, Link deletes it again.
func Link(a, b *NS, index int) (*Path, error) {
	if index < 1 || index > MaxPaths {
		return nil, fmt.Errorf("netlab: path index %d is not in 1..%d", index, MaxPaths)
	}
	if a == nil || b == nil {
		return nil, errors.New("netlab: Link needs two namespaces, got nil")
	}
	if a == b || a.Name == b.Name {
		return nil, fmt.Errorf("netlab: Link needs two namespaces, got %s twice", a.Name)
	}
	p := &Path{Index: index, A: a, B: b,
		IfA: fmt.Sprintf("p%da", index), IfB: fmt.Sprintf("p%db", index)}
	p.A4, p.B4, p.A6, p.B6 = pathAddrs(index)

	// Created straight in a, so the names never meet the host's interfaces.
	// Distinct ifindexes on the two ends: with equal ones (both 2 in fresh
	// namespaces) linkwatch treats the veth as non-urgent and delays its
	// carrier-on, so the link stays unusable for up to a second.
	if _, err := a.ip("link", "add", p.IfA, "index", strconv.Itoa(ifindexA+index),
		"type", "veth", "peer", "name", p.IfB, "netns", b.Name, "index", strconv.Itoa(ifindexB+index)); err != nil {
		return nil, err
	}
	if err := p.setup(); err != nil {
		// Deleting one end of a veth deletes the pair.
		_, derr := a.ip("link", "del", p.IfA)
		return nil, errors.Join(err, derr)
	}
	return p, nil
}

// setup addresses both ends of a new veth, brings them up and waits until
// the path is usable.
func (p *Path) setup() error {
	for _, end := range p.ends() {
		// Keep IPv6 addresses across Cut as a pulled cable would: by default
		// `ip link set down` deletes them (IPv4 ones survive).
		if err := end.ns.SetSysctl("net/ipv6/conf/"+end.ifname+"/keep_addr_on_down", "1"); err != nil {
			return err
		}
		if _, err := end.ns.ip("addr", "add", end.addr4.String()+"/24", "dev", end.ifname); err != nil {
			return err
		}
		if err := end.addIPv6(); err != nil {
			return err
		}
		if _, err := end.ns.ip("link", "set", end.ifname, "up"); err != nil {
			return err
		}
	}
	if err := p.waitUsable(); err != nil {
		return err
	}
	if p.routed {
		return p.sourceRoutes()
	}
	return nil
}

// pathEnd is one side of a Path.
type pathEnd struct {
	ns           *NS
	ifname       string
	addr4, addr6 netip.Addr
}

// ends returns the A and B sides of the path.
func (p *Path) ends() [2]pathEnd {
	return [2]pathEnd{{p.A, p.IfA, p.A4, p.A6}, {p.B, p.IfB, p.B4, p.B6}}
}

// addIPv6 adds the end's IPv6 address. nodad makes it usable at once:
// duplicate address detection would keep it tentative (unusable) for ~1s.
func (e pathEnd) addIPv6() error {
	_, err := e.ns.ip("addr", "add", e.addr6.String()+"/64", "dev", e.ifname, "nodad")
	return err
}

// Shape limits the rate of the path in both directions with a token bucket
// (tbf) qdisc as the root of each end; netem is not available on the kernels
// this runs on, so there is no delay or loss. rate is a tc rate such as
// "20mbit" (tc units: bit, kbit, mbit, gbit, and bps, kbps, mbps for bytes).
// The bucket holds rate/250 bytes (one tick of a 250 Hz kernel) but at least
// 16 KiB, and packets that would wait longer than [ShapeLatency] are dropped.
// Shaping again replaces the previous rate.
func (p *Path) Shape(rate string) error {
	bytesPerSec, err := parseRate(rate)
	if err != nil {
		return err
	}
	burst := strconv.Itoa(tbfBurst(bytesPerSec))
	for _, end := range p.ends() {
		_, err := runCmd("tc", "-n", end.ns.Name, "qdisc", "replace", "dev", end.ifname,
			"root", "tbf", "rate", rate, "burst", burst, "latency", ShapeLatency)
		if err != nil {
			return err
		}
	}
	return nil
}

// Cut takes the path down by setting both ends administratively down. Its
// connected routes go with it, so a connect over it fails at once with
// "network is unreachable"; the addresses stay.
func (p *Path) Cut() error {
	for _, end := range p.ends() {
		if _, err := end.ns.ip("link", "set", end.ifname, "down"); err != nil {
			return err
		}
	}
	return nil
}

// Restore brings a cut path back up and returns once both ends are
// operationally up with usable IPv6 addresses (re-adding any that the
// kernel deleted) and, after SourceRoute, with its routes back.
func (p *Path) Restore() error {
	for _, end := range p.ends() {
		if _, err := end.ns.ip("link", "set", end.ifname, "up"); err != nil {
			return err
		}
	}
	if err := p.waitUsable(); err != nil {
		return err
	}
	if p.routed {
		return p.sourceRoutes()
	}
	return nil
}

// waitUsable waits until both ends are operationally up and their IPv6
// addresses are present and not tentative, re-adding a missing one.
func (p *Path) waitUsable() error {
	deadline := time.Now().Add(upTimeout)
	for _, end := range p.ends() {
		for {
			st, err := end.state()
			if err != nil {
				return fmt.Errorf("netlab: %s in %s: %w", end.ifname, end.ns.Name, err)
			}
			if st.missing6 {
				if err := end.addIPv6(); err != nil {
					return err
				}
				continue
			}
			if st.up && !st.tentative6 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("netlab: %s in %s not usable after %v: %+v", end.ifname, end.ns.Name, upTimeout, st)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// linkState is what waitUsable needs to know about one end.
type linkState struct {
	up         bool // administratively and operationally up
	missing6   bool // the IPv6 address is gone
	tentative6 bool // the IPv6 address is still doing DAD
}

// state reads the end's link state from inside its namespace, without
// running ip: net.InterfaceByName asks netlink on the entered thread.
func (e pathEnd) state() (linkState, error) {
	var st linkState
	err := e.ns.Do(func() error {
		ifi, err := net.InterfaceByName(e.ifname)
		if err != nil {
			return err
		}
		// IFF_RUNNING is the kernel's "operstate is UP" (RFC 2863).
		st.up = ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagRunning != 0
		b, err := os.ReadFile("/proc/thread-self/net/if_inet6")
		if err != nil {
			return err
		}
		flags, found, err := inet6Flags(b, e.addr6)
		st.missing6 = !found
		st.tentative6 = flags&ifaFlagTentative != 0
		return err
	})
	return st, err
}

// inet6Flags returns the IFA_F_* flags of addr in /proc/net/if_inet6,
// whose lines are "<32 hex digits> <ifindex> <plen> <scope> <flags> <name>".
func inet6Flags(b []byte, addr netip.Addr) (flags uint64, found bool, err error) {
	want := fmt.Sprintf("%x", addr.As16())
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[0] != want {
			continue
		}
		flags, err := strconv.ParseUint(f[4], 16, 32)
		if err != nil {
			return 0, false, errors.New("bad if_inet6 line: " + sc.Text())
		}
		return flags, true, nil
	}
	return 0, false, sc.Err()
}
