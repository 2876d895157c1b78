package mptcp

// Available reports whether this process, in its current network namespace,
// can create MPTCP sockets. It returns nil if it can, and otherwise an
// *UnavailableError that matches ErrUnavailable, says why in its Reason and
// unwraps to the errno: ENOPROTOOPT when net.mptcp.enabled is 0,
// EPROTONOSUPPORT for a kernel built without MPTCP, EINVAL for a kernel
// older than 5.6, EPERM or EACCES when a security policy refuses it.
//
// It asks the kernel on every call (one socket and one close), so it
// follows a change of the sysctl or of the namespace of the calling thread.
func Available() error { return available() }
