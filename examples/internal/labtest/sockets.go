package labtest

import (
	"net/netip"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// An SSSocket is one socket as `ss -Mtin` lists it: a TCP socket (an MPTCP
// subflow or a plain TCP connection) or an MPTCP socket, with the info line
// printed under it.
type SSSocket struct {
	// Netid is "tcp" or "mptcp".
	Netid string
	// State is ss's short state name, such as "ESTAB".
	State string
	// Local and Peer are the socket's addresses; a device suffix such as
	// "%p2a" is dropped.
	Local, Peer netip.AddrPort
	// Info is the info line, its "key:value" items separated by spaces.
	Info string
}

// Value returns the value of the item key of the info line, such as
// "cb12535" for "token" on an MPTCP socket or "0.031/0.015" for "rtt", and
// "" when the line has none.
func (s SSSocket) Value(key string) string {
	for _, f := range strings.Fields(s.Info) {
		if k, v, ok := strings.Cut(f, ":"); ok && k == key {
			return v
		}
	}
	return ""
}

// ssLine matches the first line of a socket in `ss -Mtin`: netid, state,
// the queues, and the two addresses with an optional device.
var ssLine = regexp.MustCompile(`^(tcp|mptcp)\s+(\S+)\s+\d+\s+\d+\s+(\[[^\]]+\]|[^\s:%]+)(?:%\S+?)?:(\d+)\s+(\[[^\]]+\]|[^\s:%]+)(?:%\S+?)?:(\d+)`)

// SSSockets runs `ss -Mtin` in the network namespace ns ("" for the
// test's own) and returns the sockets it lists, with the whole output for
// failure messages.
func SSSockets(t testing.TB, ns string) ([]SSSocket, string) {
	t.Helper()
	cmd := exec.Command("ss", "-Mtin")
	if ns != "" {
		cmd = exec.Command("ip", "netns", "exec", ns, "ss", "-Mtin")
	}
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ss -Mtin: %v\n%s", err, b)
	}
	out := string(b)
	var socks []SSSocket
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, " ") {
			if len(socks) > 0 {
				socks[len(socks)-1].Info += strings.TrimSpace(line)
			}
			continue
		}
		m := ssLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		local, err1 := netip.ParseAddrPort(m[3] + ":" + m[4])
		peer, err2 := netip.ParseAddrPort(m[5] + ":" + m[6])
		if err1 != nil || err2 != nil {
			t.Fatalf("ss line %q: %v %v", line, err1, err2)
		}
		socks = append(socks, SSSocket{Netid: m[1], State: m[2], Local: local, Peer: peer})
	}
	return socks, out
}
