package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/netlab"
	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/mptcp"
)

// ssSubflow matches a TCP socket of `ss -tin` with its info line, which
// says tcp-ulp-mptcp for an MPTCP subflow; addresses of a socket bound to a
// device read "198.18.2.1%p2a:47691".
var ssSubflow = regexp.MustCompile(`(?m)^(?:tcp\s+)?ESTAB\s+\d+\s+\d+\s+(\S+?)(?:%\S+)?:(\d+)\s+(\S+?)(?:%\S+)?:(\d+)\s*\n\s.*tcp-ulp-mptcp`)

// ts is the time stamp of a daemon line.
const ts = `daemon \d\d:\d\d:\d\d\.\d{3}: `

// wantSubflows checks that each side printed n subflows, the first on path
// 1, the second, if any, on path 2 with data, and returns the client's.
func wantSubflows(t *testing.T, out string, n int) []labtest.Subflow {
	t.Helper()
	sfs := labtest.Subflows(t, out)
	for _, side := range []string{"client", "server"} {
		got := labtest.Side(sfs, side)
		if len(got) != n {
			t.Fatalf("%s has %d subflows, want %d\n%s", side, len(got), n, out)
		}
		for i, sf := range got {
			if sf.Path != i+1 || sf.Bytes == 0 || sf.State != "ESTABLISHED" {
				t.Errorf("%s subflow %d: path %d, %s, %d bytes; want path %d, ESTABLISHED, with data", side, sf.ID, sf.Path, sf.State, sf.Bytes, i+1)
			}
		}
	}
	return labtest.Side(sfs, "client")
}

// noneLeft checks that the run removed its namespaces.
func noneLeft(t *testing.T, r labtest.Result) {
	t.Helper()
	if left := labtest.Namespaces(t, labPrefix, r.Pid); len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}

// TestDemoSubflows checks the subflows policy: the daemon, in the client's
// namespace switched to the userspace path manager, opens a subflow from
// the client's path-2 address when the connection is established; both
// sides have two subflows, the same `ss -Mtin` shows while the demo holds
// the connection, and Ctrl-C then ends the demo cleanly.
func TestDemoSubflows(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	p := labtest.Start(t, labtest.Build(t), "-demo", "-policy", "subflows", "-hold", "-size", "4194304")
	hold := p.WaitLine("holding the connection")
	ns := regexp.MustCompile(`ip netns exec (\S+) ss`).FindStringSubmatch(hold)
	if ns == nil {
		t.Fatalf("no namespace in %q", hold)
	}
	// Run needs only the name of a namespace, here one the demo made.
	ss, err := (&netlab.NS{Name: ns[1]}).Run("ss", "-Mtin")
	p.Interrupt()
	r := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != 0 {
		t.Fatalf("demo failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout,
		`^sysctl: client net\.mptcp\.path_manager = userspace$`,
		`^`+ts+`policy subflows in /run/netns/mptcpex-us-\d+-1, local addresses 198\.18\.1\.1 dev p1a, .*198\.18\.2\.1 dev p2a`,
		`^`+ts+`event \[ +ESTABLISHED\] token=[0-9a-f]{8} .*saddr4=198\.18\.1\.1 daddr4=198\.18\.1\.2 `,
		`^`+ts+`token [0-9a-f]{8}: create subflow id 10 198\.18\.2\.1 dev p2a -> 198\.18\.1\.2:5201$`,
		`^`+ts+`event \[ +SF_ESTABLISHED\] token=[0-9a-f]{8} remid=0 locid=10 saddr4=198\.18\.2\.1 daddr4=198\.18\.1\.2 `,
		`^`+ts+`token [0-9a-f]{8}: subflow id 10 198\.18\.2\.1:\d+ -> 198\.18\.1\.2:5201 is up$`,
		`^sent 4194304 bytes in .*, server received 4194304, sha256 intact$`,
		`^`+ts+`stopped$`,
		`^removed namespaces `,
	)
	if strings.Contains(r.Stdout, "retry") {
		t.Errorf("the daemon retried\n%s", r.Stdout)
	}
	client := wantSubflows(t, r.Stdout, 2)
	if sf := client[1]; sf.Local.Addr().String() != "198.18.2.1" || sf.Remote.String() != "198.18.1.2:5201" {
		t.Errorf("client's second subflow is %v -> %v, want 198.18.2.1 -> 198.18.1.2:5201", sf.Local, sf.Remote)
	}
	var printed, shown []string
	for _, sf := range client {
		printed = append(printed, sf.Local.String()+" "+sf.Remote.String())
	}
	for _, m := range ssSubflow.FindAllStringSubmatch(ss, -1) {
		shown = append(shown, fmt.Sprintf("%s:%s %s:%s", m[1], m[2], m[3], m[4]))
	}
	slices.Sort(printed)
	slices.Sort(shown)
	if !slices.Equal(printed, shown) {
		t.Errorf("the demo printed the subflows\n%s\nss -Mtin shows\n%s\n%s", strings.Join(printed, "\n"), strings.Join(shown, "\n"), ss)
	}
	noneLeft(t, r)
}

// TestDemoAnnounce checks the announce policy: the daemon, in the server's
// namespace, announces the server's path-2 address with id 10, and the
// client's in-kernel path manager (add_addr_accepted 1) opens a subflow to
// it.
func TestDemoAnnounce(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	r := labtest.Run(t, labtest.Build(t), "-demo", "-policy", "announce", "-size", "4194304")
	if r.Code != 0 {
		t.Fatalf("demo failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout,
		`^pm: client limits subflows 1 add_addr_accepted 1$`,
		`^sysctl: server net\.mptcp\.path_manager = userspace$`,
		// The server's dual-stack listener gives IPv4-mapped addresses.
		`^`+ts+`event \[ +ESTABLISHED\] token=[0-9a-f]{8} .*saddr6=::ffff:198\.18\.1\.2 daddr6=::ffff:198\.18\.1\.1 .*server_side`,
		`^`+ts+`token [0-9a-f]{8}: announce id 10 198\.18\.2\.2$`,
		`^`+ts+`event \[ +SF_ESTABLISHED\] token=[0-9a-f]{8} .*locid=10 saddr6=::ffff:198\.18\.2\.2 daddr6=::ffff:198\.18\.2\.1 `,
		`^sent 4194304 bytes in .*, server received 4194304, sha256 intact$`,
		`^removed namespaces `,
	)
	if strings.Contains(r.Stdout, "announce id 11") {
		t.Errorf("the daemon announced more than the path-2 address\n%s", r.Stdout)
	}
	if sf := wantSubflows(t, r.Stdout, 2)[1]; sf.Remote.String() != "198.18.2.2:5201" {
		t.Errorf("client's second subflow goes to %v, want 198.18.2.2:5201", sf.Remote)
	}
	noneLeft(t, r)
}

// TestDemoWithdraw checks -withdraw-after: halfway through the transfer
// the daemon removes the address it announced (RM_ADDR) or destroys the
// subflow it created; the subflow closes and is not retried, the transfer
// ends on path 1 with every byte intact, and each side is back to one
// subflow.
func TestDemoWithdraw(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	bin := labtest.Build(t)
	for _, tc := range []struct{ policy, withdraw, closed string }{
		{"announce", `remove id 10 198\.18\.2\.2`, `locid=10 saddr6=::ffff:198\.18\.2\.2 `},
		{"subflows", `destroy subflow id 10 198\.18\.2\.1:\d+ -> 198\.18\.1\.2:5201`, `locid=10 saddr4=198\.18\.2\.1 `},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			t.Parallel()
			const size = 8 << 20
			r := labtest.Run(t, bin, "-demo", "-policy", tc.policy, "-size", fmt.Sprint(size), "-withdraw-after", fmt.Sprint(size/2))
			if r.Code != 0 {
				t.Fatalf("demo failed\n%v", r)
			}
			labtest.MustMatch(t, r.Stdout,
				`^demo: 4194304 bytes written, client has 2 subflows: withdrawing$`,
				`^`+ts+`token [0-9a-f]{8}: `+tc.withdraw+`$`,
				`^`+ts+`event \[ +SF_CLOSED\] token=[0-9a-f]{8} .*`+tc.closed,
				`^sent 8388608 bytes in .*, server received 8388608, sha256 intact$`,
				`^removed namespaces `,
			)
			if strings.Contains(r.Stdout, "retry") || strings.Contains(r.Stdout, "failed") {
				t.Errorf("a retry or a failure after the withdrawal\n%s", r.Stdout)
			}
			// Path 2 carried its share until the withdrawal.
			if sf := wantSubflows(t, r.Stdout, 1)[0]; sf.Bytes >= size {
				t.Errorf("path 1 carried %d bytes, all of the %d sent: path 2 carried nothing\n%s", sf.Bytes, size, r.Stdout)
			}
			noneLeft(t, r)
		})
	}
}

// TestDemoRetry checks the retries with backoff against the kernel: path 2
// is down when the connection starts, so creating the subflow fails
// (ENETUNREACH) and the daemon retries after 100, 200, 400 ms...; once the
// path is back the next try brings the subflow up.
func TestDemoRetry(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	r := labtest.Run(t, labtest.Build(t), "-demo", "-policy", "subflows", "-size", "8388608", "-cut", "500ms")
	if r.Code != 0 {
		t.Fatalf("demo failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout,
		`^demo: path 2 cut, back in 500ms$`,
		`^`+ts+`token [0-9a-f]{8}: subflow id 10 failed: .*network is unreachable; retry 1/5 in 100ms$`,
		`^`+ts+`token [0-9a-f]{8}: subflow id 10 failed: .*network is unreachable; retry 2/5 in 200ms$`,
		`^`+ts+`token [0-9a-f]{8}: subflow id 10 failed: .*network is unreachable; retry 3/5 in 400ms$`,
		`^sent 8388608 bytes in .*, server received 8388608, sha256 intact$`,
	)
	// Each try waits the delay the previous failure announced.
	line := regexp.MustCompile(`(?m)^daemon (\d\d:\d\d:\d\d\.\d{3}): token [0-9a-f]{8}: (?:create subflow id 10 |subflow id 10 .*; retry \d/5 in (\S+)$|subflow id 10 (\S+) -> \S+ is up$)|^demo: path 2 restored$`)
	var last time.Time
	var delay time.Duration
	var tries, restoredAt, upAt int
	for i, m := range line.FindAllStringSubmatch(r.Stdout, -1) {
		at, _ := time.Parse("15:04:05.000", m[1])
		switch {
		case m[1] == "":
			restoredAt = i
		case m[3] != "":
			upAt = i
		case m[2] != "":
			delay, _ = time.ParseDuration(m[2])
			last = at
		default:
			tries++
			if gap := at.Sub(last); tries > 1 && (gap < delay-time.Millisecond || gap > delay+300*time.Millisecond) {
				t.Errorf("try %d came %v after the failure, which announced %v", tries, gap, delay)
			}
		}
	}
	if tries < 4 || restoredAt == 0 || upAt < restoredAt {
		t.Errorf("%d tries, the path restored at line %d, the subflow up at %d: want 4 tries or more, and up after the restore\n%s", tries, restoredAt, upAt, r.Stdout)
	}
	if strings.Contains(r.Stdout, "giving up") {
		t.Errorf("the daemon gave up\n%s", r.Stdout)
	}
	if sf := wantSubflows(t, r.Stdout, 2)[1]; sf.Local.Addr().String() != "198.18.2.1" {
		t.Errorf("client's second subflow is from %v, want 198.18.2.1", sf.Local)
	}
	noneLeft(t, r)
}

// TestStandalone runs the daemon as its own process with -netns against a
// namespace the test built: it warns while the namespace uses the in-kernel
// path manager; once switched, it opens a subflow from the -addrs address
// on the test's connection; Ctrl-C stops it with status 0.
func TestStandalone(t *testing.T) {
	nstest.Require(t)
	t.Parallel()
	bin := labtest.Build(t)
	topo := nstest.TwoHosts(t, 2)
	p1 := topo.Paths[0]

	p := labtest.Start(t, bin, "-netns", topo.Client.Name)
	p.WaitLine("daemon ")
	p.WaitLine("daemon ")
	p.Interrupt()
	r := p.Wait()
	if r.Code != 0 {
		t.Fatalf("daemon failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout,
		`^`+ts+`warning: net\.mptcp\.path_manager is "kernel": new connections use that path manager, not this daemon$`,
		`^`+ts+`stopped$`)

	topo.Client.Sysctl(t, "net.mptcp.path_manager", "userspace")
	p = labtest.Start(t, bin, "-netns", topo.Client.Name, "-policy", "subflows", "-addrs", "198.18.2.1")
	p.WaitLine("daemon ")
	var ln net.Listener
	if err := topo.Server.Do(func() (err error) {
		lc := mptcp.ListenConfig{Policy: mptcp.Require}
		ln, err = lc.Listen(context.Background(), "tcp", ":0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		s, _ := ln.Accept()
		accepted <- s
	}()
	remote := netip.AddrPortFrom(p1.B4, uint16(ln.Addr().(*net.TCPAddr).Port))
	var c net.Conn
	if err := topo.Client.Do(func() (err error) {
		d := mptcp.Dialer{Policy: mptcp.Require}
		c, err = d.Dial("tcp", remote.String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	if s == nil {
		t.Fatal("Accept failed")
	}
	defer s.Close()
	// Established, for the client, once the server has seen data.
	if _, err := c.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	var sfs []mptcp.Subflow
	for end := time.Now().Add(5 * time.Second); len(sfs) < 2 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		var err error
		if sfs, err = mptcp.SubflowsOf(c.(*net.TCPConn)); err != nil {
			t.Fatal(err)
		}
	}
	p.Interrupt()
	r = p.Wait()
	if r.Code != 0 {
		t.Fatalf("daemon failed\n%v", r)
	}
	if len(sfs) != 2 || sfs[1].Local.Addr() != topo.Paths[1].A4 || sfs[1].Remote != remote {
		t.Errorf("client subflows %+v, want a second one from %v to %v\n%s", sfs, topo.Paths[1].A4, remote, r.Stdout)
	}
	labtest.MustMatch(t, r.Stdout,
		`^`+ts+`policy subflows in /run/netns/`+topo.Client.Name+`, local addresses 198\.18\.2\.1 dev p2a$`,
		`^`+ts+`token [0-9a-f]{8}: create subflow id 10 198\.18\.2\.1 dev p2a -> `+regexp.QuoteMeta(remote.String())+`$`,
		`^`+ts+`token [0-9a-f]{8}: subflow id 10 198\.18\.2\.1:\d+ -> `+regexp.QuoteMeta(remote.String())+` is up$`,
		`^`+ts+`stopped$`)
	if strings.Contains(r.Stdout, "warning") {
		t.Errorf("warning with the userspace path manager\n%s", r.Stdout)
	}
}

// TestFlags checks that flags that do not fit are refused before anything
// is built.
func TestFlags(t *testing.T) {
	bin := labtest.Build(t)
	for _, args := range [][]string{
		{"-policy", "fullmesh"},
		{"-size", "10"},
		{"-demo", "-netns", "blue"},
		{"-demo", "-addrs", "198.18.2.1"},
		{"-backoff", "0s"},
		{"-addrs", "198.18.2.1,nonsense"},
		{"extra"},
	} {
		if r := labtest.Run(t, bin, args...); r.Code != 2 || !strings.HasPrefix(r.Stderr, "userspace-pm: ") {
			t.Errorf("%q: exit %d, want 2 with a message\n%v", args, r.Code, r)
		}
	}
}
