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
// the cut.
func TestBackup(t *testing.T) {
	nstest.Require(t)
	r := labtest.Run(t, labtest.Build(t), "-size", "8388608", "-rate", "40mbit")
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
