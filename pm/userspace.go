package pm

import (
	"errors"
	"math"
	"net/netip"
)

// This file holds the userspace path manager's per-connection commands:
// Client methods whose first argument is the connection's token. The
// overview is in the documentation of Client.Announce, the first of them.

// userspaceClient is what userspace_linux.go and userspace_others.go
// implement, besides osClient.
type userspaceClient interface {
	announce(token uint32, local Endpoint) error
	remove(token uint32, id uint8) error
	createSubflow(token uint32, local Endpoint, remote netip.AddrPort) error
	destroySubflow(token uint32, local, remote netip.AddrPort) error
	setSubflowBackup(token uint32, local, remote netip.AddrPort, backup bool) error
	connectionEndpoint(token uint32, id uint8) (Endpoint, error)
	connectionEndpoints(token uint32) ([]Endpoint, error)
}

// ErrInKernelPM reports a userspace path-manager command on a connection
// that uses the in-kernel path manager: its namespace did not select the
// userspace one (see the sysctls in [Client.Announce]) when the connection
// was created. The kernel answers EINVAL with the extended-ack text
// "userspace PM not selected" (Linux 6.18; older kernels say "invalid
// request; userspace PM not selected"): the [*Error] matches ErrInKernelPM
// and still unwraps to the errno.
var ErrInKernelPM = errors.New("pm: the connection uses the in-kernel path manager, not the userspace one")

// ErrUnknownToken reports a token that names no MPTCP connection in the
// Client's network namespace; it matches os.ErrNotExist. The kernel answers
// EINVAL with the extended-ack text "invalid token". Tokens are per
// namespace, and the token of a closed connection is unknown.
var ErrUnknownToken error = notExistError("pm: no MPTCP connection has this token")

// ErrSubflowNotFound reports that no subflow of the connection has the
// local and remote addresses (and ports) given to [Client.DestroySubflow]
// or [Client.SetSubflowBackup]; it matches os.ErrNotExist. The kernel has
// no common errno for it: it answers ESRCH to a destroy and EINVAL to a
// change of the backup flag, in both cases with the extended-ack text
// "subflow not found" on Linux 6.18. Older kernels send no text with the
// EINVAL, which then matches only [ErrInvalid].
var ErrSubflowNotFound error = notExistError("pm: subflow not found")

// Announce sends ADD_ADDR on the connection with the given token,
// announcing local to the peer with the id local.ID: the userspace path
// manager's equivalent of a FlagSignal endpoint, for one connection. The
// peer may then open subflows to local.Addr.
//
// # The userspace path manager
//
// Announce, [Client.Remove], [Client.CreateSubflow],
// [Client.DestroySubflow], [Client.SetSubflowBackup],
// [Client.ConnectionEndpoint] and [Client.ConnectionEndpoints] act on one
// MPTCP connection of the Client's namespace, named by its token: the value
// mptcp.InfoOf(conn).Token returns on either end (each end has its own) and
// path-manager events carry. They are Client methods taking the token
// rather than methods of a per-connection type, so one Client serves every
// connection of a daemon.
//
// The kernel runs them only on a connection that uses the userspace path
// manager; on one that uses the in-kernel path manager they fail with an
// [*Error] matching [ErrInKernelPM]. A connection keeps the path manager
// its namespace selected when the connection was created: the sysctl
// net.mptcp.path_manager=userspace (Linux 6.15 and later) or
// net.mptcp.pm_type=1 (5.19 to 6.14; later kernels keep it as a mirror of
// path_manager). This package never writes sysctls: selecting the userspace
// path manager is the caller's act, done for the whole namespace, typically
// by the daemon that will manage its connections, before they are made.
//
// A token the kernel does not know gives an [*Error] matching
// [ErrUnknownToken]. The commands exist since Linux 5.19; an older kernel
// answers EOPNOTSUPP, an [*Error] matching errors.ErrUnsupported. They need
// CAP_NET_ADMIN in the namespace's user namespace (EPERM, matching
// os.ErrPermission, without it). Input the kernel would refuse is refused
// with a [*ValidationError] before anything is sent.
//
// The kernel lets peers join a connection of the userspace path manager,
// and accepts the addresses they announce, only while some socket in the
// namespace is subscribed to path-manager events (the "mptcp_pm_events"
// group): the daemon that manages the connections should stay subscribed.
//
// # Arguments
//
// local.ID must be 1 to 255: the connection's initial address has id 0,
// and the userspace path manager does not pick ids. An address the
// connection knows already under another id, or an id the connection
// already uses for another address, gives an [*Error] matching os.ErrExist
// (the kernel's EINVAL "did not match address and id"); announcing the
// same address with the same id again succeeds and sends ADD_ADDR again.
// local.Flags must contain FlagSignal, which the kernel requires, and may
// contain FlagBackup, which makes the subflows the peer opens to local
// backup subflows; other flags mean nothing here and are refused.
// local.Interface is kept with the address, 0 for none.
//
// Without local.Port, the peer joins to local.Addr at the port of the
// connection, so the application's MPTCP listener must accept on
// local.Addr too: listen on the wildcard address, not on the initial
// address only. With local.Port, the port is announced with the address;
// the kernel does not listen on it, so the application needs an MPTCP
// listener that accepts on local.Addr:local.Port.
func (c *Client) Announce(token uint32, local Endpoint) error {
	if err := local.validateAnnounce(); err != nil {
		return err
	}
	return c.doUserspace(func(uc userspaceClient) error { return uc.announce(token, local) })
}

// Remove withdraws the local address with the given id from the connection
// with the given token: the kernel forgets it and, if it was announced or
// a subflow uses it, sends RM_ADDR for it, on which the peer closes the
// subflows that use the address. The id is one
// given to [Client.Announce] or [Client.CreateSubflow], or one the kernel
// gave to the local address of a subflow the peer opened (see
// [Client.ConnectionEndpoints]).
//
// Id 0 is the address of the initial subflow: recent kernels send RM_ADDR
// for it while a subflow of the connection still uses it, and older ones
// treat 0 as an unknown id. An id the connection does not have gives an
// [*Error] matching [ErrNotFound] (the kernel's EINVAL "address with id N
// not found"). Errors for the token and the path manager are those of
// [Client.Announce].
func (c *Client) Remove(token uint32, id uint8) error {
	return c.doUserspace(func(uc userspaceClient) error { return uc.remove(token, id) })
}

// CreateSubflow opens a new subflow of the connection with the given token
// from local to remote, as an MPTCP client does with a FlagSubflow
// endpoint. It returns once the kernel has sent the SYN with MP_JOIN, not
// when the subflow is established: the peer may refuse it or never answer,
// which CreateSubflow does not report (watch mptcp.SubflowsOf or the
// subflow events).
//
// local.Addr must be a local address; local.ID is the id the subflow
// announces for it in MP_JOIN. Use an id from 1 to 255 that the connection
// does not use for another address (reusing the id of the same address is
// fine); 0 names the initial subflow's address. local.Port, if set, is
// the subflow's source port, and
// local.Interface, if set, the index of the interface the subflow is bound
// to. local.Flags may be 0, FlagSubflow (the kernel adds it anyway) and
// FlagBackup, which opens the subflow as a backup subflow. remote is the
// peer's address and port: its initial one, or one it announced. local and
// remote must both be IPv4 (or IPv4-mapped IPv6) or both IPv6.
//
// Invalid input is refused with a [*ValidationError] before anything is
// sent. An id the connection uses for another address, or an address it
// knows under another id, gives an [*Error] matching os.ErrExist (the
// kernel's EINVAL "did not match address and id"), as for Announce. A
// subflow the kernel cannot start gives the errno of its connect, such as
// EADDRNOTAVAIL for an address that is not local, with the extended-ack
// text "connect error: -N" (Linux 6.18). Errors for the token and the path
// manager are those of [Client.Announce].
func (c *Client) CreateSubflow(token uint32, local Endpoint, remote netip.AddrPort) error {
	if err := local.validateSubflow(); err != nil {
		return err
	}
	if err := validateAddrPort("remote", remote, "the subflow connects to it"); err != nil {
		return err
	}
	if err := validateFamilies(local.Addr, remote.Addr()); err != nil {
		return err
	}
	return c.doUserspace(func(uc userspaceClient) error { return uc.createSubflow(token, local, remote) })
}

// DestroySubflow closes the subflow of the connection with the given token
// whose local and remote addresses and ports are local and remote, as
// mptcp.SubflowsOf lists them. The kernel closes the subflow and forgets
// its local address without sending RM_ADDR; the connection goes on over
// its other subflows.
//
// Give the addresses in the form mptcp.SubflowsOf lists them: on an IPv6
// (dual-stack) socket an IPv4 subflow has IPv4-mapped IPv6 addresses, and
// the kernel does not find it from two plain IPv4 addresses (nor a subflow
// of an IPv4 socket from two mapped ones); it converts only a mix of the
// two forms to the mapped one.
//
// Both ports are needed: the kernel finds the subflow by its four-tuple,
// so a port of 0 is refused with a [*ValidationError], as are an invalid
// address and an IPv4 address with an IPv6 one. If no subflow matches, the
// error is an [*Error] matching [ErrSubflowNotFound] (the kernel's ESRCH).
// Errors for the token and the path manager are those of
// [Client.Announce].
func (c *Client) DestroySubflow(token uint32, local, remote netip.AddrPort) error {
	if err := validateAddrPort("local", local, findsByPort); err != nil {
		return err
	}
	if err := validateAddrPort("remote", remote, findsByPort); err != nil {
		return err
	}
	if err := validateFamilies(local.Addr(), remote.Addr()); err != nil {
		return err
	}
	return c.doUserspace(func(uc userspaceClient) error { return uc.destroySubflow(token, local, remote) })
}

// SetSubflowBackup marks the subflow of the connection with the given token
// from local to remote as a backup subflow, or, with backup false, as a
// regular one: the kernel sends MP_PRIO to the peer on that subflow, and
// the peer then sends on it only when no regular subflow can carry data.
// It also sets or clears the backup flag of the connection's local address
// local.Addr, which [Client.ConnectionEndpoints] reports; the kernel does
// that first, so it happens even when no subflow matches.
//
// A port of 0 in local or remote matches any port; otherwise the port must
// match too. When several subflows match, the kernel changes only the
// first it finds. If none matches, the error is an [*Error] matching
// [ErrSubflowNotFound] (the kernel's EINVAL). Invalid addresses
// and an IPv4 address with an IPv6 one are refused with a
// [*ValidationError]. Errors for the token and the path manager are those
// of [Client.Announce].
func (c *Client) SetSubflowBackup(token uint32, local, remote netip.AddrPort, backup bool) error {
	if err := validateAddrPort("local", local, ""); err != nil {
		return err
	}
	if err := validateAddrPort("remote", remote, ""); err != nil {
		return err
	}
	if err := validateFamilies(local.Addr(), remote.Addr()); err != nil {
		return err
	}
	return c.doUserspace(func(uc userspaceClient) error {
		return uc.setSubflowBackup(token, local, remote, backup)
	})
}

// ConnectionEndpoint returns the local address with the given id of the
// connection with the given token, as [Client.ConnectionEndpoints] lists
// it.
//
// The kernel answers an unknown id, an unknown token and a connection of
// the in-kernel path manager alike, with EINVAL and the extended-ack text
// "address not found": all three give an [*Error] matching [ErrNotFound].
// [Client.ConnectionEndpoints] tells them apart. Kernels before 6.9 ignore
// the token and look the id up among the namespace's endpoints, as
// [Client.Endpoint] does.
func (c *Client) ConnectionEndpoint(token uint32, id uint8) (Endpoint, error) {
	var out Endpoint
	err := c.doUserspace(func(uc userspaceClient) (err error) {
		out, err = uc.connectionEndpoint(token, id)
		return err
	})
	return out, err
}

// ConnectionEndpoints returns the local addresses the userspace path
// manager keeps for the connection with the given token, in ascending id
// order: those given to [Client.Announce] (with FlagSignal) and to
// [Client.CreateSubflow] (with FlagSubflow), and those of subflows the
// peer opened, which the kernel adds with FlagImplicit and an id it picks.
// The initial subflow's address (id 0) is not listed. An address stays
// listed after the peer closes its subflow, until [Client.Remove] (or,
// while a subflow uses it, [Client.DestroySubflow]) forgets it.
//
// Errors for the token and the path manager are those of
// [Client.Announce]. The kernel added this listing in Linux 6.9: earlier
// kernels ignore the token and return the namespace's endpoints, as
// [Client.Endpoints] does.
func (c *Client) ConnectionEndpoints(token uint32) ([]Endpoint, error) {
	var out []Endpoint
	err := c.doUserspace(func(uc userspaceClient) (err error) {
		out, err = uc.connectionEndpoints(token)
		return err
	})
	return out, err
}

// doUserspace runs fn with the platform client while holding the Client's
// lock, as do does for osClient.
func (c *Client) doUserspace(fn func(uc userspaceClient) error) error {
	if c == nil {
		return errNilClient
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		return c.noSocket()
	}
	return fn(c.c)
}

// announceFlags are the flags Announce accepts; FlagSignal is required.
const announceFlags = FlagSignal | FlagBackup

// subflowFlags are the flags CreateSubflow accepts.
const subflowFlags = FlagSubflow | FlagBackup

// validateAnnounce checks an endpoint to announce as the userspace path
// manager would.
func (ep *Endpoint) validateAnnounce() error {
	if ep.ID == 0 {
		// The kernel refuses it: id 0 is the initial subflow's address.
		return &ValidationError{Field: "Endpoint.ID", Value: ep.ID, Reason: "an announced address needs an id from 1 to 255"}
	}
	if err := validateAddr("Endpoint.Addr", ep.Addr); err != nil {
		return err
	}
	switch f := ep.Flags; {
	case f&FlagSignal == 0:
		// The kernel refuses an announce without it ("invalid addr flags").
		return &ValidationError{Field: "Endpoint.Flags", Value: f, Reason: "an announced address needs FlagSignal"}
	case f&^announceFlags != 0:
		return &ValidationError{Field: "Endpoint.Flags", Value: f, Reason: "only FlagSignal and FlagBackup can be announced"}
	}
	return validateInterface(ep.Interface)
}

// validateSubflow checks the local endpoint of a subflow to create.
func (ep *Endpoint) validateSubflow() error {
	if err := validateAddr("Endpoint.Addr", ep.Addr); err != nil {
		return err
	}
	switch f := ep.Flags; {
	case f&FlagSignal != 0:
		// The kernel refuses it ("invalid addr flags"): Announce signals.
		return &ValidationError{Field: "Endpoint.Flags", Value: f, Reason: "FlagSignal is for Announce, not for a subflow"}
	case f&^subflowFlags != 0:
		return &ValidationError{Field: "Endpoint.Flags", Value: f, Reason: "only FlagSubflow and FlagBackup apply to a subflow"}
	}
	return validateInterface(ep.Interface)
}

// validateInterface checks an interface index.
func validateInterface(ifindex int) error {
	if ifindex < 0 || ifindex > math.MaxInt32 {
		return &ValidationError{Field: "Endpoint.Interface", Value: ifindex, Reason: "not an interface index"}
	}
	return nil
}

// findsByPort is why DestroySubflow needs both ports.
const findsByPort = "the kernel finds the subflow by its ports too"

// validateAddrPort checks one end of a subflow. A non-empty whyPort
// requires a port and says why.
func validateAddrPort(field string, ap netip.AddrPort, whyPort string) error {
	if err := validateAddr(field, ap.Addr()); err != nil {
		return err
	}
	if whyPort != "" && ap.Port() == 0 {
		return &ValidationError{Field: field, Value: ap, Reason: "no port: " + whyPort}
	}
	return nil
}

// validateFamilies checks that the two ends of a subflow have the same
// address family, counting IPv4-mapped IPv6 addresses as IPv4, as the
// kernel does.
func validateFamilies(local, remote netip.Addr) error {
	if local.Unmap().Is4() != remote.Unmap().Is4() {
		return &ValidationError{Field: "remote", Value: remote, Reason: "address family differs from the local address " + local.String()}
	}
	return nil
}
