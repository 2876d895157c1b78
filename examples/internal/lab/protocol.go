package lab

import "fmt"

// The protocol numbers Protocol returns.
const (
	// ProtoTCP is IPPROTO_TCP.
	ProtoTCP = 6
	// ProtoMPTCP is IPPROTO_MPTCP.
	ProtoMPTCP = 262
)

// ProtocolName returns the constant's name for a protocol number Protocol
// returned: "IPPROTO_MPTCP", "IPPROTO_TCP", or "protocol N".
func ProtocolName(proto int) string {
	switch proto {
	case ProtoMPTCP:
		return "IPPROTO_MPTCP"
	case ProtoTCP:
		return "IPPROTO_TCP"
	}
	return fmt.Sprintf("protocol %d", proto)
}
