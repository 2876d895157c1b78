//go:build !plan9

package mptcp

import (
	"errors"
	"syscall"
)

// reasonOf classifies the errno socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)
// failed with, using the table mptcp.dev documents.
func reasonOf(err error) Reason {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		if errors.Is(err, errors.ErrUnsupported) {
			return ReasonUnsupportedOS
		}
		return ReasonUnknown
	}
	switch errno {
	case errENOPROTOOPT:
		return ReasonDisabled
	case errEPROTONOSUPPORT:
		return ReasonNotBuilt
	case errEINVAL:
		return ReasonKernelTooOld
	case errEPERM, errEACCES:
		return ReasonDenied
	}
	return ReasonUnknown
}

// Linux errno values, spelled out because the decoders and the classification
// above build on every GOOS and other systems number them differently.
const (
	errEPERM           = syscall.Errno(0x1)
	errEACCES          = syscall.Errno(0xd)
	errEINVAL          = syscall.Errno(0x16)
	errENOPROTOOPT     = syscall.Errno(0x5c)
	errEPROTONOSUPPORT = syscall.Errno(0x5d)
	errEOPNOTSUPP      = syscall.Errno(0x5f)
)
