// Package mptcp creates Multipath TCP (MPTCP) connections and listeners on
// Linux and reports what the kernel knows about them.
//
// Dialer and ListenConfig are drop-in replacements for net.Dialer and
// net.ListenConfig: they embed them, keep their fields and their use of
// context, and hand out plain *net.TCPConn values, so deadlines, io.Copy's
// splice and sendfile paths, and net/http keep working unchanged. What they
// add is an explicit fallback Policy: Prefer (the default) uses MPTCP and falls
// back to TCP only when MPTCP itself cannot be used on this host; Require fails
// with a typed error instead of using plain TCP; Disable always uses TCP.
//
// Available tells whether this process, in its current network namespace, can
// create MPTCP sockets, and if not why (an *UnavailableError keeping the
// errno). It asks the kernel on every call, so it follows a change of the
// net.mptcp.enabled sysctl or of the namespace.
//
// For any connection that implements syscall.Conn (ours, those made with the
// standard library's SetMultipathTCP, those accepted by a net/http server),
// StatusOf says whether MPTCP is in use, fell back to TCP, or was never
// requested; InfoOf decodes MPTCP_INFO; SubflowsOf lists the subflows with
// their addresses and TCP_INFO values. An Inspector does the same repeatedly
// without allocating.
//
// # Kernel versions
//
// Creating MPTCP sockets needs Linux 5.6. MPTCP_INFO and the per-subflow
// options need 5.16; SubflowsOf uses MPTCP_FULL_INFO, one atomic snapshot, on
// 6.5 and later, and MPTCP_TCPINFO plus MPTCP_SUBFLOW_ADDRS before that.
// StatusOf uses TCP_IS_MPTCP on 6.10 and later and errno rules before that.
// No privilege is needed for anything in this package.
//
// # Other systems
//
// On systems other than Linux, dialing and listening under Prefer use plain
// TCP, Require fails with an error matching ErrUnavailable and
// errors.ErrUnsupported, and introspection returns an error matching
// errors.ErrUnsupported.
package mptcp
