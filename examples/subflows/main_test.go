package main

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// listed is one subflow line the example printed.
type listed struct {
	id                         int
	local, remote              netip.AddrPort
	state                      string
	rtt                        time.Duration
	sent, acked, received, ret uint64
}

var (
	endLine = regexp.MustCompile(`^(client|server): (\d+) subflows, token ([0-9a-f]{8}), from (.*)$`)
	sfLine  = regexp.MustCompile(`^  (?:id (\d+)|#\d+): (\S+) -> (\S+) (\S+), rtt (\S+), sent (\d+) B, acked (\d+) B, received (\d+) B, retransmitted (\d+) B$`)
)

// parse returns the subflows printed for each end and the token of each;
// each end's line must say the subflows came from the call from names. A
// subflow printed without an id (the older calls) gets id 0.
func parse(t *testing.T, out, from string) (map[string][]listed, map[string]string) {
	t.Helper()
	sfs, tokens := map[string][]listed{}, map[string]string{}
	end := ""
	for _, line := range strings.Split(out, "\n") {
		if m := endLine.FindStringSubmatch(line); m != nil {
			end, tokens[m[1]] = m[1], m[3]
			if !strings.HasPrefix(m[4], from) {
				t.Errorf("%s read with %s, want %s", end, m[4], from)
			}
			continue
		}
		m := sfLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var sf listed
		var errs [9]error
		if m[1] != "" {
			sf.id, errs[0] = strconv.Atoi(m[1])
		}
		sf.local, errs[1] = netip.ParseAddrPort(m[2])
		sf.remote, errs[2] = netip.ParseAddrPort(m[3])
		sf.state = m[4]
		sf.rtt, errs[3] = time.ParseDuration(strings.ReplaceAll(m[5], "µ", "u"))
		sf.sent, errs[4] = strconv.ParseUint(m[6], 10, 64)
		sf.acked, errs[5] = strconv.ParseUint(m[7], 10, 64)
		sf.received, errs[6] = strconv.ParseUint(m[8], 10, 64)
		sf.ret, errs[7] = strconv.ParseUint(m[9], 10, 64)
		for _, err := range errs {
			if err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
		}
		sfs[end] = append(sfs[end], sf)
	}
	return sfs, tokens
}

// unmapped drops the IPv4-mapped form ss shows for the server's sockets.
func unmapped(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// compare checks the subflows printed for one end against what `ss -Mtin`
// printed in its namespace (socks, out): the same address pairs,
// established, with the same byte counters and about the same rtt, and the
// MPTCP socket's token.
func compare(t *testing.T, end string, socks []labtest.SSSocket, out string, sfs []listed, token string) {
	t.Helper()
	ss := map[string]labtest.SSSocket{}
	tokenSeen := false
	for _, s := range socks {
		pair := unmapped(s.Local).String() + " " + unmapped(s.Peer).String()
		switch {
		case s.Netid == "tcp" && strings.Contains(s.Info, "tcp-ulp-mptcp"):
			ss[pair] = s
		case s.Netid == "mptcp":
			a, _ := strconv.ParseUint(s.Value("token"), 16, 32)
			b, _ := strconv.ParseUint(token, 16, 32)
			tokenSeen = tokenSeen || a == b
		}
	}
	if !tokenSeen {
		t.Errorf("%s token %s not among the MPTCP sockets ss shows\n%s", end, token, out)
	}
	if len(ss) != len(sfs) {
		t.Errorf("%s: ss shows %d subflows, the example %d\n%s", end, len(ss), len(sfs), out)
	}
	counter := func(s labtest.SSSocket, key string) uint64 {
		n, _ := strconv.ParseUint(s.Value(key), 10, 64) // ss leaves out a 0
		return n
	}
	for _, sf := range sfs {
		s, ok := ss[sf.local.String()+" "+sf.remote.String()]
		if !ok {
			t.Errorf("%s subflow %d %v -> %v not in ss\n%s", end, sf.id, sf.local, sf.remote, out)
			continue
		}
		if s.State != "ESTAB" || sf.state != "ESTABLISHED" {
			t.Errorf("%s subflow %d: state %s, ss %s", end, sf.id, sf.state, s.State)
		}
		for _, c := range []struct {
			key  string
			mine uint64
		}{{"bytes_sent", sf.sent}, {"bytes_acked", sf.acked}, {"bytes_received", sf.received}, {"bytes_retrans", sf.ret}} {
			if got := counter(s, c.key); got != c.mine {
				t.Errorf("%s subflow %d: %s %d, ss %d", end, sf.id, c.key, c.mine, got)
			}
		}
		// ss prints tcpi_rtt in milliseconds; an ack since the snapshot
		// may have moved it a little.
		srtt, _, _ := strings.Cut(s.Value("rtt"), "/")
		ms, err := strconv.ParseFloat(srtt, 64)
		if d := time.Duration(ms*1e6) - sf.rtt; err != nil || d > sf.rtt/2+time.Millisecond || -d > sf.rtt/2+time.Millisecond {
			t.Errorf("%s subflow %d: rtt %v, ss rtt:%s", end, sf.id, sf.rtt, s.Value("rtt"))
		}
	}
}

// TestSubflows runs the example with -hold and compares the subflows it
// lists for each end with what `ss -Mtin` shows in that end's namespace:
// two subflows, ids 1 and 2, the second from the client's path-2 address.
func TestSubflows(t *testing.T) {
	nstest.Require(t)
	sfs := held(t, "MPTCP_FULL_INFO")
	for _, end := range []string{"client", "server"} {
		for i, sf := range sfs[end] {
			if sf.id != i+1 {
				t.Errorf("%s: subflow %d has id %d", end, i+1, sf.id)
			}
		}
	}
}

// TestSubflowsOlder does the same with -older, where the example reads the
// subflows with its own MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS calls: ss
// must agree with them too.
func TestSubflowsOlder(t *testing.T) {
	nstest.Require(t)
	held(t, "MPTCP_TCPINFO + MPTCP_SUBFLOW_ADDRS, two raw getsockopt calls", "-older")
}

// held runs the example with -hold and args, checks that each end's
// subflows were read with the call from names and agree with what ss
// shows in its namespace, and returns them.
func held(t *testing.T, from string, args ...string) map[string][]listed {
	t.Helper()
	p := labtest.Start(t, labtest.Build(t), append([]string{"-hold"}, args...)...)
	names := regexp.MustCompile(`^namespaces: client (\S+), server (\S+)$`).FindStringSubmatch(p.WaitLine("namespaces: "))
	if names == nil {
		t.Fatal("no namespace line")
	}
	if ns := p.WaitHold(); ns != names[1] {
		t.Errorf("hold names %s, the client namespace is %s", ns, names[1])
	}
	// ss must look while the example holds the connection open.
	clientSocks, clientOut := labtest.SSSockets(t, names[1])
	serverSocks, serverOut := labtest.SSSockets(t, names[2])
	p.CloseStdin()
	r := p.Wait()
	if r.Code != 0 {
		t.Fatalf("subflows failed\n%v", r)
	}
	sfs, tokens := parse(t, r.Stdout, from)
	for _, end := range []string{"client", "server"} {
		if len(sfs[end]) != 2 {
			t.Fatalf("%s: %d subflows listed, want 2\n%s", end, len(sfs[end]), r.Stdout)
		}
	}
	if a := sfs["client"][1].local.Addr(); a != netip.MustParseAddr("198.18.2.1") {
		t.Errorf("client's subflow 2 is from %v, want the path-2 address 198.18.2.1", a)
	}
	compare(t, "client", clientSocks, clientOut, sfs["client"], tokens["client"])
	compare(t, "server", serverSocks, serverOut, sfs["server"], tokens["server"])
	labtest.MustMatch(t, r.Stdout, `^removed namespaces `)
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
	return sfs
}
