//go:build linux

package lab

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Protocol returns the protocol number of the socket behind c, as
// getsockopt(SOL_SOCKET, SO_PROTOCOL) reports it: ProtoMPTCP for a socket
// created as MPTCP, ProtoTCP for a plain TCP one. On an accepted socket it
// tells whether the client asked for MPTCP; it says nothing of a later
// fallback. On systems other than Linux it returns an error matching
// errors.ErrUnsupported.
func Protocol(c syscall.Conn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var proto int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		proto, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PROTOCOL)
	}); err != nil {
		return 0, err
	}
	return proto, serr
}
