package labtest

import (
	"fmt"
	"os"
	"testing"
)

// Kernel returns the running kernel's version as major*100+minor, 618 for
// 6.18.44, read from /proc/sys/kernel/osrelease; it fails the test if that
// cannot be read.
func Kernel(t testing.TB) int {
	t.Helper()
	var major, minor int
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err == nil {
		_, err = fmt.Sscanf(string(b), "%d.%d", &major, &minor)
	}
	if err != nil {
		t.Fatalf("kernel release: %v", err)
	}
	return major*100 + minor
}
