//go:build linux

package mptcp_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/mptcp"
)

// badRow is one call of the public API with input it must refuse (or, where
// want is empty, accept): the errors.Is targets the error must match, those
// it must not, and a substring of its text naming what was wrong.
type badRow struct {
	name  string
	call  func() error
	is    []error
	isNot []error
	sub   string // "" with is == nil: the call must succeed
}

// runBad runs one row, failing the test if the call panics.
func runBad(t *testing.T, r badRow) {
	t.Helper()
	var err error
	panicked := true
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("%s: panic: %v", r.name, p)
			}
		}()
		err = r.call()
		panicked = false
	}()
	if panicked {
		return
	}
	if r.sub == "" && r.is == nil {
		if err != nil {
			t.Errorf("%s: %v; want success", r.name, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s: no error; want one matching %v containing %q", r.name, r.is, r.sub)
		return
	}
	for _, target := range r.is {
		if !errors.Is(err, target) {
			t.Errorf("%s: %q (%T) does not match %v (%T)", r.name, err, err, target, target)
		}
	}
	for _, target := range r.isNot {
		if errors.Is(err, target) {
			t.Errorf("%s: %q (%T) matches %v; it must not", r.name, err, err, target)
		}
	}
	if !strings.Contains(err.Error(), r.sub) {
		t.Errorf("%s: %q does not contain %q", r.name, err, r.sub)
	}
}

// errIf returns an error describing a result check that failed.
func errIf(bad bool, format string, args ...any) error {
	if bad {
		return fmt.Errorf("result check: "+format, args...)
	}
	return nil
}

func TestBadInput(t *testing.T) {
	requireMPTCP(t)
	ctx := context.Background()

	// A live MPTCP pair, and one closed before NewInspector, one after.
	live, _ := pair(t, "tcp", "127.0.0.1:0", &mptcp.Dialer{}, &mptcp.ListenConfig{})
	liveIn, err := mptcp.NewInspector(live)
	if err != nil {
		t.Fatal(err)
	}
	closedBefore, _ := pair(t, "tcp", "127.0.0.1:0", &mptcp.Dialer{}, &mptcp.ListenConfig{})
	closedBefore.Close()
	closedAfter, _ := pair(t, "tcp", "127.0.0.1:0", &mptcp.Dialer{}, &mptcp.ListenConfig{})
	closedIn, err := mptcp.NewInspector(closedAfter)
	if err != nil {
		t.Fatal(err)
	}
	closedAfter.Close()

	// A plain TCP listener, and a plain TCP connection to it.
	var plainLC net.ListenConfig
	plainLC.SetMultipathTCP(false)
	plainLn, err := plainLC.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plainLn.Close() })
	go func() {
		for {
			c, err := plainLn.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	var plainD net.Dialer
	plainD.SetMultipathTCP(false)
	plainC, err := plainD.Dial("tcp", plainLn.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plainC.Close() })
	plainTCP := plainC.(*net.TCPConn)
	plainTCPLn := plainLn.(*net.TCPListener)

	// An MPTCP listener.
	mpLn, err := (&mptcp.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mpLn.Close() })
	mpTCPLn := mpLn.(*net.TCPListener)

	// A UDP conn, a unix stream conn, a file that is not a socket.
	udpC, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udpC.Close() })
	unixLn, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "s"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unixLn.Close() })
	unixC, err := net.DialUnix("unix", nil, unixLn.Addr().(*net.UnixAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unixC.Close() })
	file, err := os.CreateTemp(t.TempDir(), "not-a-socket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })

	var (
		zeroIn mptcp.Inspector
		nilIn  *mptcp.Inspector
		info   mptcp.Info
	)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	mpAddr := mpLn.Addr().String()

	status := func(c syscall.Conn) func() error {
		return func() error { _, err := mptcp.StatusOf(c); return err }
	}
	infoOf := func(c syscall.Conn) func() error {
		return func() error { _, err := mptcp.InfoOf(c); return err }
	}
	subflowsOf := func(c syscall.Conn) func() error {
		return func() error { _, err := mptcp.SubflowsOf(c); return err }
	}
	newIn := func(c syscall.Conn) func() error {
		return func() error { _, err := mptcp.NewInspector(c); return err }
	}
	dial := func(d *mptcp.Dialer, network, address string) func() error {
		return func() error {
			c, err := d.Dial(network, address)
			if c != nil {
				c.Close()
			}
			return err
		}
	}
	dialCtx := func(ctx context.Context, d *mptcp.Dialer, network, address string) func() error {
		return func() error {
			c, err := d.DialContext(ctx, network, address)
			if c != nil {
				c.Close()
			}
			return err
		}
	}
	listen := func(ctx context.Context, lc *mptcp.ListenConfig, network, address string) func() error {
		return func() error {
			ln, err := lc.Listen(ctx, network, address)
			if ln != nil {
				ln.Close()
			}
			return err
		}
	}
	withStatus := func(c syscall.Conn, want mptcp.Status) func() error {
		return func() error {
			st, err := mptcp.StatusOf(c)
			if err != nil {
				return err
			}
			return errIf(st != want, "status %v; want %v", st, want)
		}
	}

	rows := []badRow{
		// nil and typed-nil connections.
		{name: "StatusOf(nil)", call: status(nil), sub: "mptcp: nil connection"},
		{name: "InfoOf(nil)", call: infoOf(nil), sub: "mptcp: nil connection"},
		{name: "SubflowsOf(nil)", call: subflowsOf(nil), sub: "mptcp: nil connection"},
		{name: "NewInspector(nil)", call: newIn(nil), sub: "mptcp: nil connection"},
		{name: "StatusOf(nil *net.TCPConn)", call: status((*net.TCPConn)(nil)), sub: "mptcp: nil *net.TCPConn connection"},
		{name: "InfoOf(nil *net.UDPConn)", call: infoOf((*net.UDPConn)(nil)), sub: "mptcp: nil *net.UDPConn connection"},
		{name: "SubflowsOf(nil *os.File)", call: subflowsOf((*os.File)(nil)), sub: "mptcp: nil *os.File connection"},
		{name: "NewInspector(nil *net.TCPListener)", call: newIn((*net.TCPListener)(nil)), sub: "mptcp: nil *net.TCPListener connection"},
		// Zero values.
		{name: "StatusOf(&net.TCPConn{})", call: status(&net.TCPConn{}), is: []error{syscall.EINVAL}, sub: "*net.TCPConn has no socket (a zero value?)"},
		{name: "InfoOf(&net.UDPConn{})", call: infoOf(&net.UDPConn{}), is: []error{syscall.EINVAL}, sub: "*net.UDPConn has no socket (a zero value?)"},
		{name: "SubflowsOf(&net.TCPListener{})", call: subflowsOf(&net.TCPListener{}), is: []error{syscall.EINVAL}, sub: "*net.TCPListener has no socket (a zero value?)"},
		// Sockets that are not TCP, and a file that is not a socket.
		{name: "StatusOf(udp)", call: status(udpC), is: []error{mptcp.ErrNotMPTCP}, sub: "mptcp: status: not a TCP or MPTCP socket"},
		{name: "InfoOf(udp)", call: infoOf(udpC), is: []error{mptcp.ErrNotMPTCP}, sub: "mptcp: info: not a TCP or MPTCP socket"},
		{name: "SubflowsOf(udp)", call: subflowsOf(udpC), is: []error{mptcp.ErrNotMPTCP}, sub: "mptcp: subflows: not a TCP or MPTCP socket"},
		{name: "StatusOf(unix)", call: status(unixC), is: []error{mptcp.ErrNotMPTCP}, sub: "mptcp: status: not a TCP or MPTCP socket"},
		{name: "InfoOf(unix)", call: infoOf(unixC), is: []error{mptcp.ErrNotMPTCP}, sub: "mptcp: info: not a TCP or MPTCP socket"},
		{name: "SubflowsOf(unix)", call: subflowsOf(unixC), is: []error{mptcp.ErrNotMPTCP}, sub: "mptcp: subflows: not a TCP or MPTCP socket"},
		{name: "StatusOf(unix listener)", call: status(unixLn), is: []error{mptcp.ErrNotMPTCP}, sub: "mptcp: status: not a TCP or MPTCP socket"},
		{name: "StatusOf(file)", call: status(file), is: []error{syscall.ENOTSOCK}, sub: "mptcp: status: socket operation on non-socket"},
		{name: "InfoOf(file)", call: infoOf(file), is: []error{syscall.ENOTSOCK}, sub: "mptcp: info: socket operation on non-socket"},
		{name: "SubflowsOf(file)", call: subflowsOf(file), is: []error{syscall.ENOTSOCK}, sub: "mptcp: subflows: socket operation on non-socket"},
		// Listeners and plain TCP.
		{name: "StatusOf(plain TCP listener)", call: status(plainTCPLn)},
		{name: "InfoOf(plain TCP listener)", call: infoOf(plainTCPLn), is: []error{mptcp.ErrNotMPTCP}, isNot: []error{mptcp.ErrFallback, errors.ErrUnsupported}, sub: "mptcp: info: connection does not use MPTCP (tcp)"},
		{name: "SubflowsOf(plain TCP listener)", call: subflowsOf(plainTCPLn), is: []error{mptcp.ErrNotMPTCP}, isNot: []error{mptcp.ErrFallback, errors.ErrUnsupported}, sub: "mptcp: subflows: connection does not use MPTCP (tcp)"},
		{name: "StatusOf(MPTCP listener)", call: status(mpTCPLn)},
		{name: "InfoOf(MPTCP listener)", call: infoOf(mpTCPLn), isNot: []error{mptcp.ErrNotMPTCP, errors.ErrUnsupported}, sub: "mptcp: the socket is a listener, which has no MPTCP connection to inspect"},
		{name: "SubflowsOf(MPTCP listener)", call: subflowsOf(mpTCPLn), isNot: []error{mptcp.ErrNotMPTCP, errors.ErrUnsupported}, sub: "mptcp: the socket is a listener"},
		{name: "Inspector.Snapshot(MPTCP listener)", call: func() error {
			in, err := mptcp.NewInspector(mpTCPLn)
			if err != nil {
				return err
			}
			_, err = in.Snapshot(&info, nil)
			return err
		}, sub: "mptcp: the socket is a listener"},
		{name: "InfoOf(plain TCP conn)", call: infoOf(plainTCP), is: []error{mptcp.ErrNotMPTCP}, isNot: []error{mptcp.ErrFallback, errors.ErrUnsupported}, sub: "mptcp: info: connection does not use MPTCP (tcp)"},
		{name: "SubflowsOf(plain TCP conn)", call: subflowsOf(plainTCP), is: []error{mptcp.ErrNotMPTCP}, isNot: []error{mptcp.ErrFallback, errors.ErrUnsupported}, sub: "mptcp: subflows: connection does not use MPTCP (tcp)"},
		// Closed before and after NewInspector.
		{name: "NewInspector(closed)", call: newIn(closedBefore)},
		{name: "StatusOf(closed)", call: status(closedBefore), is: []error{net.ErrClosed}, sub: "mptcp: status: raw-control tcp"},
		{name: "InfoOf(closed)", call: infoOf(closedBefore), is: []error{net.ErrClosed}, sub: "mptcp: info: raw-control tcp"},
		{name: "SubflowsOf(closed)", call: subflowsOf(closedBefore), is: []error{net.ErrClosed}, sub: "mptcp: subflows: raw-control tcp"},
		{name: "Inspector.Status after Close", call: func() error { _, err := closedIn.Status(); return err }, is: []error{net.ErrClosed}, sub: "mptcp: status: raw-control tcp"},
		{name: "Inspector.Info after Close", call: func() error { return closedIn.Info(&info) }, is: []error{net.ErrClosed}, sub: "mptcp: info: raw-control tcp"},
		{name: "Inspector.Subflows after Close", call: func() error { _, err := closedIn.Subflows(nil); return err }, is: []error{net.ErrClosed}, sub: "mptcp: subflows: raw-control tcp"},
		{name: "Inspector.Snapshot after Close", call: func() error { _, err := closedIn.Snapshot(&info, nil); return err }, is: []error{net.ErrClosed}, sub: "mptcp: subflows: raw-control tcp"},
		// Zero and nil Inspectors.
		{name: "zero Inspector.Status", call: func() error { _, err := zeroIn.Status(); return err }, sub: "mptcp: Inspector not made by NewInspector"},
		{name: "zero Inspector.Info", call: func() error { return zeroIn.Info(&info) }, sub: "mptcp: Inspector not made by NewInspector"},
		{name: "zero Inspector.Subflows(len 3)", call: func() error {
			out, err := zeroIn.Subflows(make([]mptcp.Subflow, 3))
			if e := errIf(len(out) != 0, "len %d; want 0", len(out)); e != nil {
				return e
			}
			return err
		}, sub: "mptcp: Inspector not made by NewInspector"},
		{name: "zero Inspector.Snapshot(nil, nil)", call: func() error { _, err := zeroIn.Snapshot(nil, nil); return err }, sub: "mptcp: Inspector not made by NewInspector"},
		{name: "nil Inspector.Status", call: func() error { _, err := nilIn.Status(); return err }, sub: "mptcp: Inspector not made by NewInspector"},
		{name: "nil Inspector.Info(nil)", call: func() error { return nilIn.Info(nil) }, sub: "mptcp: Inspector not made by NewInspector"},
		{name: "nil Inspector.Subflows(nil)", call: func() error { _, err := nilIn.Subflows(nil); return err }, sub: "mptcp: Inspector not made by NewInspector"},
		{name: "nil Inspector.Snapshot", call: func() error { _, err := nilIn.Snapshot(&info, make([]mptcp.Subflow, 0, 8)); return err }, sub: "mptcp: Inspector not made by NewInspector"},
		// Odd arguments to a live Inspector.
		{name: "Inspector.Info(nil)", call: func() error { return liveIn.Info(nil) }, sub: "mptcp: Inspector.Info called with a nil *Info"},
		{name: "Subflows(dst with len 5)", call: func() error {
			dst := make([]mptcp.Subflow, 5)
			out, err := liveIn.Subflows(dst)
			if err != nil {
				return err
			}
			return errIf(len(out) != 1 || &out[0] != &dst[0], "len %d, reused %v; want 1 subflow in dst's memory", len(out), len(out) > 0 && &out[0] == &dst[0])
		}},
		{name: "Subflows(empty non-nil dst, cap 0)", call: func() error {
			out, err := liveIn.Subflows([]mptcp.Subflow{})
			if err != nil {
				return err
			}
			return errIf(len(out) != 1, "len %d; want 1", len(out))
		}},
		{name: "Snapshot(nil Info, sub-slice of a full array)", call: func() error {
			arr := make([]mptcp.Subflow, 4)
			out, err := liveIn.Snapshot(nil, arr[2:2])
			if err != nil {
				return err
			}
			return errIf(len(out) != 1 || &out[0] != &arr[2], "len %d; want 1 subflow at arr[2]", len(out))
		}},
		{name: "Snapshot(Info, huge-capacity dst)", call: func() error {
			var i mptcp.Info
			out, err := liveIn.Snapshot(&i, make([]mptcp.Subflow, 0, 1<<16))
			if err != nil {
				return err
			}
			return errIf(len(out) != 1 || i.Token == 0, "len %d token %x; want 1, non-zero", len(out), i.Token)
		}},
		// Invalid policies.
		{name: "Dialer Policy(3)", call: dial(&mptcp.Dialer{Policy: 3}, "tcp", mpAddr), sub: "dial tcp: mptcp: invalid Policy(3)"},
		{name: "Dialer Policy(255)", call: dial(&mptcp.Dialer{Policy: 255}, "tcp", mpAddr), sub: "dial tcp: mptcp: invalid Policy(255)"},
		{name: "Dialer Policy(3) udp", call: dial(&mptcp.Dialer{Policy: 3}, "udp", mpAddr), sub: "dial udp: mptcp: invalid Policy(3)"},
		{name: "ListenConfig Policy(3)", call: listen(ctx, &mptcp.ListenConfig{Policy: 3}, "tcp", "127.0.0.1:0"), sub: "listen tcp: mptcp: invalid Policy(3)"},
		{name: "ListenConfig Policy(200)", call: listen(ctx, &mptcp.ListenConfig{Policy: 200}, "tcp", "127.0.0.1:0"), sub: "listen tcp: mptcp: invalid Policy(200)"},
		// Non-TCP networks under each policy.
		{name: "Dialer Require udp", call: dial(&mptcp.Dialer{Policy: mptcp.Require}, "udp", "127.0.0.1:9"), sub: `dial udp: mptcp: network "udp" cannot use MPTCP; want tcp, tcp4 or tcp6`},
		{name: "Dialer Require unix", call: dial(&mptcp.Dialer{Policy: mptcp.Require}, "unix", unixLn.Addr().String()), sub: `dial unix: mptcp: network "unix" cannot use MPTCP`},
		{name: "Dialer Require bogus", call: dial(&mptcp.Dialer{Policy: mptcp.Require}, "bogus", mpAddr), sub: `dial bogus: mptcp: network "bogus" cannot use MPTCP`},
		{name: "Dialer Prefer bogus", call: dial(&mptcp.Dialer{}, "bogus", mpAddr), sub: "dial bogus: unknown network bogus"},
		{name: "Dialer Disable bogus", call: dial(&mptcp.Dialer{Policy: mptcp.Disable}, "bogus", mpAddr), sub: "dial bogus: unknown network bogus"},
		{name: "Dialer Prefer TCP (upper case)", call: dial(&mptcp.Dialer{}, "TCP", mpAddr), sub: "dial TCP: unknown network TCP"},
		{name: "Dialer Prefer udp", call: dial(&mptcp.Dialer{}, "udp", "127.0.0.1:9")},
		{name: "Dialer Prefer unix", call: dial(&mptcp.Dialer{}, "unix", unixLn.Addr().String())},
		{name: "ListenConfig Require udp", call: listen(ctx, &mptcp.ListenConfig{Policy: mptcp.Require}, "udp", "127.0.0.1:0"), sub: `listen udp: mptcp: network "udp" cannot use MPTCP`},
		{name: "ListenConfig Require unix", call: listen(ctx, &mptcp.ListenConfig{Policy: mptcp.Require}, "unix", filepath.Join(t.TempDir(), "r")), sub: `listen unix: mptcp: network "unix" cannot use MPTCP`},
		{name: "ListenConfig Prefer udp", call: listen(ctx, &mptcp.ListenConfig{}, "udp", "127.0.0.1:0"), sub: "address 127.0.0.1:0: unexpected address type"},
		{name: "ListenConfig Disable bogus", call: listen(ctx, &mptcp.ListenConfig{Policy: mptcp.Disable}, "bogus", "127.0.0.1:0"), sub: "listen bogus: unknown network bogus"},
		{name: "ListenConfig Prefer unix", call: listen(ctx, &mptcp.ListenConfig{}, "unix", filepath.Join(t.TempDir(), "p"))},
		// Empty, garbage and huge addresses.
		{name: "Dial empty address", call: dial(&mptcp.Dialer{}, "tcp", ""), sub: "dial tcp: missing address"},
		{name: "Dial no port", call: dial(&mptcp.Dialer{}, "tcp", "127.0.0.1"), sub: "address 127.0.0.1: missing port in address"},
		{name: "Dial garbage", call: dial(&mptcp.Dialer{}, "tcp", "::::garbage"), sub: "too many colons in address"},
		{name: "Dial port 65536", call: dial(&mptcp.Dialer{}, "tcp", "127.0.0.1:65536"), sub: "address 65536: invalid port"},
		{name: "Dial Require port 99999999999", call: dial(&mptcp.Dialer{Policy: mptcp.Require}, "tcp", "127.0.0.1:99999999999"), sub: "address 99999999999: invalid port"},
		{name: "Dial tcp6 to an IPv4 address", call: dial(&mptcp.Dialer{}, "tcp6", mpAddr), sub: "address 127.0.0.1: no suitable address found"},
		{name: "Dial 1 MiB host name", call: dial(&mptcp.Dialer{}, "tcp", strings.Repeat("a", 1<<20)+".example:80"), sub: "no such host"},
		{name: "Listen garbage", call: listen(ctx, &mptcp.ListenConfig{}, "tcp", "garbage:xx"), sub: "lookup tcp/xx: unknown port"},
		{name: "Listen Require port 65536", call: listen(ctx, &mptcp.ListenConfig{Policy: mptcp.Require}, "tcp", "127.0.0.1:65536"), sub: "address 65536: invalid port"},
		{name: "Listen on an address in use", call: listen(ctx, &mptcp.ListenConfig{}, "tcp", mpAddr), is: []error{syscall.EADDRINUSE}, sub: "bind: address already in use"},
		{name: "Listen Require non-local address", call: listen(ctx, &mptcp.ListenConfig{Policy: mptcp.Require}, "tcp", "192.0.2.1:0"), is: []error{syscall.EADDRNOTAVAIL}, sub: "bind: cannot assign requested address"},
		// Wrong-family and wrong-type LocalAddr.
		{name: "Dial tcp4 from an IPv6 LocalAddr", call: dial(&mptcp.Dialer{Dialer: net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv6loopback}}}, "tcp4", mpAddr), sub: "address [::1]:0: no suitable address found"},
		{name: "Dial Require from a UDP LocalAddr", call: dial(&mptcp.Dialer{Policy: mptcp.Require, Dialer: net.Dialer{LocalAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}}}, "tcp", mpAddr), sub: "mismatched local address type"},
		{name: "Dial from a non-local LocalAddr", call: dial(&mptcp.Dialer{Dialer: net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1)}}}, "tcp", mpAddr), is: []error{syscall.EADDRNOTAVAIL}, sub: "bind: cannot assign requested address"},
		// Contexts, timeouts and deadlines. As with net.Dialer, a dial
		// timeout matches context.DeadlineExceeded (and net.Error's
		// Timeout), not os.ErrDeadlineExceeded, which is for I/O deadlines.
		{name: "DialContext cancelled", call: dialCtx(cancelled, &mptcp.Dialer{}, "tcp", mpAddr), is: []error{context.Canceled}, sub: "operation was canceled"},
		{name: "DialContext Require cancelled", call: dialCtx(cancelled, &mptcp.Dialer{Policy: mptcp.Require}, "tcp", mpAddr), is: []error{context.Canceled}, sub: "operation was canceled"},
		{name: "Listen cancelled", call: listen(cancelled, &mptcp.ListenConfig{}, "tcp", "127.0.0.1:0")},
		{name: "Dial Timeout 1ns", call: dial(&mptcp.Dialer{Dialer: net.Dialer{Timeout: time.Nanosecond}}, "tcp", mpAddr), is: []error{context.DeadlineExceeded}, isNot: []error{os.ErrDeadlineExceeded}, sub: "i/o timeout"},
		{name: "Dial Deadline in the past", call: dial(&mptcp.Dialer{Dialer: net.Dialer{Deadline: time.Unix(1, 0)}}, "tcp", mpAddr), is: []error{context.DeadlineExceeded}, isNot: []error{os.ErrDeadlineExceeded}, sub: "i/o timeout"},
		{name: "Dial Timeout MaxInt64", call: dial(&mptcp.Dialer{Dialer: net.Dialer{Timeout: math.MaxInt64, KeepAlive: math.MaxInt64}}, "tcp", mpAddr)},
		{name: "Dial negative Timeout", call: dial(&mptcp.Dialer{Dialer: net.Dialer{Timeout: -1}}, "tcp", mpAddr), is: []error{context.DeadlineExceeded}, isNot: []error{os.ErrDeadlineExceeded}, sub: "i/o timeout"},
		// Require against a plain TCP peer; Prefer falls back.
		{name: "Dial Require to a plain TCP listener", call: dial(&mptcp.Dialer{Policy: mptcp.Require}, "tcp", plainLn.Addr().String()), is: []error{mptcp.ErrFallback, mptcp.ErrNotMPTCP}, isNot: []error{mptcp.ErrUnavailable}, sub: "mptcp: dial: connection fell back to TCP"},
		{name: "Dial Prefer to a plain TCP listener", call: func() error {
			c, err := (&mptcp.Dialer{}).Dial("tcp", plainLn.Addr().String())
			if err != nil {
				return err
			}
			defer c.Close()
			return withStatus(c.(*net.TCPConn), mptcp.StatusFallback)()
		}},
		{name: "Dial Require refused", call: dial(&mptcp.Dialer{Policy: mptcp.Require}, "tcp", "127.0.0.1:1"), is: []error{syscall.ECONNREFUSED}, isNot: []error{mptcp.ErrUnavailable, mptcp.ErrNotMPTCP}, sub: "connect: connection refused"},
	}
	if len(rows) < 40 {
		t.Fatalf("%d rows; want at least 40", len(rows))
	}
	for _, r := range rows {
		runBad(t, r)
	}
	t.Logf("%d rows", len(rows))
}
