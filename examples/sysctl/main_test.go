package main

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
)

// sysctlLine is one sysctl as show prints it: name, value (with the default
// after it if it differs) and what it means, in columns at least two spaces
// apart.
var sysctlLine = regexp.MustCompile(`^  (\S+)  +(.+?)(?: \(default ([^)]*)\))?  +\S.*$`)

// parse returns the sysctls show printed, name to value, in the order
// printed, and the defaults it printed beside values that differ from them.
func parse(t *testing.T, out string) (names []string, values, defaults map[string]string) {
	t.Helper()
	values, defaults = map[string]string{}, map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if line == "not on this kernel:" {
			break
		}
		if m := sysctlLine.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
			values[m[1]] = m[2]
			if m[3] != "" {
				defaults[m[1]] = m[3]
			}
		}
	}
	return names, values, defaults
}

// files reads the MPTCP sysctl files of ns directly, name to value, as
// ReadSysctl trims them, and returns their names sorted.
func files(t *testing.T, ns *nstest.NS) ([]string, map[string]string) {
	t.Helper()
	var names []string
	if err := ns.Do(func() error {
		entries, err := os.ReadDir("/proc/sys/net/mptcp")
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, n := range names {
		values[n] = strings.Join(strings.Fields(ns.ReadSysctl(t, "net.mptcp."+n)), " ")
	}
	return names, values
}

// TestSysctlFresh checks that the example lists every file of a fresh
// namespace's /proc/sys/net/mptcp with the value read there, that none
// differs from the defaults it knows, and that it lists as missing exactly
// the known sysctls the kernel lacks.
func TestSysctlFresh(t *testing.T) {
	ns := nstest.New(t)
	t.Parallel()
	r := labtest.Run(t, labtest.Build(t), "-netns", ns.Name)
	if r.Code != 0 {
		t.Fatalf("sysctl failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout, `^net\.mptcp sysctls of network namespace `+ns.Name+` \(Linux \S+\):$`)
	names, values, defaults := parse(t, r.Stdout)
	want, read := files(t, ns)
	if !slices.Equal(names, want) {
		t.Fatalf("the example listed\n%v\n/proc/sys/net/mptcp has\n%v", names, want)
	}
	for _, n := range names {
		if values[n] != read[n] {
			t.Errorf("%s: the example printed %q, the file reads %q", n, values[n], read[n])
		}
	}
	if len(defaults) != 0 {
		t.Errorf("in a fresh namespace the example marked %v as not the default\n%s", defaults, r.Stdout)
	}
	for _, k := range knobs {
		_, has := read[k.name]
		if missing := regexp.MustCompile(`(?m)^  ` + k.name + `  +.*\(` + regexp.QuoteMeta(k.since) + `\)$`).MatchString(r.Stdout); missing == has {
			t.Errorf("%s: on this kernel %v, listed as missing %v\n%s", k.name, has, missing, r.Stdout)
		}
	}
	if _, ok := read["path_manager"]; ok {
		labtest.MustMatch(t, r.Stdout, `^path manager: path_manager = kernel; pm_type = 0 `)
	}
}

// TestSysctlSet checks that set writes the file, that show then marks the
// value as changed, that pm_type drags path_manager along, and that values
// the kernel refuses, read-only and unknown sysctls fail with status 1 and
// leave the files as they were.
func TestSysctlSet(t *testing.T) {
	ns := nstest.New(t)
	t.Parallel()
	bin := labtest.Build(t)
	r := labtest.Run(t, bin, "-netns", ns.Name, "set", "net.mptcp.allow_join_initial_addr_port", "0")
	if r.Code != 0 || r.Stdout != "net.mptcp.allow_join_initial_addr_port: 1 -> 0\n" {
		t.Fatalf("set allow_join_initial_addr_port 0\n%v", r)
	}
	if v := ns.ReadSysctl(t, "net.mptcp.allow_join_initial_addr_port"); v != "0" {
		t.Errorf("after set, the file reads %q, want 0", v)
	}
	r = labtest.Run(t, bin, "-netns", ns.Name)
	if _, values, defaults := parse(t, r.Stdout); values["allow_join_initial_addr_port"] != "0" || defaults["allow_join_initial_addr_port"] != "1" {
		t.Errorf("after set, show prints allow_join_initial_addr_port %q (default %q), want 0 (default 1)\n%s",
			values["allow_join_initial_addr_port"], defaults["allow_join_initial_addr_port"], r.Stdout)
	}

	_, before := files(t, ns)
	if _, ok := before["path_manager"]; ok {
		r = labtest.Run(t, bin, "-netns", ns.Name, "set", "pm_type", "1")
		want := "net.mptcp.pm_type: 0 -> 1\n  with it net.mptcp.path_manager: kernel -> userspace\n"
		if r.Code != 0 || r.Stdout != want {
			t.Errorf("set pm_type 1: want\n%s\n%v", want, r)
		}
		if v := ns.ReadSysctl(t, "net.mptcp.path_manager"); v != "userspace" {
			t.Errorf("after pm_type 1, path_manager reads %q", v)
		}
	}

	_, before = files(t, ns)
	for _, c := range []struct{ key, value, stderr string }{
		{"enabled", "2", `refused "2" for net\.mptcp\.enabled: invalid argument`},
		{"path_manager", "nosuch", `refused "nosuch" for net\.mptcp\.path_manager: no such file or directory`},
		{"available_schedulers", "x", `net\.mptcp\.available_schedulers is read-only`},
		{"nosuch", "1", `no sysctl net\.mptcp\.nosuch on this kernel`},
	} {
		r := labtest.Run(t, bin, "-netns", ns.Name, "set", c.key, c.value)
		if r.Code != 1 {
			t.Errorf("set %s %s exited %d, want 1\n%v", c.key, c.value, r.Code, r)
		}
		labtest.MustMatch(t, r.Stderr, c.stderr)
	}
	if _, after := files(t, ns); !maps.Equal(before, after) {
		t.Errorf("refused writes changed the sysctls from\n%v\nto\n%v", before, after)
	}
}

// TestSysctlCurrent checks that without -netns the example reads the
// namespace it runs in, here the test's own.
func TestSysctlCurrent(t *testing.T) {
	entries, err := os.ReadDir("/proc/sys/net/mptcp")
	if err != nil {
		nstest.Skip(t, "no MPTCP sysctls: %v", err)
	}
	r := labtest.Run(t, labtest.Build(t))
	if r.Code != 0 {
		t.Fatalf("sysctl failed\n%v", r)
	}
	labtest.MustMatch(t, r.Stdout, `^net\.mptcp sysctls of the current network namespace `)
	names, values, _ := parse(t, r.Stdout)
	if len(names) != len(entries) {
		t.Errorf("the example listed %d sysctls, the directory has %d\n%s", len(names), len(entries), r.Stdout)
	}
	for _, e := range entries {
		b, err := os.ReadFile("/proc/sys/net/mptcp/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if v := strings.Join(strings.Fields(string(b)), " "); values[e.Name()] != v {
			t.Errorf("%s: the example printed %q, the file reads %q", e.Name(), values[e.Name()], v)
		}
	}
}
