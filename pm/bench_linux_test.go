//go:build linux

package pm_test

import (
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/benchutil"
	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/pm"
)

// The benchmarks of this file compare a pm.Client with what a program
// without it would do: run iproute2's ip for each operation. Each gets a
// fresh network namespace, and both sides work on that same namespace, so
// they see the same kernel state.
//
// Each benchmark has two sub-benchmarks:
//
//   - vs-ip runs ours and `ip -n NS ...` side by side with benchutil.Ratio
//     and reports x-ref (median of ours/ip over the rounds, lower is
//     better) and speedup = 1/x-ref (goal: >= 50).
//   - ours runs only the Client, so that its allocations are not mixed with
//     those of starting ip.

// benchEnv is a fresh namespace and a Client for it.
type benchEnv struct {
	ns *nstest.NS
	c  *pm.Client
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	ns := nstest.New(b)
	c, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + ns.Name})
	if err != nil {
		b.Fatalf("Dial: %v", err)
	}
	b.Cleanup(func() { c.Close() })
	return &benchEnv{ns: ns, c: c}
}

// ip runs `ip -n NS args...` as the reference does, failing b on error.
func (e *benchEnv) ip(b *testing.B, args ...string) string {
	out, err := exec.Command("ip", append([]string{"-n", e.ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		b.Fatalf("ip -n %s %s: %v: %s", e.ns.Name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// benchVsIP runs ref and ours through benchutil.Ratio and, besides what
// Ratio reports, the speedup of ours over ref, 1/x-ref. Ratio does not hand
// back its x-ref, so each call of ref and ours is timed here too: Ratio calls
// each once per round, so the i-th calls of both are the same round, and the
// median of ours/ref over them is Ratio's x-ref up to the few nanoseconds of
// the calls themselves.
func benchVsIP(b *testing.B, ref, ours func(n int)) {
	b.Helper()
	var tRef, tOurs []time.Duration
	timed := func(fn func(int), into *[]time.Duration) func(int) {
		return func(n int) {
			t0 := time.Now()
			fn(n)
			*into = append(*into, time.Since(t0))
		}
	}
	benchutil.Ratio(b, timed(ref, &tRef), timed(ours, &tOurs))
	if len(tRef) != len(tOurs) || len(tRef) == 0 {
		b.Fatalf("Ratio ran ref %d and ours %d times", len(tRef), len(tOurs))
	}
	ratios := make([]float64, len(tRef))
	for i := range tRef {
		ratios[i] = float64(tOurs[i]) / float64(tRef[i])
	}
	slices.Sort(ratios)
	b.ReportMetric(1/ratios[len(ratios)/2], "speedup")
}

// BenchmarkEndpointAddDelete adds a subflow endpoint and deletes it again:
// ours is Client.AddEndpoint (the add and the look-up of the id the kernel
// picked: two requests) and Client.DeleteEndpoint (one); the reference is
// `ip mptcp endpoint add 10.9.0.1 subflow` and `ip mptcp endpoint delete id
// N`, two processes. The reference is told the id instead of looking it up:
// the kernel hands out the lowest free id from where it last started, so in
// a namespace that is otherwise empty every add gets the same id, and a
// delete that fails says that this no longer holds.
// Goal: speedup >= 50.
func BenchmarkEndpointAddDelete(b *testing.B) {
	e := newBenchEnv(b)
	ep := pm.Endpoint{Addr: netip.MustParseAddr("10.9.0.1"), Flags: pm.FlagSubflow}
	got, err := e.c.AddEndpoint(ep)
	if err != nil {
		b.Fatalf("AddEndpoint: %v", err)
	}
	if err := e.c.DeleteEndpoint(got.ID); err != nil {
		b.Fatalf("DeleteEndpoint: %v", err)
	}
	id := fmt.Sprint(got.ID)
	ours := func(n int) {
		for i := 0; i < n; i++ {
			got, err := e.c.AddEndpoint(ep)
			if err != nil {
				b.Fatalf("AddEndpoint: %v", err)
			}
			if err := e.c.DeleteEndpoint(got.ID); err != nil {
				b.Fatalf("DeleteEndpoint(%d): %v", got.ID, err)
			}
		}
	}
	b.Run("vs-ip", func(b *testing.B) {
		// The reference's add and delete are timed apart too (ref-add-ns/op,
		// ref-delete-ns/op), to compare with ours' add-ns/op and
		// delete-ns/op below.
		var tAdd, tDel time.Duration
		var runs int
		benchVsIP(b, func(n int) {
			for i := 0; i < n; i++ {
				t0 := time.Now()
				e.ip(b, "mptcp", "endpoint", "add", "10.9.0.1", "subflow")
				t1 := time.Now()
				e.ip(b, "mptcp", "endpoint", "delete", "id", id)
				tAdd += t1.Sub(t0)
				tDel += time.Since(t1)
				runs++
			}
		}, ours)
		b.ReportMetric(float64(tAdd.Nanoseconds())/float64(runs), "ref-add-ns/op")
		b.ReportMetric(float64(tDel.Nanoseconds())/float64(runs), "ref-delete-ns/op")
	})
	b.Run("ours", func(b *testing.B) {
		// Besides the allocations, the time of the add (with its look-up)
		// and of the delete, separately: the delete waits for an RCU grace
		// period in the kernel (synchronize_rcu in the in-kernel path
		// manager's del_addr), which neither side can avoid.
		b.ReportAllocs()
		var tAdd, tDel time.Duration
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			got, err := e.c.AddEndpoint(ep)
			if err != nil {
				b.Fatalf("AddEndpoint: %v", err)
			}
			t1 := time.Now()
			if err := e.c.DeleteEndpoint(got.ID); err != nil {
				b.Fatalf("DeleteEndpoint(%d): %v", got.ID, err)
			}
			tAdd += t1.Sub(t0)
			tDel += time.Since(t1)
		}
		b.ReportMetric(float64(tAdd.Nanoseconds())/float64(b.N), "add-ns/op")
		b.ReportMetric(float64(tDel.Nanoseconds())/float64(b.N), "delete-ns/op")
	})
}

// BenchmarkEndpointsList8 lists the 8 endpoints of a namespace (the most
// Linux 6.18 allows): ours is Client.Endpoints, which decodes them into
// Endpoint values; the reference is `ip mptcp endpoint show`, which prints
// them. Goal: speedup >= 50.
func BenchmarkEndpointsList8(b *testing.B) {
	e := newBenchEnv(b)
	for i := 1; i <= 8; i++ {
		ep := pm.Endpoint{Addr: netip.AddrFrom4([4]byte{10, 9, 0, byte(i)}), Flags: pm.FlagSubflow}
		if _, err := e.c.AddEndpoint(ep); err != nil {
			b.Fatalf("AddEndpoint(%v): %v", ep.Addr, err)
		}
	}
	if out := e.ip(b, "mptcp", "endpoint", "show"); strings.Count(out, "\n") != 8 {
		b.Fatalf("ip mptcp endpoint show: want 8 lines, got:\n%s", out)
	}
	ours := func(n int) {
		for i := 0; i < n; i++ {
			eps, err := e.c.Endpoints()
			if err != nil || len(eps) != 8 {
				b.Fatalf("Endpoints: %d endpoints, %v", len(eps), err)
			}
		}
	}
	b.Run("vs-ip", func(b *testing.B) {
		benchVsIP(b, func(n int) {
			for i := 0; i < n; i++ {
				e.ip(b, "mptcp", "endpoint", "show")
			}
		}, ours)
	})
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		ours(b.N)
	})
}

// BenchmarkLimits reads the limits: ours is Client.Limits, the reference
// `ip mptcp limits show`. Goal: speedup >= 50.
func BenchmarkLimits(b *testing.B) {
	e := newBenchEnv(b)
	ours := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := e.c.Limits(); err != nil {
				b.Fatalf("Limits: %v", err)
			}
		}
	}
	b.Run("vs-ip", func(b *testing.B) {
		benchVsIP(b, func(n int) {
			for i := 0; i < n; i++ {
				e.ip(b, "mptcp", "limits", "show")
			}
		}, ours)
	})
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		ours(b.N)
	})
}
