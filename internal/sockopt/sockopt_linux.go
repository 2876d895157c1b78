//go:build linux

package sockopt

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Get calls getsockopt(fd, level, opt) with buf as the option buffer and
// returns the length the kernel wrote back in optlen. An empty buf passes a
// NULL buffer with optlen 0, the cheap probe MPTCP_INFO answers. It does not
// allocate.
func Get(fd uintptr, level, opt int, buf []byte) (int, error) {
	l := uint32(len(buf))
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	// Why the raw syscall: x/sys/unix's getsockopt wrapper is unexported and
	// its exported helpers either fix the length or allocate.
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, uintptr(level), uintptr(opt),
		uintptr(p), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return 0, e
	}
	return int(l), nil
}

// GetInt reads an int-valued socket option. It does not allocate.
func GetInt(fd uintptr, level, opt int) (int, error) {
	var v int32
	l := uint32(4)
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return 0, e
	}
	return int(v), nil
}
