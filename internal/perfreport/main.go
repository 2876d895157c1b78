// Command perfreport runs the benchmark suite of the module and writes its
// results into the generated section of docs/performance.md, between the
// lines <!-- perfreport:begin --> and <!-- perfreport:end -->; the text
// around them is left as it is. Run it as root from anywhere in the module
// (the namespace benchmarks need root):
//
//	go run ./internal/perfreport            # -count 5, about 10 minutes
//	go run ./internal/perfreport -quick     # one pass of each, -benchtime 1x
//
// It lists the benchmarks of each package with `go test -list`, runs those
// that run a fixed scenario per call (BenchmarkAggregation,
// BenchmarkFailover) with -benchtime 1x and the others with -benchtime 1s,
// each -count times, with CI=true so that a benchmark that would skip
// fails instead. The section records the date, kernel, Go version, CPU
// count, load average, the commands run, the tables of medians and the raw
// output, from which the tables can be made again (-from).
//
// The command runs go, and the benchmarks run ip, tc and ss; the library
// itself never starts a process.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// onceBenchmarks run a fixed scenario per call, or a round that takes
// seconds, so they run with -benchtime 1x (and -count for repetitions).
var onceBenchmarks = []string{"BenchmarkAggregation", "BenchmarkFailover"}

// options are the command's flags.
type options struct {
	quick     bool
	count     int
	benchtime string
	pkgs      []string
	doc       string
	from      string
	args      []string // the flags as given, for the command line recorded
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "one pass of each benchmark with -benchtime 1x: checks the pipeline, measures nothing")
	flag.IntVar(&o.count, "count", 5, "runs of each benchmark; the tables show medians")
	flag.StringVar(&o.benchtime, "benchtime", "1s", "-benchtime of the benchmarks that are not run once per call")
	pkgs := flag.String("pkgs", "./mptcp,./pm", "comma-separated packages whose benchmarks run")
	flag.StringVar(&o.doc, "doc", "", "the markdown file to update (default docs/performance.md of the module; - prints the section)")
	flag.StringVar(&o.from, "from", "", "make the section from this file of benchmark output instead of running the benchmarks")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./internal/perfreport [flags]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	o.pkgs = strings.Split(*pkgs, ",")
	o.args = os.Args[1:]
	if err := run(o, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "perfreport:", err)
		os.Exit(1)
	}
}

// run does the work of main; progress goes to log.
func run(o options, log io.Writer) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.doc == "" {
		o.doc = filepath.Join(root, "docs", "performance.md")
	}
	var out []byte
	if o.from != "" {
		if out, err = os.ReadFile(o.from); err != nil {
			return err
		}
	} else {
		if out, err = runSuite(o, root, log); err != nil {
			return err
		}
	}
	parsed, err := Parse(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("parsing the benchmark output: %w", err)
	}
	section, err := Render(parsed)
	if err != nil {
		return err
	}
	if o.doc == "-" {
		_, err := io.WriteString(os.Stdout, section)
		return err
	}
	doc, err := os.ReadFile(o.doc)
	if err != nil {
		return err
	}
	updated, err := Replace(string(doc), section)
	if err != nil {
		return fmt.Errorf("%s: %w", o.doc, err)
	}
	if err := writeFile(o.doc, []byte(updated)); err != nil {
		return err
	}
	fmt.Fprintf(log, "perfreport: wrote %d results of %d benchmarks to %s\n", len(parsed.Samples), len(parsed.Stats()), o.doc)
	return nil
}

// runSuite runs the benchmarks and returns their output preceded by the
// meta lines Render needs.
func runSuite(o options, root string, log io.Writer) ([]byte, error) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		return nil, errors.New("run as root on Linux: the namespace benchmarks need it")
	}
	count, benchtime := o.count, o.benchtime
	if o.quick {
		count, benchtime = 1, "1x"
	}
	if count < 1 {
		return nil, fmt.Errorf("-count %d: want at least 1", count)
	}
	var buf bytes.Buffer
	meta := func(k, v string) { fmt.Fprintf(&buf, "# %s: %s\n", k, v) }
	meta("date", time.Now().UTC().Format("2006-01-02"))
	meta("kernel", strings.TrimSpace(readOr("/proc/sys/kernel/osrelease", "unknown")))
	gover, err := goOutput(root, "env", "GOVERSION")
	if err != nil {
		return nil, err
	}
	meta("go", strings.TrimSpace(gover))
	meta("cpus", fmt.Sprint(runtime.NumCPU()))
	if f := strings.Fields(readOr("/proc/loadavg", "")); len(f) >= 3 {
		meta("load", strings.Join(f[:3], ", "))
	} else {
		meta("load", "unknown")
	}
	meta("command", strings.Join(append([]string{"go run ./internal/perfreport"}, o.args...), " "))
	meta("count", fmt.Sprint(count))

	type invocation struct{ pkg, pattern, benchtime string }
	var invs []invocation
	for _, pkg := range o.pkgs {
		list, err := goOutput(root, "test", "-list", "^Benchmark", pkg)
		if err != nil {
			return nil, err
		}
		var timed, once []string
		for _, name := range strings.Fields(list) {
			switch {
			case !strings.HasPrefix(name, "Benchmark"):
			case slices.Contains(onceBenchmarks, name):
				once = append(once, name)
			default:
				timed = append(timed, name)
			}
		}
		if len(timed) > 0 {
			invs = append(invs, invocation{pkg, "^(" + strings.Join(timed, "|") + ")$", benchtime})
		}
		if len(once) > 0 {
			invs = append(invs, invocation{pkg, "^(" + strings.Join(once, "|") + ")$", "1x"})
		}
	}
	var cmds [][]string
	for _, inv := range invs {
		args := []string{"test", "-run", "^$", "-bench", inv.pattern, "-benchtime", inv.benchtime, "-count", fmt.Sprint(count), inv.pkg}
		cmds = append(cmds, args)
		meta("go-test", "go "+shellJoin(args))
	}
	// The child's standard output and error are copied to log by two
	// goroutines.
	log = &lockedWriter{w: log}
	for _, args := range cmds {
		fmt.Fprintf(log, "perfreport: go %s\n", shellJoin(args))
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		// With CI=true the namespace harness fails a benchmark that would
		// skip, so a report never silently lacks a row.
		cmd.Env = append(os.Environ(), "CI=true")
		var stdout bytes.Buffer
		cmd.Stdout = io.MultiWriter(&stdout, log)
		cmd.Stderr = log
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("go %s: %w", shellJoin(args), err)
		}
		buf.Write(stdout.Bytes())
	}
	return buf.Bytes(), nil
}

// lockedWriter serializes the writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	gomod, err := goOutput("", "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod = strings.TrimSpace(gomod)
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a module: run from the repository")
	}
	return filepath.Dir(gomod), nil
}

// goOutput runs the go command in dir and returns its standard output.
func goOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w: %s", shellJoin(args), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

// readOr returns the contents of the file name, or def if it cannot be
// read.
func readOr(name, def string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return def
	}
	return string(b)
}

// shellJoin joins args into a line a POSIX shell would split back into
// them, quoting those that need it.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// writeFile replaces name with data through a temporary file in the same
// directory, so that a reader never sees half a file.
func writeFile(name string, data []byte) error {
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".perfreport-*")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(tmp)
	_, err = w.Write(data)
	err = errors.Join(err, w.Flush(), tmp.Chmod(fi.Mode().Perm()), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
