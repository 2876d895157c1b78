package netlab

import (
	"errors"
	"fmt"
	"net/netip"
)

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

	routed bool // SourceRoute ran, so Restore must bring its routes back
}

// Topology is a client and a server namespace joined by paths, made by
// [TwoHosts]; on every path the client is end A and the server is end B.
type Topology struct {
	// Client and Server are the two namespaces.
	Client, Server *NS
	// Paths holds path i+1 at index i.
	Paths []*Path
}

// MaxPaths is the largest path index [Link] accepts: it is the third octet
// of the IPv4 addresses.
const MaxPaths = 255

// Close deletes the server and client namespaces, which also deletes the
// veths between them once no socket holds them, and returns the errors of
// both deletions joined. Like [NS.Delete] it may be called again.
func (t *Topology) Close() error {
	var errs []error
	for _, ns := range []*NS{t.Server, t.Client} {
		if ns != nil {
			errs = append(errs, ns.Delete())
		}
	}
	return errors.Join(errs...)
}

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
