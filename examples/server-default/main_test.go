//go:build linux

package main

import (
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestServerDefault: one MPTCP listener accepts an MPTCP socket for the
// MPTCP client and a plain TCP socket for the TCP client; the kernel
// counted two passive opens and one MP_CAPABLE SYN received.
func TestServerDefault(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	out := ns.MustRun(t, bin)
	labtest.MustMatch(t, out,
		`^listener \(mptcp\.ListenConfig\): SO_PROTOCOL 262 \(IPPROTO_MPTCP\)$`,
		`^MPTCP client \(mptcp\.Dialer\):\n  accepted socket: StatusOf mptcp, SO_PROTOCOL 262 \(IPPROTO_MPTCP\), echo ok$`,
		`^TCP client \(net\.Dialer, SetMultipathTCP\(false\)\):\n  accepted socket: StatusOf tcp, SO_PROTOCOL 6 \(IPPROTO_TCP\), echo ok$`,
	)
	labtest.WantCounters(t, ns, out, map[string]uint64{
		"TcpPassiveOpens":              2,
		"MPTcpExtMPCapableSYNRX":       1,
		"MPTcpExtMPCapableSYNTX":       1,
		"MPTcpExtMPCapableACKRX":       1,
		"MPTcpExtMPCapableFallbackACK": 0,
	})
}
