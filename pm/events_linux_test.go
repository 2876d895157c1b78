//go:build linux

package pm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/unix"
)

// evFamily is the family the fake kernel serves: the events group has id
// 9, as observed on 6.18.
var evFamily = genetlink.Family{
	ID:      28,
	Version: unix.MPTCP_PM_VER,
	Name:    unix.MPTCP_PM_NAME,
	Groups: []genetlink.MulticastGroup{
		{ID: 8, Name: unix.MPTCP_PM_CMD_GRP_NAME},
		{ID: 9, Name: unix.MPTCP_PM_EV_GRP_NAME},
	},
}

// A fakeRead is what one read of the fake socket returns.
type fakeRead struct {
	msgs []genetlink.Message
	err  error
}

// fakeEvents is an events socket: a genltest connection, whose Func
// genetlink calls with an empty request on each multicast Receive, served
// from a queue of reads. It adds what genltest's socket lacks: group joins,
// and read deadlines and Close that wake a blocked Receive.
type fakeEvents struct {
	*genetlink.Conn
	reads chan fakeRead
	calls atomic.Int32 // reads made

	mu       sync.Mutex
	deadline time.Time
	wake     chan struct{} // closed when the deadline changes or on Close
	closed   bool
	joined   []uint32
	joinErr  error
}

func newFakeEvents(t *testing.T, family genetlink.Family) *fakeEvents {
	t.Helper()
	f := &fakeEvents{reads: make(chan fakeRead, 64), wake: make(chan struct{})}
	f.Conn = genltest.Dial(genltest.ServeFamily(family, f.serve))
	t.Cleanup(func() { f.Close() })
	return f
}

// serve answers a multicast read with the next queued read, waiting for
// one until the deadline or Close.
func (f *fakeEvents) serve(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
	if nreq.Header.Length != 0 {
		return nil, fmt.Errorf("fake events socket: unexpected request %+v", greq)
	}
	f.calls.Add(1)
	for {
		f.mu.Lock()
		deadline, wake, closed := f.deadline, f.wake, f.closed
		f.mu.Unlock()
		if closed {
			return nil, os.NewSyscallError("recvmsg", os.ErrClosed)
		}
		var timeout <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return nil, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case r := <-f.reads:
			return r.msgs, r.err
		case <-timeout:
			return nil, os.ErrDeadlineExceeded
		case <-wake:
		}
	}
}

// poke wakes a blocked serve; f.mu must be held.
func (f *fakeEvents) poke() {
	close(f.wake)
	f.wake = make(chan struct{})
}

func (f *fakeEvents) SetReadDeadline(t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deadline = t
	f.poke()
	return nil
}

func (f *fakeEvents) JoinGroup(group uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.joinErr != nil {
		return f.joinErr
	}
	f.joined = append(f.joined, group)
	return nil
}

func (f *fakeEvents) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		f.poke()
	}
	return f.Conn.Close()
}

func (f *fakeEvents) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// send queues one read of the given messages.
func (f *fakeEvents) send(msgs ...genetlink.Message) { f.reads <- fakeRead{msgs: msgs} }

// fail queues one read that fails with err.
func (f *fakeEvents) fail(err error) { f.reads <- fakeRead{err: err} }

// subscribeFake returns a Subscription on a fake socket.
func subscribeFake(t *testing.T) (*Subscription, *fakeEvents) {
	t.Helper()
	f := newFakeEvents(t, evFamily)
	s, err := newSubscription(f)
	if err != nil {
		t.Fatalf("newSubscription: %v", err)
	}
	return &Subscription{s: s}, f
}

// testEvents are events as the kernel sends them.
var testEvents = []Event{
	{
		Type: EventCreated, Token: 0xca1ddca7,
		Local: netip.MustParseAddrPort("198.18.1.1:49978"), Remote: netip.MustParseAddrPort("198.18.1.2:36413"),
		Attrs: 1<<AttrToken | 1<<AttrFamily | 1<<AttrLocalID | 1<<AttrRemoteID | 1<<AttrSaddr4 | 1<<AttrDaddr4 | 1<<AttrSport | 1<<AttrDport,
	},
	{
		Type: EventSubflowEstablished, Token: 0xca1ddca7, LocalID: 1, Interface: 1002,
		Local: netip.MustParseAddrPort("198.18.2.1:56155"), Remote: netip.MustParseAddrPort("198.18.1.2:36413"),
		Attrs: 1<<AttrToken | 1<<AttrFamily | 1<<AttrLocalID | 1<<AttrRemoteID | 1<<AttrSaddr4 | 1<<AttrDaddr4 |
			1<<AttrSport | 1<<AttrDport | 1<<AttrBackup | 1<<AttrInterface,
	},
	{Type: EventClosed, Token: 0xca1ddca7, Attrs: 1 << AttrToken},
}

// receive calls Receive with a timeout.
func receive(t *testing.T, s *Subscription) (Event, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Receive(ctx)
}

func wantEvents(t *testing.T, s *Subscription, want ...Event) {
	t.Helper()
	for i, w := range want {
		got, err := receive(t, s)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("event %d:\n\t%v\nwant\n\t%v", i, got, w)
		}
	}
}

// The subscription joins the events group, and events that come in one
// read are returned one by one without reading again.
func TestLinuxSubscriptionReceive(t *testing.T) {
	s, f := subscribeFake(t)
	if !reflect.DeepEqual(f.joined, []uint32{9}) {
		t.Errorf("joined groups %v, want [9]", f.joined)
	}
	var msgs []genetlink.Message
	for _, e := range testEvents {
		msgs = append(msgs, eventMessage(t, e))
	}
	f.send(msgs...)
	f.send(eventMessage(t, testEvents[0]))
	wantEvents(t, s, testEvents...)
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d reads for one batch of events, want 1", n)
	}
	wantEvents(t, s, testEvents[0])
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d reads, want 2", n)
	}
}

// ENOBUFS gives an error matching ErrEventsLost; the subscription then
// returns the events that follow.
func TestLinuxSubscriptionOverrun(t *testing.T) {
	s, f := subscribeFake(t)
	f.send(eventMessage(t, testEvents[0]))
	f.fail(os.NewSyscallError("recvmsg", syscall.ENOBUFS))
	f.send(eventMessage(t, testEvents[1]))
	f.fail(os.NewSyscallError("recvmsg", syscall.ENOBUFS))
	f.fail(os.NewSyscallError("recvmsg", syscall.ENOBUFS))
	f.send(eventMessage(t, testEvents[2]))
	wantEvents(t, s, testEvents[0])
	for i := range 3 {
		_, err := receive(t, s)
		var lost *EventsLostError
		if !errors.Is(err, ErrEventsLost) || !errors.As(err, &lost) {
			t.Fatalf("overrun %d: %v, want an *EventsLostError", i, err)
		}
		if lost.Dropped != 0 {
			t.Errorf("overrun %d: %d dropped, but the fake has no drop counter", i, lost.Dropped)
		}
		if i == 0 {
			wantEvents(t, s, testEvents[1])
		}
	}
	wantEvents(t, s, testEvents[2])
}

// Cancelling the context wakes a blocked Receive with the context's error;
// the next Receive waits afresh.
func TestLinuxSubscriptionCancel(t *testing.T) {
	s, f := subscribeFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if _, err := s.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Errorf("Receive returned after %v, want about 50ms", d)
	}
	// A done context fails at once, even with events waiting.
	f.send(eventMessage(t, testEvents[0]))
	if _, err := s.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive with a done context: %v", err)
	}
	wantEvents(t, s, testEvents[0])
	time.AfterFunc(50*time.Millisecond, func() { f.send(eventMessage(t, testEvents[1])) })
	if got, err := s.Receive(context.Background()); err != nil || !reflect.DeepEqual(got, testEvents[1]) {
		t.Fatalf("Receive after cancellation: %v, %v", got, err)
	}
}

// A context deadline ends Receive with context.DeadlineExceeded.
func TestLinuxSubscriptionDeadline(t *testing.T) {
	s, f := subscribeFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := s.Receive(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive: %v, want context.DeadlineExceeded", err)
	}
	f.send(eventMessage(t, testEvents[2]))
	wantEvents(t, s, testEvents[2])
}

// Close wakes a blocked Receive with net.ErrClosed and closes the socket;
// everything after fails with net.ErrClosed.
func TestLinuxSubscriptionClose(t *testing.T) {
	s, f := subscribeFake(t)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Receive(context.Background())
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("pending Receive: %v, want net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not wake the pending Receive")
	}
	if !f.isClosed() {
		t.Error("socket not closed")
	}
	if err := s.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Receive(context.Background()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Receive after Close: %v", err)
	}
	if err := s.SetReadBuffer(4096); !errors.Is(err, net.ErrClosed) {
		t.Errorf("SetReadBuffer after Close: %v", err)
	}
}

// One reader, a sender and concurrent Closes, for the race detector.
func TestLinuxSubscriptionCloseRace(t *testing.T) {
	for i := range 20 {
		s, f := subscribeFake(t)
		var wg sync.WaitGroup
		wg.Add(3)
		go func() {
			defer wg.Done()
			for {
				if _, err := s.Receive(context.Background()); errors.Is(err, net.ErrClosed) {
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 5 {
				f.send(eventMessage(t, testEvents[0]))
			}
		}()
		go func() {
			defer wg.Done()
			s.Close()
		}()
		time.Sleep(time.Duration(i) * 100 * time.Microsecond)
		s.Close()
		wg.Wait()
	}
}

// Events yields lost events and malformed messages as errors and goes on;
// it ends with the context's error.
func TestLinuxSubscriptionEvents(t *testing.T) {
	s, f := subscribeFake(t)
	bad := genetlink.Message{Header: genetlink.Header{Command: unix.MPTCP_EVENT_CREATED, Version: 1}, Data: []byte{8, 0, 1}}
	f.send(eventMessage(t, testEvents[0]))
	f.fail(os.NewSyscallError("recvmsg", syscall.ENOBUFS))
	f.send(bad, eventMessage(t, testEvents[1]))
	f.fail(os.NewSyscallError("recvmsg", syscall.EIO))
	f.send(eventMessage(t, testEvents[2]))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	for ev, err := range s.Events(ctx) {
		switch {
		case errors.Is(err, ErrEventsLost):
			got = append(got, "lost")
		case errors.Is(err, errBadEvent):
			got = append(got, "bad")
		case errors.Is(err, context.Canceled):
			got = append(got, "canceled")
		case err != nil:
			got = append(got, "error: "+err.Error())
		default:
			got = append(got, ev.Type.String())
			if ev.Type == EventClosed {
				cancel()
			}
		}
	}
	want := []string{"CREATED", "lost", "bad", "SF_ESTABLISHED", "error: pm: receiving events: netlink receive: recvmsg: input/output error"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Events yielded\n\t%q\nwant\n\t%q", got, want)
	}
	// The iteration ended at the socket error; the subscription goes on.
	wantEvents(t, s, testEvents[2])

	// Breaking out of the loop ends the iteration.
	f.send(eventMessage(t, testEvents[0]), eventMessage(t, testEvents[1]))
	for ev, err := range s.Events(context.Background()) {
		if err != nil || ev.Type != EventCreated {
			t.Errorf("first event: %v, %v", ev, err)
		}
		break
	}
	wantEvents(t, s, testEvents[1])
}

func TestLinuxNewSubscriptionErrors(t *testing.T) {
	noGroup := evFamily
	noGroup.Groups = noGroup.Groups[:1]
	f := newFakeEvents(t, noGroup)
	if _, err := newSubscription(f); !errors.Is(err, errors.ErrUnsupported) || !f.isClosed() {
		t.Errorf("family without events group: %v (closed %v), want errors.ErrUnsupported", err, f.isClosed())
	}

	f = newFakeEvents(t, evFamily)
	f.joinErr = os.NewSyscallError("setsockopt", syscall.EPERM)
	if _, err := newSubscription(f); !errors.Is(err, os.ErrPermission) || !f.isClosed() {
		t.Errorf("join without CAP_NET_ADMIN: %v (closed %v), want os.ErrPermission", err, f.isClosed())
	}

	f = newFakeEvents(t, evFamily)
	f.Conn = genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(syscall.ENOENT))
	})
	if _, err := newSubscription(f); !errors.Is(err, ErrNoFamily) || !errors.Is(err, os.ErrNotExist) || !f.isClosed() {
		t.Errorf("no family: %v (closed %v), want ErrNoFamily", err, f.isClosed())
	}
}

// Subscribe needs the Client's socket to find its namespace; a fake one
// has none, and a closed Client gives net.ErrClosed.
func TestLinuxClientSubscribe(t *testing.T) {
	oc, err := newClient(genltest.Dial(genltest.ServeFamily(evFamily, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, nil
	})))
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{c: oc}
	if s, err := c.Subscribe(); err == nil || s != nil {
		t.Errorf("Subscribe on a fake socket: %v, %v", s, err)
	}
	c.Close()
	if _, err := c.Subscribe(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Subscribe on a closed Client: %v", err)
	}
}
