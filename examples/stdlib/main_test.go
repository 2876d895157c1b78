//go:build linux

package main

import (
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestStdlib runs the example in a fresh namespace, with an MPTCP server
// and with -server-tcp. The status lines must agree with the handshake the
// kernel counted: an MP_CAPABLE SYN received by an MPTCP server, or one
// answered without MPTCP by a TCP server, which makes the client fall
// back. Both times, the closed port must be connected to twice by the
// standard library and once by mptcp.Dialer: four active opens with the
// echo, three of them MPTCP.
func TestStdlib(t *testing.T) {
	bin := labtest.Build(t)
	for _, tc := range []struct {
		name     string
		args     []string
		lines    []string
		counters map[string]uint64
	}{{
		name: "mptcp server",
		lines: []string{
			`^client: MultipathTCP\(\) true, StatusOf mptcp, SO_PROTOCOL 262 \(IPPROTO_MPTCP\)$`,
			`^server: MultipathTCP\(\) true, StatusOf mptcp, SO_PROTOCOL 262 \(IPPROTO_MPTCP\)$`,
			`^  InfoOf: token [0-9a-f]{8}, 1 subflow\(s\), 5 bytes sent, 5 received$`,
			`^  subflow 1: 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ ESTABLISHED$`,
		},
		counters: map[string]uint64{"MPTcpExtMPCapableSYNRX": 1, "MPTcpExtMPCapableSYNACKRX": 1, "MPTcpExtMPCapableFallbackSYNACK": 0},
	}, {
		name: "tcp server",
		args: []string{"-server-tcp"},
		lines: []string{
			`^client: MultipathTCP\(\) false, StatusOf fallback, SO_PROTOCOL 262 \(IPPROTO_MPTCP\)$`,
			`^server: MultipathTCP\(\) false, StatusOf tcp, SO_PROTOCOL 6 \(IPPROTO_TCP\)$`,
			`^  InfoOf: .*fell back to TCP`,
		},
		counters: map[string]uint64{"MPTcpExtMPCapableSYNRX": 0, "MPTcpExtMPCapableFallbackSYNACK": 1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ns := nstest.New(t)
			out := ns.MustRun(t, bin, tc.args...)
			labtest.MustMatch(t, out, append(tc.lines,
				`^echo: "hello" came back$`,
				`^MultipathTCP\(\) and StatusOf agree on both ends$`,
				`^closed port, net\.Dialer with SetMultipathTCP\(true\): sockets tried: IPPROTO_MPTCP, IPPROTO_TCP$`,
				`^closed port, mptcp\.Dialer: sockets tried: IPPROTO_MPTCP$`,
			)...)
			tc.counters["TcpActiveOpens"] = 4
			tc.counters["MPTcpExtMPCapableSYNTX"] = 3
			labtest.WantCounters(t, ns, out, tc.counters)
		})
	}
}
