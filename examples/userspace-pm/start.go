package main

import (
	"cmp"
	"context"
	"fmt"
	"github.com/multipath-dev/go/examples/internal/lab"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/multipath-dev/go/pm"
)

// Starting and stopping a daemon: the Client, the subscription and the
// local addresses it needs.

// A running daemon, started by start.
type running struct {
	*daemon
	client   *pm.Client
	sub      *pm.Subscription
	finished chan struct{} // closed when run has returned runErr
	runErr   error
	once     sync.Once
}

// start opens a Client and a subscription in the network namespace at
// netnsPath ("" for the current one) and runs a daemon with the policy on
// the namespace's local addresses, or on those of only if it is not empty,
// logging to w.
func start(netnsPath, policy string, only []netip.Addr, backoff time.Duration, retries int, w io.Writer) (*running, error) {
	locals, warn, err := namespaceInfo(netnsPath, only)
	if err != nil {
		return nil, err
	}
	c, err := pm.Dial(&pm.Config{NetNSPath: netnsPath})
	if err != nil {
		return nil, err
	}
	// Subscribed, the daemon also makes the kernel accept the peer's joins
	// and announcements on the namespace's userspace-PM connections.
	sub, err := c.Subscribe()
	if err != nil {
		c.Close()
		return nil, err
	}
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "daemon %s: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
	}
	d := &daemon{pm: c, policy: policy, locals: locals, backoff: backoff, retries: retries,
		logf: logf, conns: map[uint32]*conn{},
		after: func(t time.Duration, f func()) { time.AfterFunc(t, f) }}
	var addrs []string
	for _, l := range locals {
		addrs = append(addrs, l.addr.String()+dev(l))
	}
	logf("policy %s in %s, local addresses %s", policy, cmp.Or(netnsPath, "the current namespace"), cmp.Or(strings.Join(addrs, ", "), "none"))
	if warn != "" {
		logf("warning: %s", warn)
	}
	r := &running{daemon: d, client: c, sub: sub, finished: make(chan struct{})}
	go func() {
		defer close(r.finished)
		r.runErr = d.run(context.Background(), sub)
	}()
	return r, nil
}

// stop stops the daemon and closes its subscription and Client, once, and
// returns the error that ended the subscription early, if one did.
func (r *running) stop() error {
	r.once.Do(func() {
		r.daemon.stop()
		r.sub.Close()
		<-r.finished
		r.client.Close()
		r.logf("stopped")
	})
	return r.runErr
}

// namespaceInfo lists the global unicast addresses of the interfaces of the
// namespace at netnsPath, all or those in only, and warns if the namespace
// does not use the userspace path manager.
func namespaceInfo(netnsPath string, only []netip.Addr) (locals []local, warn string, err error) {
	err = lab.InNetNS(netnsPath, func() error {
		// Inside the namespace's thread /proc/sys/net shows its sysctls.
		if b, err := os.ReadFile("/proc/sys/net/mptcp/path_manager"); err == nil {
			if pmName := strings.TrimSpace(string(b)); pmName != "userspace" {
				warn = fmt.Sprintf("net.mptcp.path_manager is %q: new connections use that path manager, not this daemon", pmName)
			}
		}
		ifs, err := net.Interfaces()
		if err != nil {
			return err
		}
		for _, ifi := range ifs {
			addrs, err := ifi.Addrs()
			if err != nil {
				return err
			}
			for _, a := range addrs {
				p, err := netip.ParsePrefix(a.String())
				if err == nil && p.Addr().IsGlobalUnicast() && (len(only) == 0 || slices.Contains(only, p.Addr())) {
					locals = append(locals, local{p.Addr(), ifi.Index, ifi.Name})
				}
			}
		}
		return nil
	})
	for _, a := range only {
		if !slices.ContainsFunc(locals, func(l local) bool { return l.addr == a }) && err == nil {
			err = fmt.Errorf("%v is not an address of the namespace", a)
		}
	}
	return locals, warn, err
}

// dev returns " dev NAME" for an address on a named interface.
func dev(l local) string {
	if l.ifname == "" {
		return ""
	}
	return " dev " + l.ifname
}
