package mptcp

import "fmt"

// Status says whether a connection uses MPTCP.
type Status uint8

const (
	// StatusUnknown is the zero value; no call returns it without an error.
	StatusUnknown Status = iota
	// StatusMPTCP means the connection uses MPTCP now.
	StatusMPTCP
	// StatusFallback means the socket was created as MPTCP but the connection
	// fell back to plain TCP: the peer does not support MPTCP, a middlebox
	// removed the option, or, on a server, the client did not ask for it on
	// an MPTCP listener whose kernel reports it that way.
	StatusFallback
	// StatusTCP means the socket is plain TCP: it was never MPTCP, for
	// example a connection accepted from a client that did not request MPTCP
	// or one made with MPTCP disabled.
	StatusTCP
)

// String returns "mptcp", "fallback", "tcp" or "unknown".
func (s Status) String() string {
	switch s {
	case StatusUnknown:
		return "unknown"
	case StatusMPTCP:
		return "mptcp"
	case StatusFallback:
		return "fallback"
	case StatusTCP:
		return "tcp"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}
