//go:build linux

package pm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/sockopt"
	"github.com/multipath-dev/go/internal/unix"
	xunix "golang.org/x/sys/unix"
)

var _ osSubscription = &subscription{}

// eventConn is the part of *genetlink.Conn a subscription uses; tests wrap
// a genltest connection in it.
type eventConn interface {
	GetFamily(name string) (genetlink.Family, error)
	JoinGroup(group uint32) error
	Receive() ([]genetlink.Message, []netlink.Message, error)
	SetReadDeadline(t time.Time) error
	SyscallConn() (syscall.RawConn, error)
	Close() error
}

// eventBufferSize is the size of the buffer one read uses. Events are
// about 100 bytes; with a fixed buffer netlink reads each datagram in one
// recvmsg instead of peeking at its size first.
const eventBufferSize = 16 << 10

// aLongTimeAgo is a read deadline in the past, set to wake up a blocked
// read when the context is done.
var aLongTimeAgo = time.Unix(1, 0)

// subscription is the Linux subscription: a generic netlink socket that
// joined the mptcp_pm_events group.
type subscription struct {
	c      eventConn
	closed atomic.Bool

	mu    sync.Mutex          // one receive at a time; guards what follows
	queue []genetlink.Message // read from the socket, not returned yet
	// congested is set from an ENOBUFS until a read leaves the socket's
	// queue empty. Meanwhile the kernel drops events without raising
	// ENOBUFS again, so every read checks the drop counter.
	congested bool
	drops     uint32 // the socket's drop counter when last read
}

// subscribe opens the subscription's socket in the namespace of the
// Client's socket.
func (c *Client) subscribe() (osSubscription, error) {
	var conn *genetlink.Conn
	err := c.do(func(oc osClient) (err error) {
		cl, ok := oc.(*client)
		if !ok {
			return fmt.Errorf("pm: subscribe: unexpected client %T", oc)
		}
		conn, err = dialEvents(cl.c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return newSubscription(conn)
}

// dialEvents opens a generic netlink socket in the network namespace of
// the socket gc uses, which SIOCGSKNS reveals: Config.NetNS was only
// borrowed during Dial, and the calling thread may be in another
// namespace.
func dialEvents(gc genConn) (*genetlink.Conn, error) {
	sc, ok := gc.(syscall.Conn)
	if !ok {
		return nil, errors.New("pm: subscribe: the client's connection has no socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("pm: subscribe: %w", err)
	}
	nsfd := -1
	var ioerr error
	if err := rc.Control(func(fd uintptr) {
		nsfd, ioerr = xunix.IoctlRetInt(int(fd), xunix.SIOCGSKNS)
	}); err != nil {
		return nil, fmt.Errorf("pm: subscribe: %w", err)
	}
	if ioerr != nil {
		// SIOCGSKNS needs CAP_NET_ADMIN in the namespace, as the join does.
		return nil, fmt.Errorf("pm: subscribe: finding the client's network namespace (needs CAP_NET_ADMIN there, as the events group does): %w",
			os.NewSyscallError("ioctl SIOCGSKNS", ioerr))
	}
	ns := os.NewFile(uintptr(nsfd), "netns")
	defer ns.Close()

	// Why not always pass the namespace: entering one, even the current
	// one, needs CAP_SYS_ADMIN, which a path-manager daemon in its own
	// namespace may lack. The thread stays locked from the check through
	// the socket(2) call, which Dial makes on it when NetNS is 0.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cfg := &netlink.Config{
		Strict:            true,
		MessageBufferSize: eventBufferSize,
	}
	if !threadInNetNS(nsfd) {
		cfg.NetNS = nsfd
	}
	conn, err := genetlink.Dial(cfg)
	if err != nil {
		return nil, fmt.Errorf("pm: subscribe: dialing generic netlink: %w", err)
	}
	return conn, nil
}

// threadInNetNS reports whether the calling thread is in the network
// namespace nsfd refers to.
func threadInNetNS(nsfd int) bool {
	var a, b xunix.Stat_t
	if xunix.Fstat(nsfd, &a) != nil || xunix.Stat("/proc/thread-self/ns/net", &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// newSubscription resolves the family on conn and joins its events group,
// closing conn on failure.
func newSubscription(conn eventConn) (*subscription, error) {
	fail := func(err error) (*subscription, error) {
		_ = conn.Close()
		return nil, err
	}
	family, err := conn.GetFamily(unix.MPTCP_PM_NAME)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fail(fmt.Errorf("%w: %w", ErrNoFamily, err))
		}
		return fail(fmt.Errorf("pm: subscribe: resolving the %s generic netlink family: %w", unix.MPTCP_PM_NAME, err))
	}
	var (
		group uint32
		found bool
	)
	for _, g := range family.Groups {
		if g.Name == unix.MPTCP_PM_EV_GRP_NAME {
			group, found = g.ID, true
		}
	}
	if !found {
		return fail(fmt.Errorf("pm: subscribe: the kernel's %s family has no %s multicast group (older than Linux 5.12): %w",
			unix.MPTCP_PM_NAME, unix.MPTCP_PM_EV_GRP_NAME, errors.ErrUnsupported))
	}
	if err := conn.JoinGroup(group); err != nil {
		return fail(fmt.Errorf("pm: subscribe: joining the %s group (needs CAP_NET_ADMIN): %w", unix.MPTCP_PM_EV_GRP_NAME, err))
	}
	s := &subscription{c: conn}
	if m, ok := s.meminfo(); ok {
		s.drops = m[unix.SK_MEMINFO_DROPS]
	}
	return s, nil
}

func (s *subscription) receive(ctx context.Context) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed.Load() {
			return Event{}, errSubscriptionClosed
		}
		if err := ctx.Err(); err != nil {
			return Event{}, err
		}
		if len(s.queue) > 0 {
			m := s.queue[0]
			s.queue[0] = genetlink.Message{}
			s.queue = s.queue[1:]
			return parseEvent(m)
		}
		msgs, err := s.read(ctx)
		if err != nil {
			return Event{}, err
		}
		s.queue = msgs
		if s.congested {
			if err := s.checkDrops(); err != nil {
				return Event{}, err
			}
		}
	}
}

// read reads one datagram, waiting until ctx is done.
func (s *subscription) read(ctx context.Context) ([]genetlink.Message, error) {
	deadline, _ := ctx.Deadline() // the zero time, no deadline, if none
	if err := s.c.SetReadDeadline(deadline); err != nil {
		return nil, s.readError(ctx, err)
	}
	var (
		stop  func() bool
		woken chan struct{}
	)
	if ctx.Done() != nil {
		woken = make(chan struct{})
		stop = context.AfterFunc(ctx, func() {
			_ = s.c.SetReadDeadline(aLongTimeAgo)
			close(woken)
		})
	}
	msgs, _, err := s.c.Receive()
	if stop != nil && !stop() {
		// The wake-up ran or is running: let it finish before the next
		// read sets the deadline, which it would otherwise overwrite.
		<-woken
	}
	if err != nil {
		return nil, s.readError(ctx, err)
	}
	return msgs, nil
}

// readError turns an error of the socket into what Receive returns.
func (s *subscription) readError(ctx context.Context, err error) error {
	switch {
	case s.closed.Load():
		return errSubscriptionClosed
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Done() != nil:
		// Only ctx sets deadlines: its own deadline, whose timer may fire
		// an instant after the socket's, or the wake-up on cancellation.
		<-ctx.Done()
		return ctx.Err()
	case errors.Is(err, syscall.ENOBUFS):
		// The kernel reports an overrun once, and keeps the events
		// queued before it: the next read returns them.
		s.congested = true
		n := 0
		if m, ok := s.meminfo(); ok {
			n = int(m[unix.SK_MEMINFO_DROPS] - s.drops)
			s.drops = m[unix.SK_MEMINFO_DROPS]
		}
		return &EventsLostError{Dropped: n}
	}
	return fmt.Errorf("pm: receiving events: %w", err)
}

// checkDrops reports the events the kernel dropped while the socket stayed
// congested after an ENOBUFS, and ends the congestion once the queue is
// empty: from then on the kernel raises ENOBUFS again for the next drop.
func (s *subscription) checkDrops() error {
	m, ok := s.meminfo()
	if !ok {
		s.congested = false
		return nil
	}
	var err error
	if d := m[unix.SK_MEMINFO_DROPS] - s.drops; d != 0 {
		s.drops = m[unix.SK_MEMINFO_DROPS]
		err = &EventsLostError{Dropped: int(d)}
	}
	// Only reads take events off the queue, so a queue empty now was
	// empty when the read that just returned ended, which cleared the
	// kernel's congestion bit.
	if m[unix.SK_MEMINFO_RMEM_ALLOC] == 0 {
		s.congested = false
	}
	return err
}

// meminfo returns the socket's SO_MEMINFO counters.
func (s *subscription) meminfo() (m [unix.SK_MEMINFO_VARS]uint32, ok bool) {
	rc, err := s.c.SyscallConn()
	if err != nil {
		return m, false
	}
	var (
		buf  [4 * unix.SK_MEMINFO_VARS]byte
		n    int
		gerr error
	)
	if err := rc.Control(func(fd uintptr) {
		n, gerr = sockopt.Get(fd, xunix.SOL_SOCKET, xunix.SO_MEMINFO, buf[:])
	}); err != nil || gerr != nil || n < 4*(unix.SK_MEMINFO_DROPS+1) {
		return m, false
	}
	for i := range m {
		m[i] = binary.NativeEndian.Uint32(buf[4*i:])
	}
	return m, true
}

func (s *subscription) setReadBuffer(bytes int) error {
	if s.closed.Load() {
		return errSubscriptionClosed
	}
	rc, err := s.c.SyscallConn()
	if err != nil {
		return fmt.Errorf("pm: setting the read buffer: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		// SO_RCVBUFFORCE passes net.core.rmem_max but needs
		// CAP_NET_ADMIN in the initial user namespace.
		serr = xunix.SetsockoptInt(int(fd), xunix.SOL_SOCKET, xunix.SO_RCVBUFFORCE, bytes)
		if errors.Is(serr, syscall.EPERM) {
			serr = xunix.SetsockoptInt(int(fd), xunix.SOL_SOCKET, xunix.SO_RCVBUF, bytes)
		}
	}); err != nil {
		return fmt.Errorf("pm: setting the read buffer: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("pm: setting the read buffer: %w", os.NewSyscallError("setsockopt", serr))
	}
	return nil
}

func (s *subscription) close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return errSubscriptionClosed
	}
	if err := s.c.Close(); err != nil {
		return fmt.Errorf("pm: closing the subscription: %w", err)
	}
	return nil
}
