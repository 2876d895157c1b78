//go:build linux

package lab

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrnoName returns the name of the errno in err, such as "EOPNOTSUPP" or
// "ENOPROTOOPT", or err's text when it holds none. EOPNOTSUPP is named so,
// not by its Linux alias ENOTSUP, since the kernel documentation does.
func ErrnoName(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	if errno == unix.EOPNOTSUPP {
		return "EOPNOTSUPP"
	}
	if name := unix.ErrnoName(errno); name != "" {
		return name
	}
	return err.Error()
}
