//go:build !linux

package netlab

import (
	"errors"
	"fmt"
)

// errNotLinux is what every constructor and method returns off Linux.
var errNotLinux = fmt.Errorf("netlab: network namespaces need Linux: %w", errors.ErrUnsupported)

// NS is a named network namespace; off Linux none can be made.
type NS struct {
	// Name is the namespace's name as `ip netns list` shows it.
	Name string
}

// NewNS would create a network namespace; off Linux it returns an error
// matching [errors.ErrUnsupported].
func NewNS(prefix string) (*NS, error) { return nil, errNotLinux }

// RemoveStale would delete namespaces left by dead processes; off Linux
// there are none, so it returns nil.
func RemoveStale(prefix string) []string { return nil }

// Link would create a veth path; off Linux it returns an error matching
// [errors.ErrUnsupported].
func Link(a, b *NS, index int) (*Path, error) { return nil, errNotLinux }

// TwoHosts would build a [Topology]; off Linux it returns an error matching
// [errors.ErrUnsupported].
func TwoHosts(prefix string, n int) (*Topology, error) { return nil, errNotLinux }

// Delete would delete the namespace; off Linux it returns an error.
func (ns *NS) Delete() error { return errNotLinux }

// Do would run fn inside the namespace; off Linux it returns an error
// without calling fn.
func (ns *NS) Do(fn func() error) error { return errNotLinux }

// Run would run a command inside the namespace; off Linux it returns an
// error.
func (ns *NS) Run(name string, args ...string) (string, error) { return "", errNotLinux }

// SetSysctl would write a sysctl inside the namespace; off Linux it returns
// an error.
func (ns *NS) SetSysctl(key, value string) error { return errNotLinux }

// Sysctl would read a sysctl inside the namespace; off Linux it returns an
// error.
func (ns *NS) Sysctl(key string) (string, error) { return "", errNotLinux }

// Counter would read a kernel counter inside the namespace; off Linux it
// returns an error.
func (ns *NS) Counter(name string) (uint64, error) { return 0, errNotLinux }

// SourceRoute would add the path's source routes; off Linux it returns an
// error.
func (p *Path) SourceRoute() error { return errNotLinux }

// Shape would limit the path's rate; off Linux it returns an error.
func (p *Path) Shape(rate string) error { return errNotLinux }

// Cut would take the path down; off Linux it returns an error.
func (p *Path) Cut() error { return errNotLinux }

// Restore would bring the path back up; off Linux it returns an error.
func (p *Path) Restore() error { return errNotLinux }
