// Command limits shows and sets the limits of the in-kernel MPTCP path
// manager through the pm package: a Go counterpart of `ip mptcp limits`.
//
//	go run ./examples/limits show
//	sudo go run ./examples/limits set subflows 4 add_addr_accepted 2
//	sudo go run ./examples/limits -netns blue set add_addr_accepted 1
//
// subflows is how many subflows a connection may add to its first one, and
// add_addr_accepted how many addresses the peer announced it may use; a
// fresh namespace has 2 and 0. set changes only the limits it names and
// then prints both. The kernel caps each limit (at 8 on Linux 6.18) and
// refuses a larger value, changing neither: its message is printed. -netns
// NAME works in the namespace /run/netns/NAME, as `ip -n NAME` does. Errors
// exit with status 1. Setting limits needs CAP_NET_ADMIN.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/multipath-dev/go/pm"
)

func main() {
	netns := flag.String("netns", "", "work in the network namespace /run/netns/`NAME`")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: limits [-netns NAME] show | set [subflows N] [add_addr_accepted N]")
	}
	flag.Parse()
	if err := run(os.Stdout, *netns, flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "limits: %v\n", err)
		os.Exit(1)
	}
}

// run carries out "show" or "set ...", with args as on the command line.
func run(w io.Writer, netns string, args []string) error {
	var u pm.LimitsUpdate
	switch {
	case len(args) == 1 && args[0] == "show":
	case len(args) >= 1 && args[0] == "set":
		var err error
		if u, err = parseSet(args[1:]); err != nil {
			return err
		}
	default:
		return fmt.Errorf("want show or set [subflows N] [add_addr_accepted N], got %q (usage: limits [-netns NAME] show|set ...)", args)
	}

	var cfg pm.Config
	if netns != "" {
		cfg.NetNSPath = "/run/netns/" + netns
	}
	c, err := pm.Dial(&cfg)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("-netns needs CAP_SYS_ADMIN: %w", err)
		}
		return err
	}
	defer c.Close()
	if args[0] == "set" {
		if err := c.SetLimits(u); err != nil {
			op := strings.Join(args, " ")
			if errors.Is(err, os.ErrPermission) {
				return fmt.Errorf("%s: setting limits needs CAP_NET_ADMIN: %w", op, err)
			}
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	l, err := c.Limits()
	if err != nil {
		return err
	}
	// The order and words of `ip mptcp limits show`.
	fmt.Fprintf(w, "add_addr_accepted %d subflows %d\n", l.AddAddrAccepted, l.Subflows)
	return nil
}

// parseSet parses "[subflows N] [add_addr_accepted N]" in either order.
func parseSet(args []string) (pm.LimitsUpdate, error) {
	var u pm.LimitsUpdate
	for i := 0; i < len(args); i += 2 {
		var dst **uint32
		switch args[i] {
		case "subflows":
			dst = &u.Subflows
		case "add_addr_accepted":
			dst = &u.AddAddrAccepted
		default:
			return u, fmt.Errorf("unknown limit %q (want subflows or add_addr_accepted)", args[i])
		}
		if i+1 == len(args) {
			return u, fmt.Errorf("%s wants a number", args[i])
		}
		if *dst != nil {
			return u, fmt.Errorf("%s given twice", args[i])
		}
		n, err := strconv.ParseUint(args[i+1], 10, 32)
		if errors.Is(err, strconv.ErrRange) {
			return u, fmt.Errorf("bad %s %q: out of range", args[i], args[i+1])
		}
		if err != nil {
			return u, fmt.Errorf("bad %s %q: want a whole number", args[i], args[i+1])
		}
		v := uint32(n)
		*dst = &v
	}
	return u, nil
}
