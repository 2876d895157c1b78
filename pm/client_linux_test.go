//go:build linux

package pm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nlenc"
	"github.com/mdlayher/netlink/nltest"
	"github.com/multipath-dev/go/internal/unix"
)

// testFamily is the family the fake kernel serves; the id is dynamic in a
// real kernel (28 was observed).
var testFamily = genetlink.Family{
	ID:      28,
	Version: unix.MPTCP_PM_VER,
	Name:    unix.MPTCP_PM_NAME,
	Groups: []genetlink.MulticastGroup{
		{ID: 7, Name: unix.MPTCP_PM_CMD_GRP_NAME},
		{ID: 8, Name: unix.MPTCP_PM_EV_GRP_NAME},
	},
}

// kernelErr is an answer of the fake kernel: an errno with an optional
// extended-ack message.
type kernelErr struct {
	errno syscall.Errno
	msg   string
}

func (e *kernelErr) Error() string { return fmt.Sprintf("%v: %s", e.errno, e.msg) }

// step is one request the fake kernel expects and its answer.
type step struct {
	cmd   uint8
	flags netlink.HeaderFlags // besides netlink.Request
	attrs []byte              // the exact request attributes
	reply [][]byte            // attributes of each reply message
	err   *kernelErr
}

// dialFake returns a Client talking to a fake kernel that serves
// testFamily and answers the other requests with fn. Unlike genltest.Dial,
// it answers dumps as the kernel does (NLM_F_MULTI and NLMSG_DONE),
// acknowledges NLM_F_ACK requests, and returns errors with extended-ack
// messages.
func dialFake(t *testing.T, fn genltest.Func) *Client {
	t.Helper()
	serve := genltest.ServeFamily(testFamily, fn)
	conn := genetlink.NewConn(nltest.Dial(func(reqs []netlink.Message) ([]netlink.Message, error) {
		if len(reqs) != 1 {
			return nil, fmt.Errorf("fake kernel: %d requests in one send", len(reqs))
		}
		nreq := reqs[0]
		var greq genetlink.Message
		if err := greq.UnmarshalBinary(nreq.Data); err != nil {
			return nil, err
		}
		gmsgs, err := serve(greq, nreq)
		var ke *kernelErr
		if errors.As(err, &ke) {
			return []netlink.Message{errorMessage(t, nreq, ke.errno, ke.msg)}, nil
		}
		if err != nil {
			return nil, err
		}
		hdr := netlink.Header{Type: nreq.Header.Type, Sequence: nreq.Header.Sequence, PID: nreq.Header.PID}
		var out []netlink.Message
		for _, gm := range gmsgs {
			b, err := gm.MarshalBinary()
			if err != nil {
				return nil, err
			}
			h := hdr
			if nreq.Header.Flags&netlink.Dump != 0 {
				h.Flags = netlink.Multi
			}
			out = append(out, netlink.Message{Header: h, Data: b})
		}
		switch {
		case nreq.Header.Flags&netlink.Dump != 0:
			done := hdr
			done.Type, done.Flags = netlink.Done, netlink.Multi
			out = append(out, netlink.Message{Header: done, Data: make([]byte, 4)})
		case nreq.Header.Flags&netlink.Acknowledge != 0 && len(out) == 0:
			out = append(out, errorMessage(t, nreq, 0, ""))
		}
		return out, nil
	}))
	oc, err := newClient(conn)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	c := &Client{c: oc}
	t.Cleanup(func() { c.Close() })
	return c
}

// errorMessage builds an NLMSG_ERROR answer to req as the kernel does with
// NETLINK_EXT_ACK set: errno (0 for an ack), the echoed request and, if msg
// is not empty, an NLMSGERR_ATTR_MSG attribute.
func errorMessage(t *testing.T, req netlink.Message, errno syscall.Errno, msg string) netlink.Message {
	t.Helper()
	echo, err := req.MarshalBinary()
	if err != nil {
		t.Fatalf("marshaling request: %v", err)
	}
	data := append(nlenc.Int32Bytes(-int32(errno)), echo...)
	h := netlink.Header{Type: netlink.Error, Sequence: req.Header.Sequence, PID: req.Header.PID}
	if msg != "" {
		h.Flags = netlink.AcknowledgeTLVs
		data = append(data, nltest.MustMarshalAttributes([]netlink.Attribute{
			{Type: nlmsgerrAttrMsg, Data: nlenc.Bytes(msg)},
		})...)
	}
	return netlink.Message{Header: h, Data: data}
}

// nlmsgerrAttrMsg is NLMSGERR_ATTR_MSG of linux/netlink.h.
const nlmsgerrAttrMsg = 1

// dialSteps returns a Client whose fake kernel expects exactly the given
// requests, in order, each checked byte for byte with genltest.CheckRequest
// and the attribute bytes.
func dialSteps(t *testing.T, steps ...step) *Client {
	t.Helper()
	var mu sync.Mutex
	n := 0
	c := dialFake(t, func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		mu.Lock()
		defer mu.Unlock()
		if n >= len(steps) {
			t.Errorf("unexpected request %d: command %d, attributes %x", n+1, greq.Header.Command, greq.Data)
			return nil, &kernelErr{errno: syscall.EIO}
		}
		s := steps[n]
		n++
		check := genltest.CheckRequest(testFamily.ID, s.cmd, netlink.Request|s.flags,
			func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
				if greq.Header.Version != unix.MPTCP_PM_VER {
					return nil, fmt.Errorf("version %d, want %d", greq.Header.Version, unix.MPTCP_PM_VER)
				}
				if !bytes.Equal(greq.Data, s.attrs) {
					return nil, fmt.Errorf("attributes\n got %x\nwant %x", greq.Data, s.attrs)
				}
				return nil, nil
			})
		if _, err := check(greq, nreq); err != nil {
			t.Errorf("request %d: %v", n, err)
			return nil, &kernelErr{errno: syscall.EIO}
		}
		if s.err != nil {
			return nil, s.err
		}
		var out []genetlink.Message
		for _, r := range s.reply {
			out = append(out, genetlink.Message{
				Header: genetlink.Header{Command: s.cmd, Version: unix.MPTCP_PM_VER},
				Data:   r,
			})
		}
		return out, nil
	})
	t.Cleanup(func() {
		if n != len(steps) {
			t.Errorf("%d of %d expected requests were sent", n, len(steps))
		}
	})
	return c
}

// Attribute builders for the expected bytes, written independently of the
// package's encoders.

func attrs(as ...netlink.Attribute) []byte { return nltest.MustMarshalAttributes(as) }

func nest(typ uint16, as ...netlink.Attribute) netlink.Attribute {
	return netlink.Attribute{Type: typ | netlink.Nested, Data: attrs(as...)}
}

func u8(typ uint16, v uint8) netlink.Attribute { return netlink.Attribute{Type: typ, Data: []byte{v}} }

func u16(typ uint16, v uint16) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: binary.NativeEndian.AppendUint16(nil, v)}
}

func u32(typ uint16, v uint32) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: binary.NativeEndian.AppendUint32(nil, v)}
}

func raw(typ uint16, b []byte) netlink.Attribute { return netlink.Attribute{Type: typ, Data: b} }

// Address attribute shorthands.
const (
	aFamily = unix.MPTCP_PM_ADDR_ATTR_FAMILY
	aID     = unix.MPTCP_PM_ADDR_ATTR_ID
	aAddr4  = unix.MPTCP_PM_ADDR_ATTR_ADDR4
	aAddr6  = unix.MPTCP_PM_ADDR_ATTR_ADDR6
	aPort   = unix.MPTCP_PM_ADDR_ATTR_PORT
	aFlags  = unix.MPTCP_PM_ADDR_ATTR_FLAGS
	aIfIdx  = unix.MPTCP_PM_ADDR_ATTR_IF_IDX
	attrEP  = unix.MPTCP_PM_ATTR_ADDR
)

// v4 and v6 are the address attributes of an endpoint.
func v4(a, b, c, d byte) []netlink.Attribute {
	return []netlink.Attribute{u16(aFamily, 2), raw(aAddr4, []byte{a, b, c, d})}
}

func v6(s string) []netlink.Attribute {
	b := netip.MustParseAddr(s).As16()
	return []netlink.Attribute{u16(aFamily, 10), raw(aAddr6, b[:])}
}

// epReply is a GET_ADDR reply as the kernel writes it (see
// testdata/endpoints.hex): FAMILY, PORT (even 0), ID, FLAGS, IF_IDX when
// set, then the address.
func epReply(addr []netlink.Attribute, id uint8, port uint16, flags uint32, ifindex int32) []byte {
	as := []netlink.Attribute{addr[0], u16(aPort, port), u8(aID, id), u32(aFlags, flags)}
	if ifindex != 0 {
		as = append(as, u32(aIfIdx, uint32(ifindex)))
	}
	return attrs(nest(attrEP, append(as, addr[1])...))
}

func cat(groups ...[]netlink.Attribute) []netlink.Attribute {
	var out []netlink.Attribute
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var (
	ip1   = netip.MustParseAddr("10.0.1.1")
	ip2   = netip.MustParseAddr("10.0.1.2")
	ip6   = netip.MustParseAddr("2001:db8::1")
	getEP = uint8(unix.MPTCP_PM_CMD_GET_ADDR)
)

func TestLinuxClientAddEndpointKernelDocBytes(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the documented bytes are little endian")
	}
	// kernel-uapi.md §5.4: add `10.0.1.1 id 5 signal`, the genetlink header
	// and attributes after the nlmsghdr, nlmsg_len 56.
	want, _ := hex.DecodeString("01010000" + "24000180" + "0600010002000000" + "080003000a000101" +
		"0800060001000000" + "0500020005000000")
	var got []byte
	var length uint32
	c := dialFake(t, func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		if greq.Header.Command == unix.MPTCP_PM_CMD_ADD_ADDR {
			got, length = nreq.Data, nreq.Header.Length
			return nil, nil
		}
		return []genetlink.Message{{Data: epReply(v4(10, 0, 1, 1), 5, 0, 1, 0)}}, nil
	})
	if _, err := c.AddEndpoint(Endpoint{ID: 5, Addr: ip1, Flags: FlagSignal}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || length != 56 {
		t.Errorf("request (length %d)\n got %x\nwant %x (length 56)", length, got, want)
	}
}

func TestLinuxClientRequests(t *testing.T) {
	sub, acc := uint32(3), uint32(4)
	addrsList := [][]byte{
		epReply(v4(10, 0, 1, 1), 1, 0, 0, 0),
		epReply(v4(10, 0, 1, 2), 2, 0, 2, 1),
		epReply(v6("2001:db8::1"), 3, 10100, 1|4, 0),
	}
	wantList := []Endpoint{
		{ID: 1, Addr: ip1},
		{ID: 2, Addr: ip2, Flags: FlagSubflow, Interface: 1},
		{ID: 3, Addr: ip6, Port: 10100, Flags: FlagSignal | FlagBackup},
	}
	tests := []struct {
		name  string
		steps []step
		call  func(c *Client) (any, error)
		want  any
	}{
		{
			name: "AddEndpoint with id",
			steps: []step{
				{cmd: unix.MPTCP_PM_CMD_ADD_ADDR, flags: netlink.Acknowledge,
					attrs: attrs(nest(attrEP, cat(v4(10, 0, 1, 2), []netlink.Attribute{u32(aFlags, 2|4), u8(aID, 7), u32(aIfIdx, 3)})...))},
				{cmd: getEP, attrs: attrs(nest(attrEP, u8(aID, 7))),
					reply: [][]byte{epReply(v4(10, 0, 1, 2), 7, 0, 2|4, 3)}},
			},
			call: func(c *Client) (any, error) {
				return c.AddEndpoint(Endpoint{ID: 7, Addr: ip2, Flags: FlagSubflow | FlagBackup, Interface: 3})
			},
			want: Endpoint{ID: 7, Addr: ip2, Flags: FlagSubflow | FlagBackup, Interface: 3},
		},
		{
			name: "AddEndpoint kernel picks the id",
			steps: []step{
				{cmd: unix.MPTCP_PM_CMD_ADD_ADDR, flags: netlink.Acknowledge,
					attrs: attrs(nest(attrEP, cat(v6("2001:db8::1"), []netlink.Attribute{u32(aFlags, 1|4), u16(aPort, 10100)})...))},
				{cmd: getEP, flags: netlink.Dump, reply: addrsList},
			},
			call: func(c *Client) (any, error) {
				return c.AddEndpoint(Endpoint{Addr: ip6, Port: 10100, Flags: FlagSignal | FlagBackup})
			},
			want: wantList[2],
		},
		{
			name: "AddEndpoint matches the port too",
			steps: []step{
				{cmd: unix.MPTCP_PM_CMD_ADD_ADDR, flags: netlink.Acknowledge,
					attrs: attrs(nest(attrEP, cat(v6("2001:db8::1"), []netlink.Attribute{u32(aFlags, 1), u16(aPort, 10101)})...))},
				{cmd: getEP, flags: netlink.Dump, reply: append(addrsList[:3:3], epReply(v6("2001:db8::1"), 9, 10101, 1, 0))},
			},
			call: func(c *Client) (any, error) {
				return c.AddEndpoint(Endpoint{Addr: ip6, Port: 10101, Flags: FlagSignal})
			},
			want: Endpoint{ID: 9, Addr: ip6, Port: 10101, Flags: FlagSignal},
		},
		{
			name: "AddEndpoint IPv4-mapped stays IPv6",
			steps: []step{
				{cmd: unix.MPTCP_PM_CMD_ADD_ADDR, flags: netlink.Acknowledge,
					attrs: attrs(nest(attrEP, cat(v6("::ffff:10.0.1.9"), []netlink.Attribute{u32(aFlags, 0)})...))},
				{cmd: getEP, flags: netlink.Dump, reply: [][]byte{epReply(v6("::ffff:10.0.1.9"), 4, 0, 0, 0)}},
			},
			call: func(c *Client) (any, error) {
				return c.AddEndpoint(Endpoint{Addr: netip.MustParseAddr("::ffff:10.0.1.9")})
			},
			want: Endpoint{ID: 4, Addr: netip.MustParseAddr("::ffff:10.0.1.9")},
		},
		{
			name:  "Endpoint",
			steps: []step{{cmd: getEP, attrs: attrs(nest(attrEP, u8(aID, 2))), reply: addrsList[1:2]}},
			call:  func(c *Client) (any, error) { return c.Endpoint(2) },
			want:  wantList[1],
		},
		{
			name:  "Endpoints",
			steps: []step{{cmd: getEP, flags: netlink.Dump, reply: addrsList}},
			call:  func(c *Client) (any, error) { return c.Endpoints() },
			want:  wantList,
		},
		{
			name: "Endpoints sorts by id",
			steps: []step{{cmd: getEP, flags: netlink.Dump,
				reply: [][]byte{addrsList[2], addrsList[0], addrsList[1]}}},
			call: func(c *Client) (any, error) { return c.Endpoints() },
			want: wantList,
		},
		{
			name:  "Endpoints empty",
			steps: []step{{cmd: getEP, flags: netlink.Dump}},
			call:  func(c *Client) (any, error) { return c.Endpoints() },
			want:  []Endpoint{},
		},
		{
			name: "DeleteEndpoint",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_DEL_ADDR, flags: netlink.Acknowledge,
				attrs: attrs(nest(attrEP, u8(aID, 200)))}},
			call: func(c *Client) (any, error) { return nil, c.DeleteEndpoint(200) },
		},
		{
			name: "DeleteEndpointAddr lists, then deletes by id",
			steps: []step{
				{cmd: getEP, flags: netlink.Dump, reply: addrsList},
				{cmd: unix.MPTCP_PM_CMD_DEL_ADDR, flags: netlink.Acknowledge,
					attrs: attrs(nest(attrEP, u8(aID, 3)))},
			},
			call: func(c *Client) (any, error) { return nil, c.DeleteEndpointAddr(ip6) },
		},
		{
			name: "DeleteEndpointAddr IPv4-mapped matches IPv4",
			steps: []step{
				{cmd: getEP, flags: netlink.Dump, reply: addrsList},
				{cmd: unix.MPTCP_PM_CMD_DEL_ADDR, flags: netlink.Acknowledge,
					attrs: attrs(nest(attrEP, u8(aID, 2)))},
			},
			call: func(c *Client) (any, error) {
				return nil, c.DeleteEndpointAddr(netip.AddrFrom16(ip2.As16()))
			},
		},
		{
			name: "RemoveInitialAddr IPv4",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_DEL_ADDR, flags: netlink.Acknowledge,
				attrs: attrs(nest(attrEP, cat(v4(10, 0, 1, 1), []netlink.Attribute{u8(aID, 0)})...))}},
			call: func(c *Client) (any, error) { return nil, c.RemoveInitialAddr(ip1) },
		},
		{
			name: "RemoveInitialAddr IPv6",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_DEL_ADDR, flags: netlink.Acknowledge,
				attrs: attrs(nest(attrEP, cat(v6("2001:db8::1"), []netlink.Attribute{u8(aID, 0)})...))}},
			call: func(c *Client) (any, error) { return nil, c.RemoveInitialAddr(ip6) },
		},
		{
			name:  "FlushEndpoints",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_FLUSH_ADDRS, flags: netlink.Acknowledge}},
			call:  func(c *Client) (any, error) { return nil, c.FlushEndpoints() },
		},
		{
			name: "SetEndpointFlags",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_SET_FLAGS, flags: netlink.Acknowledge,
				attrs: attrs(nest(attrEP, u8(aID, 3), u32(aFlags, 4|8)))}},
			call: func(c *Client) (any, error) { return nil, c.SetEndpointFlags(3, FlagBackup|FlagFullmesh) },
		},
		{
			name: "SetEndpointFlags clear",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_SET_FLAGS, flags: netlink.Acknowledge,
				attrs: attrs(nest(attrEP, u8(aID, 3), u32(aFlags, 0)))}},
			call: func(c *Client) (any, error) { return nil, c.SetEndpointFlags(3, 0) },
		},
		{
			name: "Limits",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_GET_LIMITS,
				reply: [][]byte{attrs(u32(unix.MPTCP_PM_ATTR_RCV_ADD_ADDRS, 4), u32(unix.MPTCP_PM_ATTR_SUBFLOWS, 3))}}},
			call: func(c *Client) (any, error) { return c.Limits() },
			want: Limits{Subflows: 3, AddAddrAccepted: 4},
		},
		{
			name: "SetLimits both",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_SET_LIMITS, flags: netlink.Acknowledge,
				attrs: attrs(u32(unix.MPTCP_PM_ATTR_RCV_ADD_ADDRS, 4), u32(unix.MPTCP_PM_ATTR_SUBFLOWS, 3))}},
			call: func(c *Client) (any, error) {
				return nil, c.SetLimits(LimitsUpdate{Subflows: &sub, AddAddrAccepted: &acc})
			},
		},
		{
			name: "SetLimits subflows only",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_SET_LIMITS, flags: netlink.Acknowledge,
				attrs: attrs(u32(unix.MPTCP_PM_ATTR_SUBFLOWS, 3))}},
			call: func(c *Client) (any, error) { return nil, c.SetLimits(LimitsUpdate{Subflows: &sub}) },
		},
		{
			name: "SetLimits accepted only",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_SET_LIMITS, flags: netlink.Acknowledge,
				attrs: attrs(u32(unix.MPTCP_PM_ATTR_RCV_ADD_ADDRS, 4))}},
			call: func(c *Client) (any, error) { return nil, c.SetLimits(LimitsUpdate{AddAddrAccepted: &acc}) },
		},
		{
			name:  "SetLimits empty",
			steps: []step{{cmd: unix.MPTCP_PM_CMD_SET_LIMITS, flags: netlink.Acknowledge}},
			call:  func(c *Client) (any, error) { return nil, c.SetLimits(LimitsUpdate{}) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialSteps(t, tt.steps...)
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLinuxClientAddEndpointVanished(t *testing.T) {
	// Another process deleted the endpoint between the add and the look-up.
	c := dialSteps(t,
		step{cmd: unix.MPTCP_PM_CMD_ADD_ADDR, flags: netlink.Acknowledge,
			attrs: attrs(nest(attrEP, cat(v4(10, 0, 1, 1), []netlink.Attribute{u32(aFlags, 0)})...))},
		step{cmd: getEP, flags: netlink.Dump, reply: [][]byte{epReply(v4(10, 0, 1, 2), 1, 0, 0, 0)}},
	)
	_, err := c.AddEndpoint(Endpoint{Addr: ip1})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("AddEndpoint = %v, want ErrNotFound", err)
	}
}

func TestLinuxClientBadReplies(t *testing.T) {
	for _, tt := range []struct {
		name  string
		steps []step
		call  func(c *Client) error
	}{
		{"Endpoint no reply", []step{{cmd: getEP, attrs: attrs(nest(attrEP, u8(aID, 1)))}},
			func(c *Client) error { _, err := c.Endpoint(1); return err }},
		{"Endpoint two replies", []step{{cmd: getEP, attrs: attrs(nest(attrEP, u8(aID, 1))),
			reply: [][]byte{epReply(v4(1, 2, 3, 4), 1, 0, 0, 0), epReply(v4(1, 2, 3, 4), 1, 0, 0, 0)}}},
			func(c *Client) error { _, err := c.Endpoint(1); return err }},
		{"Endpoint without nest", []step{{cmd: getEP, attrs: attrs(nest(attrEP, u8(aID, 1))),
			reply: [][]byte{attrs(u32(unix.MPTCP_PM_ATTR_TOKEN, 1))}}},
			func(c *Client) error { _, err := c.Endpoint(1); return err }},
		{"Endpoints short address", []step{{cmd: getEP, flags: netlink.Dump,
			reply: [][]byte{attrs(nest(attrEP, u16(aFamily, 2), raw(aAddr4, []byte{1, 2})))}}},
			func(c *Client) error { _, err := c.Endpoints(); return err }},
		{"Limits missing one", []step{{cmd: unix.MPTCP_PM_CMD_GET_LIMITS,
			reply: [][]byte{attrs(u32(unix.MPTCP_PM_ATTR_SUBFLOWS, 3))}}},
			func(c *Client) error { _, err := c.Limits(); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialSteps(t, tt.steps...)
			if err := tt.call(c); err == nil {
				t.Error("no error")
			}
		})
	}
}

// method is one Client method called with valid arguments.
type method struct {
	name  string
	byID  bool // the kernel's "address not found" means ErrNotFound
	isAdd bool
	call  func(c *Client) error
}

var methods = []method{
	{"AddEndpoint", false, true, func(c *Client) error {
		_, err := c.AddEndpoint(Endpoint{Addr: ip1, Flags: FlagSubflow})
		return err
	}},
	{"Endpoint", true, false, func(c *Client) error { _, err := c.Endpoint(1); return err }},
	{"Endpoints", false, false, func(c *Client) error { _, err := c.Endpoints(); return err }},
	{"DeleteEndpoint", true, false, func(c *Client) error { return c.DeleteEndpoint(1) }},
	{"RemoveInitialAddr", true, false, func(c *Client) error { return c.RemoveInitialAddr(ip1) }},
	// Its first request is the dump, whose "address not found" is not
	// about an id.
	{"DeleteEndpointAddr", false, false, func(c *Client) error { return c.DeleteEndpointAddr(ip1) }},
	{"FlushEndpoints", false, false, func(c *Client) error { return c.FlushEndpoints() }},
	{"SetEndpointFlags", true, false, func(c *Client) error { return c.SetEndpointFlags(1, FlagBackup) }},
	{"Limits", false, false, func(c *Client) error { _, err := c.Limits(); return err }},
	{"SetLimits", false, false, func(c *Client) error {
		v := uint32(1)
		return c.SetLimits(LimitsUpdate{Subflows: &v})
	}},
}

func TestLinuxClientErrors(t *testing.T) {
	// Targets every case is checked against; each case lists those it
	// must match, and must match no other.
	targets := map[string]error{
		"os.ErrPermission":      os.ErrPermission,
		"os.ErrExist":           os.ErrExist,
		"os.ErrNotExist":        os.ErrNotExist,
		"errors.ErrUnsupported": errors.ErrUnsupported,
		"ErrNotFound":           ErrNotFound,
		"ErrInvalid":            ErrInvalid,
		"net.ErrClosed":         net.ErrClosed,
	}
	type errCase struct {
		errno syscall.Errno
		msg   string
		want  func(m method) []string
	}
	always := func(names ...string) func(method) []string { return func(method) []string { return names } }
	cases := []errCase{
		{syscall.EPERM, "", always("os.ErrPermission")},
		{syscall.EACCES, "", always("os.ErrPermission")},
		{syscall.EEXIST, "too many addresses or duplicate one: -17", always("os.ErrExist")},
		{syscall.EOPNOTSUPP, "missing address ID", always("errors.ErrUnsupported")},
		{syscall.ENOENT, "", func(m method) []string {
			if m.byID {
				return []string{"os.ErrNotExist", "ErrNotFound"}
			}
			return []string{"os.ErrNotExist"}
		}},
		{syscall.EINVAL, "address not found", func(m method) []string {
			if m.byID {
				return []string{"os.ErrNotExist", "ErrNotFound"}
			}
			return []string{"ErrInvalid"}
		}},
		{syscall.EINVAL, "limit greater than maximum (8)", always("ErrInvalid")},
		{syscall.EINVAL, "", always("ErrInvalid")},
		{syscall.EBUSY, "too many addresses or duplicate one: -16", func(m method) []string {
			if m.isAdd {
				return []string{"os.ErrExist"}
			}
			return nil
		}},
		{syscall.ERANGE, "too many addresses or duplicate one: -34", always()},
		{syscall.EADDRINUSE, "create listen socket error: -98", always()},
	}
	for _, m := range methods {
		for _, ec := range cases {
			t.Run(fmt.Sprintf("%s/%s/%q", m.name, ec.errno, ec.msg), func(t *testing.T) {
				checkKernelError(t, m.call, ec.errno, ec.msg, ec.want(m), targets)
			})
		}
	}
}

// checkKernelError calls call on a Client whose fake kernel answers every
// request with errno and the extended-ack text msg, and checks that the
// error is an *Error keeping both and matches exactly the targets named in
// want.
func checkKernelError(t *testing.T, call func(*Client) error, errno syscall.Errno, msg string, want []string, targets map[string]error) {
	t.Helper()
	c := dialFake(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, &kernelErr{errno: errno, msg: msg}
	})
	err := call(c)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Message != msg || e.Err != errno {
		t.Errorf("Error{Message: %q, Err: %v}, want {%q, %v}", e.Message, e.Err, msg, errno)
	}
	if !errors.Is(err, errno) {
		t.Errorf("errors.Is(%v, %v) = false", err, errno)
	}
	for name, target := range targets {
		if got, w := errors.Is(err, target), slices.Contains(want, name); got != w {
			t.Errorf("errors.Is(%v, %s) = %v, want %v", err, name, got, w)
		}
	}
}

func TestLinuxClientErrorText(t *testing.T) {
	c := dialFake(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, &kernelErr{errno: syscall.EINVAL, msg: "limit greater than maximum (8)"}
	})
	v := uint32(9)
	err := c.SetLimits(LimitsUpdate{Subflows: &v})
	const want = "pm: set limits: limit greater than maximum (8): invalid argument"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// closeCounter wraps a genConn and counts Close calls.
type closeCounter struct {
	genConn
	closes int
}

func (c *closeCounter) Close() error { c.closes++; return c.genConn.Close() }

func TestLinuxNewClientNoFamily(t *testing.T) {
	conn := &closeCounter{genConn: genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(syscall.ENOENT))
	})}
	_, err := newClient(conn)
	if !errors.Is(err, ErrNoFamily) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("newClient = %v, want ErrNoFamily and os.ErrNotExist", err)
	}
	if conn.closes != 1 {
		t.Errorf("connection closed %d times, want 1", conn.closes)
	}
}

func TestLinuxNewClientFamilyError(t *testing.T) {
	conn := &closeCounter{genConn: genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(syscall.EPERM))
	})}
	_, err := newClient(conn)
	if err == nil || errors.Is(err, ErrNoFamily) || !errors.Is(err, os.ErrPermission) {
		t.Errorf("newClient = %v, want os.ErrPermission without ErrNoFamily", err)
	}
	if conn.closes != 1 {
		t.Errorf("connection closed %d times, want 1", conn.closes)
	}
}

func TestLinuxNewClientFamily(t *testing.T) {
	oc, err := newClient(genltest.Dial(genltest.ServeFamily(testFamily, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	if oc.family.ID != testFamily.ID {
		t.Errorf("family id %d, want %d", oc.family.ID, testFamily.ID)
	}
}

func TestLinuxDialNetNSPathMissing(t *testing.T) {
	const path = "/run/netns/pm-test-does-not-exist"
	_, err := Dial(&Config{NetNSPath: path})
	if !errors.Is(err, os.ErrNotExist) || !bytes.Contains([]byte(fmt.Sprint(err)), []byte(path)) {
		t.Errorf("Dial = %v, want os.ErrNotExist naming %s", err, path)
	}
}

func TestLinuxClientClosed(t *testing.T) {
	c := dialFake(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		t.Error("request sent on a closed client")
		return nil, nil
	})
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want net.ErrClosed", err)
	}
	for _, m := range methods {
		if err := m.call(c); !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close = %v, want net.ErrClosed", m.name, err)
		}
	}
	var zero Client
	if _, err := zero.Endpoints(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("zero Client: %v, want net.ErrClosed", err)
	}
}

func TestLinuxClientConcurrent(t *testing.T) {
	limits := attrs(u32(unix.MPTCP_PM_ATTR_RCV_ADD_ADDRS, 1), u32(unix.MPTCP_PM_ATTR_SUBFLOWS, 2))
	c := dialFake(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		if greq.Header.Command == unix.MPTCP_PM_CMD_GET_LIMITS {
			return []genetlink.Message{{Data: limits}}, nil
		}
		return nil, nil
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				l, err := c.Limits()
				if errors.Is(err, net.ErrClosed) {
					return
				}
				if err != nil || l != (Limits{Subflows: 2, AddAddrAccepted: 1}) {
					t.Errorf("Limits = %+v, %v", l, err)
					return
				}
			}
		})
	}
	wg.Go(func() { c.Close() })
	wg.Wait()
}
