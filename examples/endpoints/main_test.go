package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// normalize drops the space iproute2 leaves at the end of each line.
func normalize(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// TestEndpointsMatchIproute runs a sequence of commands in a fresh namespace
// and after each compares the example's show with `ip mptcp endpoint show`.
func TestEndpointsMatchIproute(t *testing.T) {
	ns := nstest.New(t)
	bin := labtest.Build(t)
	// iproute2 before 6.18 has no word for laminar and prints its bit raw.
	// `ip mptcp help` exits 255 after printing its usage.
	help, _ := exec.Command("ip", "mptcp", "help").CombinedOutput()
	laminar := strings.Contains(string(help), "laminar")
	ipShow := func() string {
		out := normalize(ns.MustRun(t, "ip", "-n", ns.Name, "mptcp", "endpoint", "show"))
		if !laminar {
			out = regexp.MustCompile(`(?m) rawflags 20( dev|$)`).ReplaceAllString(out, " laminar$1")
		}
		return out
	}

	steps := []struct {
		cmd  string
		want string // the line it prints, if any; for a failure, text its error must contain
		fail bool
	}{
		{cmd: "show"},
		{cmd: "add 198.51.100.1 signal", want: "198.51.100.1 id 1 signal"},
		{cmd: "add 198.51.100.2 id 5 dev lo subflow backup", want: "198.51.100.2 id 5 subflow backup dev lo"},
		{cmd: "add 2001:db8::1 subflow fullmesh", want: "2001:db8::1 id 6 subflow fullmesh"},
		{cmd: "add 127.0.0.1 port 10001 signal", want: "127.0.0.1 port 10001 id 7 signal"},
		{cmd: "add ::1 port 10002 signal backup", want: "::1 port 10002 id 8 signal backup"},
		{cmd: "add 198.51.100.3 subflow laminar", want: "198.51.100.3 id 9 subflow laminar"},
		{cmd: "add 198.51.100.4", want: "198.51.100.4 id 10"},
		{cmd: "change id 5 nobackup", want: "198.51.100.2 id 5 subflow dev lo"},
		{cmd: "change id 5 fullmesh", want: "198.51.100.2 id 5 subflow fullmesh dev lo"},
		{cmd: "change id 5 backup", want: "198.51.100.2 id 5 subflow backup fullmesh dev lo"},
		{cmd: "change id 5 nofullmesh", want: "198.51.100.2 id 5 subflow backup dev lo"},
		{cmd: "show id 5", want: "198.51.100.2 id 5 subflow backup dev lo"},
		{cmd: "delete id 1"},
		{cmd: "delete addr 2001:db8::1"},
		{cmd: "delete addr ::1"},

		{cmd: "add 198.51.100.2 subflow", fail: true, want: "endpoint exists"},
		{cmd: "add 198.51.100.9 id 5 subflow", fail: true, want: "endpoint exists"},
		{cmd: "delete id 42", fail: true, want: "no such endpoint"},
		{cmd: "delete addr 203.0.113.1", fail: true, want: "no such endpoint"},
		{cmd: "change id 42 backup", fail: true, want: "no such endpoint"},
		{cmd: "show id 42", fail: true, want: "no such endpoint"},
		{cmd: "add 198.51.100.9 subflow bogus", fail: true, want: `unknown flag "bogus"`},
		{cmd: "add 198.51.100.9 implicit", fail: true, want: `flag "implicit" cannot be requested`},
		{cmd: "change id 5 signal", fail: true, want: `unknown flag "signal"`},
		{cmd: "add 198.51.100.9 id 0 subflow", fail: true, want: `bad id "0"`},
		{cmd: "add 198.51.100.9 id 256 subflow", fail: true, want: `bad id "256"`},
		{cmd: "delete id 0", fail: true, want: `bad id "0"`},
		{cmd: "add 198.51.100.300 subflow", fail: true, want: `bad address "198.51.100.300"`},
		{cmd: "add 2001:db8::zz subflow", fail: true, want: `bad address "2001:db8::zz"`},
		{cmd: "add 198.51.100.9 subflow dev nosuch0", fail: true, want: `bad dev "nosuch0"`},
		{cmd: "add 198.51.100.9 signal fullmesh", fail: true, want: "FlagSignal and FlagFullmesh"},
		{cmd: "add 198.51.100.9 port 80 subflow", fail: true, want: "a port needs FlagSignal"},
		{cmd: "frobnicate", fail: true, want: `unknown command "frobnicate"`},

		{cmd: "flush"},
		{cmd: "add 198.51.100.5 subflow", want: "198.51.100.5 id 1 subflow"},
	}
	for _, s := range steps {
		r := labtest.Run(t, bin, append([]string{"-netns", ns.Name}, strings.Fields(s.cmd)...)...)
		switch {
		case s.fail && r.Code != 1:
			t.Errorf("%s: want exit 1\n%v", s.cmd, r)
		case s.fail && !strings.Contains(r.Stderr, s.want):
			t.Errorf("%s: error does not say %q\n%v", s.cmd, s.want, r)
		case s.fail && r.Stdout != "":
			t.Errorf("%s: printed on stdout while failing\n%v", s.cmd, r)
		case !s.fail && r.Code != 0:
			t.Errorf("%s: failed\n%v", s.cmd, r)
		case !s.fail && normalize(r.Stdout) != s.want:
			t.Errorf("%s: printed %q, want %q", s.cmd, r.Stdout, s.want)
		}
		want := ipShow()
		show := labtest.Run(t, bin, "-netns", ns.Name, "show")
		if got := normalize(show.Stdout); got != want || show.Code != 0 {
			t.Errorf("after %q, show printed (exit %d):\n%s\nip mptcp endpoint show:\n%s", s.cmd, show.Code, got, want)
		}
		if s.want != "" && !s.fail && !strings.Contains("\n"+want+"\n", "\n"+s.want+"\n") {
			t.Errorf("after %q, ip mptcp endpoint show lacks %q:\n%s", s.cmd, s.want, want)
		}
	}
}
