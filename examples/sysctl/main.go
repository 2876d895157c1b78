// Command sysctl prints the MPTCP sysctls (net.mptcp.*) of a network
// namespace, read from /proc/sys/net/mptcp, marks those that differ from a
// fresh namespace's defaults, and says which of the ones it knows the
// running kernel lacks, such as path_manager before Linux 6.15. `set KEY
// VALUE` writes one.
//
//	go run ./examples/sysctl
//	go run ./examples/sysctl -netns blue
//	sudo go run ./examples/sysctl set allow_join_initial_addr_port 0
//	sudo go run ./examples/sysctl -netns blue set path_manager userspace
//
// The mptcp and pm packages never change a sysctl: they are the settings
// of the host, or of the container's namespace, and changing them is the
// operator's act, which set makes explicit. set takes the key with or
// without "net.mptcp.", prints the old and the new value, and any other
// sysctl the write changed with it (pm_type and path_manager follow each
// other). What the kernel refuses is printed on stderr with its errno, and
// exits with status 1. Every network namespace has its own MPTCP sysctls;
// a new one starts from the defaults. -netns NAME works in the namespace
// /run/netns/NAME, as `ip -n NAME` does (or the namespace file NAME, if it
// contains a slash), which needs CAP_SYS_ADMIN; writing needs
// CAP_NET_ADMIN in the namespace.
package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/multipath-dev/go/examples/internal/lab"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
)

// dir is where the kernel lists the MPTCP sysctls of the caller's network
// namespace.
const dir = "/proc/sys/net/mptcp"

// A knob is a sysctl this example knows.
type knob struct {
	name  string
	def   string // the default of a new namespace; "" for a read-only one
	since string // the first kernel that has it
	about string
}

// knobs are the MPTCP sysctls up to Linux 6.18 and one newer.
var knobs = []knob{
	{"add_addr_timeout", "120", "5.10", "seconds before an unacknowledged ADD_ADDR is sent again, at most"},
	{"add_addr_v6_port_drop_ts", "1", "later than 6.18", "may drop TCP timestamps to fit an IPv6 ADD_ADDR with a port"},
	{"allow_join_initial_addr_port", "1", "5.14", "accept joins to the initial address and port; 0 sets the C flag"},
	{"available_path_managers", "", "6.15", "read-only: what path_manager accepts"},
	{"available_schedulers", "", "6.10", "read-only: what scheduler accepts"},
	{"blackhole_timeout", "3600", "6.12", "seconds MPTCP is off after its SYNs got lost; 0: no such check"},
	{"checksum_enabled", "0", "5.14", "ask for DSS checksums"},
	{"close_timeout", "60", "6.7", "seconds a connection without subflows is kept, unless closed"},
	{"enabled", "1", "5.6", "allow creating MPTCP sockets; 0: socket() fails with ENOPROTOOPT"},
	{"path_manager", "kernel", "6.15", "path manager of new connections: kernel or userspace"},
	{"pm_type", "0", "5.19", "path_manager as a number: 0 kernel, 1 userspace (deprecated)"},
	{"scheduler", "default", "6.6", "packet scheduler of new connections"},
	{"stale_loss_cnt", "4", "5.15", "retransmission intervals without progress that make a subflow stale"},
	{"syn_retrans_before_tcp_fallback", "2", "6.13", "SYN retransmissions with MP_CAPABLE before one without"},
}

const usage = `usage: sysctl [-netns NAME] [set KEY VALUE]`

func main() {
	netns := flag.String("netns", "", "work in the network namespace /run/netns/`NAME`")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, usage) }
	flag.Parse()
	path := *netns
	if path != "" && !strings.Contains(path, "/") {
		path = "/run/netns/" + path
	}
	var err error
	switch args := flag.Args(); {
	case len(args) == 0:
		err = lab.InNetNS(path, func() error { return show(os.Stdout, *netns) })
	case len(args) == 3 && args[0] == "set":
		err = lab.InNetNS(path, func() error { return set(os.Stdout, args[1], args[2]) })
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sysctl: %v\n", err)
		os.Exit(1)
	}
}

// readAll returns the names of the sysctls in dir, sorted, and their
// values with the trailing newline removed; tabs between the words of a
// list become spaces.
func readAll() ([]string, map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("no %s: this kernel has no MPTCP (CONFIG_MPTCP), or this is not Linux", dir)
	} else if err != nil {
		return nil, nil, err
	}
	var names []string
	values := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, err
		}
		names = append(names, e.Name())
		values[e.Name()] = strings.Join(strings.Fields(string(b)), " ")
	}
	return names, values, nil
}

// show prints every sysctl of dir, the known ones this kernel lacks, and
// which path-manager setting it has.
func show(w io.Writer, netns string) error {
	names, values, err := readAll()
	if err != nil {
		return err
	}
	where := "the current network namespace"
	if netns != "" {
		where = "network namespace " + netns
	}
	release, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	fmt.Fprintf(w, "net.mptcp sysctls of %s (Linux %s):\n", where, strings.TrimSpace(string(release)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, name := range names {
		v, about := values[name], "not known to this example"
		if k, ok := lookup(name); ok {
			about = k.about
			if k.def != "" && v != k.def {
				v += " (default " + k.def + ")"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, v, about)
	}
	tw.Flush()
	var missing []knob
	for _, k := range knobs {
		if _, ok := values[k.name]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintln(w, "not on this kernel:")
		for _, k := range missing {
			fmt.Fprintf(tw, "  %s\t%s (%s)\n", k.name, k.about, k.since)
		}
		tw.Flush()
	}
	pmType, hasType := values["pm_type"]
	pmName, hasName := values["path_manager"]
	switch {
	case hasName && hasType:
		fmt.Fprintf(w, "path manager: path_manager = %s; pm_type = %s is the same setting as a number, kept for older programs\n", pmName, pmType)
	case hasType:
		fmt.Fprintf(w, "path manager: pm_type = %s (0 kernel, 1 userspace); path_manager needs Linux 6.15\n", pmType)
	default:
		fmt.Fprintln(w, "path manager: the in-kernel one only; choosing one (pm_type) needs Linux 5.19")
	}
	return nil
}

// lookup returns the knob called name.
func lookup(name string) (knob, bool) {
	i := slices.IndexFunc(knobs, func(k knob) bool { return k.name == name })
	if i < 0 {
		return knob{}, false
	}
	return knobs[i], true
}

// set writes value to the sysctl key and prints its old and new value, and
// those of any other sysctl that changed with it.
func set(w io.Writer, key, value string) error {
	name := strings.TrimPrefix(key, "net.mptcp.")
	if name == "" || strings.ContainsAny(name, "./") {
		return fmt.Errorf("%q is not a net.mptcp sysctl", key)
	}
	_, before, err := readAll()
	if err != nil {
		return err
	}
	old, ok := before[name]
	if !ok {
		return fmt.Errorf("no sysctl net.mptcp.%s on this kernel", name)
	}
	err = write(filepath.Join(dir, name), value)
	var pe *fs.PathError
	switch {
	case err == nil:
	case errors.As(err, &pe) && pe.Op == "open" && errors.Is(err, syscall.EACCES) && os.Geteuid() == 0:
		return fmt.Errorf("net.mptcp.%s is read-only: %w", name, err)
	case errors.As(err, &pe) && pe.Op == "open":
		return fmt.Errorf("writing net.mptcp.%s needs CAP_NET_ADMIN in the namespace: %w", name, err)
	case errors.Is(err, syscall.ENOENT) && (name == "path_manager" || name == "scheduler"):
		return fmt.Errorf("the kernel refused %q for net.mptcp.%s: %w (see net.mptcp.available_%ss)", value, name, pe.Err, name)
	case errors.As(err, &pe):
		return fmt.Errorf("the kernel refused %q for net.mptcp.%s: %w", value, name, pe.Err)
	default:
		return err
	}
	names, after, err := readAll()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "net.mptcp.%s: %s -> %s\n", name, old, after[name])
	for _, n := range names {
		if n != name && after[n] != before[n] {
			fmt.Fprintf(w, "  with it net.mptcp.%s: %s -> %s\n", n, before[n], after[n])
		}
	}
	return nil
}

// write writes value to the existing file path with one write, as
// sysctl(8) does.
func write(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	return errors.Join(err, f.Close())
}
