package labtest

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// RunOK builds the example in the test's working directory, runs it with
// args and returns what it printed. It fails the test unless the example
// exited with status 0 and left no network namespace behind (see
// NoneLeft).
func RunOK(t testing.TB, args ...string) Result {
	t.Helper()
	r := Run(t, Build(t), args...)
	if r.Code != 0 {
		t.Fatalf("the example failed with %v\n%v", args, r)
	}
	NoneLeft(t, "", r.Pid)
	return r
}

// NoneLeft fails the test if network namespaces that netlab made in the
// process pid, with names starting with prefix, still exist; with prefix
// "", those of any prefix without digits.
func NoneLeft(t testing.TB, prefix string, pid int) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v\n%s", err, out)
	}
	made := regexp.MustCompile(fmt.Sprintf(`^%s\D*%d-\d+$`, regexp.QuoteMeta(prefix), pid))
	var left []string
	for _, f := range strings.Fields(string(out)) {
		if made.MatchString(f) {
			left = append(left, f)
		}
	}
	if len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}

// RunHeld builds the example in the test's working directory and runs it
// with args, which must make it hold its connection open with lab.Hold.
// While it holds, RunHeld reads the subflows `ss -Mtin` shows in the
// namespace its hold line names, as SSSubflows does, and calls look, if
// not nil, with what the example printed so far; then it lets the example
// end and returns all it printed and what ss showed. It fails the test
// unless the example exited with status 0, left no network namespace
// behind (see NoneLeft), and printed the client's subflows (see Subflows)
// that ss showed.
func RunHeld(t testing.TB, look func(out string), args ...string) (r Result, subflows []string, ss string) {
	t.Helper()
	p := Start(t, Build(t), args...)
	subflows, ss = SSSubflows(t, p.WaitHold())
	if look != nil {
		look(p.stdout.String())
	}
	p.CloseStdin()
	if r = p.Wait(); r.Code != 0 {
		t.Fatalf("the example failed with %v\n%v", args, r)
	}
	NoneLeft(t, "", r.Pid)
	if printed := Pairs(Side(Subflows(t, r.Stdout), "client")); !slices.Equal(printed, subflows) {
		t.Errorf("the example printed the client's subflows\n%s\nss -Mtin shows\n%s\n%s",
			strings.Join(printed, "\n"), strings.Join(subflows, "\n"), ss)
	}
	return r, subflows, ss
}

// heldNS finds the namespace in the line lab.Hold prints.
var heldNS = regexp.MustCompile("look with `ip netns exec (\\S+) ss")

// WaitHold waits for the line lab.Hold prints and returns the name of the
// namespace it names.
func (p *Proc) WaitHold() string {
	p.t.Helper()
	line := p.WaitLine("holding the connection")
	m := heldNS.FindStringSubmatch(line)
	if m == nil {
		p.t.Fatalf("no namespace in %q", line)
	}
	return m[1]
}

// ssSocket matches an established TCP socket of `ss -tin` and the info line
// under it. A socket bound to a device shows its address as
// "198.18.2.1%p2a:47691"; the device is dropped.
var ssSocket = regexp.MustCompile(`(?m)^(?:tcp\s+)?ESTAB\s+\d+\s+\d+\s+(\S+?)(?:%\S+)?(:\d+)\s+(\S+?)(?:%\S+)?(:\d+)\s*\n(\s.*)`)

// SSSubflows runs `ss -Mtin` in the network namespace ns and returns the
// established MPTCP subflows it lists (the TCP sockets whose info says
// tcp-ulp-mptcp), each as "local remote" with ports, sorted, and the whole
// output for failure messages.
func SSSubflows(t testing.TB, ns string) (subflows []string, out string) {
	t.Helper()
	b, err := exec.Command("ip", "netns", "exec", ns, "ss", "-Mtin").CombinedOutput()
	if err != nil {
		t.Fatalf("ss -Mtin in %s: %v\n%s", ns, err, b)
	}
	out = string(b)
	for _, m := range ssSocket.FindAllStringSubmatch(out, -1) {
		if strings.Contains(m[5], "tcp-ulp-mptcp") {
			subflows = append(subflows, m[1]+m[2]+" "+m[3]+m[4])
		}
	}
	slices.Sort(subflows)
	return subflows, out
}

// Pairs returns the subflows of sfs as SSSubflows does, each as
// "local remote" with ports, sorted.
func Pairs(sfs []Subflow) []string {
	var pairs []string
	for _, sf := range sfs {
		pairs = append(pairs, sf.Local.String()+" "+sf.Remote.String())
	}
	slices.Sort(pairs)
	return pairs
}

// Nstat returns the kernel counters names, such as "MPTcpExtMPJoinSynRx",
// as `nstat -asz` prints them in the network namespace ns. It fails the
// test if nstat fails or lacks one of them.
func Nstat(t testing.TB, ns string, names ...string) map[string]uint64 {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "nstat", "-asz").CombinedOutput()
	if err != nil {
		t.Fatalf("nstat in %s: %v\n%s", ns, err, out)
	}
	got := map[string]uint64{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && slices.Contains(names, f[0]) {
			var n uint64
			fmt.Sscan(f[1], &n)
			got[f[0]] = n
		}
	}
	if len(got) != len(names) {
		t.Fatalf("nstat lacks some of %v\n%s", names, out)
	}
	return got
}
