package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/netlab"
	"github.com/multipath-dev/go/internal/nstest"
)

// ssSubflow matches a TCP socket of `ss -tin` with its info line, which
// says tcp-ulp-mptcp for an MPTCP subflow; addresses of a socket bound to a
// device read "198.18.2.1%p2a:47691".
var ssSubflow = regexp.MustCompile(`(?m)^(?:tcp\s+)?ESTAB\s+\d+\s+\d+\s+(\S+?)(?:%\S+)?:(\d+)\s+(\S+?)(?:%\S+)?:(\d+)\s*\n\s.*tcp-ulp-mptcp`)

// TestFullmesh checks that the client has the four subflows of a full mesh
// of two client and two server addresses, and that they are the subflows
// `ss -Mtin` shows in the client's namespace while the example holds the
// connection open.
func TestFullmesh(t *testing.T) {
	nstest.Require(t)
	p := labtest.Start(t, labtest.Build(t), "-hold", "-size", "4194304")
	hold := p.WaitLine("holding the connection")
	ns := regexp.MustCompile(`ip netns exec (\S+) ss`).FindStringSubmatch(hold)
	if ns == nil {
		t.Fatalf("no namespace in %q", hold)
	}
	// Run needs only the name of a namespace, here one the example made.
	ss, err := (&netlab.NS{Name: ns[1]}).Run("ss", "-Mtin")
	p.CloseStdin()
	r := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != 0 {
		t.Fatalf("fullmesh failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout,
		`^pm: client endpoint 198\.18\.1\.1 id \d+ subflow fullmesh dev p1a$`,
		`^pm: client endpoint 198\.18\.2\.1 id \d+ subflow fullmesh dev p2a$`,
		`^pm: server endpoint 198\.18\.2\.2 id \d+ signal dev p2b$`,
		`^mesh \(client address, server address\): 4 subflows$`,
		`^  198\.18\.1\.1 +subflow \d +subflow \d$`,
		`^  198\.18\.2\.1 +subflow \d +subflow \d$`,
		`sha256 intact$`,
	)

	var printed, shown, pairs []string
	for _, sf := range labtest.Side(labtest.Subflows(t, r.Stdout), "client") {
		printed = append(printed, sf.Local.String()+" "+sf.Remote.String())
		pairs = append(pairs, sf.Local.Addr().String()+" "+sf.Remote.Addr().String())
	}
	for _, m := range ssSubflow.FindAllStringSubmatch(ss, -1) {
		shown = append(shown, fmt.Sprintf("%s:%s %s:%s", m[1], m[2], m[3], m[4]))
	}
	slices.Sort(printed)
	slices.Sort(shown)
	slices.Sort(pairs)
	if !slices.Equal(printed, shown) {
		t.Errorf("the example printed the subflows\n%s\nss -Mtin shows\n%s\n%s", strings.Join(printed, "\n"), strings.Join(shown, "\n"), ss)
	}
	want := []string{
		"198.18.1.1 198.18.1.2", "198.18.1.1 198.18.2.2",
		"198.18.2.1 198.18.1.2", "198.18.2.1 198.18.2.2",
	}
	if !slices.Equal(pairs, want) {
		t.Errorf("client subflows go between\n%s\nwant\n%s", strings.Join(pairs, "\n"), strings.Join(want, "\n"))
	}
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}
