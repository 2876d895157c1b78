package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestLBServer checks that with allow_join_initial_addr_port=0 and a signal
// endpoint with port 10100 the client's second subflow goes to
// 198.18.2.2:10100 and none to the initial 198.18.1.2:5201, that the
// client's subflows are those `ss -Mtin` shows in its namespace, and that
// the server's MPJoinSynRx and MPJoinPortSynRx counters, which the example
// prints, count that one join, as nstat reads them in the server's
// namespace.
func TestLBServer(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	var counters map[string]uint64
	r, shown, ss := labtest.RunHeld(t, func(out string) {
		server := regexp.MustCompile(`(?m)^namespaces: client \S+, server (\S+)$`).FindStringSubmatch(out)
		if server == nil {
			t.Fatalf("no server namespace in\n%s", out)
		}
		counters = labtest.Nstat(t, server[1], "MPTcpExtMPJoinSynRx", "MPTcpExtMPJoinPortSynRx")
	}, "-hold", "-size", "2097152")
	labtest.MustMatch(t, r.Stdout,
		`^server: net\.mptcp\.allow_join_initial_addr_port = 0 `,
		`^pm: server endpoint 198\.18\.2\.2 port 10100 id 1 signal$`,
		`^join: subflow 2 from 198\.18\.2\.1 to 198\.18\.2\.2:10100, the dedicated port$`,
		// A peer with the C flag gets one announcement used even with
		// add_addr_accepted 0.
		`^client: announced addresses used 1, limit 0$`,
		`^server: MPTcpExtMPJoinSynRx 1$`,
		`^server: MPTcpExtMPJoinPortSynRx 1$`,
		`sha256 intact$`,
	)
	for name, n := range counters {
		labtest.MustMatch(t, r.Stdout, fmt.Sprintf(`^server: %s %d$`, name, n))
	}
	sfs := labtest.Side(labtest.Subflows(t, r.Stdout), "client")
	if len(sfs) != 2 {
		t.Fatalf("client has %d subflows, want 2\n%s", len(sfs), r.Stdout)
	}
	if sf := sfs[1]; sf.Remote.String() != "198.18.2.2:10100" || sf.Path != 2 {
		t.Errorf("second subflow %v -> %v over path %d, want to 198.18.2.2:10100 over path 2", sf.Local, sf.Remote, sf.Path)
	}
	toInitial, toPort := 0, 0
	for _, s := range shown {
		toInitial += strings.Count(s, " 198.18.1.2:5201")
		toPort += strings.Count(s, " 198.18.2.2:10100")
	}
	if toInitial != 1 || toPort != 1 {
		t.Errorf("ss shows %d subflows to 198.18.1.2:5201 and %d to 198.18.2.2:10100, want 1 and 1\n%s", toInitial, toPort, ss)
	}
}

// TestLBServerPlain checks the contrast: with the server's defaults the
// client joins the initial address and port, and no join arrives on a
// dedicated port.
func TestLBServerPlain(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	r := labtest.RunOK(t, "-plain", "-size", "2097152")
	labtest.MustMatch(t, r.Stdout,
		`^server: net\.mptcp\.allow_join_initial_addr_port = 1 `,
		`^join: subflow 2 from 198\.18\.2\.1 to 198\.18\.1\.2:5201, the initial address and port `,
		`^server: MPTcpExtMPJoinSynRx 1$`,
		`^server: MPTcpExtMPJoinPortSynRx 0$`,
	)
	if strings.Contains(r.Stdout, "port 10100") {
		t.Errorf("-plain added the port endpoint\n%s", r.Stdout)
	}
}
