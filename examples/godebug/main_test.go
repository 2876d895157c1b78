//go:build linux

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// row is what one GODEBUG setting gives: which of the three sockets are
// MPTCP, and the status of the connection.
type row struct {
	listener, client, accepted bool
	status                     string
}

// table is what the Go documentation says each setting does; "" is the
// default of a module whose go line is 1.24 or later.
var table = map[string]row{
	"":  {listener: true, status: "tcp"},
	"0": {status: "tcp"},
	"1": {listener: true, client: true, accepted: true, status: "mptcp"},
	"2": {listener: true, status: "tcp"},
	"3": {client: true, status: "fallback"},
}

func proto(mptcp bool) int {
	if mptcp {
		return 262
	}
	return 6
}

func kindOf(mptcp bool) string {
	if mptcp {
		return "MPTCP"
	}
	return "TCP"
}

// ssMPTCP asks `ss -M` in ns which sockets of the connection through the
// loopback listener on port are MPTCP sockets.
func ssMPTCP(t *testing.T, ns *nstest.NS, port string) row {
	t.Helper()
	var r row
	for _, line := range strings.Split(ns.MustRun(t, "ss", "-ManH"), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		local, peer := strings.HasSuffix(f[3], ":"+port), strings.HasSuffix(f[4], ":"+port)
		switch {
		case f[0] == "LISTEN" && local:
			r.listener = true
		case f[0] == "ESTAB" && local:
			r.accepted = true
		case f[0] == "ESTAB" && peer:
			r.client = true
		}
	}
	return r
}

// listenPort returns the port of the one TCP listener in ns; `ss -t` lists
// an MPTCP listener too, by its TCP subflow.
func listenPort(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	f := strings.Fields(ns.MustRun(t, "ss", "-tlnH"))
	if len(f) < 4 {
		t.Fatalf("no listener in ss -tlnH: %q", f)
	}
	return f[3][strings.LastIndex(f[3], ":")+1:]
}

// TestGODEBUGChild runs the plain program under each setting, holding its
// sockets open, and checks what it printed against `ss -M` and the table.
func TestGODEBUGChild(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	for _, v := range settings {
		env := []string{"-u", "GODEBUG"}
		if v != "" {
			env = []string{"GODEBUG=multipathtcp=" + v}
		}
		args := append(append([]string{"netns", "exec", ns.Name, "env"}, env...), bin, "-child", "-hold")
		p := labtest.Start(t, "ip", args...)
		line := p.WaitLine("listener ")
		want := table[v]
		if got := ssMPTCP(t, ns, listenPort(t, ns)); got != (row{want.listener, want.client, want.accepted, ""}) {
			t.Errorf("multipathtcp=%q: ss -M shows MPTCP sockets %+v, want %+v", v, got, want)
		}
		wantLine := fmt.Sprintf("listener %d, client %d, accepted %d, connection %s",
			proto(want.listener), proto(want.client), proto(want.accepted), want.status)
		if line != wantLine {
			t.Errorf("multipathtcp=%q: printed %q, want %q", v, line, wantLine)
		}
		p.CloseStdin()
		if r := p.Wait(); r.Code != 0 {
			t.Errorf("multipathtcp=%q: %s", v, r)
		}
	}
}

// TestGODEBUGTable runs the example itself and checks its table.
func TestGODEBUGTable(t *testing.T) {
	bin := labtest.Build(t)
	ns := nstest.New(t)
	// labtest.Run shortens the race detector's wait at exit, which the five
	// children inherit.
	r := labtest.Run(t, "ip", "netns", "exec", ns.Name, "env", "-u", "GODEBUG", bin)
	if r.Code != 0 {
		t.Fatal(r)
	}
	out := r.Stdout
	labtest.MustMatch(t, out, `^GODEBUG +listener +client +accepted +connection$`)
	for _, v := range settings {
		want := table[v]
		label := "\\(not set\\)"
		if v != "" {
			label = "multipathtcp=" + v
		}
		labtest.MustMatch(t, out, fmt.Sprintf(`^%s +%s +%s +%s +%s$`,
			label, kindOf(want.listener), kindOf(want.client), kindOf(want.accepted), want.status))
	}
}
