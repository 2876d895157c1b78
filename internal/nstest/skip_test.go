package nstest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/multipath-dev/go/internal/nstest"
)

// recordingTB is a testing.TB whose Fatalf and Skipf only record the
// message, so Skip's choice between them can be observed.
type recordingTB struct {
	testing.TB
	fatal, skip []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = append(r.fatal, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skip = append(r.skip, fmt.Sprintf(format, args...))
}

func TestSkip(t *testing.T) {
	for _, tc := range []struct {
		ci        string
		wantFatal bool
	}{
		{ci: "true", wantFatal: true},
		{ci: "", wantFatal: false},
		{ci: "false", wantFatal: false},
		{ci: "1", wantFatal: false}, // Only the exact value true counts.
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recordingTB{TB: t}
			nstest.Skip(r, "no %s here", "kernel")
			want := []string{"no kernel here"}
			got := r.skip
			if tc.wantFatal {
				want, got = []string{"namespace test skipped in CI: no kernel here"}, r.fatal
				if len(r.skip) != 0 {
					t.Errorf("Skipf called too: %q", r.skip)
				}
			} else if len(r.fatal) != 0 {
				t.Errorf("Fatalf called: %q", r.fatal)
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
