package nstest

import (
	"fmt"
	"os"
	"testing"
)

// Skip skips the test with the formatted reason, except when the
// environment has CI=true: there a namespace test that cannot run is a
// broken CI machine rather than an optional test, so Skip calls t.Fatalf
// with "namespace test skipped in CI: <reason>" instead.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("namespace test skipped in CI: %s", reason)
		return // Only reached with a fake testing.TB whose Fatalf returns.
	}
	t.Skipf("%s", reason)
}
