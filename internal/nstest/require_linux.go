//go:build linux

package nstest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

var (
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
