//go:build linux

package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

const (
	yes = "Your connection uses MPTCP."
	no  = "Your connection does not use MPTCP: plain TCP."
)

// clientLine is the client's report of its own socket.
var clientLine = regexp.MustCompile(`client socket SO_PROTOCOL (\d+) `)

// TestCheckServer runs the server in a namespace, asks it with the
// example's MPTCP and TCP clients and with curl, and checks each answer
// against the protocol of the client's socket, the server's log and the
// namespace's count of MP_CAPABLE SYNs received.
func TestCheckServer(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	srv := labtest.Start(t, "ip", "netns", "exec", ns.Name, bin, "-listen", "127.0.0.1:0")
	url := strings.TrimPrefix(srv.WaitLine("listening on "), "listening on ")

	for _, tc := range []struct {
		args   []string
		proto  string
		answer string
	}{
		{args: []string{"-get", url}, proto: "262", answer: yes},
		{args: []string{"-get", url, "-tcp"}, proto: "6", answer: no},
	} {
		out := ns.MustRun(t, bin, tc.args...)
		m := clientLine.FindStringSubmatch(out)
		if m == nil || m[1] != tc.proto {
			t.Errorf("%v: client socket protocol %v, want %s\n%s", tc.args, m, tc.proto, out)
		}
		labtest.MustMatch(t, out, `^  server says: `+regexp.QuoteMeta(tc.answer)+`$`)
	}
	// curl 7.88 has no --mptcp: a plain TCP client.
	if got := strings.TrimSpace(ns.MustRun(t, "curl", "-sS", url)); got != no {
		t.Errorf("curl got %q, want %q", got, no)
	}

	srv.Interrupt()
	r := srv.Wait()
	if r.Code != 0 {
		t.Fatalf("server: %s", r)
	}
	labtest.MustMatch(t, r.Stdout, `^connection from 127\.0\.0\.1:\d+: mptcp$`)
	if n := len(regexp.MustCompile(`(?m)^connection from 127\.0\.0\.1:\d+: tcp$`).FindAllString(r.Stdout, -1)); n != 2 {
		t.Errorf("%d plain TCP connections in the server's log, want 2\n%s", n, r.Stdout)
	}
	// One MPTCP client of three.
	labtest.WantCounters(t, ns, r.Stdout, map[string]uint64{"MPTcpExtMPCapableSYNRX": 1, "TcpPassiveOpens": 3})
}

// TestCheckServerDemo checks the demonstration's two answers.
func TestCheckServerDemo(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	out := ns.MustRun(t, bin)
	labtest.MustMatch(t, out,
		`^MPTCP client \(mptcp\.Dialer\): client socket SO_PROTOCOL 262 \(IPPROTO_MPTCP\)\n  server says: `+regexp.QuoteMeta(yes)+`$`,
		`^TCP client \(net\.Dialer\): client socket SO_PROTOCOL 6 \(IPPROTO_TCP\)\n  server says: `+regexp.QuoteMeta(no)+`$`,
	)
	labtest.WantCounters(t, ns, out, map[string]uint64{"MPTcpExtMPCapableSYNRX": 1, "TcpPassiveOpens": 2})
}
