//go:build linux

package mptcp_test

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/mptcp"
)

// twoSubflowConn returns the client end of an MPTCP connection with two
// established subflows, between two namespaces joined by two paths. The
// server discards what it reads.
func twoSubflowConn(tb testing.TB) *net.TCPConn {
	tb.Helper()
	topo := nstest.TwoHosts(tb, 2)
	p1, p2 := topo.Paths[0], topo.Paths[1]
	subflowEndpoint(tb, topo, p2.A4)
	var ln net.Listener
	if err := topo.Server.Do(func() (err error) {
		ln, err = mptcp.Listen("tcp", netip.AddrPortFrom(p1.B4, 0).String())
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		s, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, s)
			s.Close()
		}
	}()
	var c net.Conn
	if err := topo.Client.Do(func() (err error) {
		c, err = mptcp.Dial("tcp", ln.Addr().String())
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	// The path manager adds the subflow once the server acknowledged data.
	if _, err := c.Write([]byte("x")); err != nil {
		tb.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		sfs, err := mptcp.SubflowsOf(c.(*net.TCPConn))
		if err != nil {
			tb.Fatal(err)
		}
		if len(sfs) == 2 && sfs[1].State == mptcp.TCPEstablished {
			return c.(*net.TCPConn)
		}
	}
	tb.Fatal("the second subflow did not come up within 10s")
	return nil
}
