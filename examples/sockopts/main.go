// Command sockopts shows which common socket options an MPTCP socket
// accepts on the running kernel: for each it sets a value and reads it back
// on an MPTCP socket before connect, on a connected MPTCP socket, and, for
// comparison, on a connected plain TCP socket, and prints "ok" or the errno
// of each call.
//
//	sudo go run ./examples/sockopts
//
// Most TCP-level options work on MPTCP sockets, and the kernel applies them
// to every subflow, also those opened later. Some act only on the first
// subflow before it connects and fail with EINVAL afterwards (SO_REUSEADDR,
// TCP_FASTOPEN, IPV6_V6ONLY, ...); the options the MPTCP layer does not
// know fail with ENOPROTOOPT or EOPNOTSUPP (TCP_USER_TIMEOUT, and TCP_ULP
// "tls": kernel TLS does not work over MPTCP). A connection that fell back
// to TCP passes every option to its TCP socket.
//
// The options before connect are set from the Control hook of an
// mptcp.Dialer, which runs on the MPTCP socket before it connects; the
// others through the connection's syscall.RawConn. IPV6_* options are tried
// on IPv6 sockets (::1), the rest on IPv4 ones (127.0.0.1). SO_MARK needs
// CAP_NET_ADMIN: without it, it fails with EPERM on every socket. It needs
// Linux.
package main

import (
	"flag"
	"log"
	"os"
)

func main() {
	flag.Parse() // no flags, but -h gets a usage line
	log.SetFlags(0)
	if flag.NArg() > 0 {
		log.Fatalf("sockopts: unexpected arguments %q", flag.Args())
	}
	if err := run(os.Stdout); err != nil {
		log.Fatalf("sockopts: %v", err)
	}
}
