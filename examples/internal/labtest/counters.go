package labtest

import (
	"slices"
	"testing"

	"github.com/multipath-dev/go/internal/nstest"
)

// WantCounters fails the test unless every kernel counter named in want,
// such as "MPTcpExtMPCapableSYNTX", has that value in ns, as
// nstest.NS.Counter reads it. out, what the example printed, is shown with
// a mismatch.
func WantCounters(t testing.TB, ns *nstest.NS, out string, want map[string]uint64) {
	t.Helper()
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if got := ns.Counter(t, name); got != want[name] {
			t.Errorf("%s = %d, want %d\n%s", name, got, want[name], out)
		}
	}
}
