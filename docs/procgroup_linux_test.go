package docs

import (
	"os/exec"
	"syscall"
	"time"
)

// ownGroup puts the command in a process group of its own and makes its
// context's end kill the whole group, so that a command a page shows that
// started something in the background (a server, tcpdump) cannot outlive
// its test.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}
