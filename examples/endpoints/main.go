// Command endpoints lists and changes the endpoints of the in-kernel MPTCP
// path manager through the pm package: a Go counterpart of
// `ip mptcp endpoint`, which prints endpoints the way iproute2 does.
//
//	go run ./examples/endpoints show
//	sudo go run ./examples/endpoints add 192.0.2.2 dev eth1 subflow backup
//	sudo go run ./examples/endpoints add 2001:db8::2 id 7 port 8080 signal
//	sudo go run ./examples/endpoints change id 7 nobackup
//	sudo go run ./examples/endpoints delete id 7
//	sudo go run ./examples/endpoints delete addr 192.0.2.2
//	sudo go run ./examples/endpoints flush
//	sudo go run ./examples/endpoints -netns blue show
//
// The subcommands are:
//
//	show [id N]
//	add ADDR [id N] [port P] [dev IFNAME] [signal] [subflow] [backup] [fullmesh] [laminar]
//	delete id N | delete addr ADDR
//	flush
//	change id N [backup|nobackup] [fullmesh|nofullmesh]
//
// add and change print the endpoint as the kernel stored it. Unlike
// iproute2 6.1, whose change sends only the words given (so
// `change id N fullmesh` there also clears backup), change here keeps the
// flag it is not told about. -netns NAME works in the namespace
// /run/netns/NAME, as `ip -n NAME` does. Errors are printed on stderr and
// exit with status 1. Changing endpoints needs CAP_NET_ADMIN; opening another
// namespace needs CAP_SYS_ADMIN.
package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/multipath-dev/go/examples/internal/lab"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/multipath-dev/go/pm"
)

const usage = `usage: endpoints [-netns NAME] COMMAND
  show [id N]
  add ADDR [id N] [port P] [dev IFNAME] [signal] [subflow] [backup] [fullmesh] [laminar]
  delete id N | delete addr ADDR
  flush
  change id N [backup|nobackup] [fullmesh|nofullmesh]`

func main() {
	netns := flag.String("netns", "", "work in the network namespace /run/netns/`NAME`")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, usage) }
	flag.Parse()
	if err := run(os.Stdout, *netns, flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "endpoints: %v\n", err)
		os.Exit(1)
	}
}

// run carries out one command, with args as on the command line.
func run(w io.Writer, netns string, args []string) error {
	if len(args) == 0 {
		return errors.New("no command\n" + usage)
	}
	cfg := &pm.Config{}
	if netns != "" {
		cfg.NetNSPath = "/run/netns/" + netns
	}
	c, err := pm.Dial(cfg)
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("entering another network namespace needs CAP_SYS_ADMIN: %w", err)
	} else if err != nil {
		return err
	}
	defer c.Close()
	ifs := interfaces{netns: cfg.NetNSPath}

	cmd, args := args[0], args[1:]
	switch cmd {
	case "show", "list":
		return show(w, c, ifs, args)
	case "add":
		ep, err := parseAdd(args, ifs)
		if err != nil {
			return err
		}
		ep, err = c.AddEndpoint(ep)
		if err != nil {
			return explain("add "+strings.Join(args, " "), err)
		}
		fmt.Fprintln(w, format(ep, ifs))
		return nil
	case "delete", "del":
		return del(c, args)
	case "flush":
		if len(args) != 0 {
			return fmt.Errorf("flush takes no arguments, got %q", args)
		}
		return explain("flush", c.FlushEndpoints())
	case "change":
		return change(w, c, ifs, args)
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// show prints every endpoint, or the one that "id N" names.
func show(w io.Writer, c *pm.Client, ifs interfaces, args []string) error {
	var eps []pm.Endpoint
	switch len(args) {
	case 0:
		var err error
		if eps, err = c.Endpoints(); err != nil {
			return explain("show", err)
		}
	case 2:
		id, err := parseID(args)
		if err != nil {
			return err
		}
		ep, err := c.Endpoint(id)
		if err != nil {
			return explain("show id "+args[1], err)
		}
		eps = append(eps, ep)
	default:
		return fmt.Errorf("show takes nothing or id N, got %q", args)
	}
	for _, ep := range eps {
		fmt.Fprintln(w, format(ep, ifs))
	}
	return nil
}

// del deletes the endpoint "id N" names, or those "addr ADDR" names.
func del(c *pm.Client, args []string) error {
	if len(args) == 2 && args[0] == "addr" {
		a, err := parseAddr(args[1])
		if err != nil {
			return err
		}
		return explain("delete addr "+args[1], c.DeleteEndpointAddr(a))
	}
	id, err := parseID(args)
	if err != nil {
		return fmt.Errorf("delete wants id N or addr ADDR: %v", err)
	}
	return explain("delete id "+args[1], c.DeleteEndpoint(id))
}

// change sets or clears the backup and fullmesh flags of one endpoint and
// keeps those it is not told about.
func change(w io.Writer, c *pm.Client, ifs interfaces, args []string) error {
	if len(args) < 3 {
		return errors.New("change wants id N and at least one of backup, nobackup, fullmesh, nofullmesh")
	}
	id, err := parseID(args[:2])
	if err != nil {
		return err
	}
	ep, err := c.Endpoint(id)
	if err != nil {
		return explain("change id "+args[1], err)
	}
	flags := ep.Flags
	for _, word := range args[2:] {
		switch word {
		case "backup":
			flags |= pm.FlagBackup
		case "nobackup":
			flags &^= pm.FlagBackup
		case "fullmesh":
			flags |= pm.FlagFullmesh
		case "nofullmesh":
			flags &^= pm.FlagFullmesh
		default:
			return fmt.Errorf("change: unknown flag %q (want backup, nobackup, fullmesh or nofullmesh)", word)
		}
	}
	// SetEndpointFlags replaces both changeable flags, as the kernel does.
	if err := c.SetEndpointFlags(id, flags&(pm.FlagBackup|pm.FlagFullmesh)); err != nil {
		return explain("change "+strings.Join(args, " "), err)
	}
	if ep, err = c.Endpoint(id); err != nil {
		return explain("change id "+args[1], err)
	}
	fmt.Fprintln(w, format(ep, ifs))
	return nil
}

// addFlags are the flag words add accepts.
var addFlags = map[string]pm.Flags{
	"signal":   pm.FlagSignal,
	"subflow":  pm.FlagSubflow,
	"backup":   pm.FlagBackup,
	"fullmesh": pm.FlagFullmesh,
	"laminar":  pm.FlagLaminar,
}

// parseAdd parses "ADDR [id N] [port P] [dev IFNAME] [FLAGS...]", the
// keywords in any order.
func parseAdd(args []string, ifs interfaces) (pm.Endpoint, error) {
	var ep pm.Endpoint
	if len(args) == 0 {
		return ep, errors.New("add wants an address")
	}
	a, err := parseAddr(args[0])
	if err != nil {
		return ep, err
	}
	ep.Addr = a
	for i := 1; i < len(args); i++ {
		word := args[i]
		if f, ok := addFlags[word]; ok {
			ep.Flags |= f
			continue
		}
		if word == "implicit" {
			return ep, errors.New(`add: flag "implicit" cannot be requested (the kernel sets it on endpoints it creates)`)
		}
		if word != "id" && word != "port" && word != "dev" {
			return ep, fmt.Errorf("add: unknown flag %q (want signal, subflow, backup, fullmesh or laminar)", word)
		}
		if i+1 == len(args) {
			return ep, fmt.Errorf("add: %s wants a value", word)
		}
		i++
		switch word {
		case "id":
			if ep.ID, err = parseID(args[i-1 : i+1]); err != nil {
				return ep, err
			}
		case "port":
			p, err := strconv.ParseUint(args[i], 10, 16)
			if err != nil || p == 0 {
				return ep, fmt.Errorf("bad port %q: want 1 to 65535", args[i])
			}
			ep.Port = uint16(p)
		case "dev":
			if ep.Interface, err = ifs.index(args[i]); err != nil {
				return ep, err
			}
		}
	}
	return ep, nil
}

// parseID parses "id N" with N from 1 to 255.
func parseID(args []string) (uint8, error) {
	if len(args) != 2 || args[0] != "id" {
		return 0, fmt.Errorf("want id N, got %q", strings.Join(args, " "))
	}
	n, err := strconv.ParseUint(args[1], 10, 8)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad id %q: want 1 to 255", args[1])
	}
	return uint8(n), nil
}

// parseAddr parses an IPv4 or IPv6 address without a zone.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("bad address %q: want an IPv4 or IPv6 address such as 192.0.2.1 or 2001:db8::1", s)
	}
	return a, nil
}

// format writes ep as `ip mptcp endpoint show` does, without its trailing
// space: "ADDR [port P] id N [FLAGS] [rawflags XX] [dev IF]".
func format(ep pm.Endpoint, ifs interfaces) string {
	s := ep.Addr.String()
	if ep.Port != 0 {
		s += fmt.Sprintf(" port %d", ep.Port)
	}
	s += fmt.Sprintf(" id %d", ep.ID)
	if ep.Flags != 0 {
		s += " " + ep.Flags.String() // "subflow backup rawflags 40", as ip prints it
	}
	if ep.Interface != 0 {
		s += " dev " + ifs.name(ep.Interface)
	}
	return s
}

// plainWords say in plain words what errors of the pm package mean.
var plainWords = []struct {
	err  error
	what string
}{
	{pm.ErrNotFound, "no such endpoint"},
	{os.ErrExist, "endpoint exists"},
	{os.ErrPermission, "permission denied (changing endpoints needs CAP_NET_ADMIN)"},
	{syscall.ERANGE, "endpoint table full"},
	{syscall.EADDRNOTAVAIL, "address not local (an endpoint with a port listens on it)"},
	{syscall.EADDRINUSE, "address and port in use"},
}

// explain puts what went wrong in plain words before the error of the
// operation op.
func explain(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, p := range plainWords {
		if errors.Is(err, p.err) {
			return fmt.Errorf("%s: %s (%w)", op, p.what, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// interfaces turns interface names into indexes and back in the network
// namespace at the path netns, or in this process's namespace if it is "".
type interfaces struct{ netns string }

// index returns the index of the interface called name.
func (ifs interfaces) index(name string) (int, error) {
	ifi, err := ifs.find(func() (*net.Interface, error) { return net.InterfaceByName(name) })
	if err != nil {
		return 0, fmt.Errorf("bad dev %q: %v", name, err)
	}
	return ifi.Index, nil
}

// name returns the name of the interface with index idx, or "if<idx>" as
// iproute2 writes an index that names no interface.
func (ifs interfaces) name(idx int) string {
	ifi, err := ifs.find(func() (*net.Interface, error) { return net.InterfaceByIndex(idx) })
	if err != nil {
		return "if" + strconv.Itoa(idx)
	}
	return ifi.Name
}

// find runs lookup in the namespace and returns what it found.
func (ifs interfaces) find(lookup func() (*net.Interface, error)) (ifi *net.Interface, err error) {
	err = lab.InNetNS(ifs.netns, func() error {
		ifi, err = lookup()
		return err
	})
	return ifi, err
}
