package main

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The markers around the generated section of docs/performance.md.
const (
	BeginMarker = "<!-- perfreport:begin -->"
	EndMarker   = "<!-- perfreport:end -->"
)

// A ratioRow is one row of the table of figures against a reference.
type ratioRow struct {
	key       string // pkg.Name of the benchmark with the ratio
	what, ref string // what ours does, what the reference does
	goal      string
	metric    string // the ratio's unit, such as "x-ref"
	ours, rf  string // units of the absolute values of ours and the reference
	allocsOf  string // key of the benchmark whose allocs/op to show, "" for key
}

// ratioRows are the figures measured against a reference in the same run,
// in the order of the table.
var ratioRows = []ratioRow{
	{key: "mptcp.BenchmarkInfo", what: "`Inspector.Info`: MPTCP_INFO read and decoded",
		ref: "bare `getsockopt(SOL_MPTCP, MPTCP_INFO)` on the same socket", goal: "x-ref ≤ 1.3",
		metric: "x-ref", ours: "ours-ns/op", rf: "ref-ns/op"},
	{key: "mptcp.BenchmarkStatus", what: "`Inspector.Status`",
		ref: "bare `getsockopt(SOL_TCP, TCP_IS_MPTCP)`", goal: "—",
		metric: "x-ref", ours: "ours-ns/op", rf: "ref-ns/op"},
	{key: "mptcp.BenchmarkDialAcceptClose", what: "dial, accept, close both ends on loopback with `Dialer`/`ListenConfig`",
		ref: "the same with the standard library's `SetMultipathTCP(true)`", goal: "x-ref ≤ 1.05",
		metric: "x-ref", ours: "ours-ns/op", rf: "ref-ns/op"},
	{key: "mptcp.BenchmarkCopy", what: "8 MiB written, relayed with `io.CopyN` and read, between our conns",
		ref: "the same between standard-library MPTCP conns", goal: "x-ref ≤ 1.02",
		metric: "x-ref", ours: "ours-ns/op", rf: "ref-ns/op"},
	{key: "pm.BenchmarkEndpointAddDelete/vs-ip", what: "`AddEndpoint` (add and look-up) and `DeleteEndpoint`",
		ref: "`ip mptcp endpoint add` + `ip mptcp endpoint delete id N`", goal: "speedup ≥ 50",
		metric: "speedup", ours: "ours-ns/op", rf: "ref-ns/op", allocsOf: "pm.BenchmarkEndpointAddDelete/ours"},
	{key: "pm.BenchmarkEndpointsList8/vs-ip", what: "`Endpoints` with 8 endpoints",
		ref: "`ip mptcp endpoint show`", goal: "speedup ≥ 50",
		metric: "speedup", ours: "ours-ns/op", rf: "ref-ns/op", allocsOf: "pm.BenchmarkEndpointsList8/ours"},
	{key: "pm.BenchmarkLimits/vs-ip", what: "`Limits`",
		ref: "`ip mptcp limits show`", goal: "speedup ≥ 50",
		metric: "speedup", ours: "ours-ns/op", rf: "ref-ns/op", allocsOf: "pm.BenchmarkLimits/ours"},
	{key: "pm.BenchmarkEvents/latency", what: "event latency: `connect()` returning to the client's ESTABLISHED received by a `Subscription`",
		ref: "a one-byte echo over plain TCP in the same namespace (one loopback round trip)", goal: "—",
		metric: "x-ref", ours: "µs-median", rf: "ref-µs-median", allocsOf: "-"},
	{key: "mptcp.BenchmarkFailover", what: "failover stall: primary path cut until the server reads again over the backup subflow",
		ref: "the primary subflow's RTO just before the cut (`ss -ti`)", goal: "—",
		metric: "x-rto", ours: "stall-ms", rf: "rto-ms", allocsOf: "-"},
}

// aggPrefix starts the names of the aggregation sub-benchmarks.
const aggPrefix = "pm.BenchmarkAggregation/paths="

// Render returns the generated section for run, markers included, ending
// in a newline. It is a pure function of run: Parse of the section's raw
// block and Render again give the same section.
func Render(run *Run) (string, error) {
	if len(run.Samples) == 0 {
		return "", errors.New("no benchmark results")
	}
	st := run.Stats()
	used := map[string]bool{}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("%s\n", BeginMarker)
	w("<!-- Written by %s; edits between these markers are overwritten. -->\n\n", code(run.Get("command")))
	w("Run of %s: Linux %s, %s, %s CPUs (%s), load average %s at the start. Command, as root: %s.\n",
		run.Get("date"), run.Get("kernel"), run.Get("go"), run.Get("cpus"), cpuOf(run), run.Get("load"), code(run.Get("command")))
	times := run.Get("count") + " times"
	if run.Get("count") == "1" {
		times = "once"
	}
	w("Each benchmark ran %s; a figure is the median over the runs, with the\n", times)
	w("lowest and highest in parentheses. Other developers' jobs shared the machine,\nso single runs are noisy; the medians are the figures to read. It ran:\n\n")
	w("```sh\n")
	for _, c := range run.All("go-test") {
		w("%s\n", c)
	}
	w("```\n\n")

	w("### Against a reference measured in the same run\n\n")
	w("| Benchmark | Ours | Reference | Goal | Ratio, median (range) | Ours | Reference | Allocs/op (B/op), ours |\n")
	w("|---|---|---|---|---|---|---|---|\n")
	for _, r := range ratioRows {
		m, ok := st[r.key]
		if !ok {
			continue
		}
		used[r.key] = true
		allocs := r.allocsOf
		if allocs == "" {
			allocs = r.key
		}
		al := "—"
		if a, ok := st[allocs]; ok {
			used[allocs] = true
			al = allocsCell(a)
		}
		w("| %s | %s | %s | %s | %s %s | %s | %s | %s |\n", code(benchName(r.key)), r.what, r.ref, r.goal,
			r.metric, rangeCell(m[r.metric], fmtNum), valueCell(r.ours, m), valueCell(r.rf, m), al)
	}

	var aggKeys []string
	for k := range st {
		if strings.HasPrefix(k, aggPrefix) {
			aggKeys = append(aggKeys, k)
		}
	}
	if len(aggKeys) > 0 {
		slices.SortFunc(aggKeys, func(a, b string) int {
			na, _ := strconv.Atoi(strings.TrimPrefix(a, aggPrefix))
			nb, _ := strconv.Atoi(strings.TrimPrefix(b, aggPrefix))
			return cmp.Or(cmp.Compare(na, nb), cmp.Compare(a, b))
		})
		w("\n### Aggregation over n shaped paths\n\n")
		w("`BenchmarkAggregation`: efficiency = MPTCP goodput / (n × path rate); the reference is a plain TCP\n")
		w("connection over path 1 alone in the same run (`tcp-efficiency`, and `vs-tcp` = MPTCP / TCP goodput, ideally n).\n\n")
		w("| Paths | Efficiency, median (range) | Goal | MPTCP goodput, Mbit/s | Per subflow, Mbit/s | TCP efficiency | vs-tcp |\n")
		w("|---|---|---|---|---|---|---|\n")
		for _, k := range aggKeys {
			used[k] = true
			m := st[k]
			var sfs []string
			for i := 1; ; i++ {
				s, ok := m[fmt.Sprintf("sf%d-Mbit/s", i)]
				if !ok {
					break
				}
				sfs = append(sfs, fmtNum(s.Median))
			}
			w("| %s | %s | ≥ 0.95 | %s | %s | %s | %s |\n", strings.TrimPrefix(k, aggPrefix),
				rangeCell(m["efficiency"], fmtNum), rangeCell(m["mptcp-goodput-Mbit/s"], fmtNum),
				strings.Join(sfs, ", "), rangeCell(m["tcp-efficiency"], fmtNum), rangeCell(m["vs-tcp"], fmtNum))
		}
	}

	var rest []string
	for k := range st {
		if !used[k] {
			rest = append(rest, k)
		}
	}
	if len(rest) > 0 {
		slices.Sort(rest)
		w("\n### Other figures\n\n")
		w("Medians (ranges) of every metric of the benchmarks above without a reference, and of\nthe time per operation.\n\n")
		w("| Benchmark | Figures |\n|---|---|\n")
		for _, k := range rest {
			w("| %s | %s |\n", code(benchName(k)), metricsCell(st[k]))
		}
	}

	w("\n<details><summary>Raw output (input of benchstat, and of this section)</summary>\n\n```text\n")
	for _, l := range run.Raw {
		w("%s\n", l)
	}
	w("```\n\n</details>\n%s\n", EndMarker)
	return b.String(), nil
}

// benchName returns the benchmark part of a "pkg.Name" key, prefixed with
// the package: "pm: BenchmarkLimits/vs-ip".
func benchName(key string) string {
	pkg, name, _ := strings.Cut(key, ".")
	return pkg + " " + name
}

// cpuOf returns the CPU model from the run's cpu: line, or "unknown CPU".
func cpuOf(run *Run) string {
	for _, l := range run.Raw {
		if s, ok := strings.CutPrefix(l, "cpu: "); ok {
			return s
		}
	}
	return "unknown CPU"
}

// code wraps s in backticks.
func code(s string) string { return "`" + s + "`" }

// rangeCell formats a stat as "median (min–max)", or the median alone for
// a single run or when all runs agree, or "—" when absent.
func rangeCell(s Stat, f func(float64) string) string {
	if s.N == 0 {
		return "—"
	}
	med, lo, hi := f(s.Median), f(s.Min), f(s.Max)
	if s.N == 1 || lo == hi {
		return med
	}
	return med + " (" + lo + "–" + hi + ")"
}

// valueCell formats metric unit of m with its unit made readable: a time
// per operation in ns, µs, ms or s; "µs-median" and the like as µs.
func valueCell(unit string, m map[string]Stat) string {
	s, ok := m[unit]
	if !ok {
		return "—"
	}
	switch {
	case strings.HasSuffix(unit, "ns/op"):
		return rangeCell(s, fmtDuration)
	case strings.HasPrefix(unit, "µs-") || strings.Contains(unit, "-µs-"):
		return rangeCell(s, func(v float64) string { return fmtDuration(v * 1e3) })
	case strings.HasSuffix(unit, "-ms"):
		return rangeCell(s, func(v float64) string { return fmtDuration(v * 1e6) })
	}
	return rangeCell(s, fmtNum) + " " + unit
}

// allocsCell formats allocs/op and B/op, or "—" without them.
func allocsCell(m map[string]Stat) string {
	a, ok := m["allocs/op"]
	if !ok {
		return "—"
	}
	s := fmtNum(a.Median)
	if bs, ok := m["B/op"]; ok {
		s += " (" + fmtBytes(bs.Median) + ")"
	}
	return s
}

// metricsCell lists every metric of m, time per operation first, then the
// others by name.
func metricsCell(m map[string]Stat) string {
	units := make([]string, 0, len(m))
	for u := range m {
		if u != "ns/op" {
			units = append(units, u)
		}
	}
	slices.Sort(units)
	var parts []string
	if s, ok := m["ns/op"]; ok {
		parts = append(parts, rangeCell(s, fmtDuration)+"/op")
	}
	for _, u := range units {
		s := m[u]
		switch u {
		case "B/op":
			parts = append(parts, rangeCell(s, fmtBytes)+"/op")
		default:
			parts = append(parts, rangeCell(s, fmtNum)+" "+u)
		}
	}
	return strings.Join(parts, ", ")
}

// fmtNum formats v with three significant digits, without exponent for
// the magnitudes benchmarks report.
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case a == math.Trunc(a) && a < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1000:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	// Three significant digits: 0.900, 0.0135.
	return strconv.FormatFloat(v, 'f', 2-int(math.Floor(math.Log10(a))), 64)
}

// fmtDuration formats a time in nanoseconds in the unit that suits it.
func fmtDuration(ns float64) string {
	switch a := math.Abs(ns); {
	case a >= 1e9:
		return fmtNum(ns/1e9) + " s"
	case a >= 1e6:
		return fmtNum(ns/1e6) + " ms"
	case a >= 1e3:
		return fmtNum(ns/1e3) + " µs"
	}
	return fmtNum(ns) + " ns"
}

// fmtBytes formats a byte count.
func fmtBytes(n float64) string {
	switch a := math.Abs(n); {
	case a >= 1<<20:
		return fmtNum(n/(1<<20)) + " MiB"
	case a >= 1<<10:
		return fmtNum(n/(1<<10)) + " KiB"
	}
	return fmtNum(n) + " B"
}

// Replace returns doc with the text between its markers, markers included,
// replaced by section. doc must hold each marker once, begin first.
func Replace(doc, section string) (string, error) {
	begin, end, err := markers(doc)
	if err != nil {
		return "", err
	}
	return doc[:begin] + section + strings.TrimPrefix(doc[end+len(EndMarker):], "\n"), nil
}

// Section returns the generated section of doc, markers included, with the
// newline after the end marker.
func Section(doc string) (string, error) {
	begin, end, err := markers(doc)
	if err != nil {
		return "", err
	}
	s := doc[begin : end+len(EndMarker)]
	if strings.HasPrefix(doc[end+len(EndMarker):], "\n") {
		s += "\n"
	}
	return s, nil
}

// markers returns the offsets of the begin and end markers in doc, each
// of which must be a line of its own (a marker quoted in a sentence does
// not count).
func markers(doc string) (begin, end int, err error) {
	bs, es := markerLines(doc, BeginMarker), markerLines(doc, EndMarker)
	if len(bs) != 1 {
		return 0, 0, fmt.Errorf("want one %s line, found %d", BeginMarker, len(bs))
	}
	if len(es) != 1 {
		return 0, 0, fmt.Errorf("want one %s line, found %d", EndMarker, len(es))
	}
	if es[0] < bs[0] {
		return 0, 0, fmt.Errorf("%s comes before %s", EndMarker, BeginMarker)
	}
	return bs[0], es[0], nil
}

// markerLines returns the offsets of the lines of doc that are marker.
func markerLines(doc, marker string) []int {
	var at []int
	for off := 0; off < len(doc); {
		line, _, _ := strings.Cut(doc[off:], "\n")
		if strings.TrimRight(line, " \t\r") == marker {
			at = append(at, off)
		}
		off += len(line) + 1
	}
	return at
}

// RawBlock returns the lines of the raw block of a generated section, the
// input Render made it from.
func RawBlock(section string) (string, error) {
	const open = "```text\n"
	i := strings.Index(section, open)
	if i < 0 {
		return "", errors.New("generated section without a ```text raw block")
	}
	rest := section[i+len(open):]
	j := strings.Index(rest, "```\n")
	if j < 0 {
		return "", errors.New("raw block not closed")
	}
	return rest[:j], nil
}
