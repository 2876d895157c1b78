//go:build !plan9

package pm

import "syscall"

// Errno is the type of Event.Error: the platform's syscall.Errno, so that
// comparisons such as ev.Error == syscall.ECONNREFUSED work unchanged.
type Errno = syscall.Errno
