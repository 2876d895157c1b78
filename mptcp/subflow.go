package mptcp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/multipath-dev/go/internal/unix"
)

// Subflow describes one TCP subflow of an MPTCP connection: its addresses and
// the TCP_INFO values most often asked for.
type Subflow struct {
	// ID is the kernel's subflow id; the initial subflow is 1. It is 0 on
	// kernels before 6.5, which do not report it.
	ID uint32
	// Local and Remote are the subflow's addresses and ports.
	Local, Remote netip.AddrPort

	// State is the TCP state of the subflow.
	State TCPState
	// RTT is the smoothed round-trip time, and RTTVar its variance.
	RTT, RTTVar time.Duration
	// SndCwnd is the congestion window in segments.
	SndCwnd uint32
	// SndMSS is the sender's maximum segment size in bytes.
	SndMSS uint32
	// BytesSent, BytesReceived, BytesAcked and BytesRetrans are the subflow's
	// TCP byte counters.
	BytesSent, BytesReceived, BytesAcked, BytesRetrans uint64
	// DeliveryRate is the most recent delivery rate, in bytes per second.
	DeliveryRate uint64
	// LastDataSent and LastDataRecv are the times since data was last sent
	// and received on this subflow.
	LastDataSent, LastDataRecv time.Duration
}

// TCPState is a TCP state as tcp_info reports it.
type TCPState uint8

// TCP states, numbered as in the kernel's tcp_states.h.
const (
	// TCPEstablished is the ESTABLISHED state.
	TCPEstablished TCPState = 1 + iota
	// TCPSynSent is the SYN-SENT state.
	TCPSynSent
	// TCPSynRecv is the SYN-RECV state.
	TCPSynRecv
	// TCPFinWait1 is the FIN-WAIT-1 state.
	TCPFinWait1
	// TCPFinWait2 is the FIN-WAIT-2 state.
	TCPFinWait2
	// TCPTimeWait is the TIME-WAIT state.
	TCPTimeWait
	// TCPClose is the CLOSE state.
	TCPClose
	// TCPCloseWait is the CLOSE-WAIT state.
	TCPCloseWait
	// TCPLastAck is the LAST-ACK state.
	TCPLastAck
	// TCPListen is the LISTEN state.
	TCPListen
	// TCPClosing is the CLOSING state.
	TCPClosing
	// TCPNewSynRecv is the NEW-SYN-RECV state.
	TCPNewSynRecv
	// TCPBoundInactive is the BOUND-INACTIVE state.
	TCPBoundInactive
)

var tcpStateNames = [...]string{
	TCPEstablished:   "ESTABLISHED",
	TCPSynSent:       "SYN-SENT",
	TCPSynRecv:       "SYN-RECV",
	TCPFinWait1:      "FIN-WAIT-1",
	TCPFinWait2:      "FIN-WAIT-2",
	TCPTimeWait:      "TIME-WAIT",
	TCPClose:         "CLOSE",
	TCPCloseWait:     "CLOSE-WAIT",
	TCPLastAck:       "LAST-ACK",
	TCPListen:        "LISTEN",
	TCPClosing:       "CLOSING",
	TCPNewSynRecv:    "NEW-SYN-RECV",
	TCPBoundInactive: "BOUND-INACTIVE",
}

// String returns the kernel's name for the state, for example "ESTABLISHED".
func (s TCPState) String() string {
	if int(s) < len(tcpStateNames) && tcpStateNames[s] != "" {
		return tcpStateNames[s]
	}
	return fmt.Sprintf("TCPState(%d)", uint8(s))
}

// Offsets in struct tcp_info. Its size grows with the kernel (232 bytes in
// glibc's copy, 280 on 6.18), so it is read by offset from the copied length.
const (
	tcpiState        = 0
	tcpiSndMSS       = 16
	tcpiLastDataSent = 44
	tcpiLastDataRecv = 52
	tcpiRTT          = 68
	tcpiRTTVar       = 72
	tcpiSndCwnd      = 80
	tcpiBytesAcked   = 120
	tcpiBytesRecv    = 128
	tcpiDeliveryRate = 160
	tcpiBytesSent    = 200
	tcpiBytesRetrans = 208
	// tcpInfoLen is how much of tcp_info this package asks for: up to
	// tcpi_snd_wnd, the size glibc's header has.
	tcpInfoLen = 232
)

// parseTCPInfo decodes the fields of struct tcp_info that Subflow carries.
// Fields beyond len(b) stay zero.
func parseTCPInfo(b []byte, sf *Subflow) {
	var buf [tcpInfoLen]byte
	copy(buf[:], b)
	ne := binary.NativeEndian
	us := func(off int) time.Duration { return time.Duration(ne.Uint32(buf[off:])) * time.Microsecond }
	ms := func(off int) time.Duration { return time.Duration(ne.Uint32(buf[off:])) * time.Millisecond }
	sf.State = TCPState(buf[tcpiState])
	sf.SndMSS = ne.Uint32(buf[tcpiSndMSS:])
	sf.LastDataSent = ms(tcpiLastDataSent)
	sf.LastDataRecv = ms(tcpiLastDataRecv)
	sf.RTT = us(tcpiRTT)
	sf.RTTVar = us(tcpiRTTVar)
	sf.SndCwnd = ne.Uint32(buf[tcpiSndCwnd:])
	sf.BytesAcked = ne.Uint64(buf[tcpiBytesAcked:])
	sf.BytesReceived = ne.Uint64(buf[tcpiBytesRecv:])
	sf.DeliveryRate = ne.Uint64(buf[tcpiDeliveryRate:])
	sf.BytesSent = ne.Uint64(buf[tcpiBytesSent:])
	sf.BytesRetrans = ne.Uint64(buf[tcpiBytesRetrans:])
}

// parseSockaddr decodes a sockaddr_in or sockaddr_in6 as the kernel writes it
// into struct mptcp_subflow_addrs: family in host order, port and address in
// network order. It returns the zero AddrPort for anything else.
func parseSockaddr(b []byte) netip.AddrPort {
	if len(b) < 2 {
		return netip.AddrPort{}
	}
	switch binary.NativeEndian.Uint16(b) {
	case unix.AF_INET:
		if len(b) < 8 {
			return netip.AddrPort{}
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:]))
	case unix.AF_INET6:
		if len(b) < 28 {
			return netip.AddrPort{}
		}
		a := netip.AddrFrom16([16]byte(b[8:24]))
		if scope := binary.NativeEndian.Uint32(b[24:]); scope != 0 && a.IsLinkLocalUnicast() {
			// The zone is the interface index; a name would need a lookup
			// in the connection's namespace.
			a = a.WithZone(strconv.FormatUint(uint64(scope), 10))
		}
		return netip.AddrPortFrom(a, binary.BigEndian.Uint16(b[2:]))
	}
	return netip.AddrPort{}
}

// parseSubflowAddrs decodes struct mptcp_subflow_addrs: the local sockaddr
// storage, then the remote one.
func parseSubflowAddrs(b []byte, sf *Subflow) {
	if len(b) > unix.SizeofSockaddrStorage {
		sf.Local = parseSockaddr(b[:unix.SizeofSockaddrStorage])
		sf.Remote = parseSockaddr(b[unix.SizeofSockaddrStorage:])
	} else {
		sf.Local = parseSockaddr(b)
	}
}

// subflowData is struct mptcp_subflow_data, the header of the MPTCP_TCPINFO
// and MPTCP_SUBFLOW_ADDRS replies.
type subflowData struct {
	sizeSubflowData uint32 // size of this header as user space knows it
	numSubflows     uint32 // out: total number of subflows
	sizeKernel      uint32 // out: the kernel's element size
	sizeUser        uint32 // in: element size asked for; out: bytes copied per element
}

func (h *subflowData) marshal(b []byte) {
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], h.sizeSubflowData)
	ne.PutUint32(b[4:], h.numSubflows)
	ne.PutUint32(b[8:], h.sizeKernel)
	ne.PutUint32(b[12:], h.sizeUser)
}

func (h *subflowData) unmarshal(b []byte) error {
	if len(b) < unix.SizeofMPTCPSubflowData {
		return fmt.Errorf("mptcp: subflow data header is %d bytes, want %d", len(b), unix.SizeofMPTCPSubflowData)
	}
	ne := binary.NativeEndian
	h.sizeSubflowData = ne.Uint32(b[0:])
	h.numSubflows = ne.Uint32(b[4:])
	h.sizeKernel = ne.Uint32(b[8:])
	h.sizeUser = ne.Uint32(b[12:])
	return nil
}

// parseSubflowArrays decodes the reply of MPTCP_TCPINFO (tcp) and
// MPTCP_SUBFLOW_ADDRS (addrs), each a header followed by elements, and
// appends one Subflow per element present in both to dst. The two calls are
// not one snapshot; the caller checks that they agree on the count.
func parseSubflowArrays(dst []Subflow, tcp, addrs []byte) ([]Subflow, error) {
	var th, ah subflowData
	if err := th.unmarshal(tcp); err != nil {
		return dst, err
	}
	if err := ah.unmarshal(addrs); err != nil {
		return dst, err
	}
	tEl, err := elements(tcp, &th)
	if err != nil {
		return dst, err
	}
	aEl, err := elements(addrs, &ah)
	if err != nil {
		return dst, err
	}
	n := min(tEl, aEl)
	dst = slices.Grow(dst, n)
	for k := 0; k < n; k++ {
		var sf Subflow
		to := int(th.sizeSubflowData) + k*int(th.sizeUser)
		parseTCPInfo(tcp[to:to+int(th.sizeUser)], &sf)
		ao := int(ah.sizeSubflowData) + k*int(ah.sizeUser)
		parseSubflowAddrs(addrs[ao:ao+int(ah.sizeUser)], &sf)
		dst = append(dst, sf)
	}
	return dst, nil
}

// elements returns how many whole elements follow the header in b.
func elements(b []byte, h *subflowData) (int, error) {
	if h.sizeSubflowData < unix.SizeofMPTCPSubflowData || int64(h.sizeSubflowData) > int64(len(b)) {
		return 0, fmt.Errorf("mptcp: subflow data header size %d out of range", h.sizeSubflowData)
	}
	if h.sizeUser == 0 || int64(h.sizeUser) > int64(len(b)) {
		return 0, nil
	}
	n := (len(b) - int(h.sizeSubflowData)) / int(h.sizeUser)
	// Compared as uint32 first: num_subflows does not fit an int on 32-bit
	// systems.
	return int(min(uint32(n), h.numSubflows)), nil
}

// fullInfo is the fixed part of struct mptcp_full_info.
type fullInfo struct {
	sizeTCPInfoKernel uint32
	sizeTCPInfoUser   uint32
	sizeSfInfoKernel  uint32
	sizeSfInfoUser    uint32
	numSubflows       uint32
	sizeArraysUser    uint32
	subflowInfo       uint64 // user pointer to mptcp_subflow_info[]
	tcpInfo           uint64 // user pointer to tcp_info[]
}

func (f *fullInfo) marshal(b []byte) {
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], f.sizeTCPInfoKernel)
	ne.PutUint32(b[4:], f.sizeTCPInfoUser)
	ne.PutUint32(b[8:], f.sizeSfInfoKernel)
	ne.PutUint32(b[12:], f.sizeSfInfoUser)
	ne.PutUint32(b[16:], f.numSubflows)
	ne.PutUint32(b[20:], f.sizeArraysUser)
	ne.PutUint64(b[24:], f.subflowInfo)
	ne.PutUint64(b[32:], f.tcpInfo)
}

func (f *fullInfo) unmarshal(b []byte) error {
	if len(b) < unix.SizeofMPTCPFullInfoHeader {
		return fmt.Errorf("mptcp: full info header is %d bytes, want %d", len(b), unix.SizeofMPTCPFullInfoHeader)
	}
	ne := binary.NativeEndian
	f.sizeTCPInfoKernel = ne.Uint32(b[0:])
	f.sizeTCPInfoUser = ne.Uint32(b[4:])
	f.sizeSfInfoKernel = ne.Uint32(b[8:])
	f.sizeSfInfoUser = ne.Uint32(b[12:])
	f.numSubflows = ne.Uint32(b[16:])
	f.sizeArraysUser = ne.Uint32(b[20:])
	f.subflowInfo = ne.Uint64(b[24:])
	f.tcpInfo = ne.Uint64(b[32:])
	return nil
}

// sizeofSubflowInfoUser is how much of struct mptcp_subflow_info this package
// asks for: id, padding and both addresses on 64-bit kernels.
const sizeofSubflowInfoUser = 8 + unix.SizeofMPTCPSubflowAddrs

// parseFullInfoArrays decodes the arrays MPTCP_FULL_INFO filled, as the
// header h the kernel wrote back describes them: elements of
// h.sizeSfInfoUser bytes in sf (struct mptcp_subflow_info) and of
// h.sizeTCPInfoUser bytes in tcp (struct tcp_info).
//
// Why the strides come from h: the kernel clamps each user size to its own
// struct size, writes the clamped size back and steps through the arrays by
// it, so a 32-bit kernel packs 260-byte elements into room for 264.
func parseFullInfoArrays(dst []Subflow, h *fullInfo, sf, tcp []byte) ([]Subflow, error) {
	n := int(min(h.numSubflows, h.sizeArraysUser, 1<<16))
	sfStride, tcpStride := int(min(h.sizeSfInfoUser, 1<<16)), int(min(h.sizeTCPInfoUser, 1<<16))
	if n*sfStride > len(sf) || n*tcpStride > len(tcp) {
		return dst, fmt.Errorf("mptcp: full info reports %d subflows of %d and %d bytes, more than the buffers hold",
			h.numSubflows, sfStride, tcpStride)
	}
	// Why the address offset is derived: struct mptcp_subflow_info aligns
	// its sockaddr storage to a pointer, so it starts at 8 on 64-bit kernels
	// and 4 on 32-bit ones; the kernel's element size tells which.
	addrOff := 8
	if h.sizeSfInfoKernel >= unix.SizeofMPTCPSubflowAddrs+4 && h.sizeSfInfoKernel < unix.SizeofMPTCPSubflowAddrs+8 {
		addrOff = int(h.sizeSfInfoKernel) - unix.SizeofMPTCPSubflowAddrs
	}
	dst = slices.Grow(dst, n)
	for k := 0; k < n; k++ {
		var s Subflow
		el := sf[k*sfStride : (k+1)*sfStride]
		if len(el) >= 4 {
			s.ID = binary.NativeEndian.Uint32(el)
		}
		if len(el) > addrOff {
			parseSubflowAddrs(el[addrOff:], &s)
		}
		parseTCPInfo(tcp[k*tcpStride:(k+1)*tcpStride], &s)
		dst = append(dst, s)
	}
	return dst, nil
}
