package main

import (
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestIsMPTCP runs the example in a fresh namespace, over IPv4 and IPv6,
// and checks each end's verdict (mptcp, mptcp, fallback, tcp), the answers
// of the three calls on this kernel, that the rule, mptcp.StatusOf and the
// standard library agree, and that the kernel's MIB counters in the
// namespace saw the handshakes the verdicts describe: two MP_CAPABLE SYNs
// sent, one received by the MPTCP listener, one MP_CAPABLE SYN-ACK and one
// SYN-ACK without it, which made the client fall back.
func TestIsMPTCP(t *testing.T) {
	nstest.Require(t)
	kernel := labtest.Kernel(t)
	bin := labtest.Build(t)
	for _, tc := range []struct {
		name, flag, infoErr string
	}{{"IPv4", "", "EOPNOTSUPP"}, {"IPv6", "-6", "ENOPROTOOPT"}} {
		t.Run(tc.name, func(t *testing.T) {
			ns := nstest.New(t)
			args := []string{bin}
			if tc.flag != "" {
				args = append(args, tc.flag)
			}
			out := ns.MustRun(t, args[0], args[1:]...)
			blocks := strings.Split(strings.TrimSpace(out), "\n")
			if len(blocks) != 4*6 {
				t.Fatalf("%d lines, want 4 blocks of 6\n%s", len(blocks), out)
			}
			for i, want := range []struct {
				status, isMPTCP, info, proto, std string
			}{
				{"mptcp", "1", "ok", "262 \\(IPPROTO_MPTCP\\)", "true"},
				{"mptcp", "1", "ok", "262 \\(IPPROTO_MPTCP\\)", "true"},
				{"fallback", "0", tc.infoErr, "262 \\(IPPROTO_MPTCP\\)", "false"},
				{"tcp", "0", tc.infoErr, "6 \\(IPPROTO_TCP\\)", "false"},
			} {
				block := strings.Join(blocks[6*i:6*i+6], "\n")
				labtest.MustMatch(t, block,
					`^  getsockopt\(SOL_SOCKET, SO_PROTOCOL\)  `+want.proto+`$`,
					`^  rule: `+want.status+`, decided by `,
					`^  mptcp\.StatusOf `+want.status+`, net\.TCPConn\.MultipathTCP `+want.std+`: agree$`,
				)
				if kernel >= 610 { // TCP_IS_MPTCP decides
					labtest.MustMatch(t, block,
						`^  getsockopt\(SOL_TCP, TCP_IS_MPTCP\)    `+want.isMPTCP+`$`,
						`^  getsockopt\(SOL_MPTCP, MPTCP_INFO\)    `+want.info+`$`,
						`^  rule: `+want.status+`, decided by TCP_IS_MPTCP = `+want.isMPTCP,
					)
				}
			}
			for name, want := range map[string]uint64{
				"MPTcpExtMPCapableSYNTX":          2,
				"MPTcpExtMPCapableSYNRX":          1,
				"MPTcpExtMPCapableSYNACKRX":       1,
				"MPTcpExtMPCapableFallbackSYNACK": 1,
			} {
				if got := ns.Counter(t, name); got != want {
					t.Errorf("%s = %d, want %d", name, got, want)
				}
			}
		})
	}
}
