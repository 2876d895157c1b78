//go:build !linux

package nstest

import "testing"

// Require checks the preconditions of namespace tests; off Linux it always
// calls [Skip].
func Require(t testing.TB) {
	t.Helper()
	Skip(t, notLinux)
}
