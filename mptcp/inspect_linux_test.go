//go:build linux

package mptcp

import (
	"context"
	"io"
	"net"
	"os"
	"testing"
)

// TestOlderSubflowPath reads the subflows of a live loopback connection
// through MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS, the path kernels 5.16–6.4
// take, and checks it agrees with MPTCP_FULL_INFO.
func TestOlderSubflowPath(t *testing.T) {
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MPTCP unavailable in CI: %v", err)
		}
		t.Skip(err)
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := (&ListenConfig{}).Listen(context.Background(), "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		got := make(chan int64, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				got <- 0
				return
			}
			n, _ := io.CopyN(io.Discard, c, 100000)
			got <- n
			io.Copy(io.Discard, c)
			c.Close()
		}()
		c, err := Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(make([]byte, 100000)); err != nil {
			t.Fatal(err)
		}
		// Write only queues the data: wait until the server has it all.
		if n := <-got; n != 100000 {
			t.Fatalf("server read %d bytes", n)
		}
		full, err := NewInspector(c.(*net.TCPConn))
		if err != nil {
			t.Fatal(err)
		}
		old, _ := NewInspector(c.(*net.TCPConn))
		old.noFullInfo = true
		var fi, oi Info
		fs, err := full.Snapshot(&fi, nil)
		if err != nil {
			t.Fatal(err)
		}
		os, err := old.Snapshot(&oi, nil)
		if err != nil {
			t.Fatalf("older path: %v", err)
		}
		if len(fs) != 1 || len(os) != 1 {
			t.Fatalf("%s: FULL_INFO gave %d subflows, the older path %d; want 1", addr, len(fs), len(os))
		}
		// The older options do not report the subflow id.
		if os[0].ID != 0 || fs[0].ID != 1 {
			t.Errorf("%s: ids %d (older) and %d (FULL_INFO); want 0 and 1", addr, os[0].ID, fs[0].ID)
		}
		if os[0].Local != fs[0].Local || os[0].Remote != fs[0].Remote || os[0].State != fs[0].State || os[0].SndMSS != fs[0].SndMSS {
			t.Errorf("%s: older path %+v, FULL_INFO %+v", addr, os[0], fs[0])
		}
		if fi.Token != oi.Token || fi.Len != oi.Len || oi.BytesSent != 100000 {
			t.Errorf("%s: info differs: token %x/%x len %d/%d sent %d", addr, fi.Token, oi.Token, fi.Len, oi.Len, oi.BytesSent)
		}
	}
}
