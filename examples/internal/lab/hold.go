package lab

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/multipath-dev/go/internal/netlab"
)

// Hold keeps the lab's connections open for a look from outside: it prints
// the `ss` command that shows them in the namespace ns and returns on Enter
// (or the end of standard input) or on Ctrl-C. With -look CMD it runs CMD
// with sh in ns instead of waiting, so that what CMD prints (ss, nstat …)
// follows the example's own output, and returns when CMD ends.
func (l *Lab) Hold(ns *netlab.NS) {
	fmt.Fprintf(l.w, "holding the connection: look with `ip netns exec %s ss -Mtin`; Enter or Ctrl-C ends\n", ns.Name)
	if l.look != "" {
		cmd := exec.CommandContext(l.ctx, "ip", "netns", "exec", ns.Name, "sh", "-c", l.look)
		cmd.Stdout, cmd.Stderr = l.w, l.w
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(l.w, "-look %q: %v\n", l.look, err)
		}
		return
	}
	enter := make(chan struct{})
	go func() {
		for b := make([]byte, 1); ; {
			if _, err := os.Stdin.Read(b); err != nil || b[0] == '\n' {
				break
			}
		}
		close(enter)
	}()
	select {
	case <-enter:
	case <-l.Done():
	}
}

// PrintAndHold prints the subflows of c, as PrintSubflows does, and then,
// if hold is true, holds the connection open for a look with ss from the
// client's namespace, as Hold does.
func (l *Lab) PrintAndHold(c *Conn, hold bool) error {
	if _, err := l.PrintSubflows(c); err != nil {
		return err
	}
	if hold {
		l.Hold(l.Client)
	}
	return nil
}
