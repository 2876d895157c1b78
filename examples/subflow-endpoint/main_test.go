package main

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestSubflowEndpoint checks that the subflow endpoint gives the connection
// a second subflow from the client's path-2 address, that both paths carry
// a fair share of the bytes, and that the namespaces are gone afterwards.
// While the example holds the connection, ss -Mtin in each namespace must
// list the same subflows, by address and port, as the example printed for
// that end (for the client, RunHeld checks it), and the client's MPTCP
// socket must count one extra subflow (subflows:1).
func TestSubflowEndpoint(t *testing.T) {
	nstest.Require(t)
	const size = 8 << 20
	var serverSS []string
	var serverOut string
	r, _, clientOut := labtest.RunHeld(t, func(out string) {
		m := regexp.MustCompile(`(?m)^namespaces: client \S+, server (\S+)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no namespace line in\n%s", out)
		}
		socks, ssOut := labtest.SSSockets(t, m[1])
		serverOut = ssOut
		for _, s := range socks {
			if s.Netid == "tcp" && s.State == "ESTAB" && strings.Contains(s.Info, "tcp-ulp-mptcp") {
				serverSS = append(serverSS, unmapped(s.Local).String()+" "+unmapped(s.Peer).String())
			}
		}
		slices.Sort(serverSS)
	}, "-size", "8388608", "-rate", "40mbit", "-hold")
	if printed := labtest.Pairs(labtest.Side(labtest.Subflows(t, r.Stdout), "server")); !slices.Equal(printed, serverSS) || len(serverSS) != 2 {
		t.Errorf("the example printed the server's subflows\n%s\nss -Mtin in the server's namespace shows\n%s\n%s",
			strings.Join(printed, "\n"), strings.Join(serverSS, "\n"), serverOut)
	}
	if !regexp.MustCompile(`(?m)^mptcp\s.*\n\s.*\bsubflows:1\b`).MatchString(clientOut) {
		t.Errorf("the client's MPTCP socket does not count one extra subflow (subflows:1)\n%s", clientOut)
	}
	labtest.MustMatch(t, r.Stdout,
		`^pm: client endpoint 198\.18\.2\.1 id 1 subflow dev p2a$`,
		`^pm: client limits subflows 1 add_addr_accepted 0$`,
		`^pm: server limits subflows 1 add_addr_accepted 0$`,
		`^sent 8388608 bytes in .*, server received 8388608, sha256 intact$`,
		`^removed namespaces `,
	)
	sfs := labtest.Subflows(t, r.Stdout)
	for _, side := range []string{"client", "server"} {
		got := labtest.Side(sfs, side)
		if len(got) != 2 {
			t.Fatalf("%s has %d subflows, want 2\n%s", side, len(got), r.Stdout)
		}
		var total uint64
		for i, sf := range got {
			total += sf.Bytes
			if sf.Path != i+1 {
				t.Errorf("%s subflow %d took path %d, want %d", side, sf.ID, sf.Path, i+1)
			}
		}
		for _, sf := range got {
			// Both paths have the same rate; each should carry a good share.
			if sf.Bytes < total/5 {
				t.Errorf("%s subflow %d carried %d of %d bytes", side, sf.ID, sf.Bytes, total)
			}
		}
		if total < size {
			t.Errorf("%s subflows carried %d bytes, less than the %d sent", side, total, size)
		}
	}
	if c := labtest.Side(sfs, "client"); c[1].Local.Addr().String() != "198.18.2.1" || c[1].Remote.String() != "198.18.1.2:5201" {
		t.Errorf("client's second subflow is %v -> %v, want 198.18.2.1 -> 198.18.1.2:5201", c[1].Local, c[1].Remote)
	}
}

// unmapped drops the IPv4-mapped form ss shows for the server's sockets,
// which its dual-stack listener accepted.
func unmapped(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// TestSubflowEndpointInterrupted checks that Ctrl-C in the middle of a long
// transfer ends the example with an error and removes the namespaces.
func TestSubflowEndpointInterrupted(t *testing.T) {
	nstest.Require(t)
	bin := labtest.Build(t)
	p := labtest.Start(t, bin, "-size", "268435456", "-rate", "10mbit")
	p.WaitLine("connected ")
	time.Sleep(500 * time.Millisecond)
	p.Interrupt()
	r := p.Wait()
	if r.Code != 1 {
		t.Errorf("interrupted run exited %d, want 1\n%v", r.Code, r)
	}
	labtest.MustMatch(t, r.Stderr, `^subflow-endpoint: interrupted$`)
	labtest.MustMatch(t, r.Stdout, `^removed namespaces `)
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind after Ctrl-C: %v", left)
	}
}
