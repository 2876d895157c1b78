package main

import (
	"net/netip"
	"regexp"
	"strconv"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// wantLen returns the bytes of struct mptcp_info a kernel of version v
// (major*100+minor) returns.
func wantLen(v int) int {
	switch {
	case v >= 610:
		return 96
	case v >= 608:
		return 88
	case v >= 605:
		return 80
	}
	return 48
}

var (
	clientLine = regexp.MustCompile(`(?m)^client (\S+) wrote (\d+) bytes, server (\S+) read them$`)
	lenLine    = regexp.MustCompile(`(?m)^client: MPTCP_INFO, (\d+) bytes$`)
	tokenLine  = regexp.MustCompile(`(?m)^  5\.9    token ([0-9a-f]{8}), flags `)
	sentLine   = regexp.MustCompile(`(?m)^  6\.5    bytes_sent (\d+), bytes_received 0, bytes_acked \d+$`)
	serverLine = regexp.MustCompile(`(?m)^server: MPTCP_INFO, (\d+) bytes: token ([0-9a-f]{8}), bytes_received (\d+), subflows 1$`)
)

// TestInfo runs the example in a fresh namespace with -hold and compares
// what it printed with `ss -Mtin` there: the length the kernel returned,
// the token of each end, which ss prints in hex without leading zeros, and
// the bytes sent, which equal the bytes written once the peer read them.
func TestInfo(t *testing.T) {
	nstest.Require(t)
	kernel := labtest.Kernel(t)
	bin := labtest.Build(t)
	ns := nstest.New(t)
	const size = 300000
	p := labtest.Start(t, "ip", "netns", "exec", ns.Name, bin, "-hold", "-size", strconv.Itoa(size))
	p.WaitLine("holding the connection")
	socks, ssOut := labtest.SSSockets(t, ns.Name)
	p.CloseStdin()
	r := p.Wait()
	if r.Code != 0 {
		t.Fatalf("info failed\n%v", r)
	}
	out := r.Stdout

	m := clientLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no client line\n%s", out)
	}
	client, err1 := netip.ParseAddrPort(m[1])
	server, err2 := netip.ParseAddrPort(m[3])
	if err1 != nil || err2 != nil || m[2] != strconv.Itoa(size) {
		t.Fatalf("client line %q: %v %v", m[0], err1, err2)
	}
	if m := lenLine.FindStringSubmatch(out); m == nil {
		t.Errorf("no length line\n%s", out)
	} else if want := wantLen(kernel); m[1] != strconv.Itoa(want) {
		t.Errorf("MPTCP_INFO of %s bytes on kernel %d, want %d", m[1], kernel, want)
	}
	if wantLen(kernel) == 96 {
		labtest.MustMatch(t, out, `^  not returned by this kernel: none$`, `^  6\.8    subflows_total 1$`)
	}
	labtest.MustMatch(t, out, `^  subflows \(Info\.Subflows\): 1$`)

	// The tokens: ss -Mtin lists each MPTCP socket with token:<hex>.
	ssToken := func(local netip.AddrPort) string {
		for _, s := range socks {
			if s.Netid == "mptcp" && s.Local == local {
				return s.Value("token")
			}
		}
		t.Fatalf("ss lists no MPTCP socket at %v\n%s", local, ssOut)
		return ""
	}
	same := func(printed, ss string) bool {
		a, err1 := strconv.ParseUint(printed, 16, 32)
		b, err2 := strconv.ParseUint(ss, 16, 32)
		return err1 == nil && err2 == nil && a == b
	}
	if m := tokenLine.FindStringSubmatch(out); m == nil {
		t.Errorf("no client token\n%s", out)
	} else if tok := ssToken(client); !same(m[1], tok) {
		t.Errorf("client token %s, ss shows %s", m[1], tok)
	}
	sm := serverLine.FindStringSubmatch(out)
	if sm == nil {
		t.Fatalf("no server line\n%s", out)
	}
	if tok := ssToken(server); !same(sm[2], tok) {
		t.Errorf("server token %s, ss shows %s", sm[2], tok)
	}
	if sm[3] != strconv.Itoa(size) {
		t.Errorf("server bytes_received %s, want %d", sm[3], size)
	}

	// bytes_sent once the server read everything: the bytes written. The
	// client's one subflow, as ss shows it, sent at least as many; more if
	// the MPTCP layer retransmitted some, which happens about 200 ms after
	// a transfer on loopback when the peer's DATA_ACK lags (bytes_retrans).
	m = sentLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no bytes_sent line\n%s", out)
	}
	if m[1] != strconv.Itoa(size) {
		t.Errorf("bytes_sent %s, want the %d bytes written", m[1], size)
	}
	for _, s := range socks {
		if s.Netid == "tcp" && s.Local == client {
			if got, _ := strconv.Atoi(s.Value("bytes_sent")); got < size {
				t.Errorf("client subflow sent %d bytes as ss shows it, fewer than the %d written", got, size)
			}
			return
		}
	}
	t.Errorf("ss lists no subflow at %v\n%s", client, ssOut)
}
