package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickRun runs the command as `-quick` does (every benchmark once,
// -benchtime 1x) into a copy of docs/performance.md and checks that the
// copy's generated section holds every figure of the report. It needs root
// and takes about half a minute; -short skips it.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every benchmark once (about 30 s)")
	}
	if os.Geteuid() != 0 {
		t.Skip("the namespace benchmarks need root")
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "docs", "performance.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(t.TempDir(), "performance.md")
	if err := os.WriteFile(doc, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	o := options{quick: true, pkgs: []string{"./mptcp", "./pm"}, doc: doc, args: []string{"-quick"}}
	if err := run(o, io.Writer(&log)); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	got, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	section, err := Section(string(got))
	if err != nil {
		t.Fatal(err)
	}
	// Outside the markers nothing changed.
	old, err := Section(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Replace(string(got), section, old, 1) != string(src) {
		t.Error("the command changed text outside the markers")
	}
	for _, r := range ratioRows {
		if !strings.Contains(section, "| `"+benchName(r.key)+"` |") {
			t.Errorf("no row for %s", r.key)
		}
	}
	for _, s := range []string{"| 2 | ", "| 4 | ", "Each benchmark ran once", "`go run ./internal/perfreport -quick`"} {
		if !strings.Contains(section, s) {
			t.Errorf("section lacks %q", s)
		}
	}
}
