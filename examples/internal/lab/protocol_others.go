//go:build !linux

package lab

import (
	"errors"
	"fmt"
	"syscall"
)

// Protocol returns the protocol number of the socket behind c, as
// getsockopt(SOL_SOCKET, SO_PROTOCOL) reports it on Linux. Elsewhere it
// returns an error matching errors.ErrUnsupported.
func Protocol(syscall.Conn) (int, error) {
	return 0, fmt.Errorf("reading SO_PROTOCOL needs Linux: %w", errors.ErrUnsupported)
}
