package mptcp

import "fmt"

// sentinel is an error value that can also match a broader sentinel, so that
// ErrFallback matches ErrNotMPTCP.
type sentinel struct {
	msg    string
	parent error
}

func (s *sentinel) Error() string { return s.msg }

func (s *sentinel) Is(target error) bool { return s.parent != nil && target == s.parent }

var (
	// ErrUnavailable is matched by errors.Is when MPTCP sockets cannot be
	// created on this host or in this network namespace. The error is an
	// *UnavailableError that says why.
	ErrUnavailable error = &sentinel{msg: "mptcp: MPTCP is unavailable"}

	// ErrNotMPTCP is matched by errors.Is when a connection does not use
	// MPTCP: it fell back to TCP (see ErrFallback) or was plain TCP from the
	// start.
	ErrNotMPTCP error = &sentinel{msg: "mptcp: connection does not use MPTCP"}

	// ErrFallback is matched by errors.Is when a connection was created as
	// MPTCP but fell back to plain TCP, because the peer does not support
	// MPTCP or a middlebox removed the option. It also matches ErrNotMPTCP.
	ErrFallback error = &sentinel{msg: "mptcp: connection fell back to TCP", parent: ErrNotMPTCP}
)

// Reason says why MPTCP is unavailable.
type Reason uint8

const (
	// ReasonUnknown is an errno the kernel documents no meaning for.
	ReasonUnknown Reason = iota
	// ReasonDisabled means the sysctl net.mptcp.enabled is 0 in the caller's
	// network namespace (ENOPROTOOPT).
	ReasonDisabled
	// ReasonNotBuilt means the kernel is 5.6 or later but was built without
	// CONFIG_MPTCP (EPROTONOSUPPORT).
	ReasonNotBuilt
	// ReasonKernelTooOld means the kernel predates MPTCP, added in 5.6, and
	// rejects the protocol number (EINVAL).
	ReasonKernelTooOld
	// ReasonDenied means a security policy (seccomp, an LSM) refused the
	// socket (EPERM or EACCES).
	ReasonDenied
	// ReasonUnsupportedOS means the operating system is not Linux.
	ReasonUnsupportedOS
)

// String returns a short description naming the cause.
func (r Reason) String() string {
	switch r {
	case ReasonDisabled:
		return "disabled by sysctl net.mptcp.enabled=0"
	case ReasonNotBuilt:
		return "kernel built without CONFIG_MPTCP"
	case ReasonKernelTooOld:
		return "kernel older than 5.6"
	case ReasonDenied:
		return "refused by a security policy"
	case ReasonUnsupportedOS:
		return "not supported on this operating system"
	}
	return "unknown reason"
}

// UnavailableError reports that MPTCP sockets cannot be created, and why. It
// matches ErrUnavailable with errors.Is and unwraps to the errno the kernel
// returned (or errors.ErrUnsupported on other systems).
type UnavailableError struct {
	// Reason classifies Err.
	Reason Reason
	// Err is the syscall.Errno from socket(2), or errors.ErrUnsupported.
	Err error
}

// Error describes the reason and the underlying error.
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("mptcp: unavailable: %s (%v)", e.Reason, e.Err)
}

// Unwrap returns the underlying errno.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is reports whether target is ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// notMPTCPError reports an introspection call on a connection that does not
// use MPTCP. It matches ErrFallback or ErrNotMPTCP. It keeps the errno in its
// text but does not unwrap to it: EOPNOTSUPP would otherwise match
// errors.ErrUnsupported, which this package reserves for kernels that lack
// an option, and only for IPv4 sockets (IPv6 ones answer ENOPROTOOPT).
type notMPTCPError struct {
	op     string
	status Status
	errno  error
}

func (e *notMPTCPError) Error() string {
	s := "mptcp: " + e.op + ": "
	if e.status == StatusFallback {
		s += "connection fell back to TCP"
	} else {
		s += "connection does not use MPTCP (" + e.status.String() + ")"
	}
	if e.errno != nil {
		s += ": " + e.errno.Error()
	}
	return s
}

func (e *notMPTCPError) Is(target error) bool {
	return target == ErrNotMPTCP || (target == ErrFallback && e.status == StatusFallback)
}
