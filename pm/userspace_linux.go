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

var _ userspaceClient = &client{}

// Userspace path-manager operations, for error texts and classification.
const (
	opAnnounce       = "announce"
	opRemove         = "remove address"
	opCreateSubflow  = "create subflow"
	opDestroySubflow = "destroy subflow"
	opSetBackup      = "set subflow backup"
	opConnEndpoint   = "get connection endpoint"
	opConnEndpoints  = "list connection endpoints"
)

// usExecute sends one token-scoped request and returns the replies,
// turning kernel errors into *Error classified by userspaceError. It is
// execute with the userspace path manager's error rules.
func (c *client) usExecute(op string, cmd uint8, flags netlink.HeaderFlags, ae *netlink.AttributeEncoder) ([]genetlink.Message, error) {
	b, err := ae.Encode()
	if err != nil {
		return nil, fmt.Errorf("pm: %s: encoding request: %w", op, err)
	}
	msg := genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: unix.MPTCP_PM_VER},
		Data:   b,
	}
	msgs, err := c.c.Execute(msg, c.family.ID, netlink.Request|flags)
	if err != nil {
		return nil, userspaceError(op, err)
	}
	return msgs, nil
}

// userspaceError turns an error of Execute into an *Error when the kernel
// answered with an errno, recognizing the answers the userspace path
// manager gives with EINVAL by their extended-ack texts.
func userspaceError(op string, err error) error {
	var oe *netlink.OpError
	if !errors.As(err, &oe) {
		return fmt.Errorf("pm: %s: %w", op, err)
	}
	errno, ok := oe.Err.(syscall.Errno)
	if !ok {
		return fmt.Errorf("pm: %s: %w", op, err)
	}
	e := &Error{Message: oe.Message, Err: errno, op: op}
	msg := oe.Message
	switch {
	case errno == syscall.EINVAL && strings.Contains(msg, "userspace PM not selected"):
		// Newer kernels say "userspace PM not selected", older ones
		// "invalid request; userspace PM not selected".
		e.match = ErrInKernelPM
	case errno == syscall.EINVAL && msg == "invalid token":
		e.match = ErrUnknownToken
	case errno == syscall.EINVAL && strings.Contains(msg, "did not match address and id"):
		// The address is known under another id, or the id names
		// another address.
		e.match = os.ErrExist
	case op == opDestroySubflow && errno == syscall.ESRCH:
		e.match = ErrSubflowNotFound
	case op == opSetBackup && errno == syscall.EINVAL && msg == "subflow not found":
		// MP_PRIO found no subflow: the kernel has no errno of its own
		// for it.
		e.match = ErrSubflowNotFound
	case (op == opRemove || op == opConnEndpoint) && errno == syscall.EINVAL &&
		strings.HasPrefix(msg, "address") && strings.HasSuffix(msg, "not found"):
		// Remove's "address with id N not found" (older kernels:
		// "address with specified id not found") and get's "address
		// not found", which the kernel also gives for an unknown token
		// or an in-kernel PM connection, overwriting their texts.
		e.match = ErrNotFound
	}
	return e
}

// usAck sends a token-scoped request whose only answer is the kernel's
// acknowledgement.
func (c *client) usAck(op string, cmd uint8, ae *netlink.AttributeEncoder) error {
	_, err := c.usExecute(op, cmd, netlink.Acknowledge, ae)
	return err
}

// tokenEncoder returns an encoder holding the TOKEN attribute, which every
// userspace path-manager request starts with.
func tokenEncoder(token uint32) *netlink.AttributeEncoder {
	ae := netlink.NewAttributeEncoder()
	// Host byte order, like every u32 of the family.
	ae.Uint32(unix.MPTCP_PM_ATTR_TOKEN, token)
	return ae
}

// encodeAddrPort returns a function writing ap as the attributes of an
// address nest: FAMILY and ADDR4 or ADDR6, FLAGS if flags is not nil, and
// PORT when not zero.
func encodeAddrPort(ap netip.AddrPort, flags *Flags) func(*netlink.AttributeEncoder) error {
	return func(ae *netlink.AttributeEncoder) error {
		encodeAddr(ae, ap.Addr())
		if flags != nil {
			ae.Uint32(unix.MPTCP_PM_ADDR_ATTR_FLAGS, uint32(*flags))
		}
		if ap.Port() != 0 {
			// Host byte order: the kernel applies htons itself.
			ae.Uint16(unix.MPTCP_PM_ADDR_ATTR_PORT, ap.Port())
		}
		return nil
	}
}

func (c *client) announce(token uint32, local Endpoint) error {
	ae := tokenEncoder(token)
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR, encodeEndpoint(local, true))
	return c.usAck(opAnnounce, unix.MPTCP_PM_CMD_ANNOUNCE, ae)
}

func (c *client) remove(token uint32, id uint8) error {
	ae := tokenEncoder(token)
	ae.Uint8(unix.MPTCP_PM_ATTR_LOC_ID, id)
	return c.usAck(opRemove, unix.MPTCP_PM_CMD_REMOVE, ae)
}

func (c *client) createSubflow(token uint32, local Endpoint, remote netip.AddrPort) error {
	ae := tokenEncoder(token)
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR, func(nae *netlink.AttributeEncoder) error {
		if err := encodeEndpoint(local, true)(nae); err != nil {
			return err
		}
		if local.ID == 0 {
			// encodeEndpoint leaves id 0 out, which the kernel reads
			// as 0 too; sending it says what is meant.
			nae.Uint8(unix.MPTCP_PM_ADDR_ATTR_ID, 0)
		}
		return nil
	})
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR_REMOTE, encodeAddrPort(remote, nil))
	return c.usAck(opCreateSubflow, unix.MPTCP_PM_CMD_SUBFLOW_CREATE, ae)
}

func (c *client) destroySubflow(token uint32, local, remote netip.AddrPort) error {
	ae := tokenEncoder(token)
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR, encodeAddrPort(local, nil))
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR_REMOTE, encodeAddrPort(remote, nil))
	return c.usAck(opDestroySubflow, unix.MPTCP_PM_CMD_SUBFLOW_DESTROY, ae)
}

func (c *client) setSubflowBackup(token uint32, local, remote netip.AddrPort, backup bool) error {
	var flags Flags
	if backup {
		flags = FlagBackup
	}
	ae := tokenEncoder(token)
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR, encodeAddrPort(local, &flags))
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR_REMOTE, encodeAddrPort(remote, nil))
	// With a token, SET_FLAGS acts on the connection's subflow instead of
	// on a namespace endpoint.
	return c.usAck(opSetBackup, unix.MPTCP_PM_CMD_SET_FLAGS, ae)
}

func (c *client) connectionEndpoint(token uint32, id uint8) (Endpoint, error) {
	ae := tokenEncoder(token)
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR, encodeID(id))
	msgs, err := c.usExecute(opConnEndpoint, unix.MPTCP_PM_CMD_GET_ADDR, 0, ae)
	if err != nil {
		return Endpoint{}, err
	}
	if len(msgs) != 1 {
		return Endpoint{}, fmt.Errorf("pm: %s: %d replies, want 1", opConnEndpoint, len(msgs))
	}
	ep, err := parseEndpointMessage(msgs[0].Data)
	if err != nil {
		return Endpoint{}, fmt.Errorf("pm: %s: %w", opConnEndpoint, err)
	}
	return ep, nil
}

func (c *client) connectionEndpoints(token uint32) ([]Endpoint, error) {
	msgs, err := c.usExecute(opConnEndpoints, unix.MPTCP_PM_CMD_GET_ADDR, netlink.Dump, tokenEncoder(token))
	if err != nil {
		return nil, err
	}
	eps := make([]Endpoint, 0, len(msgs))
	for _, m := range msgs {
		ep, err := parseEndpointMessage(m.Data)
		if err != nil {
			return nil, fmt.Errorf("pm: %s: %w", opConnEndpoints, err)
		}
		eps = append(eps, ep)
	}
	// The kernel dumps in the order addresses were added.
	slices.SortStableFunc(eps, func(a, b Endpoint) int { return cmp.Compare(a.ID, b.ID) })
	return eps, nil
}
