package pm

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/unix"
)

// This file holds the attribute encoders and parsers. They build on every
// system so that their tests and fuzz targets run everywhere; only the
// socket code is Linux-only.

// errNoAddr is returned for an endpoint nest without a usable address.
var errNoAddr = errors.New("pm: endpoint without address")

// encodeEndpoint returns a function writing ep as the attributes of an
// MPTCP_PM_ATTR_ADDR nest: FAMILY and ADDR4 or ADDR6 always, FLAGS when
// withFlags is set, ID, PORT and IF_IDX when not zero. The order is that of
// the kernel documentation's example; the kernel accepts any.
func encodeEndpoint(ep Endpoint, withFlags bool) func(*netlink.AttributeEncoder) error {
	return func(ae *netlink.AttributeEncoder) error {
		encodeAddr(ae, ep.Addr)
		if withFlags {
			ae.Uint32(unix.MPTCP_PM_ADDR_ATTR_FLAGS, uint32(ep.Flags))
		}
		if ep.ID != 0 {
			ae.Uint8(unix.MPTCP_PM_ADDR_ATTR_ID, ep.ID)
		}
		if ep.Port != 0 {
			// Host byte order: the kernel applies htons itself.
			ae.Uint16(unix.MPTCP_PM_ADDR_ATTR_PORT, ep.Port)
		}
		if ep.Interface != 0 {
			ae.Int32(unix.MPTCP_PM_ADDR_ATTR_IF_IDX, int32(ep.Interface))
		}
		return nil
	}
}

// encodeAddr writes the FAMILY attribute and the address attribute of a.
func encodeAddr(ae *netlink.AttributeEncoder, a netip.Addr) {
	if a.Is4() {
		ae.Uint16(unix.MPTCP_PM_ADDR_ATTR_FAMILY, unix.AF_INET)
		// ADDR4 is a u32 in network byte order: the raw address bytes.
		b := a.As4()
		ae.Bytes(unix.MPTCP_PM_ADDR_ATTR_ADDR4, b[:])
		return
	}
	ae.Uint16(unix.MPTCP_PM_ADDR_ATTR_FAMILY, unix.AF_INET6)
	b := a.As16()
	ae.Bytes(unix.MPTCP_PM_ADDR_ATTR_ADDR6, b[:])
}

// encodeLimits writes the limits attributes u sets.
func encodeLimits(ae *netlink.AttributeEncoder, u LimitsUpdate) {
	if u.AddAddrAccepted != nil {
		ae.Uint32(unix.MPTCP_PM_ATTR_RCV_ADD_ADDRS, *u.AddAddrAccepted)
	}
	if u.Subflows != nil {
		ae.Uint32(unix.MPTCP_PM_ATTR_SUBFLOWS, *u.Subflows)
	}
}

// limitsField names the field of u whose attribute starts at offset bytes
// into the SET_LIMITS request encodeLimits wrote, or returns "". The
// kernel's limit maximum (8 up to 6.18) is not part of the uAPI, so a limit
// over it is not refused before sending; the extended ack points at the
// attribute instead, and this turns that pointer back into a field name.
func limitsField(u LimitsUpdate, offset int) string {
	// The netlink header (16 bytes) and the generic netlink header (4)
	// come first; each limit is a 4-byte attribute header and a uint32.
	const first, size = 16 + 4, 8
	var fields []string
	if u.AddAddrAccepted != nil {
		fields = append(fields, "LimitsUpdate.AddAddrAccepted")
	}
	if u.Subflows != nil {
		fields = append(fields, "LimitsUpdate.Subflows")
	}
	i := (offset - first) / size
	if offset < first || (offset-first)%size != 0 || i >= len(fields) {
		return ""
	}
	return fields[i]
}

// parseEndpointMessage parses the attributes of one GET_ADDR reply: an
// MPTCP_PM_ATTR_ADDR nest. Other top-level attributes are ignored.
func parseEndpointMessage(b []byte) (Endpoint, error) {
	ad, err := newAttrWalker(b)
	if err != nil {
		return Endpoint{}, err
	}
	var (
		ep    Endpoint
		found bool
	)
	for ad.next() {
		if ad.kind() != unix.MPTCP_PM_ATTR_ADDR {
			continue
		}
		found = true
		nad, err := newAttrWalker(ad.data)
		if err == nil {
			ep, err = parseEndpoint(&nad)
		}
		if err != nil {
			ad.err = err
		}
	}
	if err := ad.err; err != nil {
		return Endpoint{}, err
	}
	if !found {
		return Endpoint{}, errors.New("pm: reply without an endpoint")
	}
	return ep, nil
}

// parseEndpoint parses the attributes of an MPTCP_PM_ATTR_ADDR nest.
// Unknown attributes are ignored, as the kernel may add some.
func parseEndpoint(ad *attrWalker) (Endpoint, error) {
	var (
		ep     Endpoint
		family uint16
		a4     []byte
		a6     []byte
	)
	for ad.next() {
		switch ad.kind() {
		case unix.MPTCP_PM_ADDR_ATTR_FAMILY:
			family = ad.uint16()
		case unix.MPTCP_PM_ADDR_ATTR_ID:
			ep.ID = ad.uint8()
		case unix.MPTCP_PM_ADDR_ATTR_ADDR4:
			a4 = ad.data
		case unix.MPTCP_PM_ADDR_ATTR_ADDR6:
			a6 = ad.data
		case unix.MPTCP_PM_ADDR_ATTR_PORT:
			// Host byte order, unlike the ports of events.
			ep.Port = ad.uint16()
		case unix.MPTCP_PM_ADDR_ATTR_FLAGS:
			ep.Flags = Flags(ad.uint32())
		case unix.MPTCP_PM_ADDR_ATTR_IF_IDX:
			ep.Interface = int(int32(ad.uint32i("int32")))
		}
	}
	if err := ad.err; err != nil {
		return Endpoint{}, err
	}
	var ok bool
	switch family {
	case unix.AF_INET:
		ep.Addr, ok = netip.AddrFromSlice(a4)
		ok = ok && len(a4) == 4
	case unix.AF_INET6:
		ep.Addr, ok = netip.AddrFromSlice(a6)
		ok = ok && len(a6) == 16
	default:
		return Endpoint{}, fmt.Errorf("pm: endpoint of unknown address family %d", family)
	}
	if !ok {
		return Endpoint{}, errNoAddr
	}
	return ep, nil
}

// parseLimits parses the attributes of a GET_LIMITS reply. Both limits must
// be present: the kernel always sends both.
func parseLimits(b []byte) (Limits, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return Limits{}, err
	}
	var (
		l         Limits
		sub, recv bool
	)
	for ad.Next() {
		switch ad.Type() {
		case unix.MPTCP_PM_ATTR_RCV_ADD_ADDRS:
			l.AddAddrAccepted, recv = ad.Uint32(), true
		case unix.MPTCP_PM_ATTR_SUBFLOWS:
			l.Subflows, sub = ad.Uint32(), true
		}
	}
	if err := ad.Err(); err != nil {
		return Limits{}, err
	}
	if !sub || !recv {
		return Limits{}, errors.New("pm: limits reply without both limits")
	}
	return l, nil
}
