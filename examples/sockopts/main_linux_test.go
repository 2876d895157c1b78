package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
	"golang.org/x/sys/unix"
)

// levelOpt gives, for each option name the example may print, its level
// and number, from x/sys/unix rather than from the example's table.
var levelOpt = map[string][2]int{
	"SO_KEEPALIVE":      {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"SO_SNDBUF":         {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"SO_RCVBUF":         {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"SO_PRIORITY":       {unix.SOL_SOCKET, unix.SO_PRIORITY},
	"SO_MARK":           {unix.SOL_SOCKET, unix.SO_MARK},
	"SO_REUSEADDR":      {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"SO_BINDTODEVICE":   {unix.SOL_SOCKET, unix.SO_BINDTODEVICE},
	"SO_ZEROCOPY":       {unix.SOL_SOCKET, unix.SO_ZEROCOPY},
	"TCP_NODELAY":       {unix.SOL_TCP, unix.TCP_NODELAY},
	"TCP_CORK":          {unix.SOL_TCP, unix.TCP_CORK},
	"TCP_KEEPIDLE":      {unix.SOL_TCP, unix.TCP_KEEPIDLE},
	"TCP_KEEPINTVL":     {unix.SOL_TCP, unix.TCP_KEEPINTVL},
	"TCP_KEEPCNT":       {unix.SOL_TCP, unix.TCP_KEEPCNT},
	"TCP_CONGESTION":    {unix.SOL_TCP, unix.TCP_CONGESTION},
	"TCP_MAXSEG":        {unix.SOL_TCP, unix.TCP_MAXSEG},
	"TCP_NOTSENT_LOWAT": {unix.SOL_TCP, unix.TCP_NOTSENT_LOWAT},
	"TCP_INQ":           {unix.SOL_TCP, unix.TCP_INQ},
	"TCP_FASTOPEN":      {unix.SOL_TCP, unix.TCP_FASTOPEN},
	"TCP_USER_TIMEOUT":  {unix.SOL_TCP, unix.TCP_USER_TIMEOUT},
	"TCP_QUICKACK":      {unix.SOL_TCP, unix.TCP_QUICKACK},
	"TCP_SYNCNT":        {unix.SOL_TCP, unix.TCP_SYNCNT},
	"TCP_INFO":          {unix.SOL_TCP, unix.TCP_INFO},
	"TCP_IS_MPTCP":      {unix.SOL_TCP, 43},
	"TCP_ULP":           {unix.SOL_TCP, unix.TCP_ULP},
	"IP_TOS":            {unix.SOL_IP, unix.IP_TOS},
	"IP_TTL":            {unix.SOL_IP, unix.IP_TTL},
	"IP_FREEBIND":       {unix.SOL_IP, unix.IP_FREEBIND},
	"IPV6_V6ONLY":       {unix.SOL_IPV6, unix.IPV6_V6ONLY},
	"IPV6_TCLASS":       {unix.SOL_IPV6, unix.IPV6_TCLASS},
}

// stringOpts take and give strings.
var stringOpts = map[string]bool{"SO_BINDTODEVICE": true, "TCP_CONGESTION": true, "TCP_ULP": true}

// row is one line of the example's table.
type row struct {
	name, value string
	cols        [3][2]string // before, after, tcp: set and get
}

// errName names err as the example does, "ok" for nil.
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	return lab.ErrnoName(err)
}

// apply sets and gets every option of rows on fd, in order, and returns
// what each call gave, formatted as the example formats it.
func apply(fd int, rows []row) ([][2]string, error) {
	var got [][2]string
	for _, r := range rows {
		lo, ok := levelOpt[r.name]
		if !ok {
			return nil, fmt.Errorf("the test does not know option %s", r.name)
		}
		set, get := "-", ""
		switch {
		case r.value == "-":
		case stringOpts[r.name]:
			set = errName(unix.SetsockoptString(fd, lo[0], lo[1], r.value))
		default:
			n, err := strconv.Atoi(r.value)
			if err != nil {
				return nil, fmt.Errorf("%s value %q", r.name, r.value)
			}
			set = errName(unix.SetsockoptInt(fd, lo[0], lo[1], n))
		}
		if r.name == "TCP_INFO" {
			ti, err := unix.GetsockoptTCPInfo(fd, lo[0], lo[1])
			get = errName(err)
			if err == nil {
				get = map[uint8]string{1: "state=ESTABLISHED", 7: "state=CLOSE"}[ti.State]
			}
		} else if stringOpts[r.name] {
			s, err := unix.GetsockoptString(fd, lo[0], lo[1])
			if get = errName(err); err == nil {
				get = strconv.Quote(s)
			}
		} else {
			v, err := unix.GetsockoptInt(fd, lo[0], lo[1])
			if get = errName(err); err == nil {
				get = strconv.Itoa(v)
			}
		}
		got = append(got, [2]string{set, get})
	}
	return got, nil
}

// kernelSays opens, in the calling thread's namespace, a fresh unconnected
// MPTCP socket, an MPTCP listener with an MPTCP and a TCP socket connected
// to it, all of the family, applies rows to each of the three, and returns
// what each call gave, by row and socket.
func kernelSays(family int, rows []row) ([][3][2]string, error) {
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	open := func(proto int) (int, error) {
		fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, proto)
		if err == nil {
			fds = append(fds, fd)
		}
		return fd, err
	}
	var sa unix.Sockaddr = &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if family == unix.AF_INET6 {
		sa = &unix.SockaddrInet6{Addr: [16]byte{15: 1}}
	}
	ln, err := open(unix.IPPROTO_MPTCP)
	if err == nil {
		err = unix.Bind(ln, sa)
	}
	if err == nil {
		err = unix.Listen(ln, 8)
	}
	if err == nil {
		sa, err = unix.Getsockname(ln)
	}
	if err != nil {
		return nil, fmt.Errorf("listener: %w", err)
	}
	out := make([][3][2]string, len(rows))
	for i, proto := range []int{unix.IPPROTO_MPTCP, unix.IPPROTO_MPTCP, unix.IPPROTO_TCP} {
		fd, err := open(proto)
		if err == nil && i > 0 {
			err = unix.Connect(fd, sa)
		}
		if err != nil {
			return nil, fmt.Errorf("socket %d: %w", i, err)
		}
		got, err := apply(fd, rows)
		if err != nil {
			return nil, err
		}
		for j := range got {
			out[j][i] = got[j]
		}
	}
	return out, nil
}

// TestSockopts runs the example in a fresh namespace and checks every
// result it printed against the same setsockopt and getsockopt calls made
// here, in the same namespace, on fresh raw sockets: an unconnected MPTCP
// socket, an MPTCP socket connected to an MPTCP listener, and a TCP socket
// connected to it.
func TestSockopts(t *testing.T) {
	nstest.Require(t)
	bin := labtest.Build(t)
	ns := nstest.New(t)
	out := ns.MustRun(t, bin)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "option ") {
		t.Fatalf("no table\n%s", out)
	}
	var v4, v6 []row
	// The last two lines hold TCP_ULP "tls": what set and get gave.
	if len(lines) < 5 {
		t.Fatalf("too short\n%s", out)
	}
	ulp := row{name: "TCP_ULP", value: "tls"}
	for i, pattern := range []string{
		`^TCP_ULP "tls", set: before (\S+), after (\S+), tcp (\S+)$`,
		`^TCP_ULP, get: before (\S+), after (\S+), tcp (\S+)$`,
	} {
		m := regexp.MustCompile(pattern).FindStringSubmatch(lines[len(lines)-2+i])
		if m == nil {
			t.Fatalf("no line matching %s\n%s", pattern, out)
		}
		for j := range 3 {
			ulp.cols[j][i] = m[j+1]
		}
	}
	for _, line := range lines[2 : len(lines)-2] {
		f := strings.Fields(line)
		if len(f) != 8 {
			t.Fatalf("line %q has %d fields, want 8", line, len(f))
		}
		r := row{name: f[0], value: f[1], cols: [3][2]string{{f[2], f[3]}, {f[4], f[5]}, {f[6], f[7]}}}
		if strings.HasPrefix(r.name, "IPV6_") {
			v6 = append(v6, r)
		} else {
			v4 = append(v4, r)
		}
	}
	v4 = append(v4, ulp) // last on each socket, as in the example
	if len(v4)+len(v6) < 25 {
		t.Errorf("only %d options", len(v4)+len(v6))
	}
	// The results the kernel documentation and our own probes agree on.
	labtest.MustMatch(t, out,
		`^SO_KEEPALIVE +1 +ok +1 +ok +1 +ok +1$`,
		`^SO_REUSEADDR +1 +ok +1 +EINVAL `,
		`^TCP_USER_TIMEOUT +10000 +ENOPROTOOPT +EOPNOTSUPP +ENOPROTOOPT +EOPNOTSUPP +ok +10000$`,
		`^TCP_ULP "tls", set: before ENOPROTOOPT, after ENOPROTOOPT, tcp `,
		`^TCP_ULP, get: before "mptcp", after "mptcp", tcp `,
	)
	// TCP_IS_MPTCP (6.10) reads 1 on MPTCP sockets and 0 on TCP ones where
	// the kernel has it; ask the kernel, not its version string. Where it
	// lacks it, kernelSays below still checks the row against raw calls.
	var isMPTCP bool
	if err := ns.Do(func() (err error) { isMPTCP, err = hasTCPIsMPTCP(); return err }); err != nil {
		t.Fatalf("probing TCP_IS_MPTCP: %v", err)
	}
	if isMPTCP {
		labtest.MustMatch(t, out, `^TCP_IS_MPTCP +- +- +1 +- +1 +- +0$`)
	} else {
		t.Logf("this kernel has no TCP_IS_MPTCP; its row is only compared with raw calls")
	}

	for _, fam := range []struct {
		family int
		rows   []row
	}{{unix.AF_INET, v4}, {unix.AF_INET6, v6}} {
		var got [][3][2]string
		err := ns.Do(func() (err error) {
			got, err = kernelSays(fam.family, fam.rows)
			return err
		})
		if err != nil {
			t.Fatalf("in the namespace: %v", err)
		}
		for j, r := range fam.rows {
			for i, col := range []string{"before", "after", "tcp"} {
				if got[j][i] != r.cols[i] {
					t.Errorf("%s %s: the example printed set %s, get %s; the same calls here give set %s, get %s",
						r.name, col, r.cols[i][0], r.cols[i][1], got[j][i][0], got[j][i][1])
				}
			}
		}
	}
}

// hasTCPIsMPTCP reports whether getsockopt(SOL_TCP, TCP_IS_MPTCP) answers
// on a fresh MPTCP socket, as it does from Linux 6.10 on; before, the
// MPTCP socket refuses the option.
func hasTCPIsMPTCP() (bool, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	_, err = unix.GetsockoptInt(fd, unix.SOL_TCP, 43) // TCP_IS_MPTCP, linux/tcp.h
	return err == nil, nil
}
