package pm

import (
	"errors"
	"math"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestUserspaceSentinels(t *testing.T) {
	for _, tt := range []struct {
		name     string
		err      error
		notExist bool
	}{
		{"ErrInKernelPM", ErrInKernelPM, false},
		{"ErrUnknownToken", ErrUnknownToken, true},
		{"ErrSubflowNotFound", ErrSubflowNotFound, true},
	} {
		if got := errors.Is(tt.err, os.ErrNotExist); got != tt.notExist {
			t.Errorf("errors.Is(%s, os.ErrNotExist) = %v, want %v", tt.name, got, tt.notExist)
		}
		if errors.Is(tt.err, ErrInvalid) || errors.Is(tt.err, ErrNotFound) {
			t.Errorf("%s matches ErrInvalid or ErrNotFound", tt.name)
		}
		if !strings.HasPrefix(tt.err.Error(), "pm: ") {
			t.Errorf("%s text %q lacks the pm: prefix", tt.name, tt.err)
		}
	}
}

// TestUserspaceValidation runs on every system: a zero Client returns
// net.ErrClosed for input that passes validation.
func TestUserspaceValidation(t *testing.T) {
	a4, b4 := netip.MustParseAddr("198.18.1.1"), netip.MustParseAddr("198.18.2.2")
	a6 := netip.MustParseAddr("2001:db8::1")
	mapped := netip.MustParseAddr("::ffff:198.18.2.2")
	ap := func(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }
	var c Client
	// Beyond an s32 on 64-bit systems; negative once converted on 32-bit
	// ones: refused either way.
	var tooBig int64 = math.MaxInt32 + 1
	tests := []struct {
		name  string
		call  func() error
		field string // "" when the input is valid
	}{
		{"Announce", func() error { return c.Announce(1, Endpoint{ID: 1, Addr: a4, Flags: FlagSignal}) }, ""},
		{"Announce all", func() error {
			return c.Announce(1, Endpoint{ID: 255, Addr: a6, Port: 1, Interface: math.MaxInt32, Flags: FlagSignal | FlagBackup})
		}, ""},
		{"Announce id 0", func() error { return c.Announce(1, Endpoint{Addr: a4, Flags: FlagSignal}) }, "Endpoint.ID"},
		{"Announce no signal", func() error { return c.Announce(1, Endpoint{ID: 1, Addr: a4}) }, "Endpoint.Flags"},
		{"Announce backup only", func() error { return c.Announce(1, Endpoint{ID: 1, Addr: a4, Flags: FlagBackup}) }, "Endpoint.Flags"},
		{"Announce subflow", func() error {
			return c.Announce(1, Endpoint{ID: 1, Addr: a4, Flags: FlagSignal | FlagSubflow})
		}, "Endpoint.Flags"},
		{"Announce no address", func() error { return c.Announce(1, Endpoint{ID: 1, Flags: FlagSignal}) }, "Endpoint.Addr"},
		{"Announce unspecified", func() error {
			return c.Announce(1, Endpoint{ID: 1, Addr: netip.IPv4Unspecified(), Flags: FlagSignal})
		}, "Endpoint.Addr"},
		{"Announce bad interface", func() error {
			return c.Announce(1, Endpoint{ID: 1, Addr: a4, Interface: -1, Flags: FlagSignal})
		}, "Endpoint.Interface"},
		{"Remove 0", func() error { return c.Remove(1, 0) }, ""},
		{"CreateSubflow", func() error { return c.CreateSubflow(1, Endpoint{ID: 2, Addr: a4}, ap(b4, 80)) }, ""},
		{"CreateSubflow id 0 backup", func() error {
			return c.CreateSubflow(1, Endpoint{Addr: a4, Port: 9, Flags: FlagSubflow | FlagBackup, Interface: 3}, ap(mapped, 80))
		}, ""},
		{"CreateSubflow signal", func() error {
			return c.CreateSubflow(1, Endpoint{ID: 2, Addr: a4, Flags: FlagSignal}, ap(b4, 80))
		}, "Endpoint.Flags"},
		{"CreateSubflow fullmesh", func() error {
			return c.CreateSubflow(1, Endpoint{ID: 2, Addr: a4, Flags: FlagFullmesh}, ap(b4, 80))
		}, "Endpoint.Flags"},
		{"CreateSubflow zone", func() error {
			return c.CreateSubflow(1, Endpoint{ID: 2, Addr: a6.WithZone("eth0")}, ap(a6, 80))
		}, "Endpoint.Addr"},
		{"CreateSubflow no remote port", func() error { return c.CreateSubflow(1, Endpoint{ID: 2, Addr: a4}, ap(b4, 0)) }, "remote"},
		{"CreateSubflow no remote", func() error { return c.CreateSubflow(1, Endpoint{ID: 2, Addr: a4}, netip.AddrPort{}) }, "remote"},
		{"CreateSubflow families", func() error { return c.CreateSubflow(1, Endpoint{ID: 2, Addr: a4}, ap(a6, 80)) }, "remote"},
		{"CreateSubflow bad interface", func() error {
			return c.CreateSubflow(1, Endpoint{ID: 2, Addr: a4, Interface: int(tooBig)}, ap(b4, 80))
		}, "Endpoint.Interface"},
		{"DestroySubflow", func() error { return c.DestroySubflow(1, ap(a4, 1), ap(mapped, 2)) }, ""},
		{"DestroySubflow no local port", func() error { return c.DestroySubflow(1, ap(a4, 0), ap(b4, 2)) }, "local"},
		{"DestroySubflow no remote port", func() error { return c.DestroySubflow(1, ap(a4, 1), ap(b4, 0)) }, "remote"},
		{"DestroySubflow multicast", func() error {
			return c.DestroySubflow(1, ap(a4, 1), ap(netip.MustParseAddr("224.0.0.1"), 2))
		}, "remote"},
		{"DestroySubflow families", func() error { return c.DestroySubflow(1, ap(a6, 1), ap(b4, 2)) }, "remote"},
		{"SetSubflowBackup", func() error { return c.SetSubflowBackup(1, ap(a4, 1), ap(b4, 2), true) }, ""},
		{"SetSubflowBackup any port", func() error { return c.SetSubflowBackup(1, ap(a4, 0), ap(b4, 0), false) }, ""},
		{"SetSubflowBackup no local", func() error { return c.SetSubflowBackup(1, netip.AddrPort{}, ap(b4, 0), true) }, "local"},
		{"SetSubflowBackup families", func() error { return c.SetSubflowBackup(1, ap(a4, 0), ap(a6, 0), true) }, "remote"},
		{"ConnectionEndpoint 0", func() error { _, err := c.ConnectionEndpoint(1, 0); return err }, ""},
		{"ConnectionEndpoints", func() error { _, err := c.ConnectionEndpoints(1); return err }, ""},
	}
	for _, tt := range tests {
		err := tt.call()
		if tt.field == "" {
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("%s: %v, want net.ErrClosed (input valid)", tt.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want a ValidationError of %s", tt.name, err, tt.field)
		}
	}
}

func TestUserspaceUnsupported(t *testing.T) {
	if runtime.GOOS == "linux" {
		t.Skip("the stubs are for systems other than Linux")
	}
	// Dial never returns a Client off Linux; this one holds the stub.
	c := &Client{c: &client{}}
	a := netip.MustParseAddrPort("198.18.1.1:1")
	for name, err := range map[string]error{
		"Announce":         c.Announce(1, Endpoint{ID: 1, Addr: a.Addr(), Flags: FlagSignal}),
		"Remove":           c.Remove(1, 1),
		"CreateSubflow":    c.CreateSubflow(1, Endpoint{ID: 1, Addr: a.Addr()}, a),
		"DestroySubflow":   c.DestroySubflow(1, a, a),
		"SetSubflowBackup": c.SetSubflowBackup(1, a, a, true),
		"ConnectionEndpoint": func() error {
			_, err := c.ConnectionEndpoint(1, 1)
			return err
		}(),
		"ConnectionEndpoints": func() error {
			_, err := c.ConnectionEndpoints(1)
			return err
		}(),
	} {
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), runtime.GOOS) {
			t.Errorf("%s = %v, want an error matching errors.ErrUnsupported naming %s", name, err, runtime.GOOS)
		}
	}
}
