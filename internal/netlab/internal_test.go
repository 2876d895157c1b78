package netlab

import (
	"net/netip"
	"testing"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64 // bytes per second
	}{
		{"20mbit", 2.5e6},
		{"20Mbit", 2.5e6},
		{"1.5gbit", 187.5e6},
		{"512kbit", 64e3},
		{"1mibit", 1 << 17},
		{"8000", 1000}, // A bare number is bits per second.
		{"1mbps", 1e6}, // bps is bytes, whatever the case.
		{"2KiBps", 2048},
	} {
		got, err := parseRate(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "mbit", "20 mbit", "20furlongs", "-5mbit", "0mbit"} {
		if got, err := parseRate(bad); err == nil {
			t.Errorf("parseRate(%q) = %v, want an error", bad, got)
		}
	}
}

func TestTBFBurst(t *testing.T) {
	for _, tc := range []struct {
		bytesPerSec float64
		want        int
	}{
		{125e3, 16 << 10},   // 1mbit: the floor.
		{2.5e6, 16 << 10},   // 20mbit: 10000 bytes per tick, still the floor.
		{125e6, 500000},     // 1gbit: one tick.
		{4096 * 250, 16384}, // exactly the floor.
	} {
		if got := tbfBurst(tc.bytesPerSec); got != tc.want {
			t.Errorf("tbfBurst(%v) = %d, want %d", tc.bytesPerSec, got, tc.want)
		}
	}
}

func TestPathAddrs(t *testing.T) {
	a4, b4, a6, b6 := pathAddrs(1)
	want := []string{"198.18.1.1", "198.18.1.2", "2001:db8:1::1", "2001:db8:1::2"}
	for i, got := range []netip.Addr{a4, b4, a6, b6} {
		if got.String() != want[i] {
			t.Errorf("pathAddrs(1)[%d] = %v, want %s", i, got, want[i])
		}
	}
	if _, _, a6, _ := pathAddrs(255); a6.String() != "2001:db8:255::1" {
		t.Errorf("pathAddrs(255) A6 = %v", a6)
	}
}

func TestFindCounter(t *testing.T) {
	const snmp = "Tcp: RtoAlgorithm MaxConn ActiveOpens\n" +
		"Tcp: 1 -1 7\n" +
		"TcpExt: SyncookiesSent ActiveOpens\n" +
		"TcpExt: 3 99\n"
	for _, tc := range []struct {
		name  string
		want  uint64
		found bool
	}{
		{"TcpActiveOpens", 7, true},
		{"TcpExtActiveOpens", 99, true}, // Not shadowed by the shorter prefix.
		{"TcpExtSyncookiesSent", 3, true},
		{"TcpNoSuchThing", 0, false},
		{"ActiveOpens", 0, false}, // The prefix is part of the name.
	} {
		got, found, err := findCounter([]byte(snmp), tc.name)
		if err != nil || got != tc.want || found != tc.found {
			t.Errorf("findCounter(%q) = %d, %v, %v; want %d, %v", tc.name, got, found, err, tc.want, tc.found)
		}
	}
	if _, _, err := findCounter([]byte(snmp), "TcpMaxConn"); err == nil {
		t.Error("findCounter(TcpMaxConn) of -1 gave no error")
	}
	for _, bad := range []string{"Tcp: A B\n", "Tcp: A B\nTcp: 1\n", "Tcp: A\nUdp: 1\n"} {
		if _, _, err := findCounter([]byte(bad), "TcpA"); err == nil {
			t.Errorf("findCounter(%q) gave no error", bad)
		}
	}
}
