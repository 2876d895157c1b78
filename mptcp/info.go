package mptcp

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/multipath-dev/go/internal/unix"
)

// Info is struct mptcp_info, the connection-level state the kernel reports
// through getsockopt(SOL_MPTCP, MPTCP_INFO), in a form that does not depend
// on the platform.
//
// The structure grew over kernel releases. Len is the number of bytes the
// running kernel returned, and Has reports whether a field was among them: a
// field the kernel lacks is absent, not zero. Field names follow the kernel's
// 6.18 names; the older names are given in each comment.
type Info struct {
	// Len is how many bytes of struct mptcp_info the kernel returned: 48 on
	// 5.16–6.4, 80 on 6.5–6.7, 88 on 6.8–6.9 and 96 from 6.10.
	Len int

	// ExtraSubflows is mptcpi_subflows: the subflows beyond the initial one.
	// Subflows gives the count users usually mean.
	ExtraSubflows uint8
	// AddAddrSignal is how many ADD_ADDR this side sent.
	AddAddrSignal uint8
	// AddAddrAccepted is how many ADD_ADDR from the peer were used.
	AddAddrAccepted uint8
	// LimitExtraSubflows (mptcpi_subflows_max) is the in-kernel path
	// manager's subflows limit; 0 on listeners and with the userspace PM.
	LimitExtraSubflows uint8
	// EndpSignalMax (mptcpi_add_addr_signal_max) is the number of signal
	// endpoints.
	EndpSignalMax uint8
	// LimitAddAddrAccepted (mptcpi_add_addr_accepted_max) is the
	// add_addr_accepted limit.
	LimitAddAddrAccepted uint8
	// Flags holds mptcpi_flags.
	Flags InfoFlags
	// Token is the local connection token, the same value path-manager
	// netlink events carry.
	Token uint32
	// WriteSeq is the MPTCP-level sequence number of the next byte to write.
	WriteSeq uint64
	// SndUna is the MPTCP-level sequence number of the oldest unacked byte.
	SndUna uint64
	// RcvNxt is the MPTCP-level sequence number of the next byte expected.
	RcvNxt uint64

	// LocalAddrUsed is the number of subflow endpoints in use (5.12).
	LocalAddrUsed uint8
	// EndpSubflowMax (mptcpi_local_addr_max) is the number of subflow
	// endpoints (5.12).
	EndpSubflowMax uint8
	// ChecksumEnabled reports whether DSS checksums were negotiated (5.14).
	ChecksumEnabled bool

	// Retransmits counts MPTCP-level retransmissions (6.5).
	Retransmits uint32
	// BytesRetrans counts bytes retransmitted at the MPTCP level (6.5).
	BytesRetrans uint64
	// BytesSent counts bytes sent at the MPTCP level (6.5).
	BytesSent uint64
	// BytesReceived counts bytes received at the MPTCP level (6.5).
	BytesReceived uint64
	// BytesAcked counts bytes acknowledged by the peer (6.5).
	BytesAcked uint64

	// SubflowsTotal counts all subflows, the initial one included while it
	// is still attached (6.8).
	SubflowsTotal uint8
	// EndpLaminarMax is the number of laminar endpoints (6.18).
	EndpLaminarMax uint8
	// EndpFullmeshMax is the number of fullmesh endpoints (6.19).
	EndpFullmeshMax uint8

	// LastDataSent is the time since data was last sent (6.10).
	LastDataSent time.Duration
	// LastDataRecv is the time since data was last received (6.10).
	LastDataRecv time.Duration
	// LastAckRecv is the time since an ack was last received (6.10).
	LastAckRecv time.Duration
}

// InfoFlags holds the bits of mptcpi_flags.
type InfoFlags uint32

const (
	// InfoFlagFallback is set when the connection fell back to TCP. Only
	// inet_diag shows it: getsockopt fails on such a connection instead.
	InfoFlagFallback InfoFlags = unix.MPTCP_INFO_FLAG_FALLBACK
	// InfoFlagRemoteKeyReceived is set once the peer's key was received.
	InfoFlagRemoteKeyReceived InfoFlags = unix.MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED
)

// String lists the set flags joined by "|", for example
// "remote_key_received", with unknown bits in hexadecimal.
func (f InfoFlags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	if f&InfoFlagFallback != 0 {
		parts = append(parts, "fallback")
	}
	if f&InfoFlagRemoteKeyReceived != 0 {
		parts = append(parts, "remote_key_received")
	}
	if rest := f &^ (InfoFlagFallback | InfoFlagRemoteKeyReceived); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint32(rest)))
	}
	return strings.Join(parts, "|")
}

// InfoField names a field of Info that a kernel may lack, for Info.Has.
type InfoField uint8

// The fields of Info, in the order of struct mptcp_info, for Info.Has.
const (
	// FieldExtraSubflows names Info.ExtraSubflows.
	FieldExtraSubflows InfoField = iota
	// FieldAddAddrSignal names Info.AddAddrSignal.
	FieldAddAddrSignal
	// FieldAddAddrAccepted names Info.AddAddrAccepted.
	FieldAddAddrAccepted
	// FieldLimitExtraSubflows names Info.LimitExtraSubflows.
	FieldLimitExtraSubflows
	// FieldEndpSignalMax names Info.EndpSignalMax.
	FieldEndpSignalMax
	// FieldLimitAddAddrAccepted names Info.LimitAddAddrAccepted.
	FieldLimitAddAddrAccepted
	// FieldFlags names Info.Flags.
	FieldFlags
	// FieldToken names Info.Token.
	FieldToken
	// FieldWriteSeq names Info.WriteSeq.
	FieldWriteSeq
	// FieldSndUna names Info.SndUna.
	FieldSndUna
	// FieldRcvNxt names Info.RcvNxt.
	FieldRcvNxt
	// FieldLocalAddrUsed names Info.LocalAddrUsed.
	FieldLocalAddrUsed
	// FieldEndpSubflowMax names Info.EndpSubflowMax.
	FieldEndpSubflowMax
	// FieldChecksumEnabled names Info.ChecksumEnabled.
	FieldChecksumEnabled
	// FieldRetransmits names Info.Retransmits.
	FieldRetransmits
	// FieldBytesRetrans names Info.BytesRetrans.
	FieldBytesRetrans
	// FieldBytesSent names Info.BytesSent.
	FieldBytesSent
	// FieldBytesReceived names Info.BytesReceived.
	FieldBytesReceived
	// FieldBytesAcked names Info.BytesAcked.
	FieldBytesAcked
	// FieldSubflowsTotal names Info.SubflowsTotal.
	FieldSubflowsTotal
	// FieldEndpLaminarMax names Info.EndpLaminarMax.
	FieldEndpLaminarMax
	// FieldEndpFullmeshMax names Info.EndpFullmeshMax.
	FieldEndpFullmeshMax
	// FieldLastDataSent names Info.LastDataSent.
	FieldLastDataSent
	// FieldLastDataRecv names Info.LastDataRecv.
	FieldLastDataRecv
	// FieldLastAckRecv names Info.LastAckRecv.
	FieldLastAckRecv
	numInfoFields
)

// infoLayout is the offset and size of each field in struct mptcp_info,
// indexed by InfoField.
var infoLayout = [numInfoFields]struct{ off, size uint8 }{
	FieldExtraSubflows:        {0, 1},
	FieldAddAddrSignal:        {1, 1},
	FieldAddAddrAccepted:      {2, 1},
	FieldLimitExtraSubflows:   {3, 1},
	FieldEndpSignalMax:        {4, 1},
	FieldLimitAddAddrAccepted: {5, 1},
	FieldFlags:                {8, 4},
	FieldToken:                {12, 4},
	FieldWriteSeq:             {16, 8},
	FieldSndUna:               {24, 8},
	FieldRcvNxt:               {32, 8},
	FieldLocalAddrUsed:        {40, 1},
	FieldEndpSubflowMax:       {41, 1},
	FieldChecksumEnabled:      {42, 1},
	FieldRetransmits:          {44, 4},
	FieldBytesRetrans:         {48, 8},
	FieldBytesSent:            {56, 8},
	FieldBytesReceived:        {64, 8},
	FieldBytesAcked:           {72, 8},
	FieldSubflowsTotal:        {80, 1},
	FieldEndpLaminarMax:       {81, 1},
	FieldEndpFullmeshMax:      {82, 1},
	FieldLastDataSent:         {84, 4},
	FieldLastDataRecv:         {88, 4},
	FieldLastAckRecv:          {92, 4},
}

var infoFieldNames = [numInfoFields]string{
	"extra_subflows", "add_addr_signal", "add_addr_accepted", "limit_extra_subflows",
	"endp_signal_max", "limit_add_addr_accepted", "flags", "token", "write_seq",
	"snd_una", "rcv_nxt", "local_addr_used", "endp_subflow_max", "csum_enabled",
	"retransmits", "bytes_retrans", "bytes_sent", "bytes_received", "bytes_acked",
	"subflows_total", "endp_laminar_max", "endp_fullmesh_max", "last_data_sent",
	"last_data_recv", "last_ack_recv",
}

// String returns the kernel's name for the field without the mptcpi_ prefix.
func (f InfoField) String() string {
	if f < numInfoFields {
		return infoFieldNames[f]
	}
	return fmt.Sprintf("InfoField(%d)", uint8(f))
}

// Has reports whether the kernel returned field f: whether the field lies
// within Len and, for a reply of 40 bytes or more, whether the struct
// mptcp_info of the kernel that added the field fits in Len.
//
// Why not the field's own offset: older structs end in padding the kernel
// zeroes (the 48-byte 5.12 struct covers where retransmits later went), so
// a field can lie within Len on a kernel that lacks it. And EndpLaminarMax
// (6.18) and EndpFullmeshMax (6.19) sit in bytes 6.10–6.17 reserved and
// return as 0; Has cannot tell those apart and reports them from 6.10 on.
func (i *Info) Has(f InfoField) bool {
	if f >= numInfoFields {
		return false
	}
	l := infoLayout[f]
	if int(l.off)+int(l.size) > i.Len {
		return false
	}
	// Below 40 bytes the buffer was cut short by the caller, not by the
	// kernel generation: what fits is there.
	return i.Len < 40 || int(infoSince[f]) <= i.Len
}

// infoSince is, for each field, sizeof(struct mptcp_info) on the first
// kernel that had it: 40 on 5.9, 48 on 5.12 and 5.14, 80 on 6.5, 88 on 6.8
// and 96 on 6.10.
var infoSince = [numInfoFields]uint8{
	FieldLocalAddrUsed: 48, FieldEndpSubflowMax: 48, FieldChecksumEnabled: 48,
	FieldRetransmits: 80, FieldBytesRetrans: 80, FieldBytesSent: 80, FieldBytesReceived: 80, FieldBytesAcked: 80,
	FieldSubflowsTotal:  88,
	FieldEndpLaminarMax: 96, FieldEndpFullmeshMax: 96, FieldLastDataSent: 96, FieldLastDataRecv: 96, FieldLastAckRecv: 96,
}

func init() {
	for f := range infoSince {
		if infoSince[f] == 0 {
			infoSince[f] = 40
		}
	}
}

// Subflows returns the number of subflows users usually mean: all of them,
// the initial one included. It is SubflowsTotal where the kernel has it
// (6.8), else ExtraSubflows+1, which counts the initial subflow even after
// it was closed. On a listener, SubflowsTotal is 0, though SubflowsOf lists
// the listener's one LISTEN subflow.
func (i *Info) Subflows() int {
	if i.Has(FieldSubflowsTotal) {
		return int(i.SubflowsTotal)
	}
	return int(i.ExtraSubflows) + 1
}

// wholeFields returns the length of the longest prefix of struct
// mptcp_info, at most n bytes, that ends at a field boundary.
func wholeFields(n int) int {
	end := 0
	for _, l := range infoLayout {
		if e := int(l.off) + int(l.size); e <= n && e > end {
			end = e
		}
	}
	return end
}

// parseInfo decodes struct mptcp_info from b, the bytes the kernel returned.
// Fields beyond len(b) are left zero and reported absent by Has. Bytes beyond
// the known layout, from a newer kernel, are ignored.
func parseInfo(b []byte, i *Info) {
	*i = Info{Len: min(len(b), unix.SizeofMPTCPInfo)}
	// A fixed-size copy keeps every read below in bounds without checks. It
	// stops at the last whole field, so a field cut short stays zero.
	var buf [unix.SizeofMPTCPInfo]byte
	copy(buf[:], b[:wholeFields(len(b))])
	le := binary.NativeEndian
	i.ExtraSubflows = buf[0]
	i.AddAddrSignal = buf[1]
	i.AddAddrAccepted = buf[2]
	i.LimitExtraSubflows = buf[3]
	i.EndpSignalMax = buf[4]
	i.LimitAddAddrAccepted = buf[5]
	i.Flags = InfoFlags(le.Uint32(buf[8:]))
	i.Token = le.Uint32(buf[12:])
	i.WriteSeq = le.Uint64(buf[16:])
	i.SndUna = le.Uint64(buf[24:])
	i.RcvNxt = le.Uint64(buf[32:])
	i.LocalAddrUsed = buf[40]
	i.EndpSubflowMax = buf[41]
	i.ChecksumEnabled = buf[42] != 0
	i.Retransmits = le.Uint32(buf[44:])
	i.BytesRetrans = le.Uint64(buf[48:])
	i.BytesSent = le.Uint64(buf[56:])
	i.BytesReceived = le.Uint64(buf[64:])
	i.BytesAcked = le.Uint64(buf[72:])
	i.SubflowsTotal = buf[80]
	i.EndpLaminarMax = buf[81]
	i.EndpFullmeshMax = buf[82]
	i.LastDataSent = time.Duration(le.Uint32(buf[84:])) * time.Millisecond
	i.LastDataRecv = time.Duration(le.Uint32(buf[88:])) * time.Millisecond
	i.LastAckRecv = time.Duration(le.Uint32(buf[92:])) * time.Millisecond
}
