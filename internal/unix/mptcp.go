// Package unix holds the MPTCP kernel ABI constants that golang.org/x/sys/unix
// does not define. Names keep the kernel's spelling so they can be swapped for
// x/sys ones if it ever adds them. The values are fixed by the kernel ABI and
// the same on every architecture, so this file carries no build tag.
package unix

// Protocol numbers and socket levels.
const (
	IPPROTO_MPTCP = 0x106 // linux/in.h, socket() since 5.6
	IPPROTO_TCP   = 0x6
	SOL_MPTCP     = 0x11c // getsockopt level since 5.16
	SOL_TCP       = 0x6
)

// Socket options.
const (
	// TCP_IS_MPTCP (SOL_TCP, 6.10+) answers 1 while MPTCP is in use and 0 on
	// a plain or fallen-back TCP socket.
	TCP_IS_MPTCP = 43
	TCP_INFO     = 11

	MPTCP_INFO          = 1 // struct mptcp_info, 5.16+
	MPTCP_TCPINFO       = 2 // mptcp_subflow_data + tcp_info[], 5.16+
	MPTCP_SUBFLOW_ADDRS = 3 // mptcp_subflow_data + mptcp_subflow_addrs[], 5.16+
	MPTCP_FULL_INFO     = 4 // struct mptcp_full_info, 6.5+
)

// Struct sizes the kernel ABI fixes.
const (
	// SizeofMPTCPInfo is sizeof(struct mptcp_info) on 6.10 and later.
	SizeofMPTCPInfo = 96
	// SizeofMPTCPSubflowData is sizeof(struct mptcp_subflow_data).
	SizeofMPTCPSubflowData = 16
	// SizeofMPTCPSubflowAddrs is sizeof(struct mptcp_subflow_addrs): two
	// __kernel_sockaddr_storage unions.
	SizeofMPTCPSubflowAddrs = 256
	// SizeofMPTCPFullInfoHeader is the offset of the embedded mptcp_info in
	// struct mptcp_full_info, and the smallest optlen FULL_INFO accepts.
	SizeofMPTCPFullInfoHeader = 40
	// SizeofMPTCPFullInfo is sizeof(struct mptcp_full_info).
	SizeofMPTCPFullInfo = SizeofMPTCPFullInfoHeader + SizeofMPTCPInfo
	// SizeofSockaddrStorage is sizeof(struct __kernel_sockaddr_storage).
	SizeofSockaddrStorage = 128
)

// mptcpi_flags bits.
const (
	MPTCP_INFO_FLAG_FALLBACK            = 0x1
	MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED = 0x2
)

// Linux address family numbers as they appear in sockaddr structures the
// kernel writes. They differ from syscall.AF_INET6 on other systems, and the
// decoders that read them build on every GOOS.
const (
	AF_INET  = 2
	AF_INET6 = 10
)
