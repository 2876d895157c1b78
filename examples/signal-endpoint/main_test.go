package main

import (
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestSignalEndpoint checks that the server's announcement of 198.18.2.2
// makes the client open its second subflow there, and that both
// announcement counters are 1.
func TestSignalEndpoint(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	r := labtest.Run(t, labtest.Build(t), "-size", "2097152")
	if r.Code != 0 {
		t.Fatalf("signal-endpoint failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout,
		`^pm: server endpoint 198\.18\.2\.2 id 1 signal dev p2b$`,
		`^pm: client limits subflows 1 add_addr_accepted 1$`,
		`^server: add_addr_signal 1 `,
		`^client: add_addr_accepted 1 `,
		// The kernel records the local address of the new subflow.
		`^  198\.18\.2\.1 id \d+ implicit$`,
		`sha256 intact$`,
	)
	sfs := labtest.Subflows(t, r.Stdout)
	client := labtest.Side(sfs, "client")
	if len(client) != 2 || len(labtest.Side(sfs, "server")) != 2 {
		t.Fatalf("want 2 subflows on each side\n%s", r.Stdout)
	}
	if sf := client[1]; sf.Remote.String() != "198.18.2.2:5201" || sf.Path != 2 || sf.Bytes == 0 {
		t.Errorf("client's second subflow goes %v -> %v over path %d with %d bytes, want to 198.18.2.2:5201 over path 2 with data", sf.Local, sf.Remote, sf.Path, sf.Bytes)
	}
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}

// TestSignalEndpointNotAccepted checks the pitfall: with add_addr_accepted
// 0, a fresh namespace's default, the server still announces its address
// but the client ignores it and keeps one subflow.
func TestSignalEndpointNotAccepted(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	r := labtest.Run(t, labtest.Build(t), "-size", "2097152", "-accept", "0")
	if r.Code != 0 {
		t.Fatalf("signal-endpoint -accept 0 failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout,
		`^pm: client limits subflows 1 add_addr_accepted 0$`,
		`^no second subflow within 1s$`,
		`^server: add_addr_signal 1 `,
		`^client: add_addr_accepted 0 `,
		`^pm: client endpoints now: none$`,
	)
	sfs := labtest.Subflows(t, r.Stdout)
	if len(labtest.Side(sfs, "client")) != 1 || len(labtest.Side(sfs, "server")) != 1 {
		t.Errorf("want 1 subflow on each side\n%s", r.Stdout)
	}
}
