// Package pm is a client for the Linux kernel's MPTCP path manager, the
// "mptcp_pm" generic netlink family: what `ip mptcp endpoint` and
// `ip mptcp limits` configure.
//
// It covers the in-kernel path manager, which is configured per network
// namespace: endpoints (local addresses the kernel may announce to peers or
// create extra subflows from) and limits (how many extra subflows a
// connection may have and how many addresses announced by a peer it may
// use). And it covers the userspace path manager, which a program drives per
// connection, named by its token: [Client.Announce], [Client.Remove],
// [Client.CreateSubflow], [Client.DestroySubflow],
// [Client.SetSubflowBackup] and [Client.ConnectionEndpoints]. Which manager
// a namespace uses is its sysctl net.mptcp.path_manager ("kernel" or
// "userspace", 6.15+; net.mptcp.pm_type 0 or 1 before), which this package
// never changes.
//
// [Client.Subscribe] receives the path manager's events (connections
// created, established and closed, addresses announced and removed,
// subflows established, closed and changed, listeners created and closed)
// on a socket of its own, as `ip mptcp monitor` shows them; a reader too
// slow for the kernel gets [ErrEventsLost], never a silent gap.
//
//	c, err := pm.Dial(nil)
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	ep, err := c.AddEndpoint(pm.Endpoint{
//		Addr:  netip.MustParseAddr("192.0.2.2"),
//		Flags: pm.FlagSubflow,
//	})
//	// ep.ID is the id the kernel picked.
//
// # Kernel versions
//
// The family and its endpoint and limit commands exist since Linux 5.7.
// Later additions: changing flags of an existing endpoint (5.12),
// [FlagFullmesh] (5.15), [FlagImplicit] (5.18), [FlagLaminar] (6.18). Since
// 6.19 (backported to 6.18.y) the kernel silently drops endpoint flag bits
// it does not know; before, it stored and echoed them. On 6.18 a namespace
// holds at most 8 endpoints and each limit is at most 8; net-next raises
// both, so this package does not hard-code them (see [Client.SetLimits]).
//
// # Privileges
//
// Commands that change state (add, delete, flush, set flags, set limits)
// need CAP_NET_ADMIN in the user namespace that owns the network namespace;
// without it the kernel answers EPERM, returned as an [*Error] matching
// os.ErrPermission. Reading endpoints and limits needs no privilege on
// Linux 6.12 and later (and on 6.11.y); from 6.7 to 6.11 listing endpoints
// needed CAP_NET_ADMIN too. Opening a client in another network namespace
// ([Config.NetNS], [Config.NetNSPath]) needs CAP_SYS_ADMIN, as setns(2) does.
//
// # Errors
//
// Every error the kernel answers with is an [*Error] carrying the errno and
// the kernel's extended-acknowledgement text, so errors.Is works with
// os.ErrExist, os.ErrPermission, errors.ErrUnsupported and syscall errnos,
// and with [ErrNotFound] for an endpoint id that names no endpoint. Input
// the kernel would refuse is refused before anything is sent with a
// [*ValidationError] matching [ErrInvalid].
//
// On systems other than Linux, [Dial] returns an error matching
// errors.ErrUnsupported.
package pm
