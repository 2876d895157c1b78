package pm

import "strconv"

// Errno is the type of Event.Error. Plan 9 has no syscall.Errno, so it is a
// number of its own there: the Linux errno the kernel sent.
type Errno uintptr

// Error returns the errno's number.
func (e Errno) Error() string { return "linux errno " + strconv.FormatUint(uint64(e), 10) }
