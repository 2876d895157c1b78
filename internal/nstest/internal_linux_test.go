//go:build linux

package nstest

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
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

func TestDoGoexit(t *testing.T) {
	ns := New(t)
	err := ns.Do(func() error { runtime.Goexit(); return nil })
	if err == nil || !strings.Contains(err.Error(), "exited early") {
		t.Errorf("Do of a function that exits the goroutine = %v", err)
	}
}

func TestRemoveStale(t *testing.T) {
	Require(t)
	// A pid that existed a moment ago and, with pids handed out in order,
	// will not be reused during this test.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	if processExists(dead) {
		t.Skipf("pid %d was reused already", dead)
	}
	stale := fmt.Sprintf("%s%d-1", namePrefix, dead)
	keep := []string{
		fmt.Sprintf("%s1-%d", namePrefix, os.Getpid()),      // pid 1 is alive.
		fmt.Sprintf("%s%d-999999", namePrefix, os.Getpid()), // our own.
		fmt.Sprintf("%s%d-1", namePrefix, os.Getppid()),     // the go command.
		fmt.Sprintf("other-%d-1", dead),                     // not ours at all.
	}
	for _, name := range append([]string{stale}, keep...) {
		if _, err := runCmd("ip", "netns", "add", name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { runCmd("ip", "netns", "del", name) })
	}

	removeStale(t.Logf)

	if _, err := os.Stat(netnsDir + "/" + stale); !os.IsNotExist(err) {
		t.Errorf("stale %s not removed: %v", stale, err)
	}
	for _, name := range keep {
		if _, err := os.Stat(netnsDir + "/" + name); err != nil {
			t.Errorf("%s was removed: %v", name, err)
		}
	}
}
