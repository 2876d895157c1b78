package mptcp

import "fmt"

// Policy says what a Dialer or ListenConfig does when MPTCP cannot be used.
type Policy uint8

const (
	// Prefer uses MPTCP, and plain TCP only when MPTCP itself is unavailable
	// on this host (see Available). A connect error is never retried as TCP.
	// It is the zero value.
	Prefer Policy = iota
	// Require uses MPTCP or fails: with an error matching ErrUnavailable when
	// MPTCP sockets cannot be created, and, for a Dialer, with an error
	// matching ErrFallback when the peer did not agree to MPTCP.
	Require
	// Disable uses plain TCP.
	Disable
)

// String returns "prefer", "require" or "disable".
func (p Policy) String() string {
	switch p {
	case Prefer:
		return "prefer"
	case Require:
		return "require"
	case Disable:
		return "disable"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

func (p Policy) valid() bool { return p <= Disable }
