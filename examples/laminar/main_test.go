package main

import (
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestLaminar checks that the subflow to the server's announced address
// leaves from the client's laminar endpoint, 198.18.2.1 over path 2, and
// that the client's subflows are those `ss -Mtin` shows in its namespace
// while the example holds the connection open. On a kernel older than 6.18
// it checks that the example says it needs 6.18 and exits with status 0.
func TestLaminar(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	if !kernelAtLeast(6, 18) {
		// The example must say so, and end well.
		r := labtest.RunOK(t, "-hold")
		labtest.MustMatch(t, r.Stdout, "^"+needs+"$")
		return
	}
	r, _, _ := labtest.RunHeld(t, nil, "-hold", "-size", "2097152")
	labtest.MustMatch(t, r.Stdout,
		`^pm: server endpoint 198\.18\.3\.2 id 1 signal$`,
		`^pm: client limits subflows 1 add_addr_accepted 1$`,
		`^pm: client endpoint 198\.18\.2\.1 id 1 laminar dev p2a$`,
		`^client: laminar endpoints 1, announced addresses used 1$`,
		`^subflow to the announced 198\.18\.3\.2: from 198\.18\.2\.1, path 2 \(the laminar endpoint\)$`,
		`^  198\.18\.2\.1 id 1 laminar$`,
		`sha256 intact$`,
	)
	client := labtest.Side(labtest.Subflows(t, r.Stdout), "client")
	if len(client) != 2 {
		t.Fatalf("client has %d subflows, want 2\n%s", len(client), r.Stdout)
	}
	if sf := client[1]; sf.Local.Addr().String() != "198.18.2.1" || sf.Remote.String() != "198.18.3.2:5201" || sf.Path != 2 {
		t.Errorf("second subflow %v -> %v over path %d, want 198.18.2.1 -> 198.18.3.2:5201 over path 2", sf.Local, sf.Remote, sf.Path)
	}
}

// TestLaminarRouting checks the contrast: without the laminar endpoint the
// client's routing picks the source of the subflow to the announced
// address, 198.18.1.1 over path 1, where the default route goes.
func TestLaminarRouting(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	r := labtest.RunOK(t, "-laminar=false", "-size", "2097152")
	labtest.MustMatch(t, r.Stdout,
		`^client: laminar endpoints 0, announced addresses used 1$`,
		`^subflow to the announced 198\.18\.3\.2: from 198\.18\.1\.1, path 1 \(routing's choice\)$`,
		`^pm: client endpoints now: none$`,
	)
	client := labtest.Side(labtest.Subflows(t, r.Stdout), "client")
	if len(client) != 2 || client[1].Remote.String() != "198.18.3.2:5201" || client[1].Path != 1 {
		t.Errorf("want a second subflow to 198.18.3.2:5201 over path 1\n%s", r.Stdout)
	}
}
