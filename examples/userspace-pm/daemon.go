package main

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/multipath-dev/go/pm"
)

// The daemon: one subscription to the namespace's path-manager events, one
// Client for the commands, and a policy that turns events into commands.

// pmCommands is the part of *pm.Client the daemon uses, so that a test can
// give it a fake.
type pmCommands interface {
	Announce(token uint32, local pm.Endpoint) error
	Remove(token uint32, id uint8) error
	CreateSubflow(token uint32, local pm.Endpoint, remote netip.AddrPort) error
	DestroySubflow(token uint32, local, remote netip.AddrPort) error
}

// firstID is the address id the daemon gives its first extra address on a
// connection; the next ones count up. The initial subflow's address is id 0,
// and the ids the kernel picks for implicit addresses start at 1.
const firstID = 10

// A local is an address of the namespace the daemon may use, with its
// interface.
type local struct {
	addr    netip.Addr
	ifindex int
	ifname  string
}

// daemon is a userspace path manager with one policy: "subflows" (on the
// client side, a subflow from every other local address to the peer's initial
// address, retried with exponential backoff when it fails or closes) or
// "announce" (on the server side, ADD_ADDR for every other local address).
type daemon struct {
	pm      pmCommands
	policy  string
	locals  []local
	backoff time.Duration               // before the first retry; it doubles
	retries int                         // retries before giving up
	logf    func(string, ...any)        // one line per event acted on or action
	after   func(time.Duration, func()) // time.AfterFunc, faked in tests

	mu      sync.Mutex // guards what follows, and orders the commands
	stopped bool
	conns   map[uint32]*conn
}

// conn is a connection the daemon manages.
type conn struct {
	token     uint32
	remote    netip.AddrPort     // the peer's initial address and port
	withdrawn bool               // what the daemon added is taken back, for good
	announced []pm.Endpoint      // the addresses it announced, kept after withdrawal
	subflows  map[uint8]*subflow // the subflows it creates, by local id
}

// subflow is a subflow the daemon creates, while it is up, retried or given
// up.
type subflow struct {
	id            uint8
	from          local
	up            bool
	local, remote netip.AddrPort // its four-tuple once up, as the kernel names it
	tries         int            // retries since it was last up
	pending       bool           // a retry is scheduled
}

// handle acts on one event.
func (d *daemon) handle(ev pm.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	c := d.conns[ev.Token]
	var sf *subflow
	if c != nil {
		sf = c.subflows[ev.LocalID]
	}
	switch {
	case ev.Type == pm.EventEstablished && ev.ServerSide == (d.policy == "announce"):
		d.logf("event %v", ev)
		c = &conn{token: ev.Token, subflows: map[uint8]*subflow{},
			remote: netip.AddrPortFrom(ev.Remote.Addr().Unmap(), ev.Remote.Port())}
		d.conns[ev.Token] = c
		id, initial := firstID, ev.Local.Addr().Unmap()
		for _, l := range d.locals {
			if l.addr == initial || l.addr.Is4() != initial.Is4() || id > 255 {
				continue
			}
			if d.policy == "announce" {
				d.announce(c, pm.Endpoint{ID: uint8(id), Addr: l.addr, Flags: pm.FlagSignal})
			} else {
				sf := &subflow{id: uint8(id), from: l}
				c.subflows[sf.id] = sf
				d.create(c, sf)
			}
			id++
		}
	case ev.Type == pm.EventSubflowEstablished && sf != nil:
		d.logf("event %v", ev)
		sf.up, sf.tries, sf.local, sf.remote = true, 0, ev.Local, ev.Remote
		d.logf("token %08x: subflow id %d %v -> %v is up", c.token, sf.id, sf.local, sf.remote)
		if c.withdrawn { // it came up after the withdrawal
			d.destroy(c, sf)
		}
	case ev.Type == pm.EventSubflowClosed && sf != nil:
		d.logf("event %v", ev)
		sf.up = false
		if !c.withdrawn {
			why := "closed"
			if ev.Error != 0 {
				why += " (" + ev.Error.Error() + ")"
			}
			d.retry(c, sf, why)
		}
	case (ev.Type == pm.EventSubflowEstablished || ev.Type == pm.EventSubflowClosed) && c != nil &&
		slices.ContainsFunc(c.announced, func(ep pm.Endpoint) bool { return ep.ID == ev.LocalID }):
		d.logf("event %v", ev) // the peer joined, or left, an address the daemon announced
	case ev.Type == pm.EventClosed && c != nil:
		d.logf("event %v", ev)
		d.logf("token %08x: connection closed, forgetting it", c.token)
		delete(d.conns, c.token)
	}
}

// announce sends ADD_ADDR for ep on c.
func (d *daemon) announce(c *conn, ep pm.Endpoint) {
	d.logf("token %08x: announce id %d %v", c.token, ep.ID, ep.Addr)
	if err := d.pm.Announce(c.token, ep); err != nil {
		d.logf("token %08x: announce id %d failed: %v", c.token, ep.ID, err)
		return
	}
	c.announced = append(c.announced, ep)
}

// create opens sf on c, or schedules a retry if the kernel refuses.
func (d *daemon) create(c *conn, sf *subflow) {
	ep := pm.Endpoint{ID: sf.id, Addr: sf.from.addr, Interface: sf.from.ifindex}
	d.logf("token %08x: create subflow id %d %v%s -> %v", c.token, sf.id, sf.from.addr, dev(sf.from), c.remote)
	err := d.pm.CreateSubflow(c.token, ep, c.remote)
	switch {
	case err == nil: // the SYN is out; an event says how it ends
	case errors.Is(err, pm.ErrUnknownToken), errors.Is(err, pm.ErrInKernelPM):
		// The connection is gone, or is not the userspace PM's: for good.
		d.logf("token %08x: create subflow id %d failed: %v; not retrying", c.token, sf.id, err)
	default:
		d.retry(c, sf, "failed: "+err.Error())
	}
}

// retry schedules another try of sf after a delay that doubles each time,
// or gives up after d.retries.
func (d *daemon) retry(c *conn, sf *subflow, why string) {
	if sf.pending {
		return
	}
	if sf.tries >= d.retries {
		d.logf("token %08x: subflow id %d %s; giving up after %d retries", c.token, sf.id, why, sf.tries)
		return
	}
	sf.tries++
	sf.pending = true
	delay := d.backoff << (sf.tries - 1)
	d.logf("token %08x: subflow id %d %s; retry %d/%d in %v", c.token, sf.id, why, sf.tries, d.retries, delay)
	d.after(delay, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		sf.pending = false
		if !d.stopped && d.conns[c.token] == c && !c.withdrawn && !sf.up {
			d.create(c, sf)
		}
	})
}

// destroy closes sf, which is up.
func (d *daemon) destroy(c *conn, sf *subflow) {
	d.logf("token %08x: destroy subflow id %d %v -> %v", c.token, sf.id, sf.local, sf.remote)
	if err := d.pm.DestroySubflow(c.token, sf.local, sf.remote); err != nil {
		d.logf("token %08x: destroy subflow id %d failed: %v", c.token, sf.id, err)
	}
}

// withdraw takes back, on every connection, what the daemon added: it removes
// the addresses it announced (the kernel sends RM_ADDR, and the peer closes
// its subflows to them) and destroys the subflows it created, and retries
// none of them afterwards.
func (d *daemon) withdraw() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		if c.withdrawn {
			continue
		}
		c.withdrawn = true
		for _, ep := range c.announced {
			d.logf("token %08x: remove id %d %v", c.token, ep.ID, ep.Addr)
			if err := d.pm.Remove(c.token, ep.ID); err != nil {
				d.logf("token %08x: remove id %d failed: %v", c.token, ep.ID, err)
			}
		}
		for _, id := range slices.Sorted(maps.Keys(c.subflows)) {
			if sf := c.subflows[id]; sf.up {
				d.destroy(c, sf)
			}
		}
	}
}

// stop makes the daemon ignore further events and scheduled retries.
func (d *daemon) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
}

// run hands the subscription's events to handle until sub is closed or ctx
// is done.
func (d *daemon) run(ctx context.Context, sub *pm.Subscription) error {
	var last error
	for ev, err := range sub.Events(ctx) {
		if last = err; err == nil {
			d.handle(ev)
		} else if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
			// After lost events, connections opened meanwhile go unmanaged:
			// a full daemon would list them (inet_diag) and catch up.
			d.logf("events: %v", err)
		}
	}
	if ctx.Err() != nil || errors.Is(last, net.ErrClosed) {
		return nil
	}
	return last
}
