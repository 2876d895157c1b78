//go:build linux

package pm

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/unix"
)

var _ osClient = &client{}

// genConn is the part of *genetlink.Conn the client uses; tests wrap it.
type genConn interface {
	GetFamily(name string) (genetlink.Family, error)
	Execute(m genetlink.Message, family uint16, flags netlink.HeaderFlags) ([]genetlink.Message, error)
	Close() error
}

// client is the Linux client: one generic netlink socket, which
// genetlink.Conn.Execute already makes safe for concurrent requests.
type client struct {
	c      genConn
	family genetlink.Family
}

// dial opens a generic netlink socket in the namespace cfg names.
func dial(cfg *Config) (*client, error) {
	ncfg := &netlink.Config{
		NetNS: cfg.NetNS,
		// mptcp_pm (5.7) is newer than extended acks and strict checking,
		// so a kernel that has it supports both: fail rather than lose
		// the kernel's error texts.
		Strict: true,
	}
	if cfg.NetNSPath != "" {
		f, err := os.Open(cfg.NetNSPath)
		if err != nil {
			// *os.PathError names the path and matches os.ErrNotExist.
			return nil, fmt.Errorf("pm: opening network namespace: %w", err)
		}
		// The socket keeps the namespace alive; the file is needed only
		// while dialing.
		defer f.Close()
		ncfg.NetNS = int(f.Fd())
	}
	conn, err := genetlink.Dial(ncfg)
	if err != nil {
		if cfg.NetNSPath != "" {
			return nil, fmt.Errorf("pm: dialing generic netlink in %s: %w", cfg.NetNSPath, err)
		}
		return nil, fmt.Errorf("pm: dialing generic netlink: %w", err)
	}
	return newClient(conn)
}

// newClient resolves the mptcp_pm family on conn, closing conn on failure.
func newClient(conn genConn) (*client, error) {
	family, err := conn.GetFamily(unix.MPTCP_PM_NAME)
	if err != nil {
		_ = conn.Close()
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrNoFamily, err)
		}
		return nil, fmt.Errorf("pm: resolving the %s generic netlink family: %w", unix.MPTCP_PM_NAME, err)
	}
	return &client{c: conn, family: family}, nil
}

// Close closes the socket.
func (c *client) Close() error { return c.c.Close() }

// execute sends one request of command cmd with the attributes ae holds
// (nil for none) and returns the replies, turning kernel errors into
// *Error. flags are added to netlink.Request.
func (c *client) execute(cmd uint8, flags netlink.HeaderFlags, ae *netlink.AttributeEncoder) ([]genetlink.Message, error) {
	var data []byte
	if ae != nil {
		b, err := ae.Encode()
		if err != nil {
			return nil, fmt.Errorf("pm: %s: encoding request: %w", opName(cmd, flags), err)
		}
		data = b
	}
	msg := genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: unix.MPTCP_PM_VER},
		Data:   data,
	}
	msgs, err := c.c.Execute(msg, c.family.ID, netlink.Request|flags)
	if err != nil {
		return nil, kernelError(cmd, flags, err)
	}
	return msgs, nil
}

// ack sends a request that has no reply but the kernel's acknowledgement.
func (c *client) ack(cmd uint8, ae *netlink.AttributeEncoder) error {
	_, err := c.execute(cmd, netlink.Acknowledge, ae)
	return err
}

// opName names a command for error texts.
func opName(cmd uint8, flags netlink.HeaderFlags) string {
	switch cmd {
	case unix.MPTCP_PM_CMD_ADD_ADDR:
		return "add endpoint"
	case unix.MPTCP_PM_CMD_DEL_ADDR:
		return "delete endpoint"
	case unix.MPTCP_PM_CMD_GET_ADDR:
		if flags&netlink.Dump != 0 {
			return "list endpoints"
		}
		return "get endpoint"
	case unix.MPTCP_PM_CMD_FLUSH_ADDRS:
		return "flush endpoints"
	case unix.MPTCP_PM_CMD_SET_LIMITS:
		return "set limits"
	case unix.MPTCP_PM_CMD_GET_LIMITS:
		return "get limits"
	case unix.MPTCP_PM_CMD_SET_FLAGS:
		return "set endpoint flags"
	}
	return fmt.Sprintf("command %d", cmd)
}

// kernelError turns an error of Execute into an *Error when the kernel
// answered with an errno, recognizing the answers that mean "no such
// endpoint".
func kernelError(cmd uint8, flags netlink.HeaderFlags, err error) error {
	op := opName(cmd, flags)
	var oe *netlink.OpError
	if !errors.As(err, &oe) {
		return fmt.Errorf("pm: %s: %w", op, err)
	}
	// A bare errno is the kernel's answer; a failed system call on the
	// socket comes as an *os.SyscallError and is not an *Error.
	errno, ok := oe.Err.(syscall.Errno)
	if !ok {
		return fmt.Errorf("pm: %s: %w", op, err)
	}
	e := &Error{Message: oe.Message, Err: errno, op: op, offset: oe.Offset}
	byID := cmd == unix.MPTCP_PM_CMD_DEL_ADDR || cmd == unix.MPTCP_PM_CMD_SET_FLAGS ||
		(cmd == unix.MPTCP_PM_CMD_GET_ADDR && flags&netlink.Dump == 0)
	switch {
	case byID && errno == syscall.ENOENT:
		e.match = ErrNotFound
	case byID && errno == syscall.EINVAL && strings.Contains(oe.Message, "not found"):
		// The in-kernel PM has no errno for an unknown id: it answers
		// EINVAL with the extended-ack text "address not found".
		e.match = ErrNotFound
	case cmd == unix.MPTCP_PM_CMD_ADD_ADDR && errno == syscall.EBUSY:
		// The kernel answers EBUSY for a requested id already in use.
		e.match = os.ErrExist
	}
	return e
}

// encodeID returns a function writing only the ID attribute of a nest.
func encodeID(id uint8) func(*netlink.AttributeEncoder) error {
	return func(ae *netlink.AttributeEncoder) error {
		ae.Uint8(unix.MPTCP_PM_ADDR_ATTR_ID, id)
		return nil
	}
}

func (c *client) addEndpoint(ep Endpoint) (Endpoint, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.MPTCP_PM_ENDPOINT_ADDR, encodeEndpoint(ep, true))
	if err := c.ack(unix.MPTCP_PM_CMD_ADD_ADDR, ae); err != nil {
		return Endpoint{}, err
	}
	// The acknowledgement carries no id: look the endpoint up.
	if ep.ID != 0 {
		return c.endpoint(ep.ID)
	}
	eps, err := c.endpoints()
	if err != nil {
		return Endpoint{}, err
	}
	for _, e := range eps {
		// The kernel keeps one endpoint per address and port.
		if e.Addr == ep.Addr && e.Port == ep.Port {
			return e, nil
		}
	}
	return Endpoint{}, fmt.Errorf("pm: added endpoint %v not in the endpoint list (changed by another process?): %w",
		netip.AddrPortFrom(ep.Addr, ep.Port), ErrNotFound)
}

func (c *client) endpoint(id uint8) (Endpoint, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR, encodeID(id))
	msgs, err := c.execute(unix.MPTCP_PM_CMD_GET_ADDR, 0, ae)
	if err != nil {
		return Endpoint{}, err
	}
	if len(msgs) != 1 {
		return Endpoint{}, fmt.Errorf("pm: get endpoint: %d replies, want 1", len(msgs))
	}
	ep, err := parseEndpointMessage(msgs[0].Data)
	if err != nil {
		return Endpoint{}, fmt.Errorf("pm: get endpoint: %w", err)
	}
	return ep, nil
}

func (c *client) endpoints() ([]Endpoint, error) {
	msgs, err := c.execute(unix.MPTCP_PM_CMD_GET_ADDR, netlink.Dump, nil)
	if err != nil {
		return nil, err
	}
	eps := make([]Endpoint, 0, len(msgs))
	for _, m := range msgs {
		ep, err := parseEndpointMessage(m.Data)
		if err != nil {
			return nil, fmt.Errorf("pm: list endpoints: %w", err)
		}
		eps = append(eps, ep)
	}
	// The kernel dumps in id order already; sorting keeps the promise if
	// that ever changes.
	slices.SortStableFunc(eps, func(a, b Endpoint) int { return cmp.Compare(a.ID, b.ID) })
	return eps, nil
}

func (c *client) deleteEndpoint(id uint8) error {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.MPTCP_PM_ENDPOINT_ADDR, encodeID(id))
	return c.ack(unix.MPTCP_PM_CMD_DEL_ADDR, ae)
}

func (c *client) deleteEndpointAddr(addr netip.Addr) error {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.MPTCP_PM_ENDPOINT_ADDR, func(nae *netlink.AttributeEncoder) error {
		encodeAddr(nae, addr)
		// Id 0 with an address is the initial subflow's address.
		nae.Uint8(unix.MPTCP_PM_ADDR_ATTR_ID, 0)
		return nil
	})
	return c.ack(unix.MPTCP_PM_CMD_DEL_ADDR, ae)
}

func (c *client) flushEndpoints() error {
	return c.ack(unix.MPTCP_PM_CMD_FLUSH_ADDRS, nil)
}

func (c *client) setEndpointFlags(id uint8, flags Flags) error {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR, func(nae *netlink.AttributeEncoder) error {
		// Without FAMILY the kernel looks the endpoint up by id, so no
		// address (and no read before the write) is needed.
		nae.Uint8(unix.MPTCP_PM_ADDR_ATTR_ID, id)
		nae.Uint32(unix.MPTCP_PM_ADDR_ATTR_FLAGS, uint32(flags))
		return nil
	})
	return c.ack(unix.MPTCP_PM_CMD_SET_FLAGS, ae)
}

func (c *client) limits() (Limits, error) {
	msgs, err := c.execute(unix.MPTCP_PM_CMD_GET_LIMITS, 0, nil)
	if err != nil {
		return Limits{}, err
	}
	if len(msgs) != 1 {
		return Limits{}, fmt.Errorf("pm: get limits: %d replies, want 1", len(msgs))
	}
	l, err := parseLimits(msgs[0].Data)
	if err != nil {
		return Limits{}, fmt.Errorf("pm: get limits: %w", err)
	}
	return l, nil
}

func (c *client) setLimits(u LimitsUpdate) error {
	ae := netlink.NewAttributeEncoder()
	encodeLimits(ae, u)
	err := c.ack(unix.MPTCP_PM_CMD_SET_LIMITS, ae)
	var e *Error
	if errors.As(err, &e) {
		e.Field = limitsField(u, e.offset)
	}
	return err
}
