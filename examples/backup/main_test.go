package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

var sinceCut = regexp.MustCompile(`(?m)^  subflow \d+: (\S+) -> \S+, sent (\d+) bytes since the cut`)

// TestBackup checks that the backup subflow carries less than 5% of the
// bytes while path 1 works, that the transfer completes intact after path 1
// is cut, and that the backup subflow carries most of the bytes sent after
// the cut. Before the cut, while the example holds the connection, it also
// asks the kernel on its own with ss -Mtin in both namespaces (see
// checkSS).
func TestBackup(t *testing.T) {
	nstest.Require(t)
	p := labtest.Start(t, labtest.Build(t), "-size", "8388608", "-rate", "40mbit", "-hold")
	names := regexp.MustCompile(`^namespaces: client (\S+), server (\S+)$`).FindStringSubmatch(p.WaitLine("namespaces: "))
	if names == nil {
		t.Fatal("no namespace line")
	}
	if ns := p.WaitHold(); ns != names[1] {
		t.Errorf("hold names %s, the client namespace is %s", ns, names[1])
	}
	checkSS(t, names[1], names[2])
	p.CloseStdin()
	r := p.Wait()
	if r.Code != 0 {
		t.Fatalf("backup failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout,
		`^pm: client endpoint 198\.18\.2\.1 id 1 subflow backup dev p2a$`,
		`^cut path 1$`,
		`^sent 8388608 bytes in .*, server received 8388608, sha256 intact$`,
		`^the backup subflow carried the data \d.*s after the cut$`,
		`^removed namespaces `,
	)
	if m := regexp.MustCompile(`(?m)^the backup subflow carried the data (\S+) after the cut$`).FindStringSubmatch(r.Stdout); m != nil {
		t.Logf("takeover: %s after the cut", m[1])
	}
	before, after, ok := strings.Cut(r.Stdout, "\ncut path 1\n")
	if !ok {
		t.Fatalf("no cut\n%s", r.Stdout)
	}

	sfs := labtest.Side(labtest.Subflows(t, before), "client")
	if len(sfs) != 2 {
		t.Fatalf("%d subflows before the cut, want 2\n%s", len(sfs), before)
	}
	var backup, total uint64
	for _, sf := range sfs {
		total += sf.Bytes
		if sf.Local.Addr().String() == "198.18.2.1" {
			backup = sf.Bytes
		}
	}
	t.Logf("backup share before the cut: %d of %d bytes", backup, total)
	if total == 0 || backup*20 >= total {
		t.Errorf("the backup subflow carried %d of %d bytes before the cut, want less than 5%%", backup, total)
	}

	backup, total = 0, 0
	for _, m := range sinceCut.FindAllStringSubmatch(after, -1) {
		n, _ := strconv.ParseUint(m[2], 10, 64)
		total += n
		if strings.HasPrefix(m[1], "198.18.2.1:") {
			backup = n
		}
	}
	t.Logf("backup share after the cut: %d of %d bytes", backup, total)
	if backup*2 <= total {
		t.Errorf("the backup subflow carried %d of the %d bytes sent after the cut, want most", backup, total)
	}
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}

// checkSS reads the subflows with ss -Mtin in the client's and the
// server's namespace, before the cut: the client's subflow from 198.18.2.1
// must carry the local backup flag (b in ss's flags) and the server's to
// it the remote one (B), the path-1 subflow neither, and the backup
// subflow must have sent less than 5% of the bytes the client's subflows
// sent, by the kernel's own tcp_info counters.
func checkSS(t *testing.T, client, server string) {
	t.Helper()
	socks, out := labtest.SSSockets(t, client)
	var backup, total uint64
	seen := 0
	for _, s := range socks {
		if s.Netid != "tcp" || !strings.Contains(s.Info, "tcp-ulp-mptcp") {
			continue
		}
		seen++
		sent, _ := strconv.ParseUint(s.Value("bytes_sent"), 10, 64) // ss leaves out a 0
		total += sent
		isBackup := s.Local.Addr().String() == "198.18.2.1"
		if isBackup {
			backup = sent
		}
		if flags := s.Value("flags"); strings.Contains(flags, "b") != isBackup {
			t.Errorf("client subflow %v -> %v has flags %q; want the local backup flag b on the one from 198.18.2.1 only\n%s", s.Local, s.Peer, flags, out)
		}
	}
	if seen != 2 {
		t.Fatalf("ss shows %d subflows in the client's namespace before the cut, want 2\n%s", seen, out)
	}
	t.Logf("ss before the cut: the backup subflow sent %d of %d bytes", backup, total)
	if total == 0 || backup*20 >= total {
		t.Errorf("ss: the backup subflow sent %d of %d bytes before the cut, want less than 5%%\n%s", backup, total, out)
	}
	socks, out = labtest.SSSockets(t, server)
	found := false
	for _, s := range socks {
		if s.Netid == "tcp" && s.Peer.Addr().Unmap().String() == "198.18.2.1" {
			found = true
			if flags := s.Value("flags"); !strings.Contains(flags, "B") {
				t.Errorf("server subflow from 198.18.2.1 has flags %q, want the remote backup flag B\n%s", flags, out)
			}
		}
	}
	if !found {
		t.Errorf("ss shows no server subflow from 198.18.2.1\n%s", out)
	}
}
