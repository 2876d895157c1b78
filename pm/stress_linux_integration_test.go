//go:build linux

package pm_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// TestIntegrationStressClient shares one Client among 32 goroutines doing
// mixed endpoint and limit calls on distinct addresses, then checks that
// the namespace holds exactly the endpoints that were added and not
// deleted, as the library and iproute2 list them. Bad input is covered by
// the rows of TestIntegrationBadInput.
func TestIntegrationStressClient(t *testing.T) {
	e := newEnv(t)
	const workers = 32
	deadline := time.Now().Add(2 * time.Second)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		survive  = map[netip.Addr]uint8{} // address -> id, of all workers
		counts   [5]int
		rangeErr int
	)
	for g := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			mine := map[netip.Addr]uint8{}
			var ops [5]int
			full := 0
			for n := 0; time.Now().Before(deadline); n++ {
				op := r.IntN(5)
				ops[op]++
				switch op {
				case 0:
					eps, err := e.c.Endpoints()
					if err != nil {
						t.Errorf("worker %d: Endpoints: %v", g, err)
						return
					}
					for _, ep := range eps {
						if id, ok := mine[ep.Addr]; ok && id != ep.ID {
							t.Errorf("worker %d: endpoint %v has id %d; AddEndpoint said %d", g, ep.Addr, ep.ID, id)
						}
					}
				case 1:
					// 10.G.N/256.N%256: distinct across workers and calls.
					a := netip.AddrFrom4([4]byte{10, byte(g), byte(n >> 8), byte(n)})
					ep, err := e.c.AddEndpoint(pm.Endpoint{Addr: a, Flags: pm.FlagSubflow})
					switch {
					case err == nil:
						if ep.Addr != a || ep.ID == 0 || ep.Flags != pm.FlagSubflow {
							t.Errorf("worker %d: AddEndpoint(%v) = %+v", g, a, ep)
						}
						mine[a] = ep.ID
					case errors.Is(err, syscall.ERANGE):
						// The table is full (8 endpoints on 6.18).
						full++
					default:
						t.Errorf("worker %d: AddEndpoint(%v): %v", g, a, err)
						return
					}
				case 2:
					for a, id := range mine {
						if err := e.c.DeleteEndpoint(id); err != nil {
							t.Errorf("worker %d: DeleteEndpoint(%d, %v): %v", g, id, a, err)
							return
						}
						delete(mine, a)
						break
					}
				case 3:
					l, err := e.c.Limits()
					if err != nil {
						t.Errorf("worker %d: Limits: %v", g, err)
						return
					}
					if l.Subflows > 8 || l.AddAddrAccepted > 8 {
						t.Errorf("worker %d: Limits = %+v; no worker set more than 8", g, l)
					}
				case 4:
					s, a := uint32(r.IntN(9)), uint32(r.IntN(9))
					if err := e.c.SetLimits(pm.LimitsUpdate{Subflows: &s, AddAddrAccepted: &a}); err != nil {
						t.Errorf("worker %d: SetLimits(%d, %d): %v", g, s, a, err)
						return
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for a, id := range mine {
				survive[a] = id
			}
			for i := range ops {
				counts[i] += ops[i]
			}
			rangeErr += full
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("calls: %d Endpoints, %d AddEndpoint (%d with a full table), %d DeleteEndpoint, %d Limits, %d SetLimits; %d endpoints survive",
		counts[0], counts[1], rangeErr, counts[2], counts[3], counts[4], len(survive))
	if counts[1] == rangeErr {
		t.Error("no AddEndpoint succeeded")
	}
	var want []string
	for a, id := range survive {
		want = append(want, short(pm.Endpoint{ID: id, Addr: a, Flags: pm.FlagSubflow}))
	}
	// Endpoints lists in ascending id order.
	slices.SortFunc(want, func(x, y string) int {
		var ix, iy int
		fmt.Sscan(x, &ix)
		fmt.Sscan(y, &iy)
		return ix - iy
	})
	e.wantList(want...)
	// The limits are those of some worker's last SetLimits: in range.
	if l := e.ipLimits(); l.Subflows > 8 || l.AddAddrAccepted > 8 {
		t.Errorf("limits %+v", l)
	}
}

// TestIntegrationStressIntrospect has 16 goroutines introspect one live
// MPTCP connection, with the package functions and an Inspector each,
// while data flows and another goroutine deletes and re-adds the client's
// subflow endpoint, so subflows come and go under them.
func TestIntegrationStressIntrospect(t *testing.T) {
	tp := newTwoPaths(t, true, false)
	client, _ := tp.connect(t, 2)
	p2 := tp.topo.Paths[1]
	stop := make(chan struct{})
	var wg sync.WaitGroup

	// Data flows for the whole test; the server side discards it.
	wg.Go(func() {
		buf := make([]byte, 32<<10)
		for {
			select {
			case <-stop:
				return
			default:
			}
			client.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := client.Write(buf); err != nil {
				t.Errorf("Write: %v", err)
				return
			}
		}
	})
	// The path-2 endpoint goes and comes back, with the same id.
	cycles := 0
	wg.Go(func() {
		ep := pm.Endpoint{ID: tp.epID, Addr: p2.A4, Interface: tp.ifindex2, Flags: pm.FlagSubflow}
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if err := tp.client.DeleteEndpoint(ep.ID); err != nil {
				t.Errorf("DeleteEndpoint: %v", err)
				return
			}
			time.Sleep(50 * time.Millisecond)
			if _, err := tp.client.AddEndpoint(ep); err != nil {
				t.Errorf("AddEndpoint: %v", err)
				return
			}
			cycles++
		}
	})
	const readers = 16
	var calls [readers]int
	for g := range readers {
		wg.Go(func() {
			in, err := mptcp.NewInspector(client)
			if err != nil {
				t.Errorf("reader %d: NewInspector: %v", g, err)
				return
			}
			var (
				info mptcp.Info
				dst  []mptcp.Subflow
			)
			for {
				select {
				case <-stop:
					return
				default:
				}
				calls[g]++
				var err error
				switch calls[g] % 6 {
				case 0:
					var st mptcp.Status
					if st, err = mptcp.StatusOf(client); err == nil && st != mptcp.StatusMPTCP {
						err = fmt.Errorf("status %v", st)
					}
				case 1:
					var i *mptcp.Info
					if i, err = mptcp.InfoOf(client); err == nil && (i.Token == 0 || i.Subflows() < 1) {
						err = fmt.Errorf("info %+v", i)
					}
				case 2:
					var sfs []mptcp.Subflow
					if sfs, err = mptcp.SubflowsOf(client); err == nil && len(sfs) < 1 {
						err = fmt.Errorf("no subflows")
					}
				case 3:
					var st mptcp.Status
					if st, err = in.Status(); err == nil && st != mptcp.StatusMPTCP {
						err = fmt.Errorf("status %v", st)
					}
				case 4:
					err = in.Info(&info)
				case 5:
					if dst, err = in.Snapshot(&info, dst); err == nil && len(dst) < 1 {
						err = fmt.Errorf("no subflows")
					}
				}
				if err != nil {
					t.Errorf("reader %d, call %d: %v", g, calls[g], err)
					return
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	total := 0
	for _, n := range calls {
		total += n
	}
	t.Logf("%d introspection calls, %d endpoint delete/add cycles", total, cycles)
	if cycles == 0 {
		t.Error("the endpoint was never cycled")
	}
}
