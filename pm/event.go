package pm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/unix"
)

// This file holds the platform-neutral part of event subscriptions: the
// exported types, the decoder (which builds everywhere so that its tests and
// fuzz target run everywhere) and the Subscription wrapper. The socket code
// is in events_linux.go.

// An EventType says what an [Event] reports. The values are the kernel's
// (enum mptcp_event_type); the kernel may add types, which Subscription
// passes through with their number.
type EventType uint8

// The event types of Linux 6.18. Names in parentheses are the kernel's
// MPTCP_EVENT_* names where they differ.
const (
	// EventCreated reports a new connection: on the client when the
	// SYN-ACK arrives, on the server when the handshake completes, just
	// before its EventEstablished.
	EventCreated EventType = unix.MPTCP_EVENT_CREATED
	// EventEstablished reports a fully established connection: on the
	// server when the third ACK arrives, on the client once the server
	// acknowledged data at the MPTCP level. A client connection closed
	// before that has no EventEstablished.
	EventEstablished EventType = unix.MPTCP_EVENT_ESTABLISHED
	// EventClosed reports that the application closed the connection's
	// socket. The connection may linger while it shuts down, waiting for
	// the peer, and still receive ADD_ADDR and RM_ADDR: EventAnnounced and
	// EventRemoved with its token can follow its EventClosed. A server
	// connection no application closed, one still in its listener's
	// accept queue when the listener closes, gets no EventClosed at all
	// (Linux 6.18), though it had EventCreated and EventEstablished.
	EventClosed EventType = unix.MPTCP_EVENT_CLOSED
	// EventAnnounced reports an address the peer announced (ADD_ADDR).
	EventAnnounced EventType = unix.MPTCP_EVENT_ANNOUNCED
	// EventRemoved reports an address the peer withdrew (RM_ADDR).
	EventRemoved EventType = unix.MPTCP_EVENT_REMOVED
	// EventSubflowEstablished (SUB_ESTABLISHED) reports an additional
	// subflow that joined the connection; the initial subflow has none.
	EventSubflowEstablished EventType = unix.MPTCP_EVENT_SUB_ESTABLISHED
	// EventSubflowClosed (SUB_CLOSED) reports a closed additional subflow,
	// or one that failed to join (with Error set, and no
	// EventSubflowEstablished before). Only subflows closed while the
	// connection stays established get one: those that end with the
	// connection are covered by its EventClosed.
	EventSubflowClosed EventType = unix.MPTCP_EVENT_SUB_CLOSED
	// EventSubflowPriority (SUB_PRIORITY) reports that the peer changed a
	// subflow's backup flag (MP_PRIO); a change made on this host gives
	// none here.
	EventSubflowPriority EventType = unix.MPTCP_EVENT_SUB_PRIORITY
	// EventListenerCreated reports an MPTCP listening socket (Linux 6.2):
	// an application's listen(2), which includes Go's net.Listen since Go
	// 1.24 makes MPTCP listeners by default, or the listener the in-kernel
	// path manager opens for a signal endpoint with a port.
	EventListenerCreated EventType = unix.MPTCP_EVENT_LISTENER_CREATED
	// EventListenerClosed reports that such a listener was closed (6.2).
	EventListenerClosed EventType = unix.MPTCP_EVENT_LISTENER_CLOSED
)

// eventTypeNames are the names `ip mptcp monitor` prints.
var eventTypeNames = [...]string{
	EventCreated:            "CREATED",
	EventEstablished:        "ESTABLISHED",
	EventClosed:             "CLOSED",
	EventAnnounced:          "ANNOUNCED",
	EventRemoved:            "REMOVED",
	EventSubflowEstablished: "SF_ESTABLISHED",
	EventSubflowClosed:      "SF_CLOSED",
	EventSubflowPriority:    "SF_PRIO",
	EventListenerCreated:    "LISTENER_CREATED",
	EventListenerClosed:     "LISTENER_CLOSED",
}

// String returns the name `ip mptcp monitor` prints for t, such as
// "SF_ESTABLISHED" or "SF_PRIO", or "EventType(n)" for a type this package
// does not know.
func (t EventType) String() string {
	if int(t) < len(eventTypeNames) && eventTypeNames[t] != "" {
		return eventTypeNames[t]
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// EventFlags holds the bits of an event's flags attribute.
type EventFlags uint16

// The event flags of Linux 6.18.
const (
	// EventFlagDenyJoinID0 says the peer accepts no subflow to its initial
	// address and port (it set the C flag in MP_CAPABLE), as a server
	// behind a layer-4 load balancer does; since 6.17 and in stable
	// kernels.
	EventFlagDenyJoinID0 EventFlags = unix.MPTCP_PM_EV_FLAG_DENY_JOIN_ID0
	// EventFlagServerSide marks the server side of a connection (6.18);
	// older kernels send a separate attribute instead, and
	// [Event.ServerSide] covers both.
	EventFlagServerSide EventFlags = unix.MPTCP_PM_EV_FLAG_SERVER_SIDE
)

// String lists the set flags joined by "|", such as
// "deny_join_id0|server_side", with unknown bits in hexadecimal, or "0".
func (f EventFlags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	if f&EventFlagDenyJoinID0 != 0 {
		parts = append(parts, "deny_join_id0")
	}
	if f&EventFlagServerSide != 0 {
		parts = append(parts, "server_side")
	}
	if rest := f &^ (EventFlagDenyJoinID0 | EventFlagServerSide); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint16(rest)))
	}
	return strings.Join(parts, "|")
}

// An EventAttr is one attribute the kernel may put in an event, numbered as
// the kernel numbers them (MPTCP_ATTR_*). [Event.Attrs] records which ones
// an event carried.
type EventAttr uint8

// The event attributes of Linux 6.18, each with the Event field it fills.
const (
	AttrToken       EventAttr = unix.MPTCP_ATTR_TOKEN        // Token
	AttrFamily      EventAttr = unix.MPTCP_ATTR_FAMILY       // the form of Local's address
	AttrLocalID     EventAttr = unix.MPTCP_ATTR_LOC_ID       // LocalID
	AttrRemoteID    EventAttr = unix.MPTCP_ATTR_REM_ID       // RemoteID
	AttrSaddr4      EventAttr = unix.MPTCP_ATTR_SADDR4       // Local's IPv4 address
	AttrSaddr6      EventAttr = unix.MPTCP_ATTR_SADDR6       // Local's IPv6 address
	AttrDaddr4      EventAttr = unix.MPTCP_ATTR_DADDR4       // Remote's IPv4 address
	AttrDaddr6      EventAttr = unix.MPTCP_ATTR_DADDR6       // Remote's IPv6 address
	AttrSport       EventAttr = unix.MPTCP_ATTR_SPORT        // Local's port
	AttrDport       EventAttr = unix.MPTCP_ATTR_DPORT        // Remote's port
	AttrBackup      EventAttr = unix.MPTCP_ATTR_BACKUP       // Backup
	AttrError       EventAttr = unix.MPTCP_ATTR_ERROR        // Error
	AttrFlags       EventAttr = unix.MPTCP_ATTR_FLAGS        // Flags
	AttrTimeout     EventAttr = unix.MPTCP_ATTR_TIMEOUT      // Timeout
	AttrInterface   EventAttr = unix.MPTCP_ATTR_IF_IDX       // Interface
	AttrResetReason EventAttr = unix.MPTCP_ATTR_RESET_REASON // ResetReason
	AttrResetFlags  EventAttr = unix.MPTCP_ATTR_RESET_FLAGS  // ResetFlags
	AttrServerSide  EventAttr = unix.MPTCP_ATTR_SERVER_SIDE  // ServerSide
)

// eventAttrNames are the attribute names of the kernel's netlink spec.
var eventAttrNames = [...]string{
	AttrToken:       "token",
	AttrFamily:      "family",
	AttrLocalID:     "loc-id",
	AttrRemoteID:    "rem-id",
	AttrSaddr4:      "saddr4",
	AttrSaddr6:      "saddr6",
	AttrDaddr4:      "daddr4",
	AttrDaddr6:      "daddr6",
	AttrSport:       "sport",
	AttrDport:       "dport",
	AttrBackup:      "backup",
	AttrError:       "error",
	AttrFlags:       "flags",
	AttrTimeout:     "timeout",
	AttrInterface:   "if-idx",
	AttrResetReason: "reset-reason",
	AttrResetFlags:  "reset-flags",
	AttrServerSide:  "server-side",
}

// String returns the attribute's name in the kernel's netlink spec, such as
// "loc-id", or "EventAttr(n)" for one this package does not know.
func (a EventAttr) String() string {
	if int(a) < len(eventAttrNames) && eventAttrNames[a] != "" {
		return eventAttrNames[a]
	}
	return "EventAttr(" + strconv.Itoa(int(a)) + ")"
}

// EventAttrs is a set of event attributes: bit n is the EventAttr n.
type EventAttrs uint32

// Has reports whether a is in the set.
func (s EventAttrs) Has(a EventAttr) bool { return a < 32 && s&(1<<a) != 0 }

// String lists the attributes in the set in ascending order, joined by
// "|", or returns "0" for the empty set.
func (s EventAttrs) String() string {
	if s == 0 {
		return "0"
	}
	var parts []string
	for v := uint32(s); v != 0; v &= v - 1 {
		parts = append(parts, EventAttr(bits.TrailingZeros32(v)).String())
	}
	return strings.Join(parts, "|")
}

// An Event is one notification of the kernel's path manager, as
// `ip mptcp monitor` shows it. Which fields are set depends on Type; on
// Linux 6.18 the kernel sends:
//
//   - EventCreated, EventEstablished: Token, Local, Remote, LocalID and
//     RemoteID (the initial subflow's: 0 and 0), and on the server side
//     ServerSide (both as the flag and as the older attribute); Flags also
//     has EventFlagDenyJoinID0 when the peer set it.
//   - EventClosed: Token.
//   - EventAnnounced: Token, RemoteID and Remote: the announced address
//     with the port the ADD_ADDR gave, or else the port of the connection's
//     first subflow. Local is not set.
//   - EventRemoved: Token and RemoteID.
//   - EventSubflowEstablished, EventSubflowClosed, EventSubflowPriority:
//     Token, Local, Remote, LocalID, RemoteID, Backup, Interface when the
//     subflow is bound to a device (as one from an endpoint with an
//     interface is), Error when the subflow has a socket error, and for
//     EventSubflowClosed ResetReason and ResetFlags when the peer reset
//     the subflow with MP_TCPRST.
//   - EventListenerCreated, EventListenerClosed: Local only.
//
// Attrs tells which attributes the kernel sent, so that a field that is
// zero can be told from one that is absent (LocalID 0 names the initial
// subflow's address, ResetReason 0 is "unspecified"). Attributes this
// package does not know go to Unknown unchanged.
type Event struct {
	// Type is what happened.
	Type EventType
	// Token identifies the connection in its network namespace; it is the
	// Token of the mptcp package's Info for the connection's socket on this
	// host, and the peer's token is a different value.
	Token uint32
	// LocalID and RemoteID are the address ids of the subflow's local and
	// remote addresses (0 for the addresses of the initial subflow), or,
	// for EventAnnounced and EventRemoved, RemoteID is the id the peer gave
	// its address.
	LocalID, RemoteID uint8
	// Local and Remote are the local and remote address and port of the
	// (sub)flow, the announced address, or the listener's address. A
	// socket of family AF_INET6 reports IPv4 peers as IPv4-mapped IPv6
	// addresses, as the kernel does: compare with Addr().Unmap().
	Local, Remote netip.AddrPort
	// Backup reports whether the subflow is a backup subflow.
	Backup bool
	// Interface is the index of the network interface the subflow is bound
	// to, 0 for none.
	Interface int
	// Error is the socket error of the subflow, such as ECONNREFUSED for a
	// join that failed, 0 for none. The kernel sends it in 8 bits.
	Error Errno
	// ResetReason is the reason code of the MP_TCPRST that reset the
	// subflow, which is only meaningful if Attrs has AttrResetReason:
	// 0 unspecified, 1 MPTCP-specific error, 2 lack of resources,
	// 3 administratively prohibited, 4 too much outstanding data,
	// 5 unacceptable performance, 6 middlebox interference (RFC 8684).
	ResetReason uint32
	// ResetFlags holds the MP_TCPRST flags; bit 0 (T) says the error is
	// transient.
	ResetFlags uint32
	// ServerSide reports that this host is the server of the connection,
	// from the event flag (6.18) or the older attribute (5.19; 6.18 sends
	// both, and some kernels sent the attribute as 0 on the client side).
	ServerSide bool
	// Timeout is the value of the timeout attribute, which the kernel
	// defines but does not send as of 6.18; its unit is not defined.
	Timeout uint32
	// Flags holds the event flags.
	Flags EventFlags
	// Attrs is the set of attributes the kernel sent that this package
	// decodes.
	Attrs EventAttrs
	// Unknown holds, in the order received, the attributes this package
	// does not know (from a newer kernel) or could not decode because of
	// an unexpected size, with their type, flag bits included, and data.
	Unknown []netlink.Attribute
}

// String formats e on one line as `ip mptcp monitor` (iproute2 6.19)
// does: the type in brackets, then each attribute present, such as
//
//	[  SF_ESTABLISHED] token=0c8e9a4b remid=0 locid=2 saddr4=198.18.2.1 daddr4=198.18.1.2 sport=41537 dport=43117 backup=0 ifindex=1002
//
// Attributes in Unknown follow as attr<type>=<hex data>. If Attrs is
// empty, as in an Event built by hand, the fields that are not zero are
// printed.
func (e Event) String() string {
	has := e.Attrs
	if has == 0 {
		has = e.impliedAttrs()
	}
	b := make([]byte, 0, 160)
	b = fmt.Appendf(b, "[%16s]", e.Type)
	if has.Has(AttrToken) {
		b = fmt.Appendf(b, " token=%08x", e.Token)
	}
	if has.Has(AttrRemoteID) {
		b = fmt.Appendf(b, " remid=%d", e.RemoteID)
	}
	if has.Has(AttrLocalID) {
		b = fmt.Appendf(b, " locid=%d", e.LocalID)
	}
	if has.Has(AttrSaddr4) {
		b = fmt.Appendf(b, " saddr4=%v", e.Local.Addr())
	}
	if has.Has(AttrDaddr4) {
		b = fmt.Appendf(b, " daddr4=%v", e.Remote.Addr())
	}
	if has.Has(AttrSaddr6) {
		b = fmt.Appendf(b, " saddr6=%v", e.Local.Addr())
	}
	if has.Has(AttrDaddr6) {
		b = fmt.Appendf(b, " daddr6=%v", e.Remote.Addr())
	}
	if has.Has(AttrSport) {
		b = fmt.Appendf(b, " sport=%d", e.Local.Port())
	}
	if has.Has(AttrDport) {
		b = fmt.Appendf(b, " dport=%d", e.Remote.Port())
	}
	if has.Has(AttrBackup) {
		b = fmt.Appendf(b, " backup=%d", b2i(e.Backup))
	}
	if has.Has(AttrError) {
		b = fmt.Appendf(b, " error=%d", uint8(e.Error))
	}
	if has.Has(AttrTimeout) {
		b = fmt.Appendf(b, " timeout=%d", e.Timeout)
	}
	if has.Has(AttrInterface) {
		b = fmt.Appendf(b, " ifindex=%d", e.Interface)
	}
	if has.Has(AttrResetReason) {
		b = fmt.Appendf(b, " reset_reason=%d", e.ResetReason)
	}
	if has.Has(AttrResetFlags) {
		b = fmt.Appendf(b, " reset_flags=0x%x", e.ResetFlags)
	}
	flags := e.Flags
	if e.ServerSide {
		b = append(b, " server_side"...)
	}
	flags &^= EventFlagServerSide
	if flags&EventFlagDenyJoinID0 != 0 {
		b = append(b, " deny_join_id0"...)
		flags &^= EventFlagDenyJoinID0
	}
	if flags != 0 {
		b = fmt.Appendf(b, " flags=0x%x", uint16(flags))
	}
	for _, a := range e.Unknown {
		b = fmt.Appendf(b, " attr%d=%x", a.Type, a.Data)
	}
	return string(b)
}

// impliedAttrs returns the attributes whose fields are not zero, for
// String of an Event without Attrs.
func (e *Event) impliedAttrs() EventAttrs {
	var s EventAttrs
	set := func(a EventAttr, ok bool) {
		if ok {
			s |= 1 << a
		}
	}
	set(AttrToken, e.Token != 0)
	set(AttrRemoteID, e.RemoteID != 0)
	set(AttrLocalID, e.LocalID != 0)
	set(AttrSaddr4, e.Local.Addr().Is4())
	set(AttrSaddr6, e.Local.Addr().Is6())
	set(AttrDaddr4, e.Remote.Addr().Is4())
	set(AttrDaddr6, e.Remote.Addr().Is6())
	set(AttrSport, e.Local.Port() != 0)
	set(AttrDport, e.Remote.Port() != 0)
	set(AttrBackup, e.Backup)
	set(AttrError, e.Error != 0)
	set(AttrTimeout, e.Timeout != 0)
	set(AttrInterface, e.Interface != 0)
	set(AttrResetReason, e.ResetReason != 0)
	set(AttrResetFlags, e.ResetFlags != 0)
	return s
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// errBadEvent marks errors of messages that are not valid events; the
// subscription goes on after them.
var errBadEvent = errors.New("pm: malformed event")

// eventAttrSizes are the sizes of the attributes parseEvent decodes, by
// type.
var eventAttrSizes = [...]int{
	AttrToken:       4,
	AttrFamily:      2,
	AttrLocalID:     1,
	AttrRemoteID:    1,
	AttrSaddr4:      4,
	AttrSaddr6:      16,
	AttrDaddr4:      4,
	AttrDaddr6:      16,
	AttrSport:       2,
	AttrDport:       2,
	AttrBackup:      1,
	AttrError:       1,
	AttrFlags:       2,
	AttrTimeout:     4,
	AttrInterface:   4,
	AttrResetReason: 4,
	AttrResetFlags:  4,
	AttrServerSide:  1,
}

// parseEvent decodes one message of the mptcp_pm_events group. Its
// genetlink version is not checked (the kernel sends 1 and has never
// changed it). Attributes this package does not know, and known ones of
// an unexpected size, go to Event.Unknown: a newer kernel's additions or
// changes never make an event fail. Only a message whose attributes cannot
// be split gives an error, which matches errBadEvent.
func parseEvent(m genetlink.Message) (Event, error) {
	e := Event{Type: EventType(m.Header.Command)}
	ad, err := newAttrWalker(m.Data)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v: %w", errBadEvent, e.Type, err)
	}
	var (
		laddr, raddr netip.Addr
		lport, rport uint16
		serverSide   bool
	)
	for ad.next() {
		typ := ad.kind()
		ad.do(func(b []byte) error {
			if int(typ) >= len(eventAttrSizes) || eventAttrSizes[typ] == 0 || len(b) != eventAttrSizes[typ] {
				e.Unknown = append(e.Unknown, netlink.Attribute{
					Length: uint16(4 + len(b)),
					Type:   typ | ad.flags(),
					Data:   append([]byte(nil), b...),
				})
				return nil
			}
			ne := binary.NativeEndian
			switch typ {
			case unix.MPTCP_ATTR_TOKEN:
				e.Token = ne.Uint32(b)
			case unix.MPTCP_ATTR_FAMILY:
				// The address attributes say the family already.
			case unix.MPTCP_ATTR_LOC_ID:
				e.LocalID = b[0]
			case unix.MPTCP_ATTR_REM_ID:
				e.RemoteID = b[0]
			case unix.MPTCP_ATTR_SADDR4, unix.MPTCP_ATTR_DADDR4:
				e.setAddr(&laddr, &raddr, EventAttr(typ), netip.AddrFrom4([4]byte(b)))
			case unix.MPTCP_ATTR_SADDR6, unix.MPTCP_ATTR_DADDR6:
				e.setAddr(&laddr, &raddr, EventAttr(typ), netip.AddrFrom16([16]byte(b)))
			case unix.MPTCP_ATTR_SPORT:
				// Network byte order, unlike endpoint ports.
				lport = binary.BigEndian.Uint16(b)
			case unix.MPTCP_ATTR_DPORT:
				rport = binary.BigEndian.Uint16(b)
			case unix.MPTCP_ATTR_BACKUP:
				e.Backup = b[0] != 0
			case unix.MPTCP_ATTR_ERROR:
				e.Error = Errno(b[0])
			case unix.MPTCP_ATTR_FLAGS:
				e.Flags = EventFlags(ne.Uint16(b))
			case unix.MPTCP_ATTR_TIMEOUT:
				e.Timeout = ne.Uint32(b)
			case unix.MPTCP_ATTR_IF_IDX:
				e.Interface = int(int32(ne.Uint32(b)))
			case unix.MPTCP_ATTR_RESET_REASON:
				e.ResetReason = ne.Uint32(b)
			case unix.MPTCP_ATTR_RESET_FLAGS:
				e.ResetFlags = ne.Uint32(b)
			case unix.MPTCP_ATTR_SERVER_SIDE:
				serverSide = b[0] != 0
			}
			e.Attrs |= 1 << typ
			return nil
		})
	}
	if err := ad.err; err != nil {
		return Event{}, fmt.Errorf("%w: %v: %w", errBadEvent, e.Type, err)
	}
	if laddr.IsValid() || lport != 0 || e.Attrs.Has(AttrSport) {
		e.Local = netip.AddrPortFrom(laddr, lport)
	}
	if raddr.IsValid() || rport != 0 || e.Attrs.Has(AttrDport) {
		e.Remote = netip.AddrPortFrom(raddr, rport)
	}
	e.ServerSide = serverSide || e.Flags&EventFlagServerSide != 0
	return e, nil
}

// setAddr stores a, the value of attribute typ, in the local or the remote
// address. Of two addresses for the same end, which the kernel never sends,
// the last counts, and Attrs keeps only its attribute.
func (e *Event) setAddr(local, remote *netip.Addr, typ EventAttr, a netip.Addr) {
	switch typ {
	case AttrSaddr4, AttrSaddr6:
		*local = a
		e.Attrs &^= 1<<AttrSaddr4 | 1<<AttrSaddr6
	default:
		*remote = a
		e.Attrs &^= 1<<AttrDaddr4 | 1<<AttrDaddr6
	}
}

// ErrEventsLost is matched by errors.Is when the kernel dropped events
// because the subscription's socket receive buffer was full: the reader
// fell behind a burst. [Subscription.Receive] returns it, as an
// [*EventsLostError], at the point of the stream where the loss was
// detected; the subscription then goes on with the events that follow, so
// the caller's view of the namespace has a gap.
//
// To resync, re-read the state the events describe: list the MPTCP
// connections (`ss -M`, inet_diag), read a connection's MPTCP_INFO and
// subflows with the mptcp package, or list endpoints with
// [Client.Endpoints]; treat connections you knew of but no longer find as
// closed. To make losses rarer, read faster (hand events to a queue) or
// enlarge the buffer with [Subscription.SetReadBuffer]: each queued event
// takes 832 bytes of it on Linux 6.18 (x86-64), so the default of 208 KiB
// (net.core.rmem_default) holds 256 events.
var ErrEventsLost = errors.New("pm: events lost: the subscription's receive buffer overflowed")

// An EventsLostError reports events the kernel dropped; it matches
// [ErrEventsLost].
type EventsLostError struct {
	// Dropped is how many events were dropped since the previous report,
	// as the kernel's drop counter of the socket tells (SO_MEMINFO); 0
	// when the counter could not be read.
	Dropped int
}

// Error says how many events were lost.
func (e *EventsLostError) Error() string {
	if e.Dropped == 0 {
		return ErrEventsLost.Error()
	}
	return fmt.Sprintf("pm: %d events lost: the subscription's receive buffer overflowed", e.Dropped)
}

// Is reports whether target is [ErrEventsLost].
func (e *EventsLostError) Is(target error) bool { return target == ErrEventsLost }

// errSubscriptionClosed is returned by the methods of a closed
// Subscription.
var errSubscriptionClosed = fmt.Errorf("pm: subscription closed: %w", net.ErrClosed)

// osSubscription is what events_linux.go and events_others.go implement.
type osSubscription interface {
	receive(ctx context.Context) (Event, error)
	setReadBuffer(bytes int) error
	close() error
}

// A Subscription receives the events of the path manager of one network
// namespace, as `ip mptcp monitor` shows them, on a netlink socket of its
// own. Create one with [Client.Subscribe].
//
// One goroutine may call Receive (or range over Events) while others call
// Close; concurrent Receive calls are serialized.
type Subscription struct {
	s osSubscription
}

// Subscribe opens a second generic netlink socket in the Client's network
// namespace and joins the "mptcp_pm_events" multicast group on it, so that
// events never mix with the Client's requests and replies. The namespace
// is that of the Client's socket (found with SIOCGSKNS), whichever thread
// calls Subscribe; entering it needs CAP_SYS_ADMIN only when the calling
// thread is in another namespace. The subscription sees the events that
// happen after Subscribe returns; to know the state before, read it
// afterwards (see [ErrEventsLost] for where). It stays open when the
// Client is closed; close it with [Subscription.Close].
//
// Joining the group needs CAP_NET_ADMIN in the user namespace owning the
// network namespace: without it the error matches os.ErrPermission. A
// kernel whose mptcp_pm family has no events group (before 5.12) gives an
// error matching errors.ErrUnsupported, and a closed Client one matching
// net.ErrClosed. On systems other than Linux, Subscribe returns an error
// matching errors.ErrUnsupported.
func (c *Client) Subscribe() (*Subscription, error) {
	s, err := c.subscribe()
	if err != nil {
		return nil, err
	}
	return &Subscription{s: s}, nil
}

// Receive returns the next event, waiting for one as long as needed.
//
// It returns early with ctx's error (matching context.Canceled or
// context.DeadlineExceeded) when ctx is done, and with an error matching
// net.ErrClosed once Close was called, also while it waits. When the
// kernel dropped events it returns an [*EventsLostError] matching
// [ErrEventsLost]. A message that is not a valid event gives an error
// describing it. After any of these errors, except net.ErrClosed, the
// Subscription goes on working: the next Receive returns the next event.
// A nil ctx gives an error instead of a panic.
//
// The kernel sends each event in a datagram of its own, which one read
// takes; should a datagram carry several events, the following calls
// return them without reading again.
func (s *Subscription) Receive(ctx context.Context) (Event, error) {
	if s == nil || s.s == nil {
		return Event{}, errSubscriptionClosed
	}
	if ctx == nil {
		return Event{}, errNilContext
	}
	return s.s.receive(ctx)
}

// errNilContext is Receive's error for a nil ctx, where the standard
// library would panic.
var errNilContext = errors.New("pm: Receive: nil context (use context.Background())")

// Events returns an iterator over the events Receive returns. An error
// matching [ErrEventsLost], or one of a message that is not a valid event,
// is yielded with a zero Event and iteration goes on; any other error,
// such as ctx's or net.ErrClosed, is yielded and ends the iteration.
//
//	for ev, err := range sub.Events(ctx) {
//		if errors.Is(err, pm.ErrEventsLost) {
//			resync()
//			continue
//		}
//		if err != nil {
//			return err
//		}
//		fmt.Println(ev)
//	}
func (s *Subscription) Events(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := s.Receive(ctx)
			if err != nil {
				goOn := errors.Is(err, ErrEventsLost) || errors.Is(err, errBadEvent)
				if !yield(Event{}, err) || !goOn {
					return
				}
				continue
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// SetReadBuffer sets the size of the socket's receive buffer, which holds
// the events the kernel sent and Receive has not read yet; when it is
// full, the kernel drops events (see [ErrEventsLost]). The kernel doubles
// the value for its bookkeeping and charges 832 bytes per event (6.18), so
// SetReadBuffer(1<<20) holds 2520 events. With CAP_NET_ADMIN in the
// initial user namespace the size is taken as given (SO_RCVBUFFORCE);
// otherwise the kernel caps it at net.core.rmem_max. Until it is called,
// the buffer is net.core.rmem_default.
//
// A size below 1 is refused with a [*ValidationError].
func (s *Subscription) SetReadBuffer(bytes int) error {
	if bytes < 1 {
		return &ValidationError{Field: "bytes", Value: bytes, Reason: "not a positive buffer size"}
	}
	if s == nil || s.s == nil {
		return errSubscriptionClosed
	}
	return s.s.setReadBuffer(bytes)
}

// Close closes the subscription's socket, which makes a pending Receive
// return an error matching net.ErrClosed. Calls after Close, Close
// included, return an error matching net.ErrClosed.
func (s *Subscription) Close() error {
	if s == nil || s.s == nil {
		return errSubscriptionClosed
	}
	return s.s.close()
}
