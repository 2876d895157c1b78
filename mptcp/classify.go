package mptcp

import (
	"errors"

	"github.com/multipath-dev/go/internal/unix"
)

// probe is the set of getsockopt calls the status decision needs. The Linux
// code answers it from a socket; tests answer it from tables of what each
// kernel generation returns.
type probe interface {
	// isMPTCP reads getsockopt(SOL_TCP, TCP_IS_MPTCP).
	isMPTCP() (int, error)
	// protocol reads getsockopt(SOL_SOCKET, SO_PROTOCOL).
	protocol() (int, error)
	// infoProbe calls getsockopt(SOL_MPTCP, MPTCP_INFO) with optlen 0.
	infoProbe() error
}

// errNotTCP reports introspection of a socket that is neither TCP nor MPTCP,
// such as a UDP or unix one. It matches ErrNotMPTCP.
var errNotTCP error = &sentinel{msg: "not a TCP or MPTCP socket", parent: ErrNotMPTCP}

// classify decides a socket's Status from errnos alone, never from the
// kernel version string:
//
//  1. TCP_IS_MPTCP (6.10+) answers 1 for MPTCP and 0 for a TCP path; then
//     SO_PROTOCOL tells a fallen-back MPTCP socket (262) from plain TCP (6).
//  2. Before 6.10 that option fails: EOPNOTSUPP from an MPTCP socket still
//     doing MPTCP, ENOPROTOOPT once the call reaches a TCP socket. Then
//     SO_PROTOCOL 6 means plain TCP, and for protocol 262 the zero-length
//     MPTCP_INFO probe (5.16+) succeeds while MPTCP is in use and fails with
//     EOPNOTSUPP (IPv4) or ENOPROTOOPT (IPv6) after fallback.
//  3. Before 5.16 the probe always fails; the TCP_IS_MPTCP errno then
//     decides, since only a socket still doing MPTCP answers EOPNOTSUPP.
func classify(p probe) (Status, error) {
	v, err := p.isMPTCP()
	if err == nil && v == 1 {
		return StatusMPTCP, nil
	}
	if err != nil && !isOptErrno(err) {
		return StatusUnknown, err
	}
	proto, perr := p.protocol()
	if perr != nil {
		return StatusUnknown, perr
	}
	switch proto {
	case unix.IPPROTO_TCP:
		return StatusTCP, nil
	case unix.IPPROTO_MPTCP:
	default:
		return StatusUnknown, errNotTCP
	}
	if err == nil {
		// TCP_IS_MPTCP answered 0 on an MPTCP socket.
		return StatusFallback, nil
	}
	ierr := p.infoProbe()
	switch {
	case ierr == nil:
		return StatusMPTCP, nil
	case !isOptErrno(ierr):
		return StatusUnknown, ierr
	case errors.Is(err, errEOPNOTSUPP):
		// Kernel before 5.16 without SOL_MPTCP, and TCP_IS_MPTCP was
		// refused by the MPTCP layer itself, not by a TCP subflow.
		return StatusMPTCP, nil
	}
	return StatusFallback, nil
}

// isOptErrno reports whether err is one of the two errnos the kernel uses
// for an option a socket does not know.
func isOptErrno(err error) bool {
	return errors.Is(err, errEOPNOTSUPP) || errors.Is(err, errENOPROTOOPT)
}
