package docs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tourPrelude wraps each Go snippet of the README: the snippets are function
// bodies with ctx and addr in scope that return an error.
const tourPrelude = `package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

var (
	_ = context.Background
	_ = errors.Is
	_ = fmt.Println
	_ = net.Dial
	_ = netip.MustParseAddr
	_ = os.Exit
	_ = time.Second
	_ = mptcp.Available
	_ = pm.Dial
)

func main() {}
`

// TestReadmeTourCompiles compiles every Go snippet of README.md, so that a
// reader can paste them into a function and build.
func TestReadmeTourCompiles(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 2 {
		t.Fatalf("%d Go snippets in README.md; want the mptcp and pm tours", len(blocks))
	}
	var src strings.Builder
	src.WriteString(tourPrelude)
	for i, m := range blocks {
		fmt.Fprintf(&src, "\nfunc snippet%d(ctx context.Context, addr string) error {\n%s\treturn nil\n}\n", i, m[1])
	}
	// A directory inside the module, so that the snippets import this
	// module's packages; the leading dot keeps it out of ./... patterns.
	dir, err := os.MkdirTemp("..", ".readme-tour-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "vet", "./"+filepath.Base(dir))
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the README's Go snippets do not build: %v\n%s\nsource:\n%s", err, out, src.String())
	}
}
