// Command fallback-cache shows a process-wide "try once, remember" helper
// on top of the mptcp package. The first connection asks the kernel for an
// MPTCP socket (mptcp.Available); if the answer is one of the errnos that
// mean this host has no MPTCP (ENOPROTOOPT: net.mptcp.enabled=0,
// EPROTONOSUPPORT: built without MPTCP, EINVAL: a kernel older than 5.6),
// the helper remembers it and every later connection goes straight to plain
// TCP, without another refused MPTCP socket. Any other answer (a security
// policy's EPERM, say) is not remembered: the default Prefer policy then
// falls back connection by connection. Remembering can be limited in time
// with -recheck, so that a host where MPTCP is enabled later starts using
// it.
//
// It starts an echo server on loopback, makes -n connections through the
// helper, and prints what each used and how many MPTCP sockets were
// attempted in all:
//
//	go run ./examples/fallback-cache
//	go run ./examples/fallback-cache -n 10 -interval 1s -recheck 3s
//
// To see the helper remember, as root, in a throwaway network namespace
// whose net.mptcp.enabled is 0:
//
//	unshare -n sh -c 'ip link set lo up && sysctl -qw net.mptcp.enabled=0 && go run ./examples/fallback-cache'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
)

// A Cache dials with MPTCP until it has seen that MPTCP is unavailable on
// this host, and with plain TCP from then on, so that a host without MPTCP
// pays for one refused MPTCP socket rather than one per connection. The
// zero value is ready to use; it is safe for concurrent use. A process
// keeps one, as the package variable cache here.
type Cache struct {
	// Recheck is how long what the first attempt found is kept before the
	// next dial asks the kernel again; 0 keeps it for the life of the
	// process.
	Recheck time.Duration

	mu      sync.Mutex
	checked time.Time               // when Available was last asked; zero: not yet
	off     *mptcp.UnavailableError // the remembered reason MPTCP is unavailable, or nil
	stats   Stats
}

// Stats counts the MPTCP sockets a Cache asked the kernel for.
type Stats struct {
	// Probes counts the calls of mptcp.Available.
	Probes int
	// Dials counts the connections dialed with MPTCP.
	Dials int
}

// cache is the process-wide Cache.
var cache Cache

// remembered reports whether an UnavailableError means that MPTCP cannot be
// used on this host at all, so it is worth remembering. A security policy
// may refuse only some sockets, and may change; it is not remembered.
func remembered(ue *mptcp.UnavailableError) bool {
	switch ue.Reason {
	case mptcp.ReasonDisabled, mptcp.ReasonNotBuilt, mptcp.ReasonKernelTooOld, mptcp.ReasonUnsupportedOS:
		return true
	}
	return false
}

// policy returns the policy for the next dial: Disable while an
// unavailability is remembered, Prefer otherwise. The first call, and the
// first after Recheck has passed, asks the kernel with mptcp.Available.
func (c *Cache) policy() mptcp.Policy {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checked.IsZero() || (c.Recheck > 0 && time.Since(c.checked) >= c.Recheck) {
		c.checked = time.Now()
		c.stats.Probes++
		c.off = nil
		var ue *mptcp.UnavailableError
		if errors.As(mptcp.Available(), &ue) && remembered(ue) {
			c.off = ue
		}
	}
	if c.off != nil {
		return mptcp.Disable
	}
	// Under Prefer each dial asks for an MPTCP socket.
	c.stats.Dials++
	return mptcp.Prefer
}

// DialContext connects to address: over plain TCP while MPTCP is known to
// be unavailable, and with mptcp's Prefer policy otherwise.
func (c *Cache) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d := &mptcp.Dialer{Policy: c.policy()}
	return d.DialContext(ctx, network, address)
}

// Unavailable returns why MPTCP is remembered as unavailable, or nil.
func (c *Cache) Unavailable() *mptcp.UnavailableError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.off
}

// Stats returns how many MPTCP sockets the Cache has asked the kernel for.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

func main() {
	n := flag.Int("n", 5, "connections to make")
	flag.DurationVar(&cache.Recheck, "recheck", 0, "ask the kernel again after this long (0: never)")
	interval := flag.Duration("interval", 0, "pause between connections")
	flag.Parse()
	log.SetFlags(0)
	if flag.NArg() > 0 {
		log.Fatalf("fallback-cache: unexpected arguments %q", flag.Args())
	}
	if *n < 1 || *interval < 0 || cache.Recheck < 0 {
		log.Fatalf("fallback-cache: -n must be 1 or more, -interval and -recheck 0 or more")
	}
	if err := run(os.Stdout, *n, *interval); err != nil {
		log.Fatalf("fallback-cache: %v", err)
	}
}

func run(w io.Writer, n int, interval time.Duration) error {
	ln, err := mptcp.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	go lab.Echo(ln)

	probes := 0
	for i := 1; i <= n; i++ {
		if i > 1 {
			time.Sleep(interval)
		}
		c, err := cache.DialContext(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		if st := cache.Stats(); st.Probes != probes {
			probes = st.Probes
			if off := cache.Unavailable(); off != nil {
				fmt.Fprintf(w, "dial %d: asked the kernel: MPTCP unavailable, %s (%v); remembered\n", i, off.Reason, off.Err)
			} else {
				fmt.Fprintf(w, "dial %d: asked the kernel: MPTCP available\n", i)
			}
		}
		proto, err := lab.Protocol(c.(*net.TCPConn))
		if err == nil {
			err = lab.EchoCheck(c, "hello")
		}
		c.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "dial %d: %s, echo ok\n", i, lab.ProtocolName(proto))
	}
	st := cache.Stats()
	fmt.Fprintf(w, "MPTCP sockets asked for in %d dials: %d (Available probes %d, MPTCP dials %d)\n", n, st.Probes+st.Dials, st.Probes, st.Dials)
	return nil
}
