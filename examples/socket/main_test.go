//go:build linux

package main

import (
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestSocketMPTCP runs the example in a fresh namespace, where MPTCP is
// enabled, and checks from the namespace's counters that its one
// connection sent an MP_CAPABLE SYN and was answered with one.
func TestSocketMPTCP(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	out := ns.MustRun(t, bin)
	labtest.MustMatch(t, out,
		`^MPTCP socket: created$`,
		`^connected with SO_PROTOCOL 262 \(IPPROTO_MPTCP\)$`,
		`^echo: "hello over IPPROTO_MPTCP" came back$`,
	)
	labtest.WantCounters(t, ns, out, map[string]uint64{
		"MPTcpExtMPCapableSYNTX":    1,
		"MPTcpExtMPCapableSYNACKRX": 1,
		"TcpActiveOpens":            1,
	})
}

// TestSocketDisabled runs the example where net.mptcp.enabled is 0: the
// MPTCP socket must be refused with ENOPROTOOPT, and the TCP socket that
// replaces it must carry the echo without any MPTCP option on the wire.
func TestSocketDisabled(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	ns.Sysctl(t, "net.mptcp.enabled", "0")
	out := ns.MustRun(t, bin)
	labtest.MustMatch(t, out,
		`^MPTCP socket: refused with ENOPROTOOPT \(errno 92\): disabled by sysctl net\.mptcp\.enabled=0$`,
		`^falling back to a plain TCP socket$`,
		`^connected with SO_PROTOCOL 6 \(IPPROTO_TCP\)$`,
		`^echo: "hello over IPPROTO_TCP" came back$`,
	)
	labtest.WantCounters(t, ns, out, map[string]uint64{
		"MPTcpExtMPCapableSYNTX": 0,
		"TcpActiveOpens":         1,
	})
}
