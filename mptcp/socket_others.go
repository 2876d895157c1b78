//go:build !linux

package mptcp

import (
	"errors"
	"syscall"
)

// available reports that MPTCP is a Linux feature.
func available() error {
	return &UnavailableError{Reason: ReasonUnsupportedOS, Err: errors.ErrUnsupported}
}

// useMPTCP leaves the socket plain TCP under Prefer and fails under Require.
func useMPTCP(_ syscall.RawConn, _ string, p Policy, _ bool) error {
	if p == Prefer {
		return nil
	}
	return available()
}
