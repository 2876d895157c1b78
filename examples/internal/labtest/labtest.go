// Package labtest holds what the tests of the runnable examples share: they
// build the example's binary, run it, and compare what it printed with what
// the kernel did.
package labtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Build compiles the example in the test's working directory into
// t.TempDir() and returns the binary's path. Under `go test -race` the
// example is built with the race detector too.
func Build(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(dir))
	args := append([]string{"build", "-o", bin}, raceFlags...)
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// command returns the command that runs bin with args. A binary built with
// the race detector would wait a second before exiting, to let reports of
// other goroutines' races come out; it is told to wait 50 ms instead.
func command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	if len(raceFlags) > 0 {
		gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=50")
		cmd.Env = append(os.Environ(), "GORACE="+gorace)
	}
	return cmd
}

// Result is what one run of a binary printed and how it exited.
type Result struct {
	// Stdout and Stderr are what the run printed.
	Stdout, Stderr string
	// Code is the exit status, or -1 if the binary was killed or did not
	// start.
	Code int
	// Pid is the process id the run had.
	Pid int
}

// String shows the command's output for a failure message.
func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// Run runs the binary bin with args and returns what it printed and its
// exit status; it fails the test only if bin cannot be started.
func Run(t testing.TB, bin string, args ...string) Result {
	t.Helper()
	cmd := command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
	if cmd.Process != nil {
		r.Pid = cmd.Process.Pid
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	return r
}

// MustMatch fails the test unless every pattern matches a line of out.
func MustMatch(t testing.TB, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(`(?m)` + p).MatchString(out) {
			t.Errorf("output lacks a line matching %q:\n%s", p, out)
		}
	}
}

// Namespaces returns the network namespaces, as `ip netns list` shows them,
// whose names start with prefix followed by pid and a dash: those netlab made
// in the process pid.
func Namespaces(t testing.TB, prefix string, pid int) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v\n%s", err, out)
	}
	var names []string
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, fmt.Sprintf("%s%d-", prefix, pid)) {
			names = append(names, f)
		}
	}
	return names
}

// A Proc is a running binary whose output a test reads as it comes.
type Proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout, line by line, closed at EOF
	stdout strings.Builder
	stderr bytes.Buffer
}

// Start starts the binary bin with args and a pipe as its standard input.
// The binary is killed when the test ends if it still runs.
func Start(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	p := &Proc{t: t, cmd: command(bin, args...), lines: make(chan string, 100)}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill() })
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	return p
}

// WaitLine reads stdout until a line starting with prefix and returns it.
// It fails the test if none comes within 30 seconds.
func (p *Proc) WaitLine(prefix string) string {
	p.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("exited without a line starting with %q\n%s\n%s", prefix, p.stdout.String(), p.stderr.String())
			}
			p.stdout.WriteString(line + "\n")
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			p.t.Fatalf("no line starting with %q within 30s\n%s", prefix, p.stdout.String())
		}
	}
}

// Interrupt sends the binary os.Interrupt, as Ctrl-C does.
func (p *Proc) Interrupt() {
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		p.t.Fatal(err)
	}
}

// CloseStdin closes the binary's standard input.
func (p *Proc) CloseStdin() {
	p.stdin.Close()
}

// Wait reads the rest of stdout, waits for the binary to exit and returns
// all it printed and its exit status. It fails the test if the binary has
// not exited within 20 seconds.
func (p *Proc) Wait() Result {
	p.t.Helper()
	timeout := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case line, ok := <-p.lines:
			if done = !ok; !done {
				p.stdout.WriteString(line + "\n")
			}
		case <-timeout:
			p.cmd.Process.Kill()
			p.t.Fatalf("no exit within 20s\n%s", p.stdout.String())
		}
	}
	p.cmd.Wait()
	return Result{Stdout: p.stdout.String(), Stderr: p.stderr.String(), Code: p.cmd.ProcessState.ExitCode(), Pid: p.cmd.Process.Pid}
}

// A Subflow is one subflow line printed by lab.PrintSubflows.
type Subflow struct {
	// Side is "client" or "server", the end the line describes.
	Side string
	// ID is the kernel's subflow id.
	ID int
	// Local and Remote are the subflow's addresses as that end sees them.
	Local, Remote netip.AddrPort
	// Path is the index of the path the subflow took.
	Path int
	// State is the TCP state, such as "ESTABLISHED".
	State string
	// Bytes is what the subflow carried: sent by the client, received by
	// the server.
	Bytes uint64
}

var (
	sideLine    = regexp.MustCompile(`^(client|server): \d+ subflows$`)
	subflowLine = regexp.MustCompile(`^  subflow (\d+): (\S+) -> (\S+) \(path (\d+), (\S+)\), (?:sent|received) (\d+) bytes \(`)
)

// Subflows parses the subflow lines of out, each section as
// lab.PrintSubflows printed it, and fails the test if a line does not
// parse.
func Subflows(t testing.TB, out string) []Subflow {
	t.Helper()
	var sfs []Subflow
	side := ""
	for _, line := range strings.Split(out, "\n") {
		if m := sideLine.FindStringSubmatch(line); m != nil {
			side = m[1]
			continue
		}
		m := subflowLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		id, err1 := strconv.Atoi(m[1])
		local, err2 := netip.ParseAddrPort(m[2])
		remote, err3 := netip.ParseAddrPort(m[3])
		path, err4 := strconv.Atoi(m[4])
		n, err5 := strconv.ParseUint(m[6], 10, 64)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			t.Fatalf("subflow line %q: %v", line, err)
		}
		sf := Subflow{Side: side, ID: id, Local: local, Remote: remote, Path: path, State: m[5], Bytes: n}
		sfs = append(sfs, sf)
	}
	return sfs
}

// Side returns the subflows of sfs whose Side is side.
func Side(sfs []Subflow, side string) []Subflow {
	var out []Subflow
	for _, sf := range sfs {
		if sf.Side == side {
			out = append(out, sf)
		}
	}
	return out
}
