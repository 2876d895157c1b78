// Package nstest builds throwaway network namespaces for integration tests
// of the MPTCP library: a client and a server joined by veth paths whose
// rate can be limited and which can be cut and restored.
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
	"fmt"
	"net/netip"
)

// NS is a network namespace made by [New] and deleted when its test ends.
type NS struct {
	// Name is the namespace's name as `ip netns list` shows it.
	Name string

	path string // its bind mount, /run/netns/<Name>
}

// Path is one veth link between two namespaces, made by [Link].
type Path struct {
	// Index is the 1-based path number, which also picks the addresses.
	Index int
	// A and B are the namespaces at the two ends.
	A, B *NS
	// IfA and IfB are the interface names in A and B, such as "p1a" and "p1b".
	IfA, IfB string
	// A4 and B4 are 198.18.<Index>.1 on A's side and 198.18.<Index>.2 on
	// B's side, in a /24.
	A4, B4 netip.Addr
	// A6 and B6 are 2001:db8:<Index>::1 on A's side and 2001:db8:<Index>::2
	// on B's side, in a /64.
	A6, B6 netip.Addr
}

// Topology is a client and a server namespace joined by paths; on every
// path the client is end A and the server is end B.
type Topology struct {
	// Client and Server are the two namespaces.
	Client, Server *NS
	// Paths holds path i+1 at index i.
	Paths []*Path
}

// MaxPaths is the largest path index [Link] accepts: it is the third octet
// of the IPv4 addresses.
const MaxPaths = 255

// pathAddrs returns the addresses of path number index. The IPv6 group is
// the decimal index written as hex digits, so path 10 is 2001:db8:10::/64
// just as it is 198.18.10.0/24.
func pathAddrs(index int) (a4, b4, a6, b6 netip.Addr) {
	a4 = netip.MustParseAddr(fmt.Sprintf("198.18.%d.1", index))
	b4 = netip.MustParseAddr(fmt.Sprintf("198.18.%d.2", index))
	a6 = netip.MustParseAddr(fmt.Sprintf("2001:db8:%d::1", index))
	b6 = netip.MustParseAddr(fmt.Sprintf("2001:db8:%d::2", index))
	return a4, b4, a6, b6
}
