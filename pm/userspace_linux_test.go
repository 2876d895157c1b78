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
	"syscall"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/unix"
)

// Attribute shorthands of the userspace path manager's requests; the
// builders (attrs, nest, u8, u32, v4, ...) are those of
// client_linux_test.go.
const (
	aToken  = unix.MPTCP_PM_ATTR_TOKEN
	aLocID  = unix.MPTCP_PM_ATTR_LOC_ID
	aRemote = unix.MPTCP_PM_ATTR_ADDR_REMOTE
)

const testToken = 0xa93f7be9

var (
	ap1 = netip.MustParseAddrPort("10.0.1.1:40000")
	ap2 = netip.MustParseAddrPort("10.0.2.2:10100")
)

func TestLinuxUserspaceAnnounceBytes(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the written-out bytes are little endian")
	}
	// Announce 10.0.1.1 port 10100 id 5 signal on token 0x01020304,
	// after the nlmsghdr: the token and the port in host order, the
	// address in network order.
	want, _ := hex.DecodeString("08010000" + // genlmsghdr: ANNOUNCE, version 1
		"0800040004030201" + // TOKEN
		"2c000180" + // ADDR, nested, 44 bytes
		"0600010002000000" + // FAMILY AF_INET
		"080003000a000101" + // ADDR4 10.0.1.1
		"0800060001000000" + // FLAGS signal
		"0500020005000000" + // ID 5
		"0600050074270000") // PORT 10100 = 0x2774
	var got []byte
	c := dialFake(t, func(_ genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		got = nreq.Data
		return nil, nil
	})
	if err := c.Announce(0x01020304, Endpoint{ID: 5, Addr: ip1, Port: 10100, Flags: FlagSignal}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("request\n got %x\nwant %x", got, want)
	}
}

func TestLinuxUserspaceRequests(t *testing.T) {
	tok := u32(aToken, testToken)
	ack := netlink.Acknowledge
	tests := []struct {
		name string
		step step
		call func(c *Client) (any, error)
		want any
	}{
		{
			name: "Announce",
			step: step{cmd: unix.MPTCP_PM_CMD_ANNOUNCE, flags: ack, attrs: attrs(tok,
				nest(attrEP, cat(v4(10, 0, 2, 2), []netlink.Attribute{u32(aFlags, 1), u8(aID, 7)})...))},
			call: func(c *Client) (any, error) {
				return nil, c.Announce(testToken, Endpoint{ID: 7, Addr: ap2.Addr(), Flags: FlagSignal})
			},
		},
		{
			name: "Announce with port, backup and interface",
			step: step{cmd: unix.MPTCP_PM_CMD_ANNOUNCE, flags: ack, attrs: attrs(tok,
				nest(attrEP, cat(v6("2001:db8::1"), []netlink.Attribute{u32(aFlags, 1|4), u8(aID, 255),
					u16(aPort, 10100), u32(aIfIdx, 3)})...))},
			call: func(c *Client) (any, error) {
				return nil, c.Announce(testToken, Endpoint{ID: 255, Addr: ip6, Port: 10100, Interface: 3, Flags: FlagSignal | FlagBackup})
			},
		},
		{
			name: "Remove",
			step: step{cmd: unix.MPTCP_PM_CMD_REMOVE, flags: ack, attrs: attrs(tok, u8(aLocID, 7))},
			call: func(c *Client) (any, error) { return nil, c.Remove(testToken, 7) },
		},
		{
			name: "Remove id 0",
			step: step{cmd: unix.MPTCP_PM_CMD_REMOVE, flags: ack, attrs: attrs(tok, u8(aLocID, 0))},
			call: func(c *Client) (any, error) { return nil, c.Remove(testToken, 0) },
		},
		{
			name: "CreateSubflow",
			step: step{cmd: unix.MPTCP_PM_CMD_SUBFLOW_CREATE, flags: ack, attrs: attrs(tok,
				nest(attrEP, cat(v4(10, 0, 1, 1), []netlink.Attribute{u32(aFlags, 0), u8(aID, 2), u32(aIfIdx, 1002)})...),
				nest(aRemote, cat(v4(10, 0, 2, 2), []netlink.Attribute{u16(aPort, 10100)})...))},
			call: func(c *Client) (any, error) {
				return nil, c.CreateSubflow(testToken, Endpoint{ID: 2, Addr: ip1, Interface: 1002}, ap2)
			},
		},
		{
			name: "CreateSubflow id 0, source port and backup",
			step: step{cmd: unix.MPTCP_PM_CMD_SUBFLOW_CREATE, flags: ack, attrs: attrs(tok,
				nest(attrEP, cat(v6("2001:db8::1"), []netlink.Attribute{u32(aFlags, 2|4), u16(aPort, 40000), u8(aID, 0)})...),
				nest(aRemote, cat(v6("2001:db8::2"), []netlink.Attribute{u16(aPort, 443)})...))},
			call: func(c *Client) (any, error) {
				return nil, c.CreateSubflow(testToken, Endpoint{Addr: ip6, Port: 40000, Flags: FlagSubflow | FlagBackup},
					netip.MustParseAddrPort("[2001:db8::2]:443"))
			},
		},
		{
			name: "DestroySubflow",
			step: step{cmd: unix.MPTCP_PM_CMD_SUBFLOW_DESTROY, flags: ack, attrs: attrs(tok,
				nest(attrEP, cat(v4(10, 0, 1, 1), []netlink.Attribute{u16(aPort, 40000)})...),
				nest(aRemote, cat(v4(10, 0, 2, 2), []netlink.Attribute{u16(aPort, 10100)})...))},
			call: func(c *Client) (any, error) { return nil, c.DestroySubflow(testToken, ap1, ap2) },
		},
		{
			name: "DestroySubflow IPv4-mapped",
			step: step{cmd: unix.MPTCP_PM_CMD_SUBFLOW_DESTROY, flags: ack, attrs: attrs(tok,
				nest(attrEP, cat(v6("::ffff:10.0.1.1"), []netlink.Attribute{u16(aPort, 40000)})...),
				nest(aRemote, cat(v4(10, 0, 2, 2), []netlink.Attribute{u16(aPort, 10100)})...))},
			call: func(c *Client) (any, error) {
				return nil, c.DestroySubflow(testToken, netip.MustParseAddrPort("[::ffff:10.0.1.1]:40000"), ap2)
			},
		},
		{
			name: "SetSubflowBackup",
			step: step{cmd: unix.MPTCP_PM_CMD_SET_FLAGS, flags: ack, attrs: attrs(tok,
				nest(attrEP, cat(v4(10, 0, 1, 1), []netlink.Attribute{u32(aFlags, 4), u16(aPort, 40000)})...),
				nest(aRemote, cat(v4(10, 0, 2, 2), []netlink.Attribute{u16(aPort, 10100)})...))},
			call: func(c *Client) (any, error) { return nil, c.SetSubflowBackup(testToken, ap1, ap2, true) },
		},
		{
			name: "SetSubflowBackup clear, any port",
			step: step{cmd: unix.MPTCP_PM_CMD_SET_FLAGS, flags: ack, attrs: attrs(tok,
				nest(attrEP, cat(v4(10, 0, 1, 1), []netlink.Attribute{u32(aFlags, 0)})...),
				nest(aRemote, v4(10, 0, 2, 2)...))},
			call: func(c *Client) (any, error) {
				return nil, c.SetSubflowBackup(testToken, netip.AddrPortFrom(ip1, 0), netip.AddrPortFrom(ap2.Addr(), 0), false)
			},
		},
		{
			name: "ConnectionEndpoint",
			step: step{cmd: getEP, attrs: attrs(tok, nest(attrEP, u8(aID, 5))),
				reply: [][]byte{epReply(v4(10, 0, 2, 2), 5, 0, 1|4, 0)}},
			call: func(c *Client) (any, error) { return c.ConnectionEndpoint(testToken, 5) },
			want: Endpoint{ID: 5, Addr: ap2.Addr(), Flags: FlagSignal | FlagBackup},
		},
		{
			name: "ConnectionEndpoints sorted by id",
			step: step{cmd: getEP, flags: netlink.Dump, attrs: attrs(tok), reply: [][]byte{
				epReply(v4(10, 0, 2, 2), 5, 0, 1, 0),
				epReply(v4(10, 0, 1, 1), 2, 0, 2, 1002),
				epReply(v6("2001:db8::1"), 1, 0, 0x10, 0),
			}},
			call: func(c *Client) (any, error) { return c.ConnectionEndpoints(testToken) },
			want: []Endpoint{
				{ID: 1, Addr: ip6, Flags: FlagImplicit},
				{ID: 2, Addr: ip1, Flags: FlagSubflow, Interface: 1002},
				{ID: 5, Addr: ap2.Addr(), Flags: FlagSignal},
			},
		},
		{
			name: "ConnectionEndpoints empty",
			step: step{cmd: getEP, flags: netlink.Dump, attrs: attrs(tok)},
			call: func(c *Client) (any, error) { return c.ConnectionEndpoints(testToken) },
			want: []Endpoint{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialSteps(t, tt.step)
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

func TestLinuxUserspaceBadReplies(t *testing.T) {
	tok := u32(aToken, testToken)
	for _, tt := range []struct {
		name string
		step step
		call func(c *Client) error
	}{
		{"ConnectionEndpoint no reply", step{cmd: getEP, attrs: attrs(tok, nest(attrEP, u8(aID, 1)))},
			func(c *Client) error { _, err := c.ConnectionEndpoint(testToken, 1); return err }},
		{"ConnectionEndpoint without nest", step{cmd: getEP, attrs: attrs(tok, nest(attrEP, u8(aID, 1))),
			reply: [][]byte{attrs(tok)}},
			func(c *Client) error { _, err := c.ConnectionEndpoint(testToken, 1); return err }},
		{"ConnectionEndpoints unknown family", step{cmd: getEP, flags: netlink.Dump, attrs: attrs(tok),
			reply: [][]byte{attrs(nest(attrEP, u16(aFamily, 7)))}},
			func(c *Client) error { _, err := c.ConnectionEndpoints(testToken); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialSteps(t, tt.step)
			if err := tt.call(c); err == nil {
				t.Error("no error")
			}
		})
	}
}

// usMethod is one userspace path-manager method called with valid
// arguments.
type usMethod struct {
	name string
	call func(c *Client) error
}

var usMethods = []usMethod{
	{"Announce", func(c *Client) error {
		return c.Announce(testToken, Endpoint{ID: 5, Addr: ap2.Addr(), Flags: FlagSignal})
	}},
	{"Remove", func(c *Client) error { return c.Remove(testToken, 5) }},
	{"CreateSubflow", func(c *Client) error { return c.CreateSubflow(testToken, Endpoint{ID: 2, Addr: ip1}, ap2) }},
	{"DestroySubflow", func(c *Client) error { return c.DestroySubflow(testToken, ap1, ap2) }},
	{"SetSubflowBackup", func(c *Client) error { return c.SetSubflowBackup(testToken, ap1, ap2, true) }},
	{"ConnectionEndpoint", func(c *Client) error { _, err := c.ConnectionEndpoint(testToken, 5); return err }},
	{"ConnectionEndpoints", func(c *Client) error { _, err := c.ConnectionEndpoints(testToken); return err }},
}

func TestLinuxUserspaceErrors(t *testing.T) {
	targets := map[string]error{
		"os.ErrPermission":      os.ErrPermission,
		"os.ErrExist":           os.ErrExist,
		"os.ErrNotExist":        os.ErrNotExist,
		"errors.ErrUnsupported": errors.ErrUnsupported,
		"ErrNotFound":           ErrNotFound,
		"ErrInvalid":            ErrInvalid,
		"ErrInKernelPM":         ErrInKernelPM,
		"ErrUnknownToken":       ErrUnknownToken,
		"ErrSubflowNotFound":    ErrSubflowNotFound,
		"net.ErrClosed":         net.ErrClosed,
	}
	// only returns want for the named methods and other for the rest.
	only := func(names []string, want []string, other ...string) func(string) []string {
		return func(m string) []string {
			for _, n := range names {
				if n == m {
					return want
				}
			}
			return other
		}
	}
	always := func(want ...string) func(string) []string { return func(string) []string { return want } }
	notFound := []string{"os.ErrNotExist", "ErrNotFound"}
	subflowNotFound := []string{"os.ErrNotExist", "ErrSubflowNotFound"}
	byID := []string{"Remove", "ConnectionEndpoint"}
	cases := []struct {
		errno syscall.Errno
		msg   string
		want  func(method string) []string
	}{
		// The answers of Linux 6.18 (see the integration tests), and of
		// older kernels where their texts differ.
		{syscall.EINVAL, "userspace PM not selected", always("ErrInKernelPM")},
		{syscall.EINVAL, "invalid request; userspace PM not selected", always("ErrInKernelPM")},
		{syscall.EINVAL, "invalid token", always("os.ErrNotExist", "ErrUnknownToken")},
		{syscall.EINVAL, "address with id 77 not found", only(byID, notFound, "ErrInvalid")},
		{syscall.EINVAL, "address with specified id not found", only(byID, notFound, "ErrInvalid")},
		{syscall.EINVAL, "address not found", only(byID, notFound, "ErrInvalid")},
		{syscall.EINVAL, "subflow not found", only([]string{"SetSubflowBackup"}, subflowNotFound, "ErrInvalid")},
		{syscall.ESRCH, "subflow not found", only([]string{"DestroySubflow"}, subflowNotFound)},
		{syscall.ESRCH, "", only([]string{"DestroySubflow"}, subflowNotFound)},
		{syscall.EINVAL, "did not match address and id", always("os.ErrExist")},
		{syscall.EINVAL, "invalid addr id", always("ErrInvalid")},
		{syscall.EINVAL, "missing local port", always("ErrInvalid")},
		{syscall.EINVAL, "", always("ErrInvalid")},
		{syscall.EADDRNOTAVAIL, "connect error: -99", always()},
		{syscall.EPERM, "", always("os.ErrPermission")},
		// Kernels before 5.19 have no such commands.
		{syscall.EOPNOTSUPP, "", always("errors.ErrUnsupported")},
	}
	for _, m := range usMethods {
		for _, ec := range cases {
			t.Run(fmt.Sprintf("%s/%s/%q", m.name, ec.errno, ec.msg), func(t *testing.T) {
				checkKernelError(t, m.call, ec.errno, ec.msg, ec.want(m.name), targets)
			})
		}
	}
}

func TestLinuxUserspaceErrorText(t *testing.T) {
	for _, tt := range []struct {
		m    usMethod
		msg  string
		want string
	}{
		{usMethods[0], "userspace PM not selected", "pm: announce: userspace PM not selected: invalid argument"},
		{usMethods[1], "address with id 5 not found", "pm: remove address: address with id 5 not found: invalid argument"},
		{usMethods[6], "invalid token", "pm: list connection endpoints: invalid token: invalid argument"},
	} {
		c := dialFake(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
			return nil, &kernelErr{errno: syscall.EINVAL, msg: tt.msg}
		})
		if err := tt.m.call(c); err == nil || err.Error() != tt.want {
			t.Errorf("%s: error %q, want %q", tt.m.name, err, tt.want)
		}
	}
}

func TestLinuxUserspaceClosed(t *testing.T) {
	c := dialFake(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		t.Error("request sent on a closed client")
		return nil, nil
	})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, m := range usMethods {
		if err := m.call(c); !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close = %v, want net.ErrClosed", m.name, err)
		}
	}
}

func TestLinuxUserspaceValidationSendsNothing(t *testing.T) {
	c := dialFake(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		t.Errorf("request sent: command %d", greq.Header.Command)
		return nil, nil
	})
	if err := c.Announce(testToken, Endpoint{Addr: ip1, Flags: FlagSignal}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Announce with id 0 = %v, want ErrInvalid", err)
	}
	if err := c.DestroySubflow(testToken, netip.AddrPortFrom(ip1, 0), ap2); !errors.Is(err, ErrInvalid) {
		t.Errorf("DestroySubflow without port = %v, want ErrInvalid", err)
	}
}
