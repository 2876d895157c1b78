//go:build linux

package netlab

import (
	"net/netip"
	"testing"
)

func TestSysctlPath(t *testing.T) {
	for in, want := range map[string]string{
		"net.mptcp.enabled":                 "/proc/sys/net/mptcp/enabled",
		"net/ipv4/conf/p1.5/rp_filter":      "/proc/sys/net/ipv4/conf/p1.5/rp_filter",
		"net/ipv6/conf/../../../etc/passwd": "/proc/sys/etc/passwd",
	} {
		if got := sysctlPath(in); got != want {
			t.Errorf("sysctlPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInet6Flags(t *testing.T) {
	const ifInet6 = "fe8000000000000024fc84fffe2b3ce3 02 40 20 c0      p1a\n" +
		"20010db8000100000000000000000001 02 40 00 82      p1a\n"
	flags, found, err := inet6Flags([]byte(ifInet6), netip.MustParseAddr("2001:db8:1::1"))
	if err != nil || !found || flags != 0x82 {
		t.Errorf("2001:db8:1::1: flags %#x, found %v, err %v", flags, found, err)
	}
	flags, _, _ = inet6Flags([]byte(ifInet6), netip.MustParseAddr("fe80::24fc:84ff:fe2b:3ce3"))
	if flags&ifaFlagTentative == 0 {
		t.Errorf("link-local flags %#x, want tentative", flags)
	}
	if _, found, _ := inet6Flags([]byte(ifInet6), netip.MustParseAddr("2001:db8:1::2")); found {
		t.Error("2001:db8:1::2 found in a table without it")
	}
}

func TestProcessExists(t *testing.T) {
	if !processExists(1) {
		t.Error("pid 1 does not exist")
	}
	if processExists(1 << 30) { // Above any pid_max.
		t.Error("pid 1<<30 exists")
	}
}
