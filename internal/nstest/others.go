//go:build !linux

package nstest

import (
	"errors"
	"testing"
)

// notLinux is the reason every namespace helper gives off Linux.
const notLinux = "network namespaces need Linux"

// errNotLinux is what the error-returning methods return off Linux.
var errNotLinux = errors.New("nstest: " + notLinux)

// Require checks the preconditions of namespace tests; off Linux it always
// calls [Skip].
func Require(t testing.TB) {
	t.Helper()
	Skip(t, notLinux)
}

// New would create a network namespace; off Linux it calls [Skip] and
// returns nil.
func New(t testing.TB) *NS {
	t.Helper()
	Skip(t, notLinux)
	return nil
}

// TwoHosts would build a [Topology]; off Linux it calls [Skip] and returns
// nil.
func TwoHosts(t testing.TB, n int) *Topology {
	t.Helper()
	Skip(t, notLinux)
	return nil
}

// Link would create a veth path; off Linux it calls [Skip] and returns nil.
func Link(t testing.TB, a, b *NS, index int) *Path {
	t.Helper()
	Skip(t, notLinux)
	return nil
}

// Do would run fn inside the namespace; off Linux it returns an error.
func (ns *NS) Do(fn func() error) error { return errNotLinux }

// Run would run a command inside the namespace; off Linux it returns an
// error.
func (ns *NS) Run(name string, args ...string) (string, error) { return "", errNotLinux }

// MustRun would run a command inside the namespace; off Linux it calls
// [Skip].
func (ns *NS) MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	Skip(t, notLinux)
	return ""
}

// Sysctl would write a sysctl inside the namespace; off Linux it calls
// [Skip].
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	Skip(t, notLinux)
}

// ReadSysctl would read a sysctl inside the namespace; off Linux it calls
// [Skip].
func (ns *NS) ReadSysctl(t testing.TB, key string) string {
	t.Helper()
	Skip(t, notLinux)
	return ""
}

// Counter would read a kernel counter inside the namespace; off Linux it
// calls [Skip].
func (ns *NS) Counter(t testing.TB, name string) uint64 {
	t.Helper()
	Skip(t, notLinux)
	return 0
}

// Shape would limit the path's rate; off Linux it calls [Skip].
func (p *Path) Shape(t testing.TB, rate string) {
	t.Helper()
	Skip(t, notLinux)
}

// Cut would take the path down; off Linux it calls [Skip].
func (p *Path) Cut(t testing.TB) {
	t.Helper()
	Skip(t, notLinux)
}

// Restore would bring the path back up; off Linux it calls [Skip].
func (p *Path) Restore(t testing.TB) {
	t.Helper()
	Skip(t, notLinux)
}
