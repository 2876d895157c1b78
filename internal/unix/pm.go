package unix

// The mptcp_pm generic netlink family (linux/mptcp_pm.h, generated from
// Documentation/netlink/specs/mptcp_pm.yaml since 6.7; the values date from
// 5.7 and have never changed). The family id itself is dynamic and must be
// resolved by name through the generic netlink controller.
const (
	MPTCP_PM_NAME = "mptcp_pm"
	MPTCP_PM_VER  = 1

	// MPTCP_PM_CMD_GRP_NAME is registered but nothing is ever sent on it.
	MPTCP_PM_CMD_GRP_NAME = "mptcp_pm_cmds"
	// MPTCP_PM_EV_GRP_NAME carries the MPTCP_EVENT_* notifications; joining
	// it needs CAP_NET_ADMIN in the namespace's user namespace.
	MPTCP_PM_EV_GRP_NAME = "mptcp_pm_events"
)

// Commands (genlmsghdr.cmd). A dump is MPTCP_PM_CMD_GET_ADDR with NLM_F_DUMP.
const (
	MPTCP_PM_CMD_UNSPEC          = 0x0
	MPTCP_PM_CMD_ADD_ADDR        = 0x1
	MPTCP_PM_CMD_DEL_ADDR        = 0x2
	MPTCP_PM_CMD_GET_ADDR        = 0x3
	MPTCP_PM_CMD_FLUSH_ADDRS     = 0x4
	MPTCP_PM_CMD_SET_LIMITS      = 0x5
	MPTCP_PM_CMD_GET_LIMITS      = 0x6
	MPTCP_PM_CMD_SET_FLAGS       = 0x7 // 5.12
	MPTCP_PM_CMD_ANNOUNCE        = 0x8 // 5.19, userspace PM
	MPTCP_PM_CMD_REMOVE          = 0x9 // 5.19, userspace PM
	MPTCP_PM_CMD_SUBFLOW_CREATE  = 0xa // 5.19, userspace PM
	MPTCP_PM_CMD_SUBFLOW_DESTROY = 0xb // 5.19, userspace PM
)

// Top-level attributes of the commands (the "attr" set).
const (
	MPTCP_PM_ATTR_UNSPEC        = 0x0
	MPTCP_PM_ATTR_ADDR          = 0x1 // nest of MPTCP_PM_ADDR_ATTR_*
	MPTCP_PM_ATTR_RCV_ADD_ADDRS = 0x2 // u32, the add_addr_accepted limit
	MPTCP_PM_ATTR_SUBFLOWS      = 0x3 // u32, the subflows limit
	MPTCP_PM_ATTR_TOKEN         = 0x4 // u32, a connection's token (userspace PM)
	MPTCP_PM_ATTR_LOC_ID        = 0x5 // u8
	MPTCP_PM_ATTR_ADDR_REMOTE   = 0x6 // nest of MPTCP_PM_ADDR_ATTR_*

	// MPTCP_PM_ENDPOINT_ADDR is the spec's name of MPTCP_PM_ATTR_ADDR in the
	// "endpoint" attribute set used by add, delete and flush.
	MPTCP_PM_ENDPOINT_ADDR = 0x1
)

// Attributes inside an MPTCP_PM_ATTR_ADDR nest (the "address" set). The
// byte orders are the kernel's, not the spec's: ADDR4 is in network order,
// but PORT, like FAMILY, FLAGS and IF_IDX, is in host order.
const (
	MPTCP_PM_ADDR_ATTR_UNSPEC = 0x0
	MPTCP_PM_ADDR_ATTR_FAMILY = 0x1 // u16, AF_INET or AF_INET6
	MPTCP_PM_ADDR_ATTR_ID     = 0x2 // u8
	MPTCP_PM_ADDR_ATTR_ADDR4  = 0x3 // u32, network byte order
	MPTCP_PM_ADDR_ATTR_ADDR6  = 0x4 // 16 bytes
	MPTCP_PM_ADDR_ATTR_PORT   = 0x5 // u16, host byte order
	MPTCP_PM_ADDR_ATTR_FLAGS  = 0x6 // u32, MPTCP_PM_ADDR_FLAG_*
	MPTCP_PM_ADDR_ATTR_IF_IDX = 0x7 // s32
)

// Endpoint flags (MPTCP_PM_ADDR_ATTR_FLAGS).
const (
	MPTCP_PM_ADDR_FLAG_SIGNAL   = 0x1
	MPTCP_PM_ADDR_FLAG_SUBFLOW  = 0x2
	MPTCP_PM_ADDR_FLAG_BACKUP   = 0x4
	MPTCP_PM_ADDR_FLAG_FULLMESH = 0x8  // 5.15
	MPTCP_PM_ADDR_FLAG_IMPLICIT = 0x10 // 5.18, set by the kernel only
	MPTCP_PM_ADDR_FLAG_LAMINAR  = 0x20 // 6.18

	// MPTCP_PM_ADDR_FLAGS_MASK holds the bits the kernel keeps; it drops
	// others on add since the 6.19 fix (backported to 6.18.y).
	MPTCP_PM_ADDR_FLAGS_MASK = 0x3f
)
