package unix

// Event types of the mptcp_pm family: the genlmsghdr.cmd of the messages the
// kernel multicasts to the MPTCP_PM_EV_GRP_NAME group (enum mptcp_event_type
// in linux/mptcp_pm.h). The numbering has gaps: 4, 5, 8, 9, 12 and 14 were
// never assigned.
const (
	MPTCP_EVENT_UNSPEC           = 0x0
	MPTCP_EVENT_CREATED          = 0x1  // 5.12, connection created (SYN-ACK seen)
	MPTCP_EVENT_ESTABLISHED      = 0x2  // 5.12, connection fully established
	MPTCP_EVENT_CLOSED           = 0x3  // 5.12
	MPTCP_EVENT_ANNOUNCED        = 0x6  // 5.12, peer sent ADD_ADDR
	MPTCP_EVENT_REMOVED          = 0x7  // 5.12, peer sent RM_ADDR
	MPTCP_EVENT_SUB_ESTABLISHED  = 0xa  // 5.12
	MPTCP_EVENT_SUB_CLOSED       = 0xb  // 5.12
	MPTCP_EVENT_SUB_PRIORITY     = 0xd  // 5.12, peer sent MP_PRIO
	MPTCP_EVENT_LISTENER_CREATED = 0xf  // 6.2
	MPTCP_EVENT_LISTENER_CLOSED  = 0x10 // 6.2
)

// Attributes of the events (MPTCP_ATTR_*, the "event-attr" set). The byte
// orders are the kernel's: SADDR4 and DADDR4 are network order (raw
// address bytes), and so are SPORT and DPORT, unlike the host-order
// MPTCP_PM_ADDR_ATTR_PORT of endpoints; the other integers are host order.
const (
	MPTCP_ATTR_UNSPEC       = 0x0
	MPTCP_ATTR_TOKEN        = 0x1  // u32
	MPTCP_ATTR_FAMILY       = 0x2  // u16, AF_INET or AF_INET6
	MPTCP_ATTR_LOC_ID       = 0x3  // u8
	MPTCP_ATTR_REM_ID       = 0x4  // u8
	MPTCP_ATTR_SADDR4       = 0x5  // u32, network byte order
	MPTCP_ATTR_SADDR6       = 0x6  // 16 bytes
	MPTCP_ATTR_DADDR4       = 0x7  // u32, network byte order
	MPTCP_ATTR_DADDR6       = 0x8  // 16 bytes
	MPTCP_ATTR_SPORT        = 0x9  // u16, network byte order
	MPTCP_ATTR_DPORT        = 0xa  // u16, network byte order
	MPTCP_ATTR_BACKUP       = 0xb  // u8
	MPTCP_ATTR_ERROR        = 0xc  // u8, the subflow's sk_err
	MPTCP_ATTR_FLAGS        = 0xd  // u16, MPTCP_PM_EV_FLAG_*
	MPTCP_ATTR_TIMEOUT      = 0xe  // u32, defined but not sent by 6.18
	MPTCP_ATTR_IF_IDX       = 0xf  // s32
	MPTCP_ATTR_RESET_REASON = 0x10 // u32, MP_TCPRST reason (5.13)
	MPTCP_ATTR_RESET_FLAGS  = 0x11 // u32, MP_TCPRST flags (5.13)
	MPTCP_ATTR_SERVER_SIDE  = 0x12 // u8 (5.19), deprecated in 6.18 for the flag
)

// Event flags (MPTCP_ATTR_FLAGS).
const (
	// MPTCP_PM_EV_FLAG_DENY_JOIN_ID0 says the peer set the C flag in
	// MP_CAPABLE: it accepts no MP_JOIN to its initial address and port
	// (6.17, backported to stable).
	MPTCP_PM_EV_FLAG_DENY_JOIN_ID0 = 0x1
	// MPTCP_PM_EV_FLAG_SERVER_SIDE marks the server side of a connection
	// (6.18), replacing MPTCP_ATTR_SERVER_SIDE.
	MPTCP_PM_EV_FLAG_SERVER_SIDE = 0x2
)

// Indexes into the u32 array getsockopt(SOL_SOCKET, SO_MEMINFO) returns
// (linux/sock_diag.h, 4.12). x/sys/unix has SO_MEMINFO but not these.
const (
	SK_MEMINFO_RMEM_ALLOC  = 0x0 // bytes queued for reading
	SK_MEMINFO_RCVBUF      = 0x1
	SK_MEMINFO_WMEM_ALLOC  = 0x2
	SK_MEMINFO_SNDBUF      = 0x3
	SK_MEMINFO_FWD_ALLOC   = 0x4
	SK_MEMINFO_WMEM_QUEUED = 0x5
	SK_MEMINFO_OPTMEM      = 0x6
	SK_MEMINFO_BACKLOG     = 0x7
	SK_MEMINFO_DROPS       = 0x8 // packets dropped, such as overrun netlink messages
	SK_MEMINFO_VARS        = 0x9
)
