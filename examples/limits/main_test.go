package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// TestLimitsMatchIproute sets limits in a fresh namespace and after each
// command compares what the example printed with `ip mptcp limits show`.
func TestLimitsMatchIproute(t *testing.T) {
	ns := nstest.New(t)
	bin := labtest.Build(t)
	ipShow := func() string {
		return strings.TrimRight(ns.MustRun(t, "ip", "-n", ns.Name, "mptcp", "limits", "show"), " \n")
	}
	// What the kernel says to a value over its cap, as iproute2 prints it:
	// "Error: limit greater than maximum (8)."
	out, err := ns.Run("ip", "-n", ns.Name, "mptcp", "limits", "set", "subflows", "200")
	if err == nil {
		t.Fatalf("the kernel took 200 subflows: %s", out)
	}
	i := strings.Index(out, "Error: ")
	if i < 0 {
		t.Fatalf("no kernel message from ip: %s", out)
	}
	tooMany := strings.TrimSuffix(strings.SplitN(out[i+len("Error: "):], "\n", 2)[0], ".")
	// The cap itself comes from the kernel's message (8 up to 6.18), so
	// that a kernel with a higher one passes too.
	m := regexp.MustCompile(`maximum \((\d+)\)`).FindStringSubmatch(tooMany)
	if m == nil {
		t.Fatalf("no maximum in the kernel's message %q", tooMany)
	}
	capN, _ := strconv.Atoi(m[1])
	limit, over := strconv.Itoa(capN), strconv.Itoa(capN+1)

	steps := []struct {
		cmd  string
		want string // what show prints after it, or for a failure text the error must contain
		fail bool
	}{
		{cmd: "show", want: "add_addr_accepted 0 subflows 2"},
		{cmd: "set subflows 5", want: "add_addr_accepted 0 subflows 5"},
		{cmd: "set add_addr_accepted 3", want: "add_addr_accepted 3 subflows 5"},
		{cmd: "set add_addr_accepted 1 subflows 0", want: "add_addr_accepted 1 subflows 0"},
		{cmd: "set", want: "add_addr_accepted 1 subflows 0"},
		{cmd: "set subflows " + limit + " add_addr_accepted " + limit, want: "add_addr_accepted " + limit + " subflows " + limit},
		{cmd: "set subflows 4 add_addr_accepted 2", want: "add_addr_accepted 2 subflows 4"},

		{cmd: "set subflows 200", fail: true, want: tooMany},
		{cmd: "set add_addr_accepted " + over, fail: true, want: tooMany},
		// The kernel refuses the whole request: subflows stays 4.
		{cmd: "set subflows 1 add_addr_accepted " + over, fail: true, want: tooMany},
		{cmd: "set subflows 256", fail: true, want: "more than 255"},
		{cmd: "set subflows -1", fail: true, want: `bad subflows "-1"`},
		{cmd: "set subflows", fail: true, want: "subflows wants a number"},
		{cmd: "set backups 1", fail: true, want: `unknown limit "backups"`},
		{cmd: "frobnicate", fail: true, want: "want show or set"},
	}
	for _, s := range steps {
		r := labtest.Run(t, bin, append([]string{"-netns", ns.Name}, strings.Fields(s.cmd)...)...)
		ip := ipShow()
		switch {
		case s.fail && (r.Code != 1 || !strings.Contains(r.Stderr, s.want) || r.Stdout != ""):
			t.Errorf("%s: want exit 1 and an error saying %q\n%v", s.cmd, s.want, r)
		case s.fail && ip != "add_addr_accepted 2 subflows 4":
			t.Errorf("%s failed but changed the limits: %s", s.cmd, ip)
		case !s.fail && (r.Code != 0 || strings.TrimSpace(r.Stdout) != s.want || ip != s.want):
			t.Errorf("%s: want %q\n%v\nip mptcp limits show: %s", s.cmd, s.want, r, ip)
		}
	}
}
