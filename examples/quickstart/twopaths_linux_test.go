//go:build linux

package main

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

var shareLine = regexp.MustCompile(`(?m)^  subflow (\d+): \S+ -> \S+, (sent|received) (\d+) bytes \((\d+)%\)$`)

func TestQuickstartTwoPaths(t *testing.T) {
	nstest.Require(t)
	bin := labtest.Build(t)
	r := labtest.Run(t, bin, "-two-paths", "-size", "8388608", "-rate", "40mbit")
	if r.Code != 0 {
		t.Fatalf("quickstart -two-paths: %v", r)
	}
	s := r.Stdout
	labtest.MustMatch(t, s,
		`^pm: mptcpqs-\d+-\d+ limits: subflows 2, add_addr_accepted 2$`,
		`^pm: mptcpqs-\d+-\d+ endpoint 198\.18\.2\.1 id \d+ subflow dev p2a$`,
		`^server received 8388608 bytes in .* sha256 intact$`,
		`^client: mptcp, 2 subflows$`,
		`^server: mptcp, 2 subflows$`,
		`^  subflow 1: 198\.18\.1\.1:\d+ -> 198\.18\.1\.2:5201, sent `,
		`^  subflow 2: 198\.18\.2\.1:\d+ -> 198\.18\.1\.2:5201, sent `,
		`^removed namespaces mptcpqs-\d+-\d+ and mptcpqs-\d+-\d+$`,
	)
	// Both paths carry a fair share: each is shaped to the same rate.
	var sent, rcvd uint64
	for _, m := range shareLine.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.ParseUint(m[3], 10, 64)
		pct, _ := strconv.Atoi(m[4])
		if pct < 20 {
			t.Errorf("subflow %s %s only %d%% of the bytes:\n%s", m[1], m[2], pct, s)
		}
		if m[2] == "sent" {
			sent += n
		} else {
			rcvd += n
		}
	}
	if sent < 8388608 || rcvd < 8388608 {
		t.Errorf("subflows sent %d and received %d bytes; want at least the 8388608 sent", sent, rcvd)
	}
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}

func TestQuickstartTwoPathsInterrupted(t *testing.T) {
	nstest.Require(t)
	bin := labtest.Build(t)
	p := labtest.Start(t, bin, "-two-paths", "-size", "1073741824", "-rate", "10mbit")
	p.WaitLine("sending ")
	p.Interrupt()
	r := p.Wait()
	if r.Code == 0 {
		t.Errorf("interrupted run exited 0")
	}
	labtest.MustMatch(t, r.Stderr, `interrupted`)
	labtest.MustMatch(t, r.Stdout, `^removed namespaces mptcpqs-\d+-\d+ and mptcpqs-\d+-\d+$`)
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind after Ctrl-C: %v", left)
	}
}
