package main

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/bench.golden.md from testdata/bench.txt")

// parseFixture parses testdata/bench.txt, two runs of the whole suite as
// the command records them, with the test logs and PASS lines of real
// output.
func parseFixture(t *testing.T) *Run {
	t.Helper()
	b, err := os.ReadFile("testdata/bench.txt")
	if err != nil {
		t.Fatal(err)
	}
	run, err := Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestParse(t *testing.T) {
	run := parseFixture(t)
	if got, want := len(run.Samples), 2*19; got != want {
		t.Errorf("%d samples, want %d", got, want)
	}
	if got := run.Get("count"); got != "2" {
		t.Errorf("count %q, want 2", got)
	}
	if got := len(run.All("go-test")); got != 4 {
		t.Errorf("%d go-test lines, want 4", got)
	}
	byKey := map[string][]Sample{}
	for _, s := range run.Samples {
		byKey[s.Key()] = append(byKey[s.Key()], s)
	}
	for _, c := range []struct {
		key, unit string
		want      float64
	}{
		{"mptcp.BenchmarkInfo", "x-ref", 0.8938},
		{"mptcp.BenchmarkInfo", "allocs/op", 0},
		{"mptcp.BenchmarkCopy", "MB/s", 13.47},
		{"mptcp.BenchmarkFailover", "stall-ms", 30.76},
		{"pm.BenchmarkEndpointsList8/vs-ip", "speedup", 22.15},
		{"pm.BenchmarkEvents/latency", "µs-median", 90.64},
		{"pm.BenchmarkEvents/drain", "allocs/event", 50.29},
		{"pm.BenchmarkAggregation/paths=4", "sf4-Mbit/s", 39.57},
	} {
		ss := byKey[c.key]
		if len(ss) != 2 {
			t.Errorf("%s: %d samples, want 2", c.key, len(ss))
			continue
		}
		if got, ok := ss[0].Metrics[c.unit]; !ok || got != c.want {
			t.Errorf("%s %s = %v (present %v), want %v", c.key, c.unit, got, ok, c.want)
		}
	}
	st := run.Stats()["mptcp.BenchmarkFailover"]["x-rto"]
	if st.N != 2 || st.Min != 0.1479 || st.Max != 0.16269 || math.Abs(st.Median-(0.1479+0.16269)/2) > 1e-12 {
		t.Errorf("Failover x-rto stat %+v", st)
	}
	// The raw lines keep what Render needs and nothing else.
	for _, l := range run.Raw {
		if strings.HasPrefix(l, "PASS") || strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, " ") || l == "BenchmarkFailover" {
			t.Errorf("raw line %q kept", l)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"pkg: x\nBenchmarkA-2 1 2\n",               // odd field count
		"pkg: x\nBenchmarkA-2 zero 2 ns/op\n",      // bad count
		"pkg: x\nBenchmarkA-2 0 2 ns/op\n",         // zero count
		"pkg: x\nBenchmarkA-2 1 two ns/op\n",       // bad value
		"pkg: x\nBenchmarkA-2 1 NaN ns/op\n",       // NaN
		"pkg: x\nBenchmarkA-2 1 2 ns/op 3 ns/op\n", // unit twice
		"BenchmarkA-2 1 2 ns/op\n",                 // no package
		"# no colon here\n",                        // bad meta
	} {
		if run, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, run.Samples)
		}
	}
}

func TestStripProcs(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkInfo-2":                   "BenchmarkInfo",
		"BenchmarkInfo":                     "BenchmarkInfo",
		"BenchmarkEndpointsList8":           "BenchmarkEndpointsList8",
		"BenchmarkLimits/vs-ip-16":          "BenchmarkLimits/vs-ip",
		"BenchmarkLimits/vs-ip":             "BenchmarkLimits/vs-ip",
		"BenchmarkAggregation/paths=4-2":    "BenchmarkAggregation/paths=4",
		"BenchmarkX/a-":                     "BenchmarkX/a-",
		"BenchmarkEvents/latency-2#01":      "BenchmarkEvents/latency-2#01",
		"BenchmarkAggregation/paths=4#01-2": "BenchmarkAggregation/paths=4#01",
	} {
		if got := stripProcs(in); got != want {
			t.Errorf("stripProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{fmtNum(0), "0"},
		{fmtNum(63), "63"},
		{fmtNum(53.5), "53.5"},
		{fmtNum(0.8938), "0.894"},
		{fmtNum(0.01347), "0.0135"},
		{fmtNum(1.995), "2.00"},
		{fmtNum(118124.4), "118124"},
		{fmtDuration(2945), "2.94 µs"},
		{fmtDuration(410046268), "410 ms"},
		{fmtDuration(8.1e9), "8.10 s"},
		{fmtDuration(512), "512 ns"},
		{fmtBytes(9448), "9.23 KiB"},
		{fmtBytes(64), "64 B"},
		{rangeCell(Stat{Median: 1, Min: 0.9, Max: 1.2, N: 3}, fmtNum), "1 (0.900–1.20)"},
		{rangeCell(Stat{Median: 1, Min: 1, Max: 1, N: 3}, fmtNum), "1"},
		{rangeCell(Stat{}, fmtNum), "—"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestRender compares the section made from the fixture with
// testdata/bench.golden.md (go test -update rewrites it), and checks
// what every report must hold.
func TestRender(t *testing.T) {
	run := parseFixture(t)
	got, err := Render(run)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/bench.golden.md"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Render differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
	for _, s := range []string{
		"Run of 2026-12-04: Linux 6.18.44-fc-v1252, go1.26.8, 2 CPUs (AMD EPYC), load average 2.36, 2.31, 1.71",
		"`go run ./internal/perfreport -count 2`",
		"Each benchmark ran 2 times",
		"| `mptcp BenchmarkInfo` |",
		"x-ref 0.938 (0.894–0.983) | 3.09 µs (2.94 µs–3.24 µs) | 3.46 µs (3.29 µs–3.62 µs) | 0 (0 B) |",
		"| `pm BenchmarkLimits/vs-ip` |",
		"| `pm BenchmarkEvents/latency` |",
		"| `mptcp BenchmarkFailover` |",
		"| 2 | 1.04 (0.991–1.09) | ≥ 0.95 | 83.2 (79.3–87.2) | 41.5, 41.6 |",
		"| 4 | 1.04 (0.991–1.09) | ≥ 0.95 | 167 (159–174) | 41.5, 41.5, 41.6, 41.5 |",
		"| `pm BenchmarkEvents/drain` |",
		"| `mptcp BenchmarkSubflows/SubflowsOf` |",
	} {
		if !strings.Contains(got, s) {
			t.Errorf("section lacks %q", s)
		}
	}
	// Every benchmark of the fixture appears in exactly one table row.
	for key := range run.Stats() {
		if strings.HasSuffix(key, "/ours") {
			continue // shown as the allocations of its vs-ip row
		}
		name := benchName(key)
		if strings.HasPrefix(key, aggPrefix) {
			name = "| " + strings.TrimPrefix(key, aggPrefix) + " | "
		} else {
			name = "`" + name + "`"
		}
		if n := strings.Count(got, name); n != 1 {
			t.Errorf("%s appears %d times, want 1", name, n)
		}
	}
}

// TestRenderRoundTrip checks that a section's raw block is all Render
// needs: parsing it and rendering again gives the same section.
func TestRenderRoundTrip(t *testing.T) {
	first, err := Render(parseFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := RawBlock(first)
	if err != nil {
		t.Fatal(err)
	}
	run, err := Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	second, err := Render(run)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("render of the raw block differs:\n%s\n---\n%s", first, second)
	}
}

func TestRenderEmpty(t *testing.T) {
	if _, err := Render(&Run{}); err == nil {
		t.Error("Render of no results succeeded")
	}
}

func TestReplace(t *testing.T) {
	section := BeginMarker + "\nnew\n" + EndMarker + "\n"
	doc := "# Title\n\nbefore\n\n" + BeginMarker + "\nold\nold\n" + EndMarker + "\n\nafter\n"
	got, err := Replace(doc, section)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Title\n\nbefore\n\n" + section + "\nafter\n"; got != want {
		t.Errorf("Replace = %q, want %q", got, want)
	}
	if s, err := Section(got); err != nil || s != section {
		t.Errorf("Section = %q, %v; want %q", s, err, section)
	}
	// Idempotent.
	if again, err := Replace(got, section); err != nil || again != got {
		t.Errorf("Replace again = %q, %v", again, err)
	}
	// A marker quoted in a sentence is not a marker.
	quoted := "The `" + BeginMarker + "` line.\n" + doc
	if got, err := Replace(quoted, section); err != nil || !strings.HasPrefix(got, "The `"+BeginMarker+"` line.\n# Title") {
		t.Errorf("Replace with a quoted marker = %q, %v", got, err)
	}
	for _, bad := range []string{
		"no markers\n",
		BeginMarker + "\n",
		EndMarker + "\n" + BeginMarker + "\n",
		BeginMarker + "\n" + EndMarker + "\n" + BeginMarker + "\n" + EndMarker + "\n",
	} {
		if _, err := Replace(bad, section); err == nil {
			t.Errorf("Replace(%q) succeeded", bad)
		}
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"test", "-run", "^$", "-bench", "^(A|B)$", "it's", "", "./pm"})
	if want := `test -run '^$' -bench '^(A|B)$' 'it'\''s' '' ./pm`; got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}

// TestDocGenerated checks that docs/performance.md has the markers and,
// between them, exactly what Render makes of the section's own raw block:
// a hand edit of the tables, or a change of Render without running the
// command again, fails here.
func TestDocGenerated(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "performance.md"))
	if err != nil {
		t.Fatal(err)
	}
	section, err := Section(string(doc))
	if err != nil {
		t.Fatalf("docs/performance.md: %v", err)
	}
	raw, err := RawBlock(section)
	if err != nil {
		t.Fatalf("docs/performance.md: %v", err)
	}
	run, err := Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("docs/performance.md raw block: %v", err)
	}
	for _, k := range []string{"date", "kernel", "go", "cpus", "command", "count"} {
		if run.Get(k) == "" {
			t.Errorf("docs/performance.md raw block lacks # %s:", k)
		}
	}
	want, err := Render(run)
	if err != nil {
		t.Fatal(err)
	}
	if section != want {
		t.Errorf("the generated section of docs/performance.md is not what Render makes of its raw block; run `go run ./internal/perfreport -from FILE` with the block, or the whole command again. Want:\n%s", want)
	}
}
