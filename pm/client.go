package pm

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
)

// Config configures a [Client]. The zero value (or a nil *Config) works in
// the caller's network namespace.
type Config struct {
	// NetNS is an open file descriptor of a network namespace, such as one
	// from opening /run/netns/<name> or /proc/<pid>/ns/net, to configure
	// that namespace's path manager. 0 means the namespace of the calling
	// thread. The descriptor is used only while dialing; the caller keeps
	// ownership of it. Entering a namespace needs CAP_SYS_ADMIN.
	NetNS int

	// NetNSPath names a network namespace by path, such as
	// "/run/netns/blue", as an alternative to NetNS; at most one of the two
	// may be set. The file is opened and closed during Dial.
	NetNSPath string
}

// A Client configures the MPTCP path manager of one network namespace
// through the kernel's "mptcp_pm" generic netlink family.
//
// A Client is safe for concurrent use by multiple goroutines. Its requests
// are serialized: each method is one request and reply, or, for
// [Client.AddEndpoint], a request and the look-up that follows it, and no
// other request of the same Client runs in between. Other processes and
// other Clients may change the same namespace at any time.
//
// The zero value is not usable; create Clients with [Dial].
type Client struct {
	mu     sync.Mutex
	c      *client // the platform's client; nil before Dial and after Close
	closed bool    // Close was called, which tells it from a zero Client
}

// osClient is what client_linux.go and client_others.go implement.
type osClient interface {
	io.Closer
	addEndpoint(ep Endpoint) (Endpoint, error)
	endpoint(id uint8) (Endpoint, error)
	endpoints() ([]Endpoint, error)
	deleteEndpoint(id uint8) error
	deleteEndpointAddr(addr netip.Addr) error
	flushEndpoints() error
	setEndpointFlags(id uint8, flags Flags) error
	limits() (Limits, error)
	setLimits(u LimitsUpdate) error
}

// Dial opens a Client for the path manager of the network namespace cfg
// names; a nil cfg is the caller's namespace.
//
// A kernel without the mptcp_pm family (one built without CONFIG_MPTCP, or
// older than 5.7) gives an error matching both [ErrNoFamily] and
// os.ErrNotExist. A [Config.NetNSPath] that does not exist gives an error
// matching os.ErrNotExist that names the path. On systems other than Linux,
// Dial returns an error matching errors.ErrUnsupported that names the
// system.
func Dial(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c, err := dial(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// Close closes the Client's netlink socket. Calls after Close, Close
// included, return an error matching net.ErrClosed.
func (c *Client) Close() error {
	if c == nil {
		return errNilClient
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		return c.noSocket()
	}
	err := c.c.Close()
	c.c = nil
	c.closed = true
	return err
}

// errClosed is returned by every method of a closed Client.
var errClosed = fmt.Errorf("pm: client closed: %w", net.ErrClosed)

// errNilClient is returned by every method of a nil *Client, or of a zero
// Client not made by Dial, instead of a panic; like a closed Client's
// error, it matches net.ErrClosed, since neither has a socket.
var errNilClient = fmt.Errorf("pm: nil or zero Client (make one with pm.Dial): %w", net.ErrClosed)

// do runs fn with the platform client while holding the Client's lock.
func (c *Client) do(fn func(oc osClient) error) error {
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

// noSocket is the error of a Client without a socket: closed, or never
// made by Dial. The caller holds c.mu.
func (c *Client) noSocket() error {
	if c.closed {
		return errClosed
	}
	return errNilClient
}

// An Endpoint is one local address of the in-kernel path manager, as
// `ip mptcp endpoint` shows it.
type Endpoint struct {
	// ID identifies the endpoint within its namespace, 1 to 255. When
	// adding, 0 lets the kernel pick one.
	ID uint8
	// Addr is the local IPv4 or IPv6 address. An IPv4-mapped IPv6 address
	// is kept as such; the kernel treats it as a duplicate of the IPv4 one.
	Addr netip.Addr
	// Port is the port a FlagSignal endpoint announces, 0 for none. With
	// a port, the kernel also listens on Addr:Port for MP_JOINs, so Addr
	// must be a local address.
	Port uint16
	// Interface is the index of the network interface subflows from this
	// endpoint are bound to, 0 for none. The kernel does not check that
	// the interface exists (iproute2 looks names up before sending), and
	// neither does this package: a Client may serve another namespace.
	Interface int
	// Flags say how the path manager uses the endpoint.
	Flags Flags
}

// Limits are the in-kernel path manager's limits for each connection of the
// namespace. A fresh namespace starts with 2 subflows and 0 accepted
// addresses.
type Limits struct {
	// Subflows is how many subflows a connection may add to its initial
	// one.
	Subflows uint32
	// AddAddrAccepted is how many addresses announced by the peer
	// (ADD_ADDR) a connection may create subflows to.
	AddAddrAccepted uint32
}

// LimitsUpdate holds the limits to change in [Client.SetLimits]; a nil field
// is left as it is.
type LimitsUpdate struct {
	// Subflows, if not nil, is the new [Limits.Subflows].
	Subflows *uint32
	// AddAddrAccepted, if not nil, is the new [Limits.AddAddrAccepted].
	AddAddrAccepted *uint32
}

// AddEndpoint adds an endpoint to the in-kernel path manager and returns it
// as the kernel stored it, with the id the kernel picked if ep.ID is 0.
// Existing connections of the namespace may start using it at once.
//
// The kernel's reply to an add carries no id, so AddEndpoint looks the new
// endpoint up afterwards: by id when ep.ID is set, otherwise by listing the
// endpoints and taking the one with ep's address and port (the kernel allows
// only one). The look-up is a second request: another process may change
// the endpoint in between, in which case the result describes what the
// look-up found, or is an error matching [ErrNotFound] if it found nothing.
// If the address belongs to an implicit endpoint (one the kernel created)
// and ep.ID is 0, the kernel turns that endpoint into ep, keeping its id.
//
// ep is refused with a [*ValidationError] matching [ErrInvalid], before
// anything is sent, if its flags contain bits without a name, FlagImplicit,
// or both FlagSignal and FlagFullmesh, or if it has a port without
// FlagSignal or with FlagSubflow: the kernel refuses all of these (except
// unknown bits, which it drops silently since 6.19 and 6.18.y). It is
// refused too if its address is missing, carries an IPv6 zone, or is
// unspecified, multicast or the IPv4 limited broadcast address, or if its
// Interface is negative or too large: the kernel stores such endpoints but
// can never use them.
//
// An address (with the same port) that is already an endpoint, or an id
// already in use (the kernel says EBUSY), gives an [*Error] matching
// os.ErrExist. A full table of endpoints gives one matching syscall.ERANGE.
// A port endpoint whose address is not local gives EADDRNOTAVAIL, and one
// whose address and port are already in use gives EADDRINUSE: the kernel
// could not create its listener.
func (c *Client) AddEndpoint(ep Endpoint) (Endpoint, error) {
	if err := ep.validateAdd(); err != nil {
		return Endpoint{}, err
	}
	var out Endpoint
	err := c.do(func(oc osClient) (err error) {
		out, err = oc.addEndpoint(ep)
		return err
	})
	return out, err
}

// Endpoint returns the endpoint with the given id. An id that names no
// endpoint gives an [*Error] matching [ErrNotFound]; id 0, which never
// names an endpoint, is refused with a [*ValidationError].
func (c *Client) Endpoint(id uint8) (Endpoint, error) {
	if err := validateID(id); err != nil {
		return Endpoint{}, err
	}
	var out Endpoint
	err := c.do(func(oc osClient) (err error) {
		out, err = oc.endpoint(id)
		return err
	})
	return out, err
}

// Endpoints returns all endpoints of the namespace in ascending id order.
func (c *Client) Endpoints() ([]Endpoint, error) {
	var out []Endpoint
	err := c.do(func(oc osClient) (err error) {
		out, err = oc.endpoints()
		return err
	})
	return out, err
}

// DeleteEndpoint deletes the endpoint with the given id. The kernel sends
// RM_ADDR for it on connections that announced it and closes the subflows
// that use it. An id that names no endpoint gives an [*Error] matching
// [ErrNotFound]; id 0 is refused with a [*ValidationError] (see
// [Client.RemoveInitialAddr]).
func (c *Client) DeleteEndpoint(id uint8) error {
	if err := validateID(id); err != nil {
		return err
	}
	return c.do(func(oc osClient) error { return oc.deleteEndpoint(id) })
}

// DeleteEndpointAddr deletes the endpoints whose address is addr (with any
// port), as DeleteEndpoint would each one. An IPv4 address and its
// IPv4-mapped IPv6 form are the same address here, as they are to the
// kernel. If no endpoint has addr, the error matches [ErrNotFound].
//
// Why it lists first: the kernel deletes by id; its "id 0 plus address"
// form does something else (see [Client.RemoveInitialAddr]).
func (c *Client) DeleteEndpointAddr(addr netip.Addr) error {
	if err := validateAddr("addr", addr); err != nil {
		return err
	}
	return c.do(func(oc osClient) error {
		eps, err := oc.endpoints()
		if err != nil {
			return err
		}
		found := false
		for _, ep := range eps {
			if ep.Addr.Unmap() != addr.Unmap() {
				continue
			}
			found = true
			if err := oc.deleteEndpoint(ep.ID); err != nil {
				return err
			}
		}
		if !found {
			return fmt.Errorf("pm: no endpoint has address %v: %w", addr, ErrNotFound)
		}
		return nil
	})
}

// RemoveInitialAddr removes addr where it is the address of the initial
// subflow, which the kernel calls endpoint id 0: on every connection of the
// namespace whose initial subflow uses addr, the kernel sends RM_ADDR for id
// 0 and closes the subflows from addr. This is `ip mptcp endpoint delete id
// 0 ADDR`. It does not delete a configured endpoint that has the same
// address (use [Client.DeleteEndpointAddr] for that), and it succeeds when
// no connection uses addr.
func (c *Client) RemoveInitialAddr(addr netip.Addr) error {
	if err := validateAddr("addr", addr); err != nil {
		return err
	}
	return c.do(func(oc osClient) error { return oc.deleteEndpointAddr(addr) })
}

// FlushEndpoints deletes every endpoint of the namespace, as
// DeleteEndpoint would each one, and makes the kernel hand out ids from 1
// again.
func (c *Client) FlushEndpoints() error {
	return c.do(func(oc osClient) error { return oc.flushEndpoints() })
}

// SetEndpointFlags sets the changeable flags, FlagBackup and FlagFullmesh,
// of the endpoint with the given id to flags: a bit absent from flags is
// cleared. Other flags of the endpoint stay as they are. A change of
// FlagBackup is sent to peers (MP_PRIO); a change of FlagFullmesh recreates
// the endpoint's subflows.
//
// flags with any other bit, and id 0, are refused with a
// [*ValidationError]. An id that names no endpoint gives an [*Error]
// matching [ErrNotFound]; FlagFullmesh on an endpoint with FlagSignal or
// FlagImplicit gives one matching [ErrInvalid] (the kernel's EINVAL).
func (c *Client) SetEndpointFlags(id uint8, flags Flags) error {
	if err := validateID(id); err != nil {
		return err
	}
	if flags&^changeableFlags != 0 {
		return &ValidationError{Field: "flags", Value: flags, Reason: "only FlagBackup and FlagFullmesh can be changed"}
	}
	return c.do(func(oc osClient) error { return oc.setEndpointFlags(id, flags) })
}

// Limits returns the namespace's limits.
func (c *Client) Limits() (Limits, error) {
	var out Limits
	err := c.do(func(oc osClient) (err error) {
		out, err = oc.limits()
		return err
	})
	return out, err
}

// SetLimits changes the limits whose fields in u are not nil and leaves the
// others as they are (the kernel keeps a limit the request omits). An empty
// update changes nothing.
//
// The kernel caps each limit (at 8 on Linux 6.18; newer kernels raise the
// cap) and answers a larger value with EINVAL, changing neither limit: that
// gives an [*Error] matching [ErrInvalid] whose Message names the cap and
// whose Field names the limit, such as "LimitsUpdate.Subflows". So
// that a kernel with a higher cap works, this package refuses beforehand
// only values above 255, with a [*ValidationError]: connections count
// subflows and addresses in 8 bits (mptcp_info), so no kernel can use more.
func (c *Client) SetLimits(u LimitsUpdate) error {
	if err := u.validate(); err != nil {
		return err
	}
	return c.do(func(oc osClient) error { return oc.setLimits(u) })
}

// ErrNoFamily is the error [Dial] returns, wrapped, when the kernel has no
// "mptcp_pm" generic netlink family: it was built without CONFIG_MPTCP or is
// older than Linux 5.7. It matches os.ErrNotExist.
var ErrNoFamily error = notExistError("pm: the kernel has no mptcp_pm generic netlink family (no CONFIG_MPTCP, or older than Linux 5.7)")

// ErrNotFound reports an endpoint id that names no endpoint; it matches
// os.ErrNotExist. The kernel has no errno of its own for this: the
// in-kernel path manager answers EINVAL with the extended-ack text
// "address not found" (some kernels may say ENOENT). This package turns
// such an answer to a get, delete or set-flags request, and to the
// userspace path manager's [Client.Remove] and [Client.ConnectionEndpoint],
// and only to those, into an [*Error] that matches ErrNotFound and still
// unwraps to the errno.
var ErrNotFound error = notExistError("pm: endpoint not found")

// ErrInvalid reports input refused as invalid: a [*ValidationError], found
// before anything is sent, or an [*Error] with the kernel's EINVAL that is
// not [ErrNotFound].
var ErrInvalid = errors.New("pm: invalid argument")

// notExistError is a sentinel that also matches os.ErrNotExist.
type notExistError string

func (e notExistError) Error() string { return string(e) }

// Is lets errors.Is(e, os.ErrNotExist) succeed.
func (e notExistError) Is(target error) bool { return target == os.ErrNotExist }

// An Error is an error the kernel answered a request with.
//
// errors.Is(err, target) is true for the errno's own targets: EEXIST
// matches os.ErrExist, EPERM and EACCES match os.ErrPermission, EOPNOTSUPP
// matches errors.ErrUnsupported, and each errno matches itself
// (syscall.ERANGE). Besides, an endpoint id that names no endpoint matches
// [ErrNotFound] and os.ErrNotExist, EBUSY for an id already in use on add
// matches os.ErrExist, and any other EINVAL matches [ErrInvalid].
type Error struct {
	// Message is the kernel's extended-acknowledgement text, such as
	// "address not found" or "limit greater than maximum (8)". It is empty
	// when the kernel gave none.
	Message string
	// Err is the errno the kernel answered with, a syscall.Errno.
	Err error
	// Field names the request field the kernel refused, such as
	// "LimitsUpdate.Subflows", when the kernel pointed at the attribute
	// that carried it (as it does for a limit over its maximum); it is
	// empty otherwise.
	Field string

	op     string // what was asked, such as "add endpoint"
	match  error  // a further target Is reports, or nil
	offset int    // the kernel's extended-ack offset into the request, or 0
}

// Error returns the operation, the kernel's message if any, and the errno.
func (e *Error) Error() string {
	s := "pm: "
	if e.op != "" {
		s += e.op + ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	if e.Message != "" {
		s += e.Message + ": "
	}
	return s + fmt.Sprint(e.Err)
}

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e matches target beyond what its errno matches:
// [ErrNotFound] and os.ErrNotExist for an unknown endpoint id, os.ErrExist
// for an id in use, [ErrInvalid] for another EINVAL.
func (e *Error) Is(target error) bool {
	if e.match != nil {
		return errors.Is(e.match, target)
	}
	return target == ErrInvalid && errors.Is(e.Err, syscall.EINVAL)
}

// A ValidationError reports input this package refuses before sending,
// because the kernel would refuse it or the API cannot represent it. It
// matches [ErrInvalid].
type ValidationError struct {
	// Field names the bad input, such as "Endpoint.Flags" or "id".
	Field string
	// Value is the bad value.
	Value any
	// Reason says what is wrong with it.
	Reason string
}

// Error names the field, its value and the reason.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("pm: invalid %s (%v): %s", e.Field, e.Value, e.Reason)
}

// Is reports whether target is [ErrInvalid].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// validate checks a Config.
func (cfg *Config) validate() error {
	if cfg.NetNS < 0 {
		return &ValidationError{Field: "Config.NetNS", Value: cfg.NetNS, Reason: "not a file descriptor"}
	}
	if cfg.NetNS != 0 && cfg.NetNSPath != "" {
		return &ValidationError{Field: "Config.NetNSPath", Value: cfg.NetNSPath, Reason: "set together with Config.NetNS"}
	}
	return nil
}

// validateAdd checks an endpoint to add as the kernel would.
func (ep *Endpoint) validateAdd() error {
	if err := validateAddr("Endpoint.Addr", ep.Addr); err != nil {
		return err
	}
	f := ep.Flags
	switch {
	case f&^knownFlags != 0:
		return &ValidationError{Field: "Endpoint.Flags", Value: f, Reason: "unknown flag bits"}
	case f&FlagImplicit != 0:
		// The kernel refuses it: only it creates implicit endpoints.
		return &ValidationError{Field: "Endpoint.Flags", Value: f, Reason: "FlagImplicit is set by the kernel only"}
	case f&FlagSignal != 0 && f&FlagFullmesh != 0:
		return &ValidationError{Field: "Endpoint.Flags", Value: f, Reason: "FlagSignal and FlagFullmesh cannot be combined"}
	}
	// The kernel listens on a port endpoint for MP_JOINs, which only a
	// signal endpoint used by no subflow of its own can have.
	if ep.Port != 0 && f&(FlagSignal|FlagSubflow) != FlagSignal {
		return &ValidationError{Field: "Endpoint.Port", Value: ep.Port, Reason: "a port needs FlagSignal and not FlagSubflow"}
	}
	if ep.Interface < 0 || ep.Interface > math.MaxInt32 {
		return &ValidationError{Field: "Endpoint.Interface", Value: ep.Interface, Reason: "not an interface index"}
	}
	return nil
}

// validateAddr checks that a is an address an endpoint can have.
func validateAddr(field string, a netip.Addr) error {
	reason := ""
	switch {
	case !a.IsValid():
		reason = "no address"
	case a.Zone() != "":
		// The kernel has no attribute for a zone; Interface binds instead.
		reason = "an IPv6 zone cannot be configured; use Interface"
	case a.Unmap().IsUnspecified():
		reason = "unspecified address"
	case a.IsMulticast(): // IPv4-mapped ones included
		reason = "multicast address"
	case a.Unmap() == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		reason = "limited broadcast address"
	default:
		return nil
	}
	return &ValidationError{Field: field, Value: a, Reason: reason}
}

// validateID checks an id that must name an endpoint.
func validateID(id uint8) error {
	if id == 0 {
		return &ValidationError{Field: "id", Value: id, Reason: "0 names the initial subflow's address, never an endpoint"}
	}
	return nil
}

// maxLimit is the largest limit any kernel can use: mptcp_info reports
// limits and counts in 8 bits.
const maxLimit = math.MaxUint8

// validate checks a LimitsUpdate.
func (u *LimitsUpdate) validate() error {
	if u.Subflows != nil && *u.Subflows > maxLimit {
		return &ValidationError{Field: "LimitsUpdate.Subflows", Value: *u.Subflows, Reason: "more than 255"}
	}
	if u.AddAddrAccepted != nil && *u.AddAddrAccepted > maxLimit {
		return &ValidationError{Field: "LimitsUpdate.AddAddrAccepted", Value: *u.AddAddrAccepted, Reason: "more than 255"}
	}
	return nil
}
