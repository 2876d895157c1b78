//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
	"golang.org/x/sys/unix"
)

// An option is one socket option to try, with the value to set: an int, or
// a string for the string-valued ones.
type option struct {
	name       string
	level, opt int
	value      int
	str        string // the value of a string option, when not ""
	getOnly    bool   // there is nothing to set: TCP_INFO, TCP_IS_MPTCP
	v6         bool   // an IPV6_* option, tried on IPv6 sockets
	apart      bool   // printed below the table
}

// options are the options tried, in the order they are set on each socket.
var options = []option{
	{name: "SO_KEEPALIVE", level: unix.SOL_SOCKET, opt: unix.SO_KEEPALIVE, value: 1},
	{name: "SO_SNDBUF", level: unix.SOL_SOCKET, opt: unix.SO_SNDBUF, value: 262144},
	{name: "SO_RCVBUF", level: unix.SOL_SOCKET, opt: unix.SO_RCVBUF, value: 262144},
	{name: "SO_PRIORITY", level: unix.SOL_SOCKET, opt: unix.SO_PRIORITY, value: 4},
	{name: "SO_MARK", level: unix.SOL_SOCKET, opt: unix.SO_MARK, value: 42},
	{name: "SO_REUSEADDR", level: unix.SOL_SOCKET, opt: unix.SO_REUSEADDR, value: 1},
	{name: "SO_BINDTODEVICE", level: unix.SOL_SOCKET, opt: unix.SO_BINDTODEVICE, str: "lo"},
	{name: "SO_ZEROCOPY", level: unix.SOL_SOCKET, opt: unix.SO_ZEROCOPY, value: 1},
	{name: "TCP_NODELAY", level: unix.IPPROTO_TCP, opt: unix.TCP_NODELAY, value: 1},
	{name: "TCP_CORK", level: unix.IPPROTO_TCP, opt: unix.TCP_CORK, value: 1},
	{name: "TCP_KEEPIDLE", level: unix.IPPROTO_TCP, opt: unix.TCP_KEEPIDLE, value: 30},
	{name: "TCP_KEEPINTVL", level: unix.IPPROTO_TCP, opt: unix.TCP_KEEPINTVL, value: 10},
	{name: "TCP_KEEPCNT", level: unix.IPPROTO_TCP, opt: unix.TCP_KEEPCNT, value: 3},
	{name: "TCP_CONGESTION", level: unix.IPPROTO_TCP, opt: unix.TCP_CONGESTION, str: "reno"},
	{name: "TCP_MAXSEG", level: unix.IPPROTO_TCP, opt: unix.TCP_MAXSEG, value: 1200},
	{name: "TCP_NOTSENT_LOWAT", level: unix.IPPROTO_TCP, opt: unix.TCP_NOTSENT_LOWAT, value: 16384},
	{name: "TCP_INQ", level: unix.IPPROTO_TCP, opt: unix.TCP_INQ, value: 1},
	{name: "TCP_FASTOPEN", level: unix.IPPROTO_TCP, opt: unix.TCP_FASTOPEN, value: 5},
	{name: "TCP_USER_TIMEOUT", level: unix.IPPROTO_TCP, opt: unix.TCP_USER_TIMEOUT, value: 10000},
	{name: "TCP_QUICKACK", level: unix.IPPROTO_TCP, opt: unix.TCP_QUICKACK, value: 1},
	{name: "TCP_SYNCNT", level: unix.IPPROTO_TCP, opt: unix.TCP_SYNCNT, value: 3},
	{name: "TCP_INFO", level: unix.IPPROTO_TCP, opt: unix.TCP_INFO, getOnly: true},
	{name: "TCP_IS_MPTCP", level: unix.IPPROTO_TCP, opt: 43, getOnly: true}, // linux/tcp.h, 6.10
	{name: "IP_TOS", level: unix.IPPROTO_IP, opt: unix.IP_TOS, value: 0x10},
	{name: "IP_TTL", level: unix.IPPROTO_IP, opt: unix.IP_TTL, value: 32},
	{name: "IP_FREEBIND", level: unix.IPPROTO_IP, opt: unix.IP_FREEBIND, value: 1},
	{name: "IPV6_V6ONLY", level: unix.IPPROTO_IPV6, opt: unix.IPV6_V6ONLY, value: 1, v6: true},
	{name: "IPV6_TCLASS", level: unix.IPPROTO_IPV6, opt: unix.IPV6_TCLASS, value: 0x10, v6: true},
	// Kernel TLS starts with TCP_ULP "tls"; last, since on plain TCP it
	// changes the socket, and apart, since what plain TCP answers depends
	// on whether the kernel has TLS.
	{name: "TCP_ULP", level: unix.IPPROTO_TCP, opt: unix.TCP_ULP, str: "tls", apart: true},
}

// shown is the value column of o.
func (o option) shown() string {
	switch {
	case o.getOnly:
		return "-"
	case o.str != "":
		return o.str
	}
	return fmt.Sprint(o.value)
}

// try sets o on the socket fd, unless there is nothing to set, then reads
// it back, and returns both outcomes as printed: "ok" or the errno for the
// set, the value read or the errno for the get.
func (o option) try(fd int) (set, get string) {
	set = "-"
	if !o.getOnly {
		var err error
		if o.str != "" {
			err = unix.SetsockoptString(fd, o.level, o.opt, o.str)
		} else {
			err = unix.SetsockoptInt(fd, o.level, o.opt, o.value)
		}
		set = outcome(err)
	}
	switch {
	case o.opt == unix.TCP_INFO && o.level == unix.IPPROTO_TCP:
		ti, err := unix.GetsockoptTCPInfo(fd, o.level, o.opt)
		if err != nil {
			return set, outcome(err)
		}
		// The MPTCP socket answers for its first subflow.
		return set, "state=" + mptcp.TCPState(ti.State).String()
	case o.str != "":
		s, err := unix.GetsockoptString(fd, o.level, o.opt)
		if err != nil {
			return set, outcome(err)
		}
		return set, fmt.Sprintf("%q", s)
	}
	v, err := unix.GetsockoptInt(fd, o.level, o.opt)
	if err != nil {
		return set, outcome(err)
	}
	return set, fmt.Sprint(v)
}

// outcome is "ok" for a nil error and the errno's name otherwise.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return lab.ErrnoName(err)
}

// results holds what try returned for every option on one socket.
type results map[string][2]string

// tryAll tries every option of the family (IPv6 or not) on the socket
// behind rc.
func tryAll(rc syscall.RawConn, v6 bool, into results) error {
	return rc.Control(func(fd uintptr) {
		for _, o := range options {
			if o.v6 == v6 {
				set, get := o.try(int(fd))
				into[o.name] = [2]string{set, get}
			}
		}
	})
}

func run(w io.Writer) error {
	before, after, tcp := results{}, results{}, results{}
	for _, v6 := range []bool{false, true} {
		if err := tryFamily(v6, before, after, tcp); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "before: MPTCP socket, not connected; after: connected MPTCP socket; tcp: connected plain TCP socket")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "option\tvalue\tbefore set\tget\tafter set\tget\ttcp set\tget")
	for _, o := range options {
		if o.apart {
			continue
		}
		cells := []string{o.name, o.shown()}
		for _, r := range []results{before, after, tcp} {
			cells = append(cells, r[o.name][0], r[o.name][1])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, o := range options {
		if o.apart {
			fmt.Fprintf(w, "%s %q, set: before %s, after %s, tcp %s\n", o.name, o.str, before[o.name][0], after[o.name][0], tcp[o.name][0])
			fmt.Fprintf(w, "%s, get: before %s, after %s, tcp %s\n", o.name, before[o.name][1], after[o.name][1], tcp[o.name][1])
		}
	}
	return nil
}

// tryFamily tries the options of one family (IPv6 or IPv4) on loopback
// sockets: an MPTCP socket before it connects, a connected MPTCP socket
// and a connected plain TCP socket, and stores the outcomes.
func tryFamily(v6 bool, before, after, tcp results) error {
	addr := "127.0.0.1:0"
	if v6 {
		addr = "[::1]:0"
	}
	ln, err := (&mptcp.ListenConfig{Policy: mptcp.Require}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			defer c.Close()
		}
	}()

	// Before connect: the Control hook sees the MPTCP socket. That
	// connection is not used further: what the options did to it would
	// show in the next column.
	d := &mptcp.Dialer{Policy: mptcp.Require}
	d.Control = func(_, _ string, rc syscall.RawConn) error {
		return tryAll(rc, v6, before)
	}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		return fmt.Errorf("dial with the options set before connect: %w", err)
	}
	c.Close()

	// After connect, on a fresh MPTCP connection and on a plain TCP one.
	var plain net.Dialer
	plain.SetMultipathTCP(false)
	for _, d := range []struct {
		dialer interface {
			Dial(network, address string) (net.Conn, error)
		}
		into results
	}{{&mptcp.Dialer{Policy: mptcp.Require}, after}, {&plain, tcp}} {
		c, err := d.dialer.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		rc, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			return err
		}
		if err := tryAll(rc, v6, d.into); err != nil {
			return err
		}
	}
	return nil
}
