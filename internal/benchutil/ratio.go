// Package benchutil holds what the benchmarks of several packages share: a
// side-by-side ratio of our code against its reference in the same run.
package benchutil

import (
	"sort"
	"testing"
	"time"
)

// Ratio runs ref and ours in interleaved rounds of the same iteration count,
// so that both see the same machine state, and reports the time per
// operation of each and the median over the rounds of ours/ref ("x-ref",
// lower is better; the median keeps one disturbed round from deciding).
func Ratio(b *testing.B, ref, ours func(n int)) {
	b.Helper()
	rounds := min(max(b.N, 1), 20)
	per := max(b.N/rounds, 1)
	var tRef, tOurs time.Duration
	ratios := make([]float64, 0, rounds)
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		// Alternate which runs first, so neither always gets a warm cache.
		first, second := ref, ours
		if r%2 == 1 {
			first, second = ours, ref
		}
		t0 := time.Now()
		first(per)
		t1 := time.Now()
		second(per)
		d1, d2 := t1.Sub(t0), time.Since(t1)
		if r%2 == 1 {
			d1, d2 = d2, d1
		}
		tRef += d1
		tOurs += d2
		ratios = append(ratios, float64(d2)/float64(d1))
	}
	b.StopTimer()
	n := float64(per * rounds)
	sort.Float64s(ratios)
	b.ReportMetric(float64(tOurs.Nanoseconds())/n, "ours-ns/op")
	b.ReportMetric(float64(tRef.Nanoseconds())/n, "ref-ns/op")
	b.ReportMetric(ratios[len(ratios)/2], "x-ref")
}
