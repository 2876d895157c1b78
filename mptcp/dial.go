package mptcp

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// A Dialer dials MPTCP connections. It embeds net.Dialer, whose fields
// (Timeout, Deadline, LocalAddr, KeepAlive, Resolver, Control, ...) keep
// their meaning, and adds the fallback Policy. The zero value prefers MPTCP.
//
// Connections are *net.TCPConn values, so deadlines, io.Copy's splice and
// sendfile paths and net/http work unchanged. Each destination address is
// tried once: a connect error is returned as it is, never retried as plain
// TCP. The embedded Dialer's own MultipathTCP setting is ignored.
//
// The network must be "tcp", "tcp4" or "tcp6" to use MPTCP; other networks
// are dialed by net.Dialer as they are under Prefer and Disable, and fail
// under Require.
type Dialer struct {
	net.Dialer
	// Policy says what to do when MPTCP cannot be used.
	Policy Policy
}

// Dial connects to address on the named network. See net.Dial for the
// syntax of network and address.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext connects to address on the named network using the provided
// context, as net.Dialer.DialContext does.
//
// Under Require it fails with an error matching ErrUnavailable when MPTCP
// sockets cannot be created, and with one matching ErrFallback when the
// peer did not agree to MPTCP; the connection is then closed.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if !d.Policy.valid() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("mptcp: invalid %v", d.Policy)}
	}
	nd := d.Dialer
	nd.SetMultipathTCP(false)
	if !isTCPNetwork(network) {
		if d.Policy == Require {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("mptcp: network %q cannot use MPTCP; want tcp, tcp4 or tcp6", network)}
		}
		return nd.DialContext(ctx, network, address)
	}
	if d.Policy == Disable {
		return nd.DialContext(ctx, network, address)
	}
	nd.Control = nil
	nd.ControlContext = hook(d.Policy, false, d.Dialer.ControlContext, d.Dialer.Control)
	c, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if d.Policy == Require {
		if err := requireMPTCP(c); err != nil {
			c.Close()
			return nil, &net.OpError{Op: "dial", Net: network, Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
		}
	}
	return c, nil
}

// controlFunc is the type of net.Dialer.ControlContext and
// net.ListenConfig.Control's context form.
type controlFunc = func(ctx context.Context, network, address string, c syscall.RawConn) error

// hook returns a control function that makes the socket MPTCP, then runs
// the caller's own hook, which so sees the MPTCP socket.
func hook(p Policy, listener bool, userCtx controlFunc, user func(network, address string, c syscall.RawConn) error) controlFunc {
	return func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := useMPTCP(c, network, p, listener); err != nil {
			return err
		}
		switch {
		case userCtx != nil:
			return userCtx(ctx, network, address, c)
		case user != nil:
			return user(network, address, c)
		}
		return nil
	}
}

// requireMPTCP returns nil if c uses MPTCP, and otherwise an error matching
// ErrNotMPTCP (and ErrFallback after a fallback).
func requireMPTCP(c net.Conn) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return fmt.Errorf("mptcp: %T has no socket to inspect", c)
	}
	st, err := StatusOf(sc)
	if err != nil {
		return err
	}
	if st != StatusMPTCP {
		return &notMPTCPError{op: "dial", status: st}
	}
	return nil
}

func isTCPNetwork(network string) bool {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return true
	}
	return false
}

// Dial connects to address on the named network with MPTCP, falling back to
// TCP only when MPTCP is unavailable on this host: a Dialer with the Prefer
// policy.
func Dial(network, address string) (net.Conn, error) {
	var d Dialer
	return d.Dial(network, address)
}
