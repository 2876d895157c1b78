package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
)

// A Sample is one line of benchmark output: one run of one benchmark.
type Sample struct {
	// Pkg is the last element of the package's import path, such as "pm".
	Pkg string
	// Name is the benchmark's name without the GOMAXPROCS suffix, such as
	// "BenchmarkEndpointsList8/vs-ip".
	Name string
	// Iters is the b.N of the run.
	Iters int
	// Metrics maps each unit, such as "ns/op", "allocs/op" or "x-ref", to
	// its value.
	Metrics map[string]float64
}

// Key returns "pkg.Name", which identifies a benchmark across packages.
func (s Sample) Key() string { return s.Pkg + "." + s.Name }

// A Run is what one report is made of: the facts about the machine and the
// command, the benchmark samples, and the lines they were parsed from.
type Run struct {
	// Meta holds the "# key: value" lines, in order.
	Meta []MetaField
	// Samples are the benchmark lines, in order.
	Samples []Sample
	// Raw are the lines kept for the report's raw block: the meta lines,
	// the pkg:, goos:, goarch: and cpu: lines and the benchmark lines.
	Raw []string
}

// A MetaField is one "# key: value" line of a run.
type MetaField struct {
	Key, Value string
}

// Get returns the value of the first meta line with key, or "".
func (r *Run) Get(key string) string {
	for _, f := range r.Meta {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// All returns the values of every meta line with key, in order.
func (r *Run) All(key string) []string {
	var vs []string
	for _, f := range r.Meta {
		if f.Key == key {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// Parse reads the output of `go test -bench`, possibly several runs
// concatenated, with "# key: value" meta lines anywhere. Lines that are
// neither (test logs, PASS, ok) are dropped. A line that starts like a
// benchmark result but cannot be parsed is an error, so that a format
// change is noticed rather than dropped.
func Parse(r io.Reader) (*Run, error) {
	run := new(Run)
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case strings.HasPrefix(line, "# "):
			k, v, ok := strings.Cut(line[2:], ": ")
			if !ok {
				return nil, fmt.Errorf("line %d: meta line %q is not \"# key: value\"", lineNo, line)
			}
			run.Meta = append(run.Meta, MetaField{k, v})
			run.Raw = append(run.Raw, line)
		case strings.HasPrefix(line, "pkg: "):
			pkg = path.Base(strings.TrimPrefix(line, "pkg: "))
			run.Raw = append(run.Raw, line)
		case strings.HasPrefix(line, "goos: "), strings.HasPrefix(line, "goarch: "), strings.HasPrefix(line, "cpu: "):
			run.Raw = append(run.Raw, line)
		case strings.HasPrefix(line, "Benchmark"):
			s, ok, err := parseBenchLine(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", lineNo, err)
			}
			if !ok {
				continue // the name alone, printed before a benchmark's logs
			}
			if pkg == "" {
				return nil, fmt.Errorf("line %d: benchmark result before any pkg: line", lineNo)
			}
			s.Pkg = pkg
			run.Samples = append(run.Samples, s)
			run.Raw = append(run.Raw, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return run, nil
}

// parseBenchLine parses "BenchmarkX-2  N  v1 unit1  v2 unit2 ...". ok is
// false for a line with the name alone.
func parseBenchLine(line string) (s Sample, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) == 1 {
		return Sample{}, false, nil
	}
	if len(f) < 4 || len(f)%2 != 0 {
		return Sample{}, false, fmt.Errorf("benchmark line %q: want a name, an iteration count and value-unit pairs", line)
	}
	s.Name = stripProcs(f[0])
	if s.Iters, err = strconv.Atoi(f[1]); err != nil || s.Iters < 1 {
		return Sample{}, false, fmt.Errorf("benchmark line %q: bad iteration count %q", line, f[1])
	}
	s.Metrics = make(map[string]float64, (len(f)-2)/2)
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Sample{}, false, fmt.Errorf("benchmark line %q: bad value %q", line, f[i])
		}
		if _, dup := s.Metrics[f[i+1]]; dup {
			return Sample{}, false, fmt.Errorf("benchmark line %q: unit %q twice", line, f[i+1])
		}
		s.Metrics[f[i+1]] = v
	}
	return s, true, nil
}

// stripProcs removes the "-N" GOMAXPROCS suffix the testing package adds
// to a benchmark's name when N is not 1.
func stripProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// Stat summarizes the values of one metric over the runs of a benchmark.
type Stat struct {
	Median, Min, Max float64
	N                int
}

// Stats returns, for every benchmark key ("pkg.Name"), the summary of each
// of its metrics over its samples.
func (r *Run) Stats() map[string]map[string]Stat {
	vals := map[string]map[string][]float64{}
	for _, s := range r.Samples {
		m := vals[s.Key()]
		if m == nil {
			m = map[string][]float64{}
			vals[s.Key()] = m
		}
		for unit, v := range s.Metrics {
			m[unit] = append(m[unit], v)
		}
	}
	out := make(map[string]map[string]Stat, len(vals))
	for k, m := range vals {
		out[k] = make(map[string]Stat, len(m))
		for unit, vs := range m {
			out[k][unit] = summarize(vs)
		}
	}
	return out
}

// summarize returns the median (the mean of the two middle values for an
// even count), minimum and maximum of vs, which must not be empty.
func summarize(vs []float64) Stat {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	n := len(vs)
	med := vs[n/2]
	if n%2 == 0 {
		med = (vs[n/2-1] + vs[n/2]) / 2
	}
	return Stat{Median: med, Min: vs[0], Max: vs[n-1], N: n}
}
