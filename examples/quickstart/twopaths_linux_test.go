//go:build linux

package main

import (
	"bufio"
	"bytes"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/nstest"
)

// labNamespaces lists the namespaces the two-path mode made that still
// exist.
func labNamespaces(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v\n%s", err, out)
	}
	var names []string
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, labPrefix) {
			names = append(names, f)
		}
	}
	return names
}

var shareLine = regexp.MustCompile(`(?m)^  subflow (\d+): \S+ -> \S+, (sent|received) (\d+) bytes \((\d+)%\)$`)

func TestQuickstartTwoPaths(t *testing.T) {
	nstest.Require(t)
	bin := build(t)
	out, err := exec.Command(bin, "-two-paths", "-size", "8388608", "-rate", "40mbit").CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart -two-paths: %v\n%s", err, out)
	}
	s := string(out)
	mustMatch(t, s,
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
	if left := labNamespaces(t); len(left) != 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}

func TestQuickstartTwoPathsInterrupted(t *testing.T) {
	nstest.Require(t)
	bin := build(t)
	cmd := exec.Command(bin, "-two-paths", "-size", "1073741824", "-rate", "10mbit")
	var out bytes.Buffer
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sending := make(chan struct{})
	var stdout strings.Builder
	go func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			stdout.WriteString(sc.Text() + "\n")
			if !once && strings.HasPrefix(sc.Text(), "sending ") {
				once = true
				close(sending)
			}
		}
	}()
	select {
	case <-sending:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no transfer started within 30s")
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("interrupted run exited 0")
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no exit within 20s of Ctrl-C")
	}
	pw.Close()
	if !strings.Contains(out.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted: %q", out.String())
	}
	if left := labNamespaces(t); len(left) != 0 {
		t.Errorf("namespaces left behind after Ctrl-C: %v", left)
	}
}
