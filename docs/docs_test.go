// Package docs holds the documentation's tests: every command shown in a
// page is run (or, for a few, accounted for in another way, each named
// below), the output a page shows is compared with what the command
// prints, and every relative link must lead to a file that exists.
//
// The pages' fenced code blocks are of these kinds, and the test fails on
// any other:
//
//   - console: each "$ " line is a command, run with bash from the
//     repository root; the lines after it are its output, compared as
//     matchLines says.
//   - sh: commands shown without output. The whole block runs as one bash
//     script (set -e, pipefail) in a fresh network namespace the test
//     creates with unshare -n, so sysctls, routes and endpoints it sets are
//     thrown away with it; it must exit with status 0. A line
//     "<!-- docs-test: setup: CMDS -->" just before the block gives
//     commands run first in that namespace, such as a device named as the
//     block names it (one end of a veth pair: not every kernel has dummy). A line "<!-- docs-test: not run: REASON -->"
//     instead says why the block cannot run here (it needs the internet);
//     the reason is required. The sh blocks of performance.md, which its
//     owner keeps, are checked by shape instead (see perfCovered).
//   - go, mermaid: code and pictures, not commands.
//   - text: output or data without a command; a "$ " line there fails.
//
// "<!-- docs-test: skip if it prints: LINE -->" before a console block
// skips a command that printed LINE, for a page whose example says so on a
// kernel without the feature it shows.
package docs

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/nstest"
)

// A block is one fenced code block of a page.
type block struct {
	page string
	line int    // the line of the opening fence
	lang string // the fence's info string, such as "console" or "sh"
	// marker is what a "<!-- docs-test: ... -->" line just before the
	// fence says, or "".
	marker string
	text   []string
}

// markerLine matches a docs-test marker.
var markerLine = regexp.MustCompile(`^<!-- docs-test: (.*\S) -->$`)

// blocks returns the fenced code blocks of the Markdown file at path.
func blocks(t *testing.T, path string) []block {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []block
	var cur *block
	prev := "" // the last line that was not blank, outside blocks
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &block{page: filepath.Base(path), line: n, lang: strings.TrimPrefix(trimmed, "```")}
			if m := markerLine.FindStringSubmatch(prev); m != nil {
				cur.marker = m[1]
			}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text = append(cur.text, line)
		case trimmed != "":
			prev = trimmed
		}
	}
	if cur != nil {
		t.Errorf("%s:%d: a code block is not closed", path, cur.line)
	}
	return out
}

// A shown command is one "$ " line of a ```console block and the output
// lines that follow it.
type shown struct {
	page string
	line int
	cmd  string
	want []string
	// skipIf is the line of output that makes the test skip the command,
	// from a "skip if it prints:" marker, or "".
	skipIf string
}

// commands returns the commands shown in the console block b.
func commands(b block) []shown {
	var out []shown
	skipIf, _ := strings.CutPrefix(b.marker, "skip if it prints: ")
	for i, line := range b.text {
		switch {
		case strings.HasPrefix(line, "$ "):
			out = append(out, shown{page: b.page, line: b.line + 1 + i, cmd: strings.TrimPrefix(line, "$ "), skipIf: skipIf})
		case len(out) > 0:
			out[len(out)-1].want = append(out[len(out)-1].want, line)
		}
	}
	return out
}

// placeholder matches a <word> in shown output, which stands for any run of
// characters other than spaces, and an ellipsis (…), which stands for any
// run of characters: a part of a long line the page leaves out.
var placeholder = regexp.MustCompile(`<[^<>\s]+>|…`)

// linePattern turns one line of shown output into a regular expression.
func linePattern(want string) *regexp.Regexp {
	want = strings.TrimRight(want, " \t")
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range placeholder.FindAllStringIndex(want, -1) {
		b.WriteString(regexp.QuoteMeta(want[last:m[0]]))
		if want[m[0]:m[1]] == "…" {
			b.WriteString(`.*`)
		} else {
			b.WriteString(`\S+`)
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(want[last:]))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// matchLines reports whether got matches want, where a want line of "..."
// matches any number of lines.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if strings.TrimSpace(want[0]) == "..." {
		for i := 0; i <= len(got); i++ {
			if matchLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && linePattern(want[0]).MatchString(strings.TrimRight(got[0], " \t")) && matchLines(want[1:], got[1:])
}

// splitOutput splits command output into lines, without a last empty one.
func splitOutput(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func pages(t *testing.T) []string {
	t.Helper()
	mds, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	return mds
}

// allBlocks returns the code blocks of every page.
func allBlocks(t *testing.T) []block {
	t.Helper()
	var all []block
	for _, p := range pages(t) {
		all = append(all, blocks(t, p)...)
	}
	return all
}

// TestBlocks checks that every code block is of a kind the package comment
// lists, with a marker that fits it: no page may show a command the test
// neither runs nor accounts for.
func TestBlocks(t *testing.T) {
	for _, b := range allBlocks(t) {
		where := b.page + ":" + itoa(b.line)
		reason, notRun := strings.CutPrefix(b.marker, "not run: ")
		_, setup := strings.CutPrefix(b.marker, "setup: ")
		_, skipIf := strings.CutPrefix(b.marker, "skip if it prints: ")
		if b.marker != "" && !notRun && !setup && !skipIf {
			t.Errorf("%s: unknown marker %q", where, b.marker)
		}
		switch b.lang {
		case "console":
			if notRun || setup {
				t.Errorf("%s: %q on a console block; console commands set up what they need themselves", where, b.marker)
			}
			if len(b.text) == 0 || !strings.HasPrefix(b.text[0], "$ ") {
				t.Errorf("%s: a console block must start with a \"$ \" line", where)
			}
		case "sh":
			switch {
			case skipIf:
				t.Errorf("%s: %q on an sh block, whose output is not compared", where, b.marker)
			case notRun && len(strings.Fields(reason)) < 3:
				t.Errorf("%s: a not-run marker needs a reason of a few words, not %q", where, reason)
			case b.page == "performance.md" && (notRun || setup):
				t.Errorf("%s: performance.md's sh blocks are checked by shape, not marked", where)
			case b.page == "performance.md":
				for _, line := range b.text {
					if !perfCovered(line) {
						t.Errorf("%s: %q is neither a benchmark run of .ci/run's benchmark step, nor the report generator, nor pprof on a profile the block writes", where, line)
					}
				}
			}
		case "go", "mermaid":
			if b.marker != "" {
				t.Errorf("%s: marker %q on a %s block", where, b.marker, b.lang)
			}
		case "text":
			if b.marker != "" {
				t.Errorf("%s: marker %q on a text block", where, b.marker)
			}
			for _, line := range b.text {
				if strings.HasPrefix(line, "$ ") {
					t.Errorf("%s: a command in a text block, which is never run: put it in a console block", where)
				}
			}
		default:
			t.Errorf("%s: code block of unknown kind %q; commands go in console or sh blocks", where, b.lang)
		}
	}
}

// itoa formats a line number.
func itoa(n int) string { return strconv.Itoa(n) }

// perfCommand matches the commands the sh blocks of performance.md may show
// without the docs test running them. That page and the benchmarks belong
// to the benchmark work, and its commands run elsewhere:
//
//   - "go run ./internal/perfreport" is the report generator, which wrote
//     the page's results and whose own test (internal/perfreport's
//     TestQuickRun) runs it;
//   - "go test -run '^$' -bench ... ./mptcp" (or ./pm) runs benchmarks of
//     those packages, each of which .ci/run's benchmark step runs once
//     (go test -run '^$' -bench . -benchtime 1x ./...); running them again
//     here for seconds each would only repeat that;
//   - "go tool pprof ..." reads the profile the go test line before it in
//     the same block wrote.
var perfCommand = regexp.MustCompile(`^(go run \./internal/perfreport|go test -run '\^\$' -bench \S.* \./(mptcp|pm)( .*)?|go tool pprof .*)$`)

// perfCovered reports whether a line of an sh block of performance.md is a
// command perfCommand accounts for; blank lines pass.
func perfCovered(line string) bool {
	line = strings.TrimSpace(line)
	if c, _, ok := strings.Cut(line, " #"); ok {
		line = strings.TrimSpace(c)
	}
	return line == "" || perfCommand.MatchString(line)
}

// TestCommandsShown runs every command the console blocks show, from the
// repository root, and compares its output with the page.
func TestCommandsShown(t *testing.T) {
	var all []shown
	for _, b := range allBlocks(t) {
		if b.lang == "console" {
			all = append(all, commands(b)...)
		}
	}
	if len(all) == 0 {
		t.Skip("no commands shown yet")
	}
	// The examples build network namespaces and set sysctls: root, and
	// under CI=true a skip is a failure.
	nstest.Require(t)
	for _, s := range all {
		t.Run(s.page+":"+s.cmd, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-c", s.cmd)
			cmd.Dir = ".."
			ownGroup(cmd)
			out, _ := cmd.CombinedOutput()
			got := splitOutput(string(out))
			if s.skipIf != "" && slices.Contains(got, s.skipIf) {
				t.Skipf("%s:%d: the command printed %q", s.page, s.line, s.skipIf)
			}
			if !matchLines(s.want, got) {
				t.Errorf("%s:%d: $ %s\nthe page shows:\n%s\nit prints:\n%s", s.page, s.line, s.cmd,
					strings.Join(s.want, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

// TestShellBlocks runs every sh block that is not marked "not run", except
// those of performance.md (see perfCommand), as one bash script in a fresh
// network namespace, after the setup its marker gives, and requires exit
// status 0.
func TestShellBlocks(t *testing.T) {
	var run []block
	for _, b := range allBlocks(t) {
		if b.lang == "sh" && b.page != "performance.md" && !strings.HasPrefix(b.marker, "not run: ") {
			run = append(run, b)
		}
	}
	if len(run) == 0 {
		t.Skip("no sh blocks")
	}
	// unshare -n and the commands the blocks show (sysctl -w, ip route,
	// ip mptcp endpoint) need root.
	nstest.Require(t)
	for _, b := range run {
		t.Run(b.page+":"+itoa(b.line), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			setup, _ := strings.CutPrefix(b.marker, "setup: ")
			// -x shows each command before it runs, so a failure
			// message says which one failed.
			script := "set -e -o pipefail\nip link set lo up\n" +
				"if ! { true\n" + setup + "\n}; then echo setup failed; exit 99; fi\n" +
				"set -x\n" + strings.Join(b.text, "\n") + "\n"
			cmd := exec.CommandContext(ctx, "unshare", "-n", "bash", "-c", script)
			cmd.Dir = ".."
			ownGroup(cmd)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s:%d: the sh block failed in a fresh network namespace: %v\nsetup: %s\n%s", b.page, b.line, err, setup, out)
			}
		})
	}
}

// mdLink matches a Markdown link's target.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestLinks checks that every relative link in the pages and in the
// README leads to a file or folder that exists.
func TestLinks(t *testing.T) {
	for _, p := range append(pages(t), "../README.md") {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), target)); err != nil {
				t.Errorf("%s: link to %s: %v", p, m[1], err)
			}
		}
	}
}

func TestMatchLines(t *testing.T) {
	for _, tc := range []struct {
		want, got []string
		ok        bool
	}{
		{[]string{"a <n> c"}, []string{"a 42 c"}, true},
		{[]string{"a <n> c"}, []string{"a 4 2 c"}, false},
		{[]string{"x", "...", "z"}, []string{"x", "1", "2", "z"}, true},
		{[]string{"x", "...", "z"}, []string{"x", "z"}, true},
		{[]string{"x", "...", "z"}, []string{"x", "y"}, false},
		{[]string{"a.b"}, []string{"axb"}, false},
		{[]string{"trailing  "}, []string{"trailing"}, true},
		{nil, nil, true},
		{nil, []string{"extra"}, false},
		{[]string{"a … z"}, []string{"a b c z"}, true},
		{[]string{"a … z"}, []string{"a b c"}, false},
		{[]string{"token:<t> …"}, []string{"token:1f x y"}, true},
	} {
		if got := matchLines(tc.want, tc.got); got != tc.ok {
			t.Errorf("matchLines(%q, %q) = %v, want %v", tc.want, tc.got, got, tc.ok)
		}
	}
}
