package pm

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// This file reads and writes the text of `ip mptcp endpoint show` and
// `ip mptcp limits show` (iproute2 6.1 and later), so tests can compare what
// iproute2 prints with what this package reads. Its exported names exist
// only in test builds, for the pm_test package.

// IPShowFlagWords are the flag words of iproute2, in the order it prints
// them. iproute2 6.1 knows all but laminar, which it prints as
// "rawflags 20".
var IPShowFlagWords = []string{"signal", "subflow", "backup", "fullmesh", "implicit", "laminar"}

// ParseIPShowLine parses one line of `ip mptcp endpoint show`:
// "ADDR [port P] id N [FLAG...] [rawflags XX] [dev NAME]". ifindex maps an
// interface name to its index.
func ParseIPShowLine(line string, ifindex func(name string) (int, error)) (Endpoint, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return Endpoint{}, fmt.Errorf("empty line")
	}
	var ep Endpoint
	a, err := netip.ParseAddr(f[0])
	if err != nil {
		return Endpoint{}, fmt.Errorf("%q: %v", line, err)
	}
	ep.Addr = a
	for i := 1; i < len(f); i++ {
		w := f[i]
		bit, isFlag := parseFlagWord(w)
		switch {
		case w == "port" || w == "id" || w == "rawflags" || w == "dev":
			if i+1 >= len(f) {
				return Endpoint{}, fmt.Errorf("%q: %s without value", line, w)
			}
			i++
			v := f[i]
			switch w {
			case "port":
				n, err := strconv.ParseUint(v, 10, 16)
				if err != nil {
					return Endpoint{}, fmt.Errorf("%q: port: %v", line, err)
				}
				ep.Port = uint16(n)
			case "id":
				n, err := strconv.ParseUint(v, 10, 8)
				if err != nil {
					return Endpoint{}, fmt.Errorf("%q: id: %v", line, err)
				}
				ep.ID = uint8(n)
			case "rawflags":
				n, err := strconv.ParseUint(v, 16, 32)
				if err != nil {
					return Endpoint{}, fmt.Errorf("%q: rawflags: %v", line, err)
				}
				ep.Flags |= Flags(n)
			case "dev":
				idx, err := ifindex(v)
				if err != nil {
					return Endpoint{}, fmt.Errorf("%q: dev: %v", line, err)
				}
				ep.Interface = idx
			}
		case isFlag && !strings.HasPrefix(w, "0x"):
			ep.Flags |= bit
		default:
			return Endpoint{}, fmt.Errorf("%q: unexpected word %q", line, w)
		}
	}
	return ep, nil
}

// FormatIPShowLine formats ep as `ip mptcp endpoint show` prints it, with
// the trailing space, given the flag words the installed iproute2 knows
// (see IPShowFlagWords) and a function naming interface indexes.
func FormatIPShowLine(ep Endpoint, words []string, ifname func(int) string) string {
	var b strings.Builder
	b.WriteString(ep.Addr.String() + " ")
	if ep.Port != 0 {
		fmt.Fprintf(&b, "port %d ", ep.Port)
	}
	fmt.Fprintf(&b, "id %d ", ep.ID)
	rest := ep.Flags
	for _, n := range flagNames {
		known := false
		for _, w := range words {
			known = known || w == n.name
		}
		if known && rest&n.f != 0 {
			b.WriteString(n.name + " ")
			rest &^= n.f
		}
	}
	if rest != 0 {
		fmt.Fprintf(&b, "rawflags %02x ", uint32(rest))
	}
	if ep.Interface != 0 {
		b.WriteString("dev " + ifname(ep.Interface) + " ")
	}
	return b.String()
}

// ParseIPLimits parses `ip mptcp limits show`: "add_addr_accepted A subflows S".
func ParseIPLimits(s string) (Limits, error) {
	var l Limits
	_, err := fmt.Sscanf(strings.TrimSpace(s), "add_addr_accepted %d subflows %d", &l.AddAddrAccepted, &l.Subflows)
	return l, err
}
