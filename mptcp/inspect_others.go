//go:build !linux

package mptcp

import (
	"errors"
	"fmt"
	"runtime"
)

// errIntrospection is returned by every introspection call on systems other
// than Linux.
var errIntrospection = fmt.Errorf("mptcp: connection introspection is not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

type inspector struct{}

func (in *Inspector) init() error             { return errIntrospection }
func (in *Inspector) status() (Status, error) { return StatusUnknown, errIntrospection }
func (in *Inspector) info(*Info) error        { return errIntrospection }
func (in *Inspector) snapshot(_ *Info, dst []Subflow) ([]Subflow, error) {
	return dst, errIntrospection
}

func (in *Inspector) listening() bool { return false }
