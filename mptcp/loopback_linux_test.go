//go:build linux

package mptcp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/mptcp"
)

// requireMPTCP skips a loopback test where this host cannot create MPTCP
// sockets; under CI=true that is a failure.
func requireMPTCP(t *testing.T) {
	t.Helper()
	if err := mptcp.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MPTCP unavailable in CI: %v", err)
		}
		t.Skipf("MPTCP unavailable: %v", err)
	}
}

// pair returns a client and a server connection over loopback, made by
// our Dialer and ListenConfig.
func pair(t *testing.T, network, addr string, d *mptcp.Dialer, lc *mptcp.ListenConfig) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Errorf("Accept: %v", err)
		}
		accepted <- c
	}()
	c, err := d.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	s := <-accepted
	if s == nil {
		t.FailNow()
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func TestLoopbackMPTCP(t *testing.T) {
	requireMPTCP(t)
	for _, tc := range []struct{ network, addr string }{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}} {
		t.Run(tc.network, func(t *testing.T) {
			c, s := pair(t, tc.network, tc.addr, &mptcp.Dialer{}, &mptcp.ListenConfig{})
			const n = 1 << 20
			data := make([]byte, n)
			rand.Read(data)
			go func() { c.Write(data); c.CloseWrite() }()
			got, err := io.ReadAll(s)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes, err %v; want the %d bytes sent", len(got), err, n)
			}
			for side, conn := range map[string]*net.TCPConn{"client": c, "server": s} {
				st, err := mptcp.StatusOf(conn)
				if err != nil || st != mptcp.StatusMPTCP {
					t.Errorf("%s: StatusOf = %v, %v; want mptcp", side, st, err)
				}
				if ok, err := conn.MultipathTCP(); !ok || err != nil {
					t.Errorf("%s: the standard library disagrees: MultipathTCP() = %v, %v", side, ok, err)
				}
				info, err := mptcp.InfoOf(conn)
				if err != nil {
					t.Fatalf("%s: InfoOf: %v", side, err)
				}
				if info.Len != 96 || info.Subflows() != 1 || info.Token == 0 {
					t.Errorf("%s: info len %d subflows %d token %x; want 96, 1, non-zero", side, info.Len, info.Subflows(), info.Token)
				}
				sfs, err := mptcp.SubflowsOf(conn)
				if err != nil || len(sfs) != 1 {
					t.Fatalf("%s: SubflowsOf = %v, %v; want one subflow", side, sfs, err)
				}
				if sfs[0].ID != 1 || sfs[0].Local.String() != conn.LocalAddr().String() || sfs[0].Remote.String() != conn.RemoteAddr().String() {
					t.Errorf("%s: subflow %+v; want id 1, %v -> %v", side, sfs[0], conn.LocalAddr(), conn.RemoteAddr())
				}
				if sfs[0].State != mptcp.TCPEstablished && sfs[0].State != mptcp.TCPCloseWait && sfs[0].State != mptcp.TCPFinWait2 {
					t.Errorf("%s: subflow state %v", side, sfs[0].State)
				}
			}
			ci, _ := mptcp.InfoOf(c)
			si, _ := mptcp.InfoOf(s)
			if ci.BytesSent != n || si.BytesReceived != n {
				t.Errorf("client sent %d, server received %d at the MPTCP level; want %d", ci.BytesSent, si.BytesReceived, n)
			}
			// The subflow also carries what MPTCP retransmitted on it.
			if sf, _ := mptcp.SubflowsOf(s); sf[0].BytesReceived < n || sf[0].BytesReceived > n+ci.BytesRetrans {
				t.Errorf("server subflow received %d bytes; want %d plus at most the %d retransmitted", sf[0].BytesReceived, n, ci.BytesRetrans)
			}
		})
	}
}

func TestStatusOfPlainTCP(t *testing.T) {
	requireMPTCP(t)
	// A plain TCP client against our MPTCP listener: both ends plain TCP.
	var tcp net.Dialer
	tcp.SetMultipathTCP(false)
	ln, err := (&mptcp.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := tcp.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for side, conn := range map[string]net.Conn{"client": c, "server": s} {
		st, err := mptcp.StatusOf(conn.(*net.TCPConn))
		if err != nil || st != mptcp.StatusTCP {
			t.Errorf("%s: StatusOf = %v, %v; want tcp", side, st, err)
		}
		_, err = mptcp.InfoOf(conn.(*net.TCPConn))
		if !errors.Is(err, mptcp.ErrNotMPTCP) || errors.Is(err, mptcp.ErrFallback) {
			t.Errorf("%s: InfoOf error %v; want ErrNotMPTCP, not ErrFallback", side, err)
		}
		_, err = mptcp.SubflowsOf(conn.(*net.TCPConn))
		if !errors.Is(err, mptcp.ErrNotMPTCP) {
			t.Errorf("%s: SubflowsOf error %v; want ErrNotMPTCP", side, err)
		}
	}
}

func TestFallbackToPlainListener(t *testing.T) {
	requireMPTCP(t)
	// The listener is plain TCP, so the MPTCP client falls back.
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c, err := (&mptcp.Dialer{}).Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := mptcp.StatusOf(c.(*net.TCPConn))
	if err != nil || st != mptcp.StatusFallback {
		t.Errorf("StatusOf = %v, %v; want fallback", st, err)
	}
	if _, err := mptcp.InfoOf(c.(*net.TCPConn)); !errors.Is(err, mptcp.ErrFallback) || errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("InfoOf error %v; want ErrFallback and not errors.ErrUnsupported", err)
	}
	if _, err := mptcp.SubflowsOf(c.(*net.TCPConn)); !errors.Is(err, mptcp.ErrFallback) {
		t.Errorf("SubflowsOf error %v; want ErrFallback", err)
	}
	// Require refuses the fallen-back connection.
	_, err = (&mptcp.Dialer{Policy: mptcp.Require}).Dial("tcp", ln.Addr().String())
	if !errors.Is(err, mptcp.ErrFallback) {
		t.Errorf("Require dial to a plain TCP server: err %v; want ErrFallback", err)
	}
}

func TestRefusedDialedOnce(t *testing.T) {
	requireMPTCP(t)
	// A port nobody listens on: bind and close a plain listener.
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, p := range []mptcp.Policy{mptcp.Prefer, mptcp.Require} {
		calls := 0
		var protos []int
		d := &mptcp.Dialer{Policy: p}
		d.Control = func(network, address string, c syscall.RawConn) error {
			calls++
			c.Control(func(fd uintptr) {
				v, _ := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PROTOCOL)
				protos = append(protos, v)
			})
			return nil
		}
		_, err := d.Dial("tcp", addr)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%v: err %v; want ECONNREFUSED", p, err)
		}
		if calls != 1 || len(protos) != 1 || protos[0] != 262 {
			t.Errorf("%v: %d socket(s) created, protocols %v; want exactly one MPTCP (262) attempt", p, calls, protos)
		}
	}
}

func TestDialerKeepsNetDialerFields(t *testing.T) {
	requireMPTCP(t)
	ln, err := (&mptcp.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	d := &mptcp.Dialer{Dialer: net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.LocalAddr().(*net.TCPAddr).IP.String(); got != "127.0.0.2" {
		t.Errorf("LocalAddr ignored: local address %s", got)
	}
	if st, _ := mptcp.StatusOf(c.(*net.TCPConn)); st != mptcp.StatusMPTCP {
		t.Errorf("status %v; want mptcp", st)
	}
	// A cancelled context is honoured before any connect.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.DialContext(ctx, "tcp", ln.Addr().String()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v", err)
	}
}

func TestPolicies(t *testing.T) {
	requireMPTCP(t)
	c, s := pair(t, "tcp", "127.0.0.1:0", &mptcp.Dialer{Policy: mptcp.Disable}, &mptcp.ListenConfig{Policy: mptcp.Require})
	if st, _ := mptcp.StatusOf(c); st != mptcp.StatusTCP {
		t.Errorf("Disable: client status %v; want tcp", st)
	}
	if st, _ := mptcp.StatusOf(s); st != mptcp.StatusTCP {
		t.Errorf("Disable client, Require listener: server status %v; want tcp", st)
	}
	if _, err := (&mptcp.Dialer{Policy: 7}).Dial("tcp", "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "Policy(7)") {
		t.Errorf("invalid policy: err %v", err)
	}
	if _, err := (&mptcp.Dialer{Policy: mptcp.Require}).Dial("udp", "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), `"udp"`) {
		t.Errorf("Require over udp: err %v", err)
	}
	u, err := (&mptcp.Dialer{}).Dial("udp", "127.0.0.1:1")
	if err != nil {
		t.Fatalf("Prefer over udp is passed to net.Dialer: %v", err)
	}
	defer u.Close()
	if _, err := mptcp.StatusOf(u.(*net.UDPConn)); !errors.Is(err, mptcp.ErrNotMPTCP) || !strings.Contains(err.Error(), "not a TCP or MPTCP socket") {
		t.Errorf("StatusOf a UDP socket: %v; want ErrNotMPTCP naming the socket type", err)
	}
	if _, err := mptcp.InfoOf(u.(*net.UDPConn)); !errors.Is(err, mptcp.ErrNotMPTCP) || !strings.HasPrefix(err.Error(), "mptcp: info: ") {
		t.Errorf("InfoOf a UDP socket: %v; want ErrNotMPTCP from the info operation", err)
	}
}

func TestStdlibConnsIntrospected(t *testing.T) {
	requireMPTCP(t)
	var lc net.ListenConfig
	lc.SetMultipathTCP(true)
	var d net.Dialer
	d.SetMultipathTCP(true)
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if st, err := mptcp.StatusOf(c.(*net.TCPConn)); st != mptcp.StatusMPTCP || err != nil {
		t.Errorf("stdlib MPTCP conn: status %v, %v", st, err)
	}
	if sfs, err := mptcp.SubflowsOf(c.(*net.TCPConn)); len(sfs) != 1 || err != nil {
		t.Errorf("stdlib MPTCP conn: subflows %v, %v", sfs, err)
	}
}

func TestHTTPOverMPTCP(t *testing.T) {
	requireMPTCP(t)
	ln, err := (&mptcp.ListenConfig{Policy: mptcp.Require}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	type connKey struct{}
	srv := &http.Server{
		ConnContext: func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, connKey{}, c) },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, err := mptcp.StatusOf(r.Context().Value(connKey{}).(*net.TCPConn))
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			body, _ := io.ReadAll(r.Body)
			sum := sha256.Sum256(body)
			w.Header().Set("X-Status", st.String())
			w.Write(sum[:])
		}),
	}
	go srv.Serve(ln)
	defer srv.Close()
	var clientConn net.Conn
	d := &mptcp.Dialer{Policy: mptcp.Require}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		clientConn = c
		return c, err
	}}
	defer tr.CloseIdleConnections()
	body := make([]byte, 256<<10)
	rand.Read(body)
	resp, err := (&http.Client{Transport: tr}).Post("http://"+ln.Addr().String()+"/", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want := sha256.Sum256(body)
	if !bytes.Equal(got, want[:]) || resp.Header.Get("X-Status") != "mptcp" {
		t.Errorf("server saw status %q, hash match %v", resp.Header.Get("X-Status"), bytes.Equal(got, want[:]))
	}
	if st, err := mptcp.StatusOf(clientConn.(*net.TCPConn)); st != mptcp.StatusMPTCP || err != nil {
		t.Errorf("client status %v, %v", st, err)
	}
}

func TestIntrospectionBadConns(t *testing.T) {
	requireMPTCP(t)
	if _, err := mptcp.StatusOf(nil); err == nil {
		t.Error("StatusOf(nil): no error")
	}
	var typedNil *net.TCPConn
	if _, err := mptcp.StatusOf(typedNil); err == nil || !strings.Contains(err.Error(), "nil *net.TCPConn") {
		t.Errorf("StatusOf a nil *net.TCPConn: %v", err)
	}
	if _, err := mptcp.InfoOf(&net.TCPConn{}); err == nil || !strings.Contains(err.Error(), "zero value") {
		t.Errorf("InfoOf a zero net.TCPConn: %v", err)
	}
	var zero mptcp.Inspector
	if _, err := zero.Status(); err == nil {
		t.Error("zero Inspector: no error")
	}
	var nilIn *mptcp.Inspector
	if _, err := nilIn.Subflows(nil); err == nil {
		t.Error("nil Inspector: no error")
	}
	c, _ := pair(t, "tcp", "127.0.0.1:0", &mptcp.Dialer{}, &mptcp.ListenConfig{})
	in, err := mptcp.NewInspector(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := in.Status(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Status of a closed conn: %v; want net.ErrClosed", err)
	}
	var i mptcp.Info
	if err := in.Info(&i); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Info of a closed conn: %v; want net.ErrClosed", err)
	}
	if _, err := in.Subflows(nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Subflows of a closed conn: %v; want net.ErrClosed", err)
	}
	if err := in.Info(nil); err == nil {
		t.Error("Info(nil): no error")
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := mptcp.StatusOf(f); err == nil {
		t.Error("StatusOf a regular file: no error")
	}
}
