//go:build linux

package nstest_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/multipath-dev/go/internal/nstest"
)

func TestWrappers(t *testing.T) {
	t.Parallel()
	topo := nstest.TwoHosts(t, 2)
	if len(topo.Paths) != 2 {
		t.Fatalf("got %d paths, want 2", len(topo.Paths))
	}
	for _, ns := range []*nstest.NS{topo.Client, topo.Server} {
		if want := fmt.Sprintf("mptcpt-%d-", os.Getpid()); !strings.HasPrefix(ns.Name, want) {
			t.Errorf("namespace %s is not named %s<counter>", ns.Name, want)
		}
	}
	for i, p := range topo.Paths {
		if p.A != topo.Client || p.B != topo.Server || p.Path.A != topo.Client.NS || p.Path.B != topo.Server.NS {
			t.Errorf("path %d: ends %p, %p are not the topology's %p, %p", i+1, p.A, p.B, topo.Client, topo.Server)
		}
		if p.Index != i+1 || p.IfA != fmt.Sprintf("p%da", i+1) || p.B4.String() != fmt.Sprintf("198.18.%d.2", i+1) {
			t.Errorf("path %d: index %d, %s, %v", i+1, p.Index, p.IfA, p.B4)
		}
	}

	// Link puts the given *NS at the ends.
	ns := nstest.New(t)
	p := nstest.Link(t, topo.Client, ns, 3)
	if p.A != topo.Client || p.B != ns {
		t.Errorf("Link's ends %p, %p, want %p, %p", p.A, p.B, topo.Client, ns)
	}

	// Each method reaches netlab: a listener on path 3 and a dial to it
	// move the counters, Shape installs a qdisc, Cut and Restore flip the
	// link.
	ns.Sysctl(t, "net.mptcp.enabled", "0")
	if got := ns.ReadSysctl(t, "net.mptcp.enabled"); got != "0" {
		t.Errorf("ReadSysctl after Sysctl 0 = %q", got)
	}
	before := topo.Client.Counter(t, "TcpActiveOpens")
	var ln net.Listener
	if err := ns.Do(func() (err error) { ln, err = net.Listen("tcp", p.B4.String()+":0"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var c net.Conn
	if err := topo.Client.Do(func() (err error) { c, err = net.Dial("tcp", ln.Addr().String()); return err }); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := topo.Client.Counter(t, "TcpActiveOpens"); got != before+1 {
		t.Errorf("TcpActiveOpens went from %d to %d after one connect", before, got)
	}
	p.Shape(t, "10mbit")
	if out := ns.MustRun(t, "tc", "qdisc", "show", "dev", p.IfB); !strings.Contains(out, "rate 10Mbit") {
		t.Errorf("qdisc after Shape:\n%s", out)
	}
	p.Cut(t)
	if out := ns.MustRun(t, "ip", "link", "show", p.IfB); !strings.Contains(out, "state DOWN") {
		t.Errorf("link after Cut:\n%s", out)
	}
	p.Restore(t)
	if out := ns.MustRun(t, "ip", "link", "show", p.IfB); !strings.Contains(out, "state UP") {
		t.Errorf("link after Restore:\n%s", out)
	}
}

func TestHelpersFailTheTest(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	p := nstest.Link(t, ns, nstest.New(t), 1)
	for name, call := range map[string]func(tb testing.TB){
		"MustRun":    func(tb testing.TB) { ns.MustRun(tb, "false") },
		"Sysctl":     func(tb testing.TB) { ns.Sysctl(tb, "net.no.such", "1") },
		"ReadSysctl": func(tb testing.TB) { ns.ReadSysctl(tb, "net.no.such") },
		"TwoHosts": func(tb testing.TB) {
			if topo := nstest.TwoHosts(tb, nstest.MaxPaths+1); topo != nil {
				t.Errorf("TwoHosts(%d) = %v, want nil", nstest.MaxPaths+1, topo)
			}
		},
		"Link": func(tb testing.TB) {
			if p := nstest.Link(tb, ns, ns, 1); p != nil {
				t.Errorf("Link of a namespace to itself = %v, want nil", p)
			}
		},
		"Shape": func(tb testing.TB) { p.Shape(tb, "fast") },
	} {
		r := &recordingTB{TB: t}
		call(r)
		if len(r.fatal) != 1 || len(r.skip) != 0 {
			t.Errorf("%s: Fatalf calls %q, Skipf calls %q; want one Fatalf", name, r.fatal, r.skip)
		}
	}
}

func TestCleanupRemovesNamespace(t *testing.T) {
	var names []string
	t.Run("make", func(t *testing.T) {
		topo := nstest.TwoHosts(t, 1)
		names = []string{topo.Client.Name, topo.Server.Name, nstest.New(t).Name}
		// A listener still open at the end must not keep the name around.
		if err := topo.Server.Do(func() error {
			_, err := net.Listen("tcp", topo.Paths[0].B4.String()+":0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if out := topo.Client.MustRun(t, "ip", "netns", "list"); !strings.Contains(out, names[0]) {
			t.Fatalf("%s not in ip netns list:\n%s", names[0], out)
		}
	})
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.Contains(string(out), name) {
			t.Errorf("%s still listed after its test ended:\n%s", name, out)
		}
		if _, err := os.Stat("/run/netns/" + name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("/run/netns/%s after its test ended: %v", name, err)
		}
	}
}

// helperEnv makes TestHelperFailingTest run; the test binary re-runs itself
// with it to watch a failing test's cleanup.
const helperEnv = "NSTEST_FAILING_HELPER"

func TestCleanupAfterFailure(t *testing.T) {
	nstest.Require(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFailingTest$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("failing helper test passed:\n%s", out)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(line, "namespace="); ok {
			names = append(names, name)
		}
	}
	if len(names) != 3 {
		t.Fatalf("helper printed %q, want three namespaces:\n%s", names, out)
	}
	for _, name := range names {
		if _, err := os.Stat("/run/netns/" + name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("/run/netns/%s after its test failed: %v\n%s", name, err, out)
		}
	}
}

// TestHelperFailingTest makes a topology and a namespace and fails; it only
// runs under TestCleanupAfterFailure.
func TestHelperFailingTest(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("only run by TestCleanupAfterFailure")
	}
	topo := nstest.TwoHosts(t, 1)
	fmt.Printf("namespace=%s\nnamespace=%s\nnamespace=%s\n", topo.Client.Name, topo.Server.Name, nstest.New(t).Name)
	t.Fatal("failing on purpose")
}
