//go:build linux

package mptcp

import (
	"syscall"

	"github.com/multipath-dev/go/internal/sockopt"
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
// created as plain TCP and not yet bound, connected or registered with the
// poller, into an MPTCP socket.
//
// Why the socket is replaced rather than created as MPTCP: net.Dialer picks
// the protocol itself, and its own MPTCP mode retries any failed connect as
// plain TCP, so a refused or unreachable destination would be tried twice
// and the caller would see the second error. Replacing the descriptor here
// keeps every other behaviour of net.Dialer and net.ListenConfig.
func useMPTCP(rc syscall.RawConn, p Policy) error {
	var err error
	cerr := rc.Control(func(fd uintptr) { err = swapToMPTCP(int(fd)) })
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
	return err
}

// swapToMPTCP replaces the descriptor fd, a fresh TCP socket, with an MPTCP
// socket of the same family, carrying over the options the standard library
// has already set on it.
func swapToMPTCP(fd int) error {
	if p, err := sockopt.GetInt(uintptr(fd), xunix.SOL_SOCKET, xunix.SO_PROTOCOL); err == nil && p == unix.IPPROTO_MPTCP {
		return nil // already MPTCP, for example through a caller's own hook
	}
	family, err := xunix.GetsockoptInt(fd, xunix.SOL_SOCKET, xunix.SO_DOMAIN)
	if err != nil {
		return err
	}
	nfd, err := xunix.Socket(family, xunix.SOCK_STREAM|xunix.SOCK_NONBLOCK|xunix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	if err != nil {
		return err
	}
	defer xunix.Close(nfd)
	// The standard library sets IPV6_V6ONLY on every IPv6 socket and
	// SO_REUSEADDR on listeners before the control hook runs.
	if family == xunix.AF_INET6 {
		if err := copyIntOpt(fd, nfd, xunix.IPPROTO_IPV6, xunix.IPV6_V6ONLY); err != nil {
			return err
		}
	}
	if err := copyIntOpt(fd, nfd, xunix.SOL_SOCKET, xunix.SO_REUSEADDR); err != nil {
		return err
	}
	// dup3 atomically makes fd refer to the MPTCP socket and closes the TCP
	// one; O_CLOEXEC because dup3 does not carry descriptor flags over.
	return xunix.Dup3(nfd, fd, xunix.O_CLOEXEC)
}

func copyIntOpt(from, to, level, opt int) error {
	v, err := xunix.GetsockoptInt(from, level, opt)
	if err != nil {
		return err
	}
	return xunix.SetsockoptInt(to, level, opt, v)
}
