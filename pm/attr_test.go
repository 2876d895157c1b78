package pm

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/unix"
)

// readHexLines returns the hex lines of a fixture, skipping # comments.
func readHexLines(s string) ([][]byte, error) {
	var out [][]byte
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, sc.Err()
}

// ReadFixtureString parses a fixture of GET_ADDR reply payloads, one hex
// line each; for pm_test.
func ReadFixtureString(s string) ([]Endpoint, error) {
	msgs, err := readHexLines(s)
	if err != nil {
		return nil, err
	}
	var eps []Endpoint
	for i, b := range msgs {
		ep, err := parseEndpointMessage(b)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

// ReadFixture is ReadFixtureString of a file.
func ReadFixture(path string) ([]Endpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ReadFixtureString(string(b))
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loIndex maps the only interface of the fixture's namespace.
func loIndex(name string) (int, error) {
	if name == "lo" {
		return 1, nil
	}
	return 0, fmt.Errorf("unknown interface %q", name)
}

// The dump captured from the kernel parses as what `ip mptcp endpoint
// show` printed for it.
func TestParseEndpointFixtures(t *testing.T) {
	got, err := ReadFixture(filepath.Join("testdata", "endpoints.hex"))
	if err != nil {
		t.Fatal(err)
	}
	var want []Endpoint
	for l := range strings.SplitSeq(strings.TrimSpace(readTestdata(t, "endpoints.ip")), "\n") {
		ep, err := ParseIPShowLine(l, loIndex)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ep)
	}
	if len(want) < 5 {
		t.Fatalf("only %d endpoints in the fixture", len(want))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed\n%+v\nip printed\n%+v", got, want)
	}
	// Spot checks of the byte orders: the port (host order) and the
	// IPv4 address (network order).
	var port, mapped bool
	for _, ep := range got {
		port = port || ep == Endpoint{ID: 4, Addr: netip.MustParseAddr("127.0.0.1"), Port: 10100, Flags: FlagSignal}
		mapped = mapped || ep.Addr == netip.MustParseAddr("::ffff:10.0.1.6")
	}
	if !port || !mapped {
		t.Errorf("fixture lacks the port endpoint (%v) or the IPv4-mapped one (%v)", port, mapped)
	}
}

func TestParseLimitsFixture(t *testing.T) {
	msgs, err := readHexLines(readTestdata(t, "limits.hex"))
	if err != nil || len(msgs) != 1 {
		t.Fatalf("limits.hex: %d records, %v", len(msgs), err)
	}
	got, err := parseLimits(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseIPLimits(readTestdata(t, "limits.ip"))
	if err != nil {
		t.Fatal(err)
	}
	if got != want || got != (Limits{Subflows: 3, AddAddrAccepted: 4}) {
		t.Errorf("parsed %+v, ip printed %+v", got, want)
	}
}

// encodeEndpointMessage is the inverse of parseEndpointMessage.
func encodeEndpointMessage(t testing.TB, ep Endpoint) []byte {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.MPTCP_PM_ATTR_ADDR, encodeEndpoint(ep, true))
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEndpointErrors(t *testing.T) {
	enc := func(as ...netlink.Attribute) []byte {
		b, err := netlink.MarshalAttributes([]netlink.Attribute{{
			Type: unix.MPTCP_PM_ATTR_ADDR | netlink.Nested,
			Data: func() []byte { b, _ := netlink.MarshalAttributes(as); return b }(),
		}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	fam := func(f uint16) netlink.Attribute {
		return netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_FAMILY, Data: binary.NativeEndian.AppendUint16(nil, f)}
	}
	for name, b := range map[string][]byte{
		"empty": nil,
		"no nest": func() []byte {
			b, _ := netlink.MarshalAttributes([]netlink.Attribute{{Type: unix.MPTCP_PM_ATTR_TOKEN, Data: make([]byte, 4)}})
			return b
		}(),
		"no family":      enc(netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR4, Data: []byte{1, 2, 3, 4}}),
		"bad family":     enc(fam(99), netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR4, Data: []byte{1, 2, 3, 4}}),
		"v4 no address":  enc(fam(2)),
		"v4 short":       enc(fam(2), netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR4, Data: []byte{1, 2, 3}}),
		"v4 with v6":     enc(fam(2), netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR6, Data: make([]byte, 16)}),
		"v6 short":       enc(fam(10), netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR6, Data: make([]byte, 4)}),
		"v6 16 in addr4": enc(fam(2), netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR4, Data: make([]byte, 16)}),
		"short port":     enc(fam(2), netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR4, Data: []byte{1, 2, 3, 4}}, netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_PORT, Data: []byte{1}}),
		"short flags":    enc(fam(2), netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR4, Data: []byte{1, 2, 3, 4}}, netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_FLAGS, Data: []byte{1, 0}}),
		"truncated":      enc(fam(2), netlink.Attribute{Type: unix.MPTCP_PM_ADDR_ATTR_ADDR4, Data: []byte{1, 2, 3, 4}})[:10],
	} {
		if ep, err := parseEndpointMessage(b); err == nil {
			t.Errorf("%s: parsed as %+v, want an error", name, ep)
		}
	}
}

func TestEndpointRoundTrip(t *testing.T) {
	for _, ep := range []Endpoint{
		{ID: 1, Addr: netip.MustParseAddr("10.0.1.1")},
		{ID: 255, Addr: netip.MustParseAddr("2001:db8::1"), Port: 65535, Flags: FlagSignal | FlagBackup, Interface: 1 << 30},
		{ID: 7, Addr: netip.MustParseAddr("::ffff:192.0.2.1"), Flags: knownFlags},
		{Addr: netip.MustParseAddr("192.0.2.1"), Flags: 0xffffffff, Interface: -5},
	} {
		got, err := parseEndpointMessage(encodeEndpointMessage(t, ep))
		if err != nil || got != ep {
			t.Errorf("round trip of %+v = %+v, %v", ep, got, err)
		}
	}
}

// fixtureSeeds are the captured kernel replies.
func fixtureSeeds(f *testing.F, name string) {
	msgs, err := readHexLines(readTestdata(f, name))
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range msgs {
		f.Add(m)
	}
}

func FuzzParseEndpoint(f *testing.F) {
	fixtureSeeds(f, "endpoints.hex")
	f.Add([]byte{})
	f.Add(encodeEndpointMessage(f, Endpoint{ID: 3, Addr: netip.MustParseAddr("fe80::1"), Interface: 2}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ep, err := parseEndpointMessage(b)
		if err != nil {
			return
		}
		if !ep.Addr.IsValid() || ep.Addr.Zone() != "" {
			t.Fatalf("parsed an unusable address: %+v", ep)
		}
		again, err := parseEndpointMessage(encodeEndpointMessage(t, ep))
		if err != nil || again != ep {
			t.Fatalf("%+v re-encoded parses as %+v, %v", ep, again, err)
		}
	})
}

func FuzzParseLimits(f *testing.F) {
	fixtureSeeds(f, "limits.hex")
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseLimits(b)
		if err != nil {
			return
		}
		ae := netlink.NewAttributeEncoder()
		encodeLimits(ae, LimitsUpdate{Subflows: &l.Subflows, AddAddrAccepted: &l.AddAddrAccepted})
		enc, err := ae.Encode()
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseLimits(enc)
		if err != nil || again != l {
			t.Fatalf("%+v re-encoded parses as %+v, %v", l, again, err)
		}
	})
}

func TestLimitsField(t *testing.T) {
	one := uint32(1)
	both := LimitsUpdate{Subflows: &one, AddAddrAccepted: &one}
	tests := []struct {
		u      LimitsUpdate
		offset int
		want   string
	}{
		{both, 20, "LimitsUpdate.AddAddrAccepted"},
		{both, 28, "LimitsUpdate.Subflows"},
		{both, 36, ""},
		{both, 24, ""},
		{both, 0, ""},
		{both, -8, ""},
		{LimitsUpdate{Subflows: &one}, 20, "LimitsUpdate.Subflows"},
		{LimitsUpdate{AddAddrAccepted: &one}, 20, "LimitsUpdate.AddAddrAccepted"},
		{LimitsUpdate{AddAddrAccepted: &one}, 28, ""},
		{LimitsUpdate{}, 20, ""},
	}
	for _, tt := range tests {
		if got := limitsField(tt.u, tt.offset); got != tt.want {
			t.Errorf("limitsField(%v, %d) = %q, want %q", tt.u, tt.offset, got, tt.want)
		}
	}
}
