//go:build linux

package nstest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// namePrefix starts the name of every namespace this package makes; the
// pid after it tells a crashed run's leftovers from a live run's namespaces.
const namePrefix = "mptcpt-"

// netnsDir is where `ip netns add` bind-mounts named namespaces.
const netnsDir = "/run/netns"

// cmdTimeout bounds every ip, tc or exec'd command so a hung one fails the
// test instead of the whole test binary timing out.
const cmdTimeout = 30 * time.Second

var (
	nsCounter   atomic.Uint64 // makes names unique within the process
	staleOnce   sync.Once     // leftovers are looked for once per process
	probeOnce   sync.Once
	probeReason string // why a fresh namespace cannot use MPTCP, or ""
)

// Require checks the preconditions of namespace tests: Linux, euid 0, the
// ip and tc binaries, and that a fresh namespace can create an
// IPPROTO_MPTCP socket. If any is missing it calls [Skip] with the reason.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "network namespaces need root (euid is %d)", os.Geteuid())
		return
	}
	for _, bin := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(bin); err != nil {
			Skip(t, "network namespaces need the iproute2 binary %q: %v", bin, err)
			return
		}
	}
	probeOnce.Do(func() { probeReason = probeMPTCP() })
	if probeReason != "" {
		Skip(t, "%s", probeReason)
	}
}

// probeMPTCP tries socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP) in a fresh
// unnamed namespace and returns why it failed, or "" if it worked. A fresh
// namespace is used because the host's net.mptcp.enabled may be 0 while a
// new namespace starts with the default 1.
func probeMPTCP() string {
	reason := make(chan string, 1)
	go func() {
		// Never unlocked: the thread ends up in the probe namespace, so the
		// runtime must discard it when this goroutine exits.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			reason <- fmt.Sprintf("cannot create a network namespace: unshare(CLONE_NEWNET): %v", err)
			return
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
		if err != nil {
			reason <- fmt.Sprintf("kernel cannot create MPTCP sockets in a fresh namespace: socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP): %v", err)
			return
		}
		unix.Close(fd)
		reason <- ""
	}()
	return <-reason
}

// New creates a fresh, uniquely named network namespace
// ("mptcpt-<pid>-<counter>") with lo up and reverse-path filtering off,
// and registers a cleanup that deletes it, which also deletes its veths
// once no socket holds it. It calls [Require] first, and before the first
// namespace of the process it deletes namespaces left by crashed runs: those
// named mptcpt-<pid>-* whose pid no longer exists.
func New(t testing.TB) *NS {
	t.Helper()
	Require(t)
	staleOnce.Do(func() { removeStale(t.Logf) })

	name := fmt.Sprintf("%s%d-%d", namePrefix, os.Getpid(), nsCounter.Add(1))
	if _, err := runCmd("ip", "netns", "add", name); err != nil {
		t.Fatalf("nstest: %v", err)
	}
	ns := &NS{Name: name, path: filepath.Join(netnsDir, name)}
	// Registered before any further setup so a failure below still deletes it.
	t.Cleanup(func() {
		if _, err := runCmd("ip", "netns", "del", name); err != nil {
			t.Errorf("nstest: %v", err)
		}
	})

	if _, err := ns.ip("link", "set", "lo", "up"); err != nil {
		t.Fatalf("nstest: %v", err)
	}
	// Strict reverse-path filtering drops the asymmetric subflows MPTCP
	// creates; the kernel applies max(all, <iface>), and new ifaces copy default.
	ns.Sysctl(t, "net.ipv4.conf.all.rp_filter", "0")
	ns.Sysctl(t, "net.ipv4.conf.default.rp_filter", "0")
	return ns
}

// staleName matches this package's namespace names and captures the pid.
var staleName = regexp.MustCompile(`^` + namePrefix + `(\d+)-\d+$`)

// removeStale deletes the namespaces in /run/netns named mptcpt-<pid>-*
// whose pid is neither this process nor any live process. Namespaces of live
// pids belong to test binaries of other packages running in parallel.
func removeStale(logf func(format string, args ...any)) {
	entries, err := os.ReadDir(netnsDir)
	if err != nil {
		return // No /run/netns yet: nothing can be stale.
	}
	for _, e := range entries {
		m := staleName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || processExists(pid) {
			continue
		}
		// A parallel run may delete the same one first: errors are only logged.
		if _, err := runCmd("ip", "netns", "del", e.Name()); err != nil {
			logf("nstest: removing stale namespace: %v", err)
		} else {
			logf("nstest: removed stale namespace %s of dead pid %d", e.Name(), pid)
		}
	}
}

// processExists reports whether pid names a process, zombies included.
func processExists(pid int) bool {
	err := unix.Kill(pid, 0)
	// EPERM means it exists but belongs to someone else.
	return err == nil || errors.Is(err, unix.EPERM)
}

// Do runs fn on a fresh goroutine whose OS thread is locked and moved into
// the namespace with setns(2), waits for it, and returns fn's error. The
// thread is never unlocked, so the runtime discards it when fn returns
// instead of running other goroutines in the namespace. Sockets created in fn
// stay in the namespace, so a listener made in Do can be used from any
// goroutine afterwards. A panic in fn is re-raised in the caller. fn must
// not call t.FailNow or t.Fatal (it runs on another goroutine); Do reports
// that as an error.
//
// Inside fn, /proc/thread-self/net and /proc/sys/net show the namespace but
// /proc/self/net and /proc/net show the main thread's, and /sys is the
// host's (only `ip netns exec`, see [NS.Run], remounts it).
func (ns *NS) Do(fn func() error) error {
	type result struct {
		err      error
		panicked bool
		value    any
	}
	done := make(chan result, 1)
	go func() {
		returned := false
		defer func() {
			if r := recover(); r != nil {
				done <- result{panicked: true, value: r}
			} else if !returned {
				done <- result{err: fmt.Errorf("nstest: function run in namespace %s exited early (t.FailNow inside Do?)", ns.Name)}
			}
		}()
		// Never unlocked: a thread left in another namespace must not run
		// other goroutines, so the runtime discards it when this one exits.
		runtime.LockOSThread()
		if err := enter(ns.path); err != nil {
			returned = true
			done <- result{err: fmt.Errorf("nstest: entering namespace %s: %w", ns.Name, err)}
			return
		}
		err := fn()
		returned = true
		done <- result{err: err}
	}()
	r := <-done
	if r.panicked {
		panic(r.value)
	}
	return r.err
}

// enter moves the calling thread into the network namespace bound at path.
func enter(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns %s: %w", path, err)
	}
	return nil
}

// Run runs a command inside the namespace with `ip netns exec` and returns
// its combined output. The error includes the command line and the output.
func (ns *NS) Run(name string, args ...string) (string, error) {
	return runCmd("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// MustRun is [NS.Run] that fails the test on error.
func (ns *NS) MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := ns.Run(name, args...)
	if err != nil {
		t.Fatalf("nstest: %v", err)
	}
	return out
}

// ip runs `ip -n <ns> args...`, which is cheaper than going through Run.
func (ns *NS) ip(args ...string) (string, error) {
	return runCmd("ip", append([]string{"-n", ns.Name}, args...)...)
}

// runCmd runs a command in the caller's namespace and returns its combined
// output; the error names the command line and includes the output.
func runCmd(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		line := strings.Join(append([]string{name}, args...), " ")
		return string(out), fmt.Errorf("%s: %w\n%s", line, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// sysctlPath turns a sysctl key into its /proc/sys path. As in sysctl(8), a
// key containing "/" is taken as a path already, which allows dots in
// interface names ("net/ipv4/conf/p1.5/rp_filter").
func sysctlPath(key string) string {
	if !strings.Contains(key, "/") {
		key = strings.ReplaceAll(key, ".", "/")
	}
	return filepath.Join("/proc/sys", filepath.Clean("/"+key))
}

// Sysctl writes value to the sysctl key inside the namespace, for example
// ns.Sysctl(t, "net.mptcp.enabled", "0"), by writing its /proc/sys file from
// [NS.Do], so no sysctl binary is needed. It fails the test on error.
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	err := ns.Do(func() error {
		// /proc/sys/net resolves against the opening thread's namespace.
		f, err := os.OpenFile(sysctlPath(key), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		t.Fatalf("nstest: sysctl %s=%s in %s: %v", key, value, ns.Name, err)
	}
}

// ReadSysctl returns the value of the sysctl key inside the namespace, with
// surrounding white space trimmed. It fails the test on error.
func (ns *NS) ReadSysctl(t testing.TB, key string) string {
	t.Helper()
	var b []byte
	err := ns.Do(func() (err error) {
		b, err = os.ReadFile(sysctlPath(key))
		return err
	})
	if err != nil {
		t.Fatalf("nstest: reading sysctl %s in %s: %v", key, ns.Name, err)
	}
	return strings.TrimSpace(string(b))
}
