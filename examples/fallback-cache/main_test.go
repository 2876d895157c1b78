//go:build linux

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestCacheAvailable: where MPTCP works, one probe and then every
// connection is MPTCP, as the kernel's MP_CAPABLE count confirms.
func TestCacheAvailable(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	out := ns.MustRun(t, bin, "-n", "4")
	labtest.MustMatch(t, out,
		`^dial 1: asked the kernel: MPTCP available$`,
		`^dial 4: IPPROTO_MPTCP, echo ok$`,
		`^MPTCP sockets asked for in 4 dials: 5 \(Available probes 1, MPTCP dials 4\)$`,
	)
	if n := strings.Count(out, "IPPROTO_MPTCP, echo ok"); n != 4 {
		t.Errorf("%d MPTCP dials, want 4\n%s", n, out)
	}
	labtest.WantCounters(t, ns, out, map[string]uint64{"MPTcpExtMPCapableSYNTX": 4, "TcpActiveOpens": 4})
}

// TestCacheRemembers: with net.mptcp.enabled=0 only the first dial asks
// for an MPTCP socket; all connections are TCP, no MP_CAPABLE SYN leaves.
func TestCacheRemembers(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	ns.Sysctl(t, "net.mptcp.enabled", "0")
	out := ns.MustRun(t, bin, "-n", "6")
	labtest.MustMatch(t, out,
		`^dial 1: asked the kernel: MPTCP unavailable, disabled by sysctl net\.mptcp\.enabled=0 \(protocol not available\); remembered$`,
		`^MPTCP sockets asked for in 6 dials: 1 \(Available probes 1, MPTCP dials 0\)$`,
	)
	if n := strings.Count(out, "asked the kernel"); n != 1 {
		t.Errorf("asked the kernel %d times, want once\n%s", n, out)
	}
	for i := 1; i <= 6; i++ {
		labtest.MustMatch(t, out, fmt.Sprintf(`^dial %d: IPPROTO_TCP, echo ok$`, i))
	}
	labtest.WantCounters(t, ns, out, map[string]uint64{"MPTcpExtMPCapableSYNTX": 0, "TcpActiveOpens": 6})
}

// TestCacheRecheck enables MPTCP while the example runs with -recheck: the
// next probe finds it, and the dials after it are MPTCP.
func TestCacheRecheck(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	ns.Sysctl(t, "net.mptcp.enabled", "0")
	p := labtest.Start(t, "ip", "netns", "exec", ns.Name, bin, "-n", "12", "-interval", "50ms", "-recheck", "200ms")
	p.WaitLine("dial 2: IPPROTO_TCP")
	ns.Sysctl(t, "net.mptcp.enabled", "1")
	r := p.Wait()
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r)
	}
	out := r.Stdout
	labtest.MustMatch(t, out,
		`^dial 1: asked the kernel: MPTCP unavailable`,
		`^dial \d+: asked the kernel: MPTCP available$`,
		`^dial 12: IPPROTO_MPTCP, echo ok$`,
	)
	n := uint64(strings.Count(out, "IPPROTO_MPTCP, echo ok"))
	if n == 0 || n >= 12 {
		t.Errorf("%d MPTCP dials, want some but not all\n%s", n, out)
	}
	labtest.WantCounters(t, ns, out, map[string]uint64{"MPTcpExtMPCapableSYNTX": n, "TcpActiveOpens": 12})
}
