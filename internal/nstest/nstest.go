// Package nstest builds throwaway network namespaces for integration tests
// of the MPTCP library: a client and a server joined by veth paths whose
// rate can be limited and which can be cut and restored. It is a thin layer
// over [netlab], which does the work and returns errors, for use from tests.
//
// Namespaces need Linux, root, the iproute2 binaries ip and tc, and a kernel
// with MPTCP. Where any of that is missing the tests are skipped, except
// when CI=true, where a skipped namespace test fails instead (see [Skip]).
//
// Every helper that takes a testing.TB fails the test on error and registers
// its own cleanup, so a test only describes the topology it wants:
//
//	topo := nstest.TwoHosts(t, 2)
//	var ln net.Listener
//	err := topo.Server.Do(func() (err error) {
//		ln, err = net.Listen("tcp", topo.Paths[0].B4.String()+":0")
//		return err
//	})
package nstest

import (
	"runtime"
	"sync"
	"testing"

	"github.com/multipath-dev/go/internal/netlab"
)

// namePrefix starts the name of every namespace this package makes; the
// pid after it tells a crashed run's leftovers from a live run's namespaces.
const namePrefix = "mptcpt-"

// notLinux is the reason every namespace helper skips with off Linux.
const notLinux = "network namespaces need Linux"

// MaxPaths is the largest path index [Link] accepts: it is the third octet
// of the IPv4 addresses.
const MaxPaths = netlab.MaxPaths

// ShapeLatency is the longest a packet may wait in [Path.Shape]'s tbf queue
// before it is dropped; it sets the queue length to rate*latency.
const ShapeLatency = netlab.ShapeLatency

// staleOnce makes New and TwoHosts look for crashed runs' leftovers once
// per process.
var staleOnce sync.Once

// NS is a network namespace made by [New] and deleted when its test ends.
// Its Name, Do and Run (and Delete and SetSysctl, which tests rarely need)
// come from the embedded [netlab.NS]; MustRun, Sysctl, ReadSysctl and
// Counter fail the test instead of returning an error, and hide netlab's
// methods of the same names.
type NS struct {
	// NS is the namespace itself, whose error-returning methods stay
	// reachable through it, as in ns.NS.Sysctl(key).
	*netlab.NS
}

// Path is one veth link between two namespaces, made by [Link]. Its Index,
// interface names IfA and IfB and addresses A4, B4, A6 and B6 come from the
// embedded [netlab.Path]; its methods fail the test instead of returning an
// error.
type Path struct {
	// Path is the link itself; its own A and B are the netlab namespaces.
	*netlab.Path
	// A and B are the namespaces at the two ends, as given to [Link].
	A, B *NS
}

// Topology is a client and a server namespace joined by paths, made by
// [TwoHosts]; on every path the client is end A and the server end B.
type Topology struct {
	// Client and Server are the namespaces at ends A and B of every path.
	Client, Server *NS
	// Paths are the links between them, path i+1 at index i.
	Paths []*Path
}

// check reports whether err is nil, and otherwise fails the test with it;
// off Linux, where netlab can only return errors.ErrUnsupported, it calls
// [Skip] instead.
func check(t testing.TB, err error) bool {
	t.Helper()
	switch {
	case err == nil:
		return true
	case runtime.GOOS != "linux":
		Skip(t, notLinux)
	default:
		t.Fatalf("%v", err)
	}
	return false
}

// cleanup registers del to run when the test ends, whether it passed or
// failed; an error of del marks the test failed without stopping the
// cleanups after it.
func cleanup(t testing.TB, del func() error) {
	t.Cleanup(func() {
		if err := del(); err != nil {
			t.Error(err)
		}
	})
}

// start calls [Require] and, for the first namespace of the process,
// deletes namespaces left by crashed runs.
func start(t testing.TB) {
	t.Helper()
	Require(t)
	staleOnce.Do(func() {
		for _, name := range netlab.RemoveStale(namePrefix) {
			t.Logf("nstest: removed stale namespace %s of a dead process", name)
		}
	})
}

// New creates a fresh, uniquely named network namespace
// ("mptcpt-<pid>-<counter>") with lo up and reverse-path filtering off, as
// [netlab.NewNS] does, and registers a cleanup that deletes it, which also
// deletes its veths once no socket holds it. It calls [Require] first, and
// before the first namespace of the process it deletes namespaces left by
// crashed runs: those named mptcpt-<pid>-* whose pid no longer exists.
func New(t testing.TB) *NS {
	t.Helper()
	start(t)
	ns, err := netlab.NewNS(namePrefix)
	if !check(t, err) {
		return nil
	}
	cleanup(t, ns.Delete)
	return &NS{ns}
}

// TwoHosts builds a [Topology] with [netlab.TwoHosts]: a client and a
// server namespace joined by n >= 1 paths made by [netlab.Link], numbered 1
// to n, each routed by source address as [netlab.Path.SourceRoute]
// describes. Both namespaces are deleted when the test ends, also if it
// fails.
func TwoHosts(t testing.TB, n int) *Topology {
	t.Helper()
	if n < 1 || n > MaxPaths {
		t.Fatalf("nstest: TwoHosts needs 1 to %d paths, not %d", MaxPaths, n)
		return nil
	}
	start(t)
	lab, err := netlab.TwoHosts(namePrefix, n)
	if !check(t, err) {
		return nil
	}
	cleanup(t, lab.Close)
	topo := &Topology{Client: &NS{lab.Client}, Server: &NS{lab.Server}}
	for _, p := range lab.Paths {
		topo.Paths = append(topo.Paths, &Path{Path: p, A: topo.Client, B: topo.Server})
	}
	return topo
}

// Link creates veth path number index (1 to [MaxPaths]) between a and b
// with [netlab.Link]: named p<index>a in a and p<index>b in b, with the
// addresses [netlab.Path] describes, both ends up and usable. The veth goes
// away with the namespaces.
func Link(t testing.TB, a, b *NS, index int) *Path {
	t.Helper()
	p, err := netlab.Link(a.lab(), b.lab(), index)
	if !check(t, err) {
		return nil
	}
	return &Path{Path: p, A: a, B: b}
}

// lab returns the netlab namespace of ns, or nil for a nil ns.
func (ns *NS) lab() *netlab.NS {
	if ns == nil {
		return nil
	}
	return ns.NS
}

// MustRun is [netlab.NS.Run] that fails the test on error.
func (ns *NS) MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := ns.Run(name, args...)
	check(t, err)
	return out
}

// Sysctl writes value to the sysctl key inside the namespace, for example
// ns.Sysctl(t, "net.mptcp.enabled", "0"), as [netlab.NS.SetSysctl] does. It
// fails the test on error.
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	check(t, ns.NS.SetSysctl(key, value))
}

// ReadSysctl returns the value of the sysctl key inside the namespace, with
// surrounding white space trimmed, as [netlab.NS.Sysctl] does. It fails the
// test on error.
func (ns *NS) ReadSysctl(t testing.TB, key string) string {
	t.Helper()
	v, err := ns.NS.Sysctl(key)
	check(t, err)
	return v
}

// Counter returns the kernel SNMP or netstat counter name inside the
// namespace, such as "TcpActiveOpens" or "MPTcpExtMPCapableSYNTX", as
// [netlab.NS.Counter] does: 0 for a name the kernel does not list. A file
// that cannot be read or parsed, or a negative value, fails the test.
func (ns *NS) Counter(t testing.TB, name string) uint64 {
	t.Helper()
	v, err := ns.NS.Counter(name)
	check(t, err)
	return v
}

// Shape limits the rate of the path in both directions to rate, a tc rate
// such as "20mbit", as [netlab.Path.Shape] does; shaping again replaces the
// previous rate. It fails the test on error.
func (p *Path) Shape(t testing.TB, rate string) {
	t.Helper()
	check(t, p.Path.Shape(rate))
}

// Cut takes the path down as [netlab.Path.Cut] does: both ends are
// administratively down, so a connect over it fails at once with "network
// is unreachable", and the addresses stay. It fails the test on error.
func (p *Path) Cut(t testing.TB) {
	t.Helper()
	check(t, p.Path.Cut())
}

// Restore brings a cut path back up and returns once it is usable again, as
// [netlab.Path.Restore] does. It fails the test on error.
func (p *Path) Restore(t testing.TB) {
	t.Helper()
	check(t, p.Path.Restore())
}
