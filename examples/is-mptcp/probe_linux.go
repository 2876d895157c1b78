//go:build linux

package main

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
	"golang.org/x/sys/unix"
)

// tcpIsMPTCP is TCP_IS_MPTCP from linux/tcp.h (6.10), which
// golang.org/x/sys/unix does not define.
const tcpIsMPTCP = 43

// mptcpInfo is MPTCP_INFO, the SOL_MPTCP option (5.16).
const mptcpInfo = 1

// result is what the three calls returned on one socket, as printed, and
// the rule's verdict.
type result struct {
	isMPTCP, info, protocol string
	status                  mptcp.Status
	by                      string
}

// probe makes the three getsockopt calls on c and applies the rule.
func probe(c syscall.Conn) (result, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return result{}, err
	}
	var v, proto int
	var verr, ierr, perr error
	if err := rc.Control(func(fd uintptr) {
		v, verr = unix.GetsockoptInt(int(fd), unix.SOL_TCP, tcpIsMPTCP)
		// The value does not matter, only whether the call fails; a
		// zero-length buffer does as well.
		_, ierr = unix.GetsockoptInt(int(fd), unix.SOL_MPTCP, mptcpInfo)
		proto, perr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PROTOCOL)
	}); err != nil {
		return result{}, err
	}
	if perr != nil {
		return result{}, fmt.Errorf("SO_PROTOCOL: %w", perr)
	}
	r := result{isMPTCP: fmt.Sprint(v), info: "ok", protocol: fmt.Sprintf("%d (%s)", proto, lab.ProtocolName(proto))}
	if verr != nil {
		r.isMPTCP = lab.ErrnoName(verr)
	}
	if ierr != nil {
		r.info = lab.ErrnoName(ierr)
	}
	r.status, r.by = decide(v, verr, ierr, proto)
	return r, nil
}

// decide combines the three answers:
//
//  1. TCP_IS_MPTCP (6.10+) is 1 while MPTCP is in use and 0 otherwise; 0
//     with SO_PROTOCOL IPPROTO_MPTCP means the MPTCP socket fell back.
//  2. Before 6.10 it fails. SO_PROTOCOL IPPROTO_TCP means plain TCP; for
//     an MPTCP socket, MPTCP_INFO (5.16+) works while MPTCP is in use and
//     fails with EOPNOTSUPP (IPv4) or ENOPROTOOPT (IPv6) after fallback.
//  3. Before 5.16 MPTCP_INFO always fails; TCP_IS_MPTCP then fails with
//     EOPNOTSUPP from the MPTCP layer itself, ENOPROTOOPT from the TCP
//     socket left after fallback.
func decide(v int, verr, ierr error, proto int) (mptcp.Status, string) {
	switch {
	case verr == nil && v == 1:
		return mptcp.StatusMPTCP, "TCP_IS_MPTCP = 1"
	case verr == nil && proto == lab.ProtoMPTCP:
		return mptcp.StatusFallback, "TCP_IS_MPTCP = 0 on an IPPROTO_MPTCP socket"
	case verr == nil:
		return mptcp.StatusTCP, "TCP_IS_MPTCP = 0 on an IPPROTO_TCP socket"
	case proto == lab.ProtoTCP:
		return mptcp.StatusTCP, "SO_PROTOCOL = IPPROTO_TCP (Linux before 6.10)"
	case ierr == nil:
		return mptcp.StatusMPTCP, "MPTCP_INFO succeeding (Linux 5.16 to 6.9)"
	case errors.Is(verr, unix.EOPNOTSUPP):
		return mptcp.StatusMPTCP, "TCP_IS_MPTCP failing with EOPNOTSUPP (Linux before 5.16)"
	}
	return mptcp.StatusFallback, "MPTCP_INFO failing (Linux before 6.10)"
}
