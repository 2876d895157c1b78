package main

import (
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestSubflowCount checks the four counts the example prints with one
// subflow (0, 1, 1, 1: mptcpi_subflows leaves out the initial subflow) and
// with two (1, 2, 2, 2), and that `ss -Mtin` in the client namespace shows
// the two subflows the last counts report.
func TestSubflowCount(t *testing.T) {
	nstest.Require(t)
	p := labtest.Start(t, labtest.Build(t), "-hold")
	ns := p.WaitHold()
	subflows, ssOut := labtest.SSSubflows(t, ns)
	p.CloseStdin()
	r := p.Wait()
	if r.Code != 0 {
		t.Fatalf("subflow-count failed\n%v", r)
	}
	before, after, ok := strings.Cut(r.Stdout, "\nwith 2 subflows:\n")
	if !ok || !strings.Contains(before, "\nwith 1 subflow:\n") {
		t.Fatalf("no counts for 1 and 2 subflows\n%s", r.Stdout)
	}
	for _, c := range []struct {
		out                       string
		extra, total, listed, sfs string
	}{{before, "0", "1", "1", "1"}, {after, "1", "2", "2", "2"}} {
		labtest.MustMatch(t, c.out,
			`^  mptcpi_subflows        Info\.ExtraSubflows  `+c.extra+`   \(the extra ones only\)$`,
			`^  mptcpi_subflows_total  Info\.SubflowsTotal  `+c.total+`$`,
			`^  MPTCP_FULL_INFO        len\(Subflows\)       `+c.listed+`$`,
			`^  mptcp package          Info\.Subflows\(\)     `+c.sfs+`$`,
		)
	}
	if len(subflows) != 2 {
		t.Errorf("ss shows %d subflows in the client namespace, want 2\n%s", len(subflows), ssOut)
	}
	labtest.MustMatch(t, r.Stdout, `^pm: client endpoint 198\.18\.2\.1 id 1 subflow dev p2a$`, `^removed namespaces `)
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}
