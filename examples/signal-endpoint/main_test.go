package main

import (
	"regexp"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestSignalEndpoint checks that the server's announcement of 198.18.2.2
// makes the client open its second subflow there, and that both
// announcement counters are 1. While the example holds the connection, it
// asks the kernel on its own: the client's subflows are those ss -Mtin
// shows (RunHeld), and the namespaces' MIB counters, read with nstat, count
// one ADD_ADDR sent and echoed and one join, on each side.
func TestSignalEndpoint(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	var clientMIB, serverMIB map[string]uint64
	r, _, _ := labtest.RunHeld(t, func(out string) {
		clientMIB, serverMIB = counters(t, out)
	}, "-size", "2097152", "-hold")
	wantMIB(t, "client", clientMIB, map[string]uint64{
		"MPTcpExtAddAddr": 1, "MPTcpExtEchoAddTx": 1, "MPTcpExtMPJoinSynTx": 1, "MPTcpExtMPJoinSynAckRx": 1,
	})
	wantMIB(t, "server", serverMIB, map[string]uint64{
		"MPTcpExtAddAddrTx": 1, "MPTcpExtEchoAdd": 1, "MPTcpExtMPJoinSynRx": 1, "MPTcpExtMPJoinAckRx": 1,
	})
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
}

// TestSignalEndpointNotAccepted checks the pitfall: with add_addr_accepted
// 0, a fresh namespace's default, the server still announces its address
// but the client ignores it and keeps one subflow.
//
// nstat agrees: the client received the announcement and echoed it, and no
// join was sent or received.
func TestSignalEndpointNotAccepted(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	var client, server map[string]uint64
	r, _, _ := labtest.RunHeld(t, func(out string) {
		client, server = counters(t, out)
	}, "-size", "2097152", "-accept", "0", "-hold")
	wantMIB(t, "client", client, map[string]uint64{
		"MPTcpExtAddAddr": 1, "MPTcpExtEchoAddTx": 1, "MPTcpExtMPJoinSynTx": 0, "MPTcpExtMPJoinSynAckRx": 0,
	})
	wantMIB(t, "server", server, map[string]uint64{
		"MPTcpExtAddAddrTx": 1, "MPTcpExtEchoAdd": 1, "MPTcpExtMPJoinSynRx": 0, "MPTcpExtMPJoinAckRx": 0,
	})
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

// counters reads, with nstat in the namespaces that the example's output
// out names, the announcement and join counters of the client and of the
// server.
func counters(t *testing.T, out string) (client, server map[string]uint64) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^namespaces: client (\S+), server (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no namespace line in\n%s", out)
	}
	client = labtest.Nstat(t, m[1], "MPTcpExtAddAddr", "MPTcpExtEchoAddTx", "MPTcpExtMPJoinSynTx", "MPTcpExtMPJoinSynAckRx")
	server = labtest.Nstat(t, m[2], "MPTcpExtAddAddrTx", "MPTcpExtEchoAdd", "MPTcpExtMPJoinSynRx", "MPTcpExtMPJoinAckRx")
	return client, server
}

// wantMIB fails the test unless the counters got of one side have the
// values in want.
func wantMIB(t *testing.T, side string, got, want map[string]uint64) {
	t.Helper()
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s: nstat %s = %d, want %d (all: %v)", side, name, got[name], n, got)
		}
	}
}
