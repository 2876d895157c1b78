//go:build linux

package mptcp

import (
	"fmt"
	"syscall"

	"github.com/multipath-dev/go/internal/unix"
	xunix "golang.org/x/sys/unix"
)

// available creates and closes an MPTCP socket in the caller's network
// namespace: IPv4 first, IPv6 when the host has no IPv4.
func available() error {
	fd, err := xunix.Socket(xunix.AF_INET, xunix.SOCK_STREAM|xunix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	if err == xunix.EAFNOSUPPORT {
		fd, err = xunix.Socket(xunix.AF_INET6, xunix.SOCK_STREAM|xunix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	}
	if err != nil {
		return unavailable(err)
	}
	xunix.Close(fd)
	return nil
}

// unavailable wraps the errno of a failed socket(IPPROTO_MPTCP).
func unavailable(err error) error {
	return &UnavailableError{Reason: reasonOf(err), Err: err}
}

// unavailableErrno reports whether a socket(IPPROTO_MPTCP) errno means that
// MPTCP itself cannot be used, as opposed to a lack of resources.
func unavailableErrno(err error) bool {
	switch err {
	case xunix.ENOPROTOOPT, xunix.EPROTONOSUPPORT, xunix.EINVAL, xunix.EPERM, xunix.EACCES:
		return true
	}
	return false
}

// useMPTCP turns the socket behind rc, which the standard library has just
// created as plain TCP for network ("tcp4" or "tcp6") and not yet bound,
// connected or registered with the poller, into an MPTCP socket.
//
// Why the socket is replaced rather than created as MPTCP: net.Dialer picks
// the protocol itself, and its own MPTCP mode retries any failed connect as
// plain TCP, so a refused or unreachable destination would be tried twice
// and the caller would see the second error. Replacing the descriptor here
// keeps every other behaviour of net.Dialer and net.ListenConfig.
func useMPTCP(rc syscall.RawConn, network string, p Policy, listener bool) error {
	var err error
	cerr := rc.Control(func(fd uintptr) { err = swapToMPTCP(int(fd), network, listener) })
	if cerr != nil {
		return cerr
	}
	if err == nil {
		return nil
	}
	if p == Prefer && unavailableErrno(err) {
		// MPTCP itself is unavailable: keep the plain TCP socket.
		return nil
	}
	if unavailableErrno(err) {
		return unavailable(err)
	}
	// For example EMFILE: the swap needs one descriptor more, briefly.
	return fmt.Errorf("mptcp: replacing the TCP socket with an MPTCP one: %w", err)
}

// swapToMPTCP replaces the descriptor fd, a fresh TCP socket, with an MPTCP
// socket of the same family, carrying over the options the standard library
// has already set on it. It costs three system calls for IPv4.
func swapToMPTCP(fd int, network string, listener bool) error {
	family := xunix.AF_INET
	if network == "tcp6" {
		family = xunix.AF_INET6
	}
	nfd, err := xunix.Socket(family, xunix.SOCK_STREAM|xunix.SOCK_NONBLOCK|xunix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	if err != nil {
		return err
	}
	defer xunix.Close(nfd)
	// The standard library sets IPV6_V6ONLY on every IPv6 socket and
	// SO_REUSEADDR on every listener before the control hook runs.
	if family == xunix.AF_INET6 {
		v, err := xunix.GetsockoptInt(fd, xunix.IPPROTO_IPV6, xunix.IPV6_V6ONLY)
		if err != nil {
			return err
		}
		if err := xunix.SetsockoptInt(nfd, xunix.IPPROTO_IPV6, xunix.IPV6_V6ONLY, v); err != nil {
			return err
		}
	}
	if listener {
		if err := xunix.SetsockoptInt(nfd, xunix.SOL_SOCKET, xunix.SO_REUSEADDR, 1); err != nil {
			return err
		}
	}
	// dup3 atomically makes fd refer to the MPTCP socket and closes the TCP
	// one; O_CLOEXEC because dup3 does not carry descriptor flags over.
	return xunix.Dup3(nfd, fd, xunix.O_CLOEXEC)
}
