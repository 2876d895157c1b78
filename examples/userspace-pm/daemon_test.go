package main

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/pm"
)

// fakePM records the daemon's commands; CreateSubflow fails for the local
// ids in fail.
type fakePM struct {
	calls []string
	fail  map[uint8]error
}

func (f *fakePM) Announce(token uint32, ep pm.Endpoint) error {
	f.calls = append(f.calls, fmt.Sprintf("announce %08x id %d %v %v", token, ep.ID, ep.Addr, ep.Flags))
	return nil
}

func (f *fakePM) Remove(token uint32, id uint8) error {
	f.calls = append(f.calls, fmt.Sprintf("remove %08x id %d", token, id))
	return nil
}

func (f *fakePM) CreateSubflow(token uint32, ep pm.Endpoint, remote netip.AddrPort) error {
	f.calls = append(f.calls, fmt.Sprintf("create %08x id %d %v if %d -> %v", token, ep.ID, ep.Addr, ep.Interface, remote))
	return f.fail[ep.ID]
}

func (f *fakePM) DestroySubflow(token uint32, local, remote netip.AddrPort) error {
	f.calls = append(f.calls, fmt.Sprintf("destroy %08x %v -> %v", token, local, remote))
	return nil
}

// fakeDaemon is a daemon on a fakePM whose retries wait in a queue instead
// of on timers.
type fakeDaemon struct {
	*daemon
	pm      *fakePM
	log     []string
	delays  []time.Duration
	pending []func()
}

func newFakeDaemon(policy string) *fakeDaemon {
	f := &fakeDaemon{pm: &fakePM{fail: map[uint8]error{}}}
	f.daemon = &daemon{pm: f.pm, policy: policy, backoff: 100 * time.Millisecond, retries: 5,
		conns: map[uint32]*conn{},
		locals: []local{
			{netip.MustParseAddr("198.18.1.1"), 1001, "p1a"},
			{netip.MustParseAddr("2001:db8:1::1"), 1001, "p1a"},
			{netip.MustParseAddr("198.18.2.1"), 1002, "p2a"},
			{netip.MustParseAddr("198.18.3.1"), 1003, "p3a"},
		},
		logf:  func(format string, args ...any) { f.log = append(f.log, fmt.Sprintf(format, args...)) },
		after: func(d time.Duration, fn func()) { f.delays = append(f.delays, d); f.pending = append(f.pending, fn) },
	}
	return f
}

// fire runs the retries scheduled so far.
func (f *fakeDaemon) fire() {
	p := f.pending
	f.pending = nil
	for _, fn := range p {
		fn()
	}
}

// takeCalls returns the commands sent since the last call.
func (f *fakeDaemon) takeCalls() []string {
	c := f.pm.calls
	f.pm.calls = nil
	return c
}

func wantCalls(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: commands\n\t%s\nwant\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

var (
	client  = netip.MustParseAddrPort("198.18.1.1:40000")
	server  = netip.MustParseAddrPort("198.18.1.2:5201")
	sf2     = netip.MustParseAddrPort("198.18.2.1:41000")
	sf3     = netip.MustParseAddrPort("198.18.3.1:42000")
	token   = uint32(0xabcd0123)
	created = []string{
		"create abcd0123 id 10 198.18.2.1 if 1002 -> 198.18.1.2:5201",
		"create abcd0123 id 11 198.18.3.1 if 1003 -> 198.18.1.2:5201",
	}
)

// TestBackoff checks the subflows policy's retries: a subflow the kernel
// keeps refusing is retried after 100, 200, 400, 800 and 1600 ms and then
// given up; one that closes is retried, and the count starts again once it
// is up.
func TestBackoff(t *testing.T) {
	f := newFakeDaemon("subflows")
	f.pm.fail[10] = &pm.Error{Err: syscall.ENETUNREACH, Message: "connect error: -101"}
	// Server-side connections are not the subflows policy's.
	f.handle(pm.Event{Type: pm.EventEstablished, Token: 1, Local: server, Remote: client, ServerSide: true})
	wantCalls(t, "server-side connection", f.takeCalls())

	f.handle(pm.Event{Type: pm.EventEstablished, Token: token, Local: client, Remote: server})
	// From every other IPv4 address, with ids from 10 up.
	wantCalls(t, "established", f.takeCalls(), created...)
	f.handle(pm.Event{Type: pm.EventSubflowEstablished, Token: token, LocalID: 11, Local: sf3, Remote: server})
	for range 5 {
		f.fire()
	}
	wantCalls(t, "retries", f.takeCalls(), slices.Repeat(created[:1], 5)...)
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
	if !slices.Equal(f.delays, want) {
		t.Errorf("delays %v, want %v", f.delays, want)
	}
	if len(f.pending) != 0 || !strings.HasSuffix(f.log[len(f.log)-1], "; giving up after 5 retries") {
		t.Errorf("no giving up after 5 retries:\n%s", strings.Join(f.log, "\n"))
	}

	// The subflow that is up closes: a retry, which starts at 100 ms again
	// once the subflow was up in between.
	f.delays = nil
	for range 2 {
		f.handle(pm.Event{Type: pm.EventSubflowClosed, Token: token, LocalID: 11, Local: sf3, Remote: server, Error: syscall.ECONNRESET})
		// A second close before the retry schedules nothing more.
		f.handle(pm.Event{Type: pm.EventSubflowClosed, Token: token, LocalID: 11, Local: sf3, Remote: server})
		f.fire()
		wantCalls(t, "retry after close", f.takeCalls(), created[1])
		f.handle(pm.Event{Type: pm.EventSubflowEstablished, Token: token, LocalID: 11, Local: sf3, Remote: server})
	}
	if want := want[:1:1]; !slices.Equal(f.delays, append(want, want...)) {
		t.Errorf("delays after closes %v, want 100ms twice", f.delays)
	}
	if !slices.ContainsFunc(f.log, func(l string) bool {
		return strings.HasSuffix(l, "closed (connection reset by peer); retry 1/5 in 100ms")
	}) {
		t.Errorf("no retry logged with the subflow's error:\n%s", strings.Join(f.log, "\n"))
	}
}

// TestNoRetry checks what ends the retries: the connection's close, a
// withdrawal, an unknown token.
func TestNoRetry(t *testing.T) {
	f := newFakeDaemon("subflows")
	f.handle(pm.Event{Type: pm.EventEstablished, Token: token, Local: client, Remote: server})
	f.handle(pm.Event{Type: pm.EventSubflowClosed, Token: token, LocalID: 10, Local: sf2, Remote: server})
	f.handle(pm.Event{Type: pm.EventClosed, Token: token})
	f.takeCalls()
	f.fire()
	wantCalls(t, "retry after the connection closed", f.takeCalls())

	// Withdrawal destroys the subflows that are up, and one that comes up
	// later; none is retried.
	f.handle(pm.Event{Type: pm.EventEstablished, Token: token, Local: client, Remote: server})
	f.handle(pm.Event{Type: pm.EventSubflowEstablished, Token: token, LocalID: 10, Local: sf2, Remote: server})
	f.takeCalls()
	f.withdraw()
	f.handle(pm.Event{Type: pm.EventSubflowEstablished, Token: token, LocalID: 11, Local: sf3, Remote: server})
	f.handle(pm.Event{Type: pm.EventSubflowClosed, Token: token, LocalID: 10, Local: sf2, Remote: server})
	f.handle(pm.Event{Type: pm.EventSubflowClosed, Token: token, LocalID: 11, Local: sf3, Remote: server})
	f.fire()
	wantCalls(t, "withdrawal", f.takeCalls(),
		"destroy abcd0123 198.18.2.1:41000 -> 198.18.1.2:5201",
		"destroy abcd0123 198.18.3.1:42000 -> 198.18.1.2:5201")

	// A token the kernel does not know, or a connection of the in-kernel
	// path manager, is not retried.
	f = newFakeDaemon("subflows")
	f.pm.fail[10] = fmt.Errorf("wrapped: %w", pm.ErrUnknownToken)
	f.pm.fail[11] = fmt.Errorf("wrapped: %w", pm.ErrInKernelPM)
	f.handle(pm.Event{Type: pm.EventEstablished, Token: token, Local: client, Remote: server})
	if len(f.pending) != 0 {
		t.Errorf("retries scheduled after ErrUnknownToken and ErrInKernelPM:\n%s", strings.Join(f.log, "\n"))
	}

	// Nothing after stop.
	f = newFakeDaemon("subflows")
	f.pm.fail[10] = errors.New("refused")
	f.handle(pm.Event{Type: pm.EventEstablished, Token: token, Local: client, Remote: server})
	f.takeCalls()
	f.stop()
	f.fire()
	f.handle(pm.Event{Type: pm.EventEstablished, Token: 2, Local: client, Remote: server})
	wantCalls(t, "after stop", f.takeCalls())
}

// TestAnnounce checks the announce policy: on a server-side connection of
// a dual-stack socket (IPv4-mapped addresses), ADD_ADDR for the other IPv4
// addresses, ids from 10 up, and RM_ADDR for them on withdrawal.
func TestAnnounce(t *testing.T) {
	f := newFakeDaemon("announce")
	f.locals = []local{
		{netip.MustParseAddr("198.18.1.2"), 2001, "p1b"},
		{netip.MustParseAddr("2001:db8:1::2"), 2001, "p1b"},
		{netip.MustParseAddr("198.18.2.2"), 2002, "p2b"},
		{netip.MustParseAddr("198.18.3.2"), 2003, "p3b"},
	}
	mapped := netip.AddrPortFrom(netip.AddrFrom16(server.Addr().As16()), server.Port())
	f.handle(pm.Event{Type: pm.EventEstablished, Token: 1, Local: client, Remote: server})
	wantCalls(t, "client-side connection", f.takeCalls())
	f.handle(pm.Event{Type: pm.EventEstablished, Token: token, Local: mapped, Remote: client, ServerSide: true})
	wantCalls(t, "established", f.takeCalls(),
		"announce abcd0123 id 10 198.18.2.2 signal",
		"announce abcd0123 id 11 198.18.3.2 signal")
	f.withdraw()
	f.withdraw()
	wantCalls(t, "withdrawal", f.takeCalls(), "remove abcd0123 id 10", "remove abcd0123 id 11")
}
