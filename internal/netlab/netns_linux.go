//go:build linux

package netlab

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
	"time"

	"golang.org/x/sys/unix"
)

// netnsDir is where `ip netns add` bind-mounts named namespaces.
const netnsDir = "/run/netns"

// cmdTimeout bounds every ip, tc or exec'd command so a hung one returns an
// error instead of hanging its caller.
const cmdTimeout = 30 * time.Second

// NS is a named network namespace made by [NewNS]; [NS.Delete] removes it.
type NS struct {
	// Name is the namespace's name as `ip netns list` shows it.
	Name string

	path    string     // its bind mount, /run/netns/<Name>
	mu      sync.Mutex // guards deleted
	deleted bool       // Delete has succeeded once
}

// nsCounter makes namespace names unique within the process.
var nsCounter atomic.Uint64

// NewNS creates a fresh, uniquely named network namespace,
// "<prefix><pid>-<counter>", with lo up and reverse-path filtering off
// (net.ipv4.conf.all.rp_filter and net.ipv4.conf.default.rp_filter are 0,
// since strict filtering drops the asymmetric subflows MPTCP creates). The
// pid in the name lets [RemoveStale] tell a crashed run's leftovers from a
// live one's. If any step after creating the namespace fails, NewNS deletes
// it again before returning the error.
func NewNS(prefix string) (*NS, error) {
	name := fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), nsCounter.Add(1))
	if _, err := runCmd("ip", "netns", "add", name); err != nil {
		return nil, err
	}
	ns := &NS{Name: name, path: filepath.Join(netnsDir, name)}
	if err := ns.setup(); err != nil {
		return nil, errors.Join(err, ns.Delete())
	}
	return ns, nil
}

// setup brings lo up and turns reverse-path filtering off.
func (ns *NS) setup() error {
	if _, err := ns.ip("link", "set", "lo", "up"); err != nil {
		return err
	}
	// The kernel applies max(all, <iface>), and new interfaces copy default.
	for _, key := range []string{"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"} {
		if err := ns.SetSysctl(key, "0"); err != nil {
			return err
		}
	}
	return nil
}

// Delete deletes the namespace with `ip netns del`, which also deletes its
// veths once no socket or thread holds it. Once it has succeeded, further
// calls do nothing and return nil.
func (ns *NS) Delete() error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.deleted {
		return nil
	}
	if _, err := runCmd("ip", "netns", "del", ns.Name); err != nil {
		return err
	}
	ns.deleted = true
	return nil
}

// RemoveStale deletes the namespaces in /run/netns named
// "<prefix><pid>-<counter>", as [NewNS] names them, whose pid is neither this
// process nor any live process, and returns the names it deleted.
// Namespaces of live pids belong to other programs using the same prefix,
// such as test binaries of other packages running in parallel. Errors are
// ignored: a parallel run may delete the same namespace first.
func RemoveStale(prefix string) []string {
	entries, err := os.ReadDir(netnsDir)
	if err != nil {
		return nil // No /run/netns yet: nothing can be stale.
	}
	stale := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `(\d+)-\d+$`)
	var removed []string
	for _, e := range entries {
		m := stale.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || processExists(pid) {
			continue
		}
		if _, err := runCmd("ip", "netns", "del", e.Name()); err == nil {
			removed = append(removed, e.Name())
		}
	}
	return removed
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
// not call runtime.Goexit (which t.FailNow and t.Fatal do, and which would
// only end fn's own goroutine); Do reports that as an error.
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
				done <- result{err: fmt.Errorf("netlab: function run in namespace %s exited early (runtime.Goexit, or t.FailNow inside Do?)", ns.Name)}
			}
		}()
		// Never unlocked: a thread left in another namespace must not run
		// other goroutines, so the runtime discards it when this one exits.
		runtime.LockOSThread()
		if err := enter(ns.path); err != nil {
			returned = true
			done <- result{err: fmt.Errorf("netlab: entering namespace %s: %w", ns.Name, err)}
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
		return string(out), fmt.Errorf("netlab: %s: %w\n%s", line, err, strings.TrimSpace(string(out)))
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

// SetSysctl writes value to the sysctl key inside the namespace, for example
// ns.SetSysctl("net.mptcp.enabled", "0"), by writing its /proc/sys file from
// [NS.Do], so no sysctl binary is needed. As in sysctl(8), a key containing
// "/" is a path under /proc/sys, which allows dots in interface names.
func (ns *NS) SetSysctl(key, value string) error {
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
		return fmt.Errorf("netlab: sysctl %s=%s in %s: %w", key, value, ns.Name, err)
	}
	return nil
}

// Sysctl returns the value of the sysctl key inside the namespace, spelt as
// for [NS.SetSysctl], with surrounding white space trimmed.
func (ns *NS) Sysctl(key string) (string, error) {
	var b []byte
	err := ns.Do(func() (err error) {
		b, err = os.ReadFile(sysctlPath(key))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("netlab: reading sysctl %s in %s: %w", key, ns.Name, err)
	}
	return strings.TrimSpace(string(b)), nil
}
