// Package docs holds the documentation's tests: every command shown in a
// page is run and its output compared with what the page shows, and every
// relative link must lead to a file that exists.
package docs

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/multipath-dev/go/internal/nstest"
)

// A shown command is one "$ " line of a ```console block and the output
// lines that follow it.
type shown struct {
	page string
	line int
	cmd  string
	want []string
}

// consoleBlocks returns the commands shown in the ```console blocks of the
// Markdown file at path.
func consoleBlocks(t *testing.T, path string) []shown {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []shown
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "```console":
			in = true
		case in && strings.TrimSpace(line) == "```":
			in = false
		case in && strings.HasPrefix(line, "$ "):
			out = append(out, shown{page: filepath.Base(path), line: n, cmd: strings.TrimPrefix(line, "$ ")})
		case in && len(out) > 0:
			out[len(out)-1].want = append(out[len(out)-1].want, line)
		}
	}
	if in {
		t.Errorf("%s: a ```console block is not closed", path)
	}
	return out
}

// placeholder matches a <word> in shown output, which stands for any run of
// characters other than spaces.
var placeholder = regexp.MustCompile(`<[^<>\s]+>`)

// linePattern turns one line of shown output into a regular expression.
func linePattern(want string) *regexp.Regexp {
	want = strings.TrimRight(want, " \t")
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range placeholder.FindAllStringIndex(want, -1) {
		b.WriteString(regexp.QuoteMeta(want[last:m[0]]))
		b.WriteString(`\S+`)
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

// TestCommandsShown runs every command the pages show, from the
// repository root, and compares its output with the page.
func TestCommandsShown(t *testing.T) {
	var all []shown
	for _, p := range pages(t) {
		all = append(all, consoleBlocks(t, p)...)
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
			out, _ := cmd.CombinedOutput()
			if got := splitOutput(string(out)); !matchLines(s.want, got) {
				t.Errorf("%s:%d: $ %s\nthe page shows:\n%s\nit prints:\n%s", s.page, s.line, s.cmd,
					strings.Join(s.want, "\n"), strings.Join(got, "\n"))
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
	} {
		if got := matchLines(tc.want, tc.got); got != tc.ok {
			t.Errorf("matchLines(%q, %q) = %v, want %v", tc.want, tc.got, got, tc.ok)
		}
	}
}
