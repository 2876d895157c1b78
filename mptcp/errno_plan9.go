package mptcp

import (
	"errors"
	"strconv"
)

// plan9Errno stands in for syscall.Errno, which Plan 9 lacks. Plan 9 has no
// MPTCP, so no error it returns ever equals one of these values.
type plan9Errno uintptr

func (e plan9Errno) Error() string { return "linux errno " + strconv.FormatUint(uint64(e), 10) }

// reasonOf classifies why MPTCP is unavailable. On Plan 9 only the
// "unsupported operating system" reason can occur.
func reasonOf(err error) Reason {
	if errors.Is(err, errors.ErrUnsupported) {
		return ReasonUnsupportedOS
	}
	return ReasonUnknown
}

// Linux errno values; see errno.go.
const (
	errEPERM           = plan9Errno(0x1)
	errEACCES          = plan9Errno(0xd)
	errEINVAL          = plan9Errno(0x16)
	errENOPROTOOPT     = plan9Errno(0x5c)
	errEPROTONOSUPPORT = plan9Errno(0x5d)
	errEOPNOTSUPP      = plan9Errno(0x5f)
)
