//go:build linux

package mptcp_test

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"unsafe"

	"github.com/multipath-dev/go/internal/benchutil"
	"github.com/multipath-dev/go/mptcp"
	"golang.org/x/sys/unix"
)

func benchPair(b *testing.B) (client, server *net.TCPConn) {
	b.Helper()
	if err := mptcp.Available(); err != nil {
		b.Skip(err)
	}
	ln, err := (&mptcp.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); acc <- c }()
	c, err := (&mptcp.Dialer{}).Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	s := <-acc
	b.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// BenchmarkInfo compares Inspector.Info, which decodes MPTCP_INFO into an
// Info, with a bare getsockopt(SOL_MPTCP, MPTCP_INFO) on the same socket.
// Goal: 0 allocations and x-ref <= 1.3.
func BenchmarkInfo(b *testing.B) {
	c, _ := benchPair(b)
	in, err := mptcp.NewInspector(c)
	if err != nil {
		b.Fatal(err)
	}
	f, err := c.File()
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fd := f.Fd()
	var buf [96]byte
	var info mptcp.Info
	b.ReportAllocs()
	benchutil.Ratio(b, func(n int) {
		for i := 0; i < n; i++ {
			l := uint32(len(buf))
			_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_MPTCP, 1, uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&l)), 0)
			if e != 0 {
				b.Fatal(e)
			}
		}
	}, func(n int) {
		for i := 0; i < n; i++ {
			if err := in.Info(&info); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStatus measures StatusOf through an Inspector, one TCP_IS_MPTCP
// getsockopt on this kernel, against that bare getsockopt.
func BenchmarkStatus(b *testing.B) {
	c, _ := benchPair(b)
	in, err := mptcp.NewInspector(c)
	if err != nil {
		b.Fatal(err)
	}
	f, err := c.File()
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	b.ReportAllocs()
	benchutil.Ratio(b, func(n int) {
		for i := 0; i < n; i++ {
			if _, err := syscall.GetsockoptInt(fd, syscall.IPPROTO_TCP, 43); err != nil {
				b.Fatal(err)
			}
		}
	}, func(n int) {
		for i := 0; i < n; i++ {
			if _, err := in.Status(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDialAcceptClose compares a dial, accept and close of both ends on
// loopback through our Dialer and ListenConfig with the standard library's
// SetMultipathTCP(true). Goal: speed >= 0.95x, that is x-ref <= 1.05.
func BenchmarkDialAcceptClose(b *testing.B) {
	if err := mptcp.Available(); err != nil {
		b.Skip(err)
	}
	var slc net.ListenConfig
	slc.SetMultipathTCP(true)
	sln, err := slc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sln.Close()
	oln, err := (&mptcp.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer oln.Close()
	var sd net.Dialer
	sd.SetMultipathTCP(true)
	od := &mptcp.Dialer{}
	once := func(ln net.Listener, dial func(string, string) (net.Conn, error)) {
		acc := make(chan net.Conn, 1)
		go func() { c, _ := ln.Accept(); acc <- c }()
		c, err := dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		s := <-acc
		c.Close()
		if s != nil {
			s.Close()
		}
	}
	b.ReportAllocs()
	benchutil.Ratio(b, func(n int) {
		for i := 0; i < n; i++ {
			once(sln, sd.Dial)
		}
	}, func(n int) {
		for i := 0; i < n; i++ {
			once(oln, od.Dial)
		}
	})
}

// BenchmarkCopy compares bulk io.Copy between connections of ours with the
// same between standard-library connections (SetMultipathTCP(true)): each
// operation sends 8 MiB into a first connection, relays it with io.CopyN
// from that connection's far end into a second connection (the splice path
// of *net.TCPConn.ReadFrom), and reads it from the second one's far end.
// Goal: speed >= 0.98x, that is x-ref <= 1.02.
func BenchmarkCopy(b *testing.B) {
	if err := mptcp.Available(); err != nil {
		b.Skip(err)
	}
	const size = 8 << 20
	var slc net.ListenConfig
	slc.SetMultipathTCP(true)
	var sd net.Dialer
	sd.SetMultipathTCP(true)
	stdPair := func() (net.Conn, net.Conn) {
		ln, err := slc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		acc := make(chan net.Conn, 1)
		go func() { c, _ := ln.Accept(); acc <- c }()
		c, err := sd.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		s := <-acc
		b.Cleanup(func() { c.Close(); s.Close() })
		return c, s
	}
	oc1, os1 := benchPair(b)
	oc2, os2 := benchPair(b)
	sc1, ss1 := stdPair()
	sc2, ss2 := stdPair()
	src := make([]byte, 256<<10)
	copyOnce := func(in, relayFrom, relayTo, out net.Conn) {
		relayed := make(chan error, 1)
		go func() {
			_, err := io.CopyN(relayTo, relayFrom, size)
			relayed <- err
		}()
		read := make(chan error, 1)
		go func() {
			_, err := io.CopyN(io.Discard, out, size)
			read <- err
		}()
		for sent := 0; sent < size; sent += len(src) {
			if _, err := in.Write(src); err != nil {
				b.Fatal(err)
			}
		}
		if err := errors.Join(<-relayed, <-read); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	benchutil.Ratio(b, func(n int) {
		for i := 0; i < n; i++ {
			copyOnce(sc1, ss1, sc2, ss2)
		}
	}, func(n int) {
		for i := 0; i < n; i++ {
			copyOnce(oc1, os1, oc2, os2)
		}
	})
}

// BenchmarkSubflows reads the subflows of a connection with two of them, in
// network namespaces, through a reused Inspector (Snapshot with and without
// the Info) and through SubflowsOf, which allocates a new one each time.
func BenchmarkSubflows(b *testing.B) {
	c := twoSubflowConn(b)
	in, err := mptcp.NewInspector(c)
	if err != nil {
		b.Fatal(err)
	}
	var sfs []mptcp.Subflow
	var info mptcp.Info
	b.Run("Inspector", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if sfs, err = in.Subflows(sfs); err != nil || len(sfs) != 2 {
				b.Fatal(len(sfs), err)
			}
		}
	})
	b.Run("InspectorWithInfo", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if sfs, err = in.Snapshot(&info, sfs); err != nil || len(sfs) != 2 {
				b.Fatal(len(sfs), err)
			}
		}
	})
	b.Run("SubflowsOf", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if s, err := mptcp.SubflowsOf(c); err != nil || len(s) != 2 {
				b.Fatal(len(s), err)
			}
		}
	})
}

// BenchmarkOneShot measures the one-shot functions, which make an
// Inspector for each call, on a loopback MPTCP connection: their
// allocations are the cost of not reusing one.
func BenchmarkOneShot(b *testing.B) {
	c, _ := benchPair(b)
	b.Run("InfoOf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mptcp.InfoOf(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("StatusOf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mptcp.StatusOf(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
