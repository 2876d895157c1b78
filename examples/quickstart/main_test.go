package main

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

func TestQuickstartMPTCP(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("MPTCP needs Linux")
	}
	bin := labtest.Build(t)
	ns := nstest.New(t)
	out := ns.MustRun(t, bin, "-size", "1048576")
	labtest.MustMatch(t, out,
		`^MPTCP available: yes$`,
		`^client sent 1048576 bytes, server received 1048576, sha256 intact$`,
		`^client: mptcp \(using Multipath TCP\)$`,
		`^server: mptcp \(using Multipath TCP\)$`,
		`^  MPTCP_INFO \(96 bytes\): token [0-9a-f]{8}, subflows 1 \(extra 0\)`,
		`^  bytes sent 1048576, received 0, acked 104857[67]`,
		`^  bytes sent 0, received 1048576, acked 0`,
		`^  subflow 1: 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ ESTABLISHED, rtt `,
	)
	if n := strings.Count(out, "  subflow "); n != 2 {
		t.Errorf("%d subflow lines, want one per side:\n%s", n, out)
	}
}

func TestQuickstartDisabled(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("MPTCP needs Linux")
	}
	bin := labtest.Build(t)
	ns := nstest.New(t)
	ns.Sysctl(t, "net.mptcp.enabled", "0")
	out := ns.MustRun(t, bin, "-size", "65536")
	labtest.MustMatch(t, out,
		`^MPTCP available: no, disabled by sysctl net\.mptcp\.enabled=0 \(protocol not available\)$`,
		`^Continuing with the default policy, which falls back to plain TCP\.$`,
		`^client sent 65536 bytes, server received 65536, sha256 intact$`,
		`^client: tcp \(plain TCP socket\)$`,
		`^server: tcp \(plain TCP socket\)$`,
	)
	if strings.Contains(out, "MPTCP_INFO") {
		t.Errorf("MPTCP_INFO printed for a TCP connection:\n%s", out)
	}
}

// TestQuickstartBadFlags checks that bad command lines are refused with a
// message naming the problem, before anything is built, and that no
// namespace is left behind.
func TestQuickstartBadFlags(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("MPTCP needs Linux")
	}
	bin := labtest.Build(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-size", "-1"}, "-size -1: want 1 to 1073741824 bytes"},
		{[]string{"-size", "0"}, "-size 0: want 1"},
		{[]string{"-size", "99999999999999"}, "want 1 to 1073741824"},
		{[]string{"-two-paths", "-size", "-1"}, "-size -1: want 1"},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
		{[]string{"-rate", "1mbit"}, "-rate needs -two-paths"},
		{[]string{"-two-paths", "-addr", "10.0.0.1:0"}, "-addr does not go with -two-paths"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		r := labtest.Run(t, bin, tt.args...)
		if r.Code == 0 || !strings.Contains(r.Stderr, tt.want) || strings.Contains(r.Stderr, "panic") {
			t.Errorf("%q: want a failure saying %q\n%v", tt.args, tt.want, r)
		}
		// The two-path mode names its namespaces after its pid.
		if left := labtest.Run(t, "ip", "netns", "list").Stdout; strings.Contains(left, fmt.Sprintf("-%d-", r.Pid)) {
			t.Errorf("%q left namespaces behind:\n%s", tt.args, left)
		}
	}
}
