package mptcp

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// A ListenConfig creates MPTCP listeners. It embeds net.ListenConfig, whose
// fields (Control, KeepAlive, KeepAliveConfig) keep their meaning, and adds
// the fallback Policy. The zero value prefers MPTCP. The embedded
// ListenConfig's own MultipathTCP setting is ignored.
//
// An MPTCP listener accepts MPTCP and plain TCP clients alike: Accept yields
// *net.TCPConn values, which are MPTCP sockets for clients that asked for
// MPTCP and plain TCP sockets for the others (see StatusOf).
type ListenConfig struct {
	net.ListenConfig
	// Policy says what to do when MPTCP cannot be used. Under Require,
	// Listen fails with an error matching ErrUnavailable when MPTCP sockets
	// cannot be created.
	Policy Policy
}

// Listen announces on the local network address, as
// net.ListenConfig.Listen does. The network must be "tcp", "tcp4" or "tcp6"
// to use MPTCP; others are passed to net.ListenConfig under Prefer and
// Disable and fail under Require.
func (lc *ListenConfig) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	if !lc.Policy.valid() {
		return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("mptcp: invalid %v", lc.Policy)}
	}
	nlc := lc.ListenConfig
	nlc.SetMultipathTCP(false)
	if !isTCPNetwork(network) {
		if lc.Policy == Require {
			return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("mptcp: network %q cannot use MPTCP; want tcp, tcp4 or tcp6", network)}
		}
		return nlc.Listen(ctx, network, address)
	}
	if lc.Policy != Disable {
		user := lc.ListenConfig.Control
		h := hook(lc.Policy, true, nil, user)
		nlc.Control = func(network, address string, c syscall.RawConn) error {
			return h(ctx, network, address, c)
		}
	}
	return nlc.Listen(ctx, network, address)
}

// Listen announces on the local network address with MPTCP, falling back to
// TCP only when MPTCP is unavailable on this host: a ListenConfig with the
// Prefer policy.
func Listen(network, address string) (net.Listener, error) {
	var lc ListenConfig
	return lc.Listen(context.Background(), network, address)
}
