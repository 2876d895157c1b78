package pm

import (
	"errors"
	"math"
	"net/netip"
	"os"
	"syscall"
	"testing"
)

func TestFlagsString(t *testing.T) {
	for _, tt := range []struct {
		f    Flags
		want string
	}{
		{0, ""},
		{FlagSignal, "signal"},
		{FlagSubflow | FlagBackup, "subflow backup"},
		{FlagFullmesh | FlagBackup | FlagSubflow, "subflow backup fullmesh"},
		{FlagSignal | FlagBackup, "signal backup"},
		{FlagImplicit, "implicit"},
		{FlagLaminar | FlagSubflow, "subflow laminar"},
		{knownFlags, "signal subflow backup fullmesh implicit laminar"},
		{FlagSignal | 0x40, "signal rawflags 40"},
		{0x80000000 | 0x40, "rawflags 80000040"},
		{0x100, "rawflags 100"},
	} {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint32(tt.f), got, tt.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want Flags
	}{
		{"", 0},
		{"  ", 0},
		{"signal", FlagSignal},
		{"subflow backup", FlagSubflow | FlagBackup},
		{"signal,backup", FlagSignal | FlagBackup}, // pm_nl_ctl's spelling
		{"Fullmesh  SUBFLOW", FlagSubflow | FlagFullmesh},
		{"laminar implicit", FlagLaminar | FlagImplicit},
		{"signal 0x40", FlagSignal | 0x40},
		{"signal rawflags 40", FlagSignal | 0x40},
		{"RAWFLAGS 80000040", 0x80000040},
		{"backup backup", FlagBackup},
	} {
		got, err := ParseFlags(tt.s)
		if err != nil || got != tt.want {
			t.Errorf("ParseFlags(%q) = %v, %v; want %v", tt.s, got, err, tt.want)
		}
	}
	for _, bad := range []string{"nobackup", "nofullmesh", "signals", "0x", "0x0", "0xzz", "rawflags", "rawflags zz", "rawflags 0", "rawflags 0x40", "1", "0x100000000"} {
		_, err := ParseFlags(bad)
		var ve *ValidationError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Field != "flags" {
			t.Errorf("ParseFlags(%q) = %v, want a ValidationError of flags", bad, err)
		}
	}
	for f := range Flags(1 << 8) {
		if got, err := ParseFlags(f.String()); err != nil || got != f {
			t.Errorf("ParseFlags(%q) = %v, %v; want %#x", f.String(), got, err, uint32(f))
		}
	}
}

// tooBig is an ifindex above the kernel's s32 (negative on 32-bit
// systems, also invalid).
var tooBig = func() int { v := int64(math.MaxInt32); v++; return int(v) }()

func TestValidateAdd(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.1")
	for _, ep := range []Endpoint{
		{Addr: a},
		{ID: 255, Addr: netip.MustParseAddr("2001:db8::1"), Flags: FlagSubflow | FlagBackup | FlagFullmesh | FlagLaminar, Interface: math.MaxInt32},
		{Addr: a, Port: 1, Flags: FlagSignal | FlagBackup | FlagLaminar},
		{Addr: netip.MustParseAddr("::ffff:192.0.2.1")},
		{Addr: netip.MustParseAddr("127.0.0.1")},
		{Addr: netip.MustParseAddr("fe80::1"), Interface: 2},
	} {
		if err := ep.validateAdd(); err != nil {
			t.Errorf("validateAdd(%+v) = %v", ep, err)
		}
	}
	for _, tt := range []struct {
		ep    Endpoint
		field string
	}{
		{Endpoint{}, "Endpoint.Addr"},
		{Endpoint{Addr: netip.MustParseAddr("0.0.0.0")}, "Endpoint.Addr"},
		{Endpoint{Addr: netip.MustParseAddr("::")}, "Endpoint.Addr"},
		{Endpoint{Addr: netip.MustParseAddr("::ffff:0.0.0.0")}, "Endpoint.Addr"},
		{Endpoint{Addr: netip.MustParseAddr("239.1.1.1")}, "Endpoint.Addr"},
		{Endpoint{Addr: netip.MustParseAddr("::ffff:239.1.1.1")}, "Endpoint.Addr"},
		{Endpoint{Addr: netip.MustParseAddr("ff05::2")}, "Endpoint.Addr"},
		{Endpoint{Addr: netip.MustParseAddr("255.255.255.255")}, "Endpoint.Addr"},
		{Endpoint{Addr: netip.MustParseAddr("fe80::1%eth0")}, "Endpoint.Addr"},
		{Endpoint{Addr: a, Flags: 0x40}, "Endpoint.Flags"},
		{Endpoint{Addr: a, Flags: FlagImplicit}, "Endpoint.Flags"},
		{Endpoint{Addr: a, Flags: FlagSignal | FlagFullmesh}, "Endpoint.Flags"},
		{Endpoint{Addr: a, Port: 80}, "Endpoint.Port"},
		{Endpoint{Addr: a, Port: 80, Flags: FlagSubflow}, "Endpoint.Port"},
		{Endpoint{Addr: a, Port: 80, Flags: FlagSignal | FlagSubflow}, "Endpoint.Port"},
		{Endpoint{Addr: a, Interface: -1}, "Endpoint.Interface"},
		{Endpoint{Addr: a, Interface: tooBig}, "Endpoint.Interface"},
	} {
		err := tt.ep.validateAdd()
		var ve *ValidationError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Field != tt.field {
			t.Errorf("validateAdd(%+v) = %v, want a ValidationError of %s", tt.ep, err, tt.field)
		}
	}
}

func TestValidateLimits(t *testing.T) {
	v := func(n uint32) *uint32 { return &n }
	for _, u := range []LimitsUpdate{{}, {Subflows: v(0)}, {Subflows: v(255), AddAddrAccepted: v(255)}, {AddAddrAccepted: v(9)}} {
		if err := u.validate(); err != nil {
			t.Errorf("validate(%+v) = %v", u, err)
		}
	}
	for _, tt := range []struct {
		u     LimitsUpdate
		field string
	}{
		{LimitsUpdate{Subflows: v(256)}, "LimitsUpdate.Subflows"},
		{LimitsUpdate{AddAddrAccepted: v(math.MaxUint32)}, "LimitsUpdate.AddAddrAccepted"},
	} {
		err := tt.u.validate()
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("validate = %v, want a ValidationError of %s", err, tt.field)
		}
	}
}

func TestValidateConfig(t *testing.T) {
	for _, cfg := range []Config{{NetNS: -1}, {NetNS: 3, NetNSPath: "/run/netns/x"}} {
		if err := cfg.validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("validate(%+v) = %v, want ErrInvalid", cfg, err)
		}
	}
	if _, err := Dial(&Config{NetNS: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Dial with NetNS -1 = %v, want ErrInvalid", err)
	}
}

func TestErrorIs(t *testing.T) {
	for _, tt := range []struct {
		err     *Error
		is, not []error
	}{
		{&Error{Err: syscall.EEXIST}, []error{os.ErrExist, syscall.EEXIST}, []error{ErrInvalid, ErrNotFound}},
		{&Error{Err: syscall.EPERM}, []error{os.ErrPermission}, []error{ErrInvalid}},
		{&Error{Err: syscall.EOPNOTSUPP}, []error{errors.ErrUnsupported}, []error{ErrInvalid}},
		{&Error{Err: syscall.EINVAL, Message: "x"}, []error{ErrInvalid, syscall.EINVAL}, []error{ErrNotFound, os.ErrNotExist}},
		{&Error{Err: syscall.EINVAL, match: ErrNotFound}, []error{ErrNotFound, os.ErrNotExist, syscall.EINVAL}, []error{ErrInvalid}},
		{&Error{Err: syscall.EBUSY, match: os.ErrExist}, []error{os.ErrExist, syscall.EBUSY}, []error{ErrInvalid}},
	} {
		for _, target := range tt.is {
			if !errors.Is(tt.err, target) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, target)
			}
		}
		for _, target := range tt.not {
			if errors.Is(tt.err, target) {
				t.Errorf("errors.Is(%v, %v) = true", tt.err, target)
			}
		}
	}
	if !errors.Is(ErrNotFound, os.ErrNotExist) || !errors.Is(ErrNoFamily, os.ErrNotExist) {
		t.Error("ErrNotFound or ErrNoFamily does not match os.ErrNotExist")
	}
	if errors.Is(ErrNotFound, ErrNoFamily) || errors.Is(ErrInvalid, os.ErrInvalid) {
		t.Error("sentinels match each other")
	}
	if got, want := (&Error{Err: syscall.EINVAL}).Error(), "pm: invalid argument"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	ve := &ValidationError{Field: "Endpoint.Flags", Value: FlagSignal | FlagFullmesh, Reason: "no"}
	if got, want := ve.Error(), "pm: invalid Endpoint.Flags (signal fullmesh): no"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
