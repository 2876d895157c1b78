package mptcp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// sizeofTCPInfo618 is sizeof(struct tcp_info) on Linux 6.18.
const sizeofTCPInfo618 = 280

// tcpValues are the struct tcp_info values a Subflow carries, in the
// kernel's units (µs for rtt and rttvar, ms for last_data_*).
type tcpValues struct {
	state                                                    TCPState
	sndMSS, lastDataSent, lastDataRecv, rtt, rttVar, sndCwnd uint32
	bytesAcked, bytesReceived, deliveryRate, bytesSent       uint64
	bytesRetrans                                             uint64
}

var (
	tcpA = tcpValues{
		state: TCPEstablished, sndMSS: 1448, lastDataSent: 250, lastDataRecv: 375,
		rtt: 12345, rttVar: 678, sndCwnd: 10,
		bytesAcked: 0x0000001122334455, bytesReceived: 0x0000002233445566,
		deliveryRate: 0x0000000012345678, bytesSent: 0x0000003344556677,
		bytesRetrans: 0x0000000000abcdef,
	}
	tcpB = tcpValues{
		state: TCPFinWait1, sndMSS: 1428, lastDataSent: 9, lastDataRecv: 11,
		rtt: 40000, rttVar: 20000, sndCwnd: 7,
		bytesAcked: 0x0102030405060708, bytesReceived: 0x0203040506070809,
		deliveryRate: 0x030405060708090a, bytesSent: 0x0405060708090a0b,
		bytesRetrans: 0x05060708090a0b0c,
	}
	tcpC = tcpValues{
		state: TCPCloseWait, sndMSS: 536, lastDataSent: 1, lastDataRecv: 2,
		rtt: 3, rttVar: 4, sndCwnd: 5,
		bytesAcked: 6, bytesReceived: 7, deliveryRate: 8, bytesSent: 9, bytesRetrans: 10,
	}
)

// tcpInfoFields lists the struct tcp_info fields Subflow carries, at the
// offsets of include/uapi/linux/tcp.h, with how to read each back from a
// Subflow in the kernel's unit and the fixture value.
var tcpInfoFields = []struct {
	name      string
	off, size int
	got       func(*Subflow) uint64
	want      func(tcpValues) uint64
}{
	{"State", 0, 1, func(s *Subflow) uint64 { return uint64(s.State) }, func(v tcpValues) uint64 { return uint64(v.state) }},
	{"SndMSS", 16, 4, func(s *Subflow) uint64 { return uint64(s.SndMSS) }, func(v tcpValues) uint64 { return uint64(v.sndMSS) }},
	{"LastDataSent", 44, 4, func(s *Subflow) uint64 { return uint64(s.LastDataSent / time.Millisecond) }, func(v tcpValues) uint64 { return uint64(v.lastDataSent) }},
	{"LastDataRecv", 52, 4, func(s *Subflow) uint64 { return uint64(s.LastDataRecv / time.Millisecond) }, func(v tcpValues) uint64 { return uint64(v.lastDataRecv) }},
	{"RTT", 68, 4, func(s *Subflow) uint64 { return uint64(s.RTT / time.Microsecond) }, func(v tcpValues) uint64 { return uint64(v.rtt) }},
	{"RTTVar", 72, 4, func(s *Subflow) uint64 { return uint64(s.RTTVar / time.Microsecond) }, func(v tcpValues) uint64 { return uint64(v.rttVar) }},
	{"SndCwnd", 80, 4, func(s *Subflow) uint64 { return uint64(s.SndCwnd) }, func(v tcpValues) uint64 { return uint64(v.sndCwnd) }},
	{"BytesAcked", 120, 8, func(s *Subflow) uint64 { return s.BytesAcked }, func(v tcpValues) uint64 { return v.bytesAcked }},
	{"BytesReceived", 128, 8, func(s *Subflow) uint64 { return s.BytesReceived }, func(v tcpValues) uint64 { return v.bytesReceived }},
	{"DeliveryRate", 160, 8, func(s *Subflow) uint64 { return s.DeliveryRate }, func(v tcpValues) uint64 { return v.deliveryRate }},
	{"BytesSent", 200, 8, func(s *Subflow) uint64 { return s.BytesSent }, func(v tcpValues) uint64 { return v.bytesSent }},
	{"BytesRetrans", 208, 8, func(s *Subflow) uint64 { return s.BytesRetrans }, func(v tcpValues) uint64 { return v.bytesRetrans }},
}

// buildTCPInfo returns the first size bytes of a struct tcp_info of
// sizeofTCPInfo618 bytes holding v in byte order bo. The fields Subflow does
// not carry hold non-zero noise, so that reading a wrong offset shows.
func buildTCPInfo(v tcpValues, size int, bo binary.ByteOrder) []byte {
	b := make([]byte, sizeofTCPInfo618)
	for k := range b {
		b[k] = byte(k*7) | 0x81
	}
	b[0] = byte(v.state)                 // tcpi_state
	bo.PutUint32(b[16:], v.sndMSS)       // tcpi_snd_mss
	bo.PutUint32(b[44:], v.lastDataSent) // tcpi_last_data_sent
	bo.PutUint32(b[52:], v.lastDataRecv) // tcpi_last_data_recv
	bo.PutUint32(b[68:], v.rtt)          // tcpi_rtt
	bo.PutUint32(b[72:], v.rttVar)       // tcpi_rttvar
	bo.PutUint32(b[80:], v.sndCwnd)      // tcpi_snd_cwnd
	bo.PutUint64(b[120:], v.bytesAcked)  // tcpi_bytes_acked
	bo.PutUint64(b[128:], v.bytesReceived)
	bo.PutUint64(b[160:], v.deliveryRate) // tcpi_delivery_rate
	bo.PutUint64(b[200:], v.bytesSent)    // tcpi_bytes_sent
	bo.PutUint64(b[208:], v.bytesRetrans) // tcpi_bytes_retrans
	return b[:size]
}

// wantTCP returns the Subflow fields parseTCPInfo must decode from
// buildTCPInfo(v, size, ...): those that fit in size, the others zero.
func wantTCP(v tcpValues, size int) Subflow {
	fits := func(off, n int) bool { return off+n <= size }
	var s Subflow
	if fits(0, 1) {
		s.State = v.state
	}
	if fits(16, 4) {
		s.SndMSS = v.sndMSS
	}
	if fits(44, 4) {
		s.LastDataSent = time.Duration(v.lastDataSent) * time.Millisecond
	}
	if fits(52, 4) {
		s.LastDataRecv = time.Duration(v.lastDataRecv) * time.Millisecond
	}
	if fits(68, 4) {
		s.RTT = time.Duration(v.rtt) * time.Microsecond
	}
	if fits(72, 4) {
		s.RTTVar = time.Duration(v.rttVar) * time.Microsecond
	}
	if fits(80, 4) {
		s.SndCwnd = v.sndCwnd
	}
	if fits(120, 8) {
		s.BytesAcked = v.bytesAcked
	}
	if fits(128, 8) {
		s.BytesReceived = v.bytesReceived
	}
	if fits(160, 8) {
		s.DeliveryRate = v.deliveryRate
	}
	if fits(200, 8) {
		s.BytesSent = v.bytesSent
	}
	if fits(208, 8) {
		s.BytesRetrans = v.bytesRetrans
	}
	return s
}

func TestTCPInfoOffsets(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"tcpi_state", tcpiState, 0},
		{"tcpi_snd_mss", tcpiSndMSS, 16},
		{"tcpi_last_data_sent", tcpiLastDataSent, 44},
		{"tcpi_last_data_recv", tcpiLastDataRecv, 52},
		{"tcpi_rtt", tcpiRTT, 68},
		{"tcpi_rttvar", tcpiRTTVar, 72},
		{"tcpi_snd_cwnd", tcpiSndCwnd, 80},
		{"tcpi_bytes_acked", tcpiBytesAcked, 120},
		{"tcpi_bytes_received", tcpiBytesRecv, 128},
		{"tcpi_delivery_rate", tcpiDeliveryRate, 160},
		{"tcpi_bytes_sent", tcpiBytesSent, 200},
		{"tcpi_bytes_retrans", tcpiBytesRetrans, 208},
		{"up to tcpi_snd_wnd", tcpInfoLen, 232},
	} {
		if tc.got != tc.want {
			t.Errorf("%s offset %d, kernel has %d", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseTCPInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{
		{"6.18 280 bytes", sizeofTCPInfo618},
		{"glibc 232 bytes", 232},
		{"short 104 bytes", 104},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Subflow
			parseTCPInfo(buildTCPInfo(tcpA, tc.size, binary.NativeEndian), &got)
			want := wantTCP(tcpA, tc.size)
			if got != want {
				t.Errorf("parseTCPInfo:\n got %+v\nwant %+v", got, want)
			}
			for _, f := range tcpInfoFields {
				g := f.got(&got)
				switch {
				case f.off+f.size <= tc.size && g != f.want(tcpA):
					t.Errorf("%s = %d, want %d", f.name, g, f.want(tcpA))
				case f.off+f.size > tc.size && g != 0:
					t.Errorf("%s beyond %d bytes = %d, want 0", f.name, tc.size, g)
				}
			}
		})
	}

	// Units, spelled out once.
	var s Subflow
	parseTCPInfo(buildTCPInfo(tcpA, sizeofTCPInfo618, binary.NativeEndian), &s)
	if s.RTT != 12345*time.Microsecond || s.RTTVar != 678*time.Microsecond {
		t.Errorf("RTT, RTTVar = %v, %v; want 12.345ms, 678µs", s.RTT, s.RTTVar)
	}
	if s.LastDataSent != 250*time.Millisecond || s.LastDataRecv != 375*time.Millisecond {
		t.Errorf("LastDataSent, LastDataRecv = %v, %v; want 250ms, 375ms", s.LastDataSent, s.LastDataRecv)
	}
	if s.State != TCPEstablished || s.State.String() != "ESTABLISHED" {
		t.Errorf("State = %v", s.State)
	}
}

// TestParseTCPInfoTruncated decodes every prefix of a 6.18 tcp_info.
func TestParseTCPInfoTruncated(t *testing.T) {
	full := buildTCPInfo(tcpB, sizeofTCPInfo618, binary.NativeEndian)
	for n := 0; n <= len(full); n++ {
		var s Subflow
		parseTCPInfo(full[:n], &s)
		for _, f := range tcpInfoFields {
			g := f.got(&s)
			if f.off >= n && g != 0 {
				t.Errorf("len %d: %s = %d beyond the buffer, want 0", n, f.name, g)
			}
			if f.off+f.size <= n && g != f.want(tcpB) {
				t.Errorf("len %d: %s = %d, want %d", n, f.name, g, f.want(tcpB))
			}
		}
	}
}

// TestParseTCPInfoKeepsOtherFields checks that parseTCPInfo leaves the ID and
// addresses alone: parseFullInfoArrays decodes those first.
func TestParseTCPInfoKeepsOtherFields(t *testing.T) {
	s := Subflow{ID: 7, Local: netip.MustParseAddrPort("192.0.2.1:1"), Remote: netip.MustParseAddrPort("[2001:db8::1]:2")}
	parseTCPInfo(buildTCPInfo(tcpA, 232, binary.NativeEndian), &s)
	if s.ID != 7 || s.Local.String() != "192.0.2.1:1" || s.Remote.String() != "[2001:db8::1]:2" {
		t.Errorf("parseTCPInfo changed ID/addresses: %+v", s)
	}
	if s.SndMSS != tcpA.sndMSS {
		t.Errorf("SndMSS = %d", s.SndMSS)
	}
}

func TestTCPStateString(t *testing.T) {
	for _, tc := range []struct {
		s    TCPState
		want string
	}{
		{0, "TCPState(0)"},
		{1, "ESTABLISHED"},
		{2, "SYN-SENT"},
		{3, "SYN-RECV"},
		{4, "FIN-WAIT-1"},
		{5, "FIN-WAIT-2"},
		{6, "TIME-WAIT"},
		{7, "CLOSE"},
		{8, "CLOSE-WAIT"},
		{9, "LAST-ACK"},
		{10, "LISTEN"},
		{11, "CLOSING"},
		{12, "NEW-SYN-RECV"},
		{13, "BOUND-INACTIVE"},
		{14, "TCPState(14)"},
		{255, "TCPState(255)"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("TCPState(%d).String() = %q, want %q", uint8(tc.s), got, tc.want)
		}
	}
	// The constants carry the kernel's tcp_states.h numbers.
	for _, tc := range []struct {
		s    TCPState
		want uint8
	}{
		{TCPEstablished, 1}, {TCPSynSent, 2}, {TCPSynRecv, 3}, {TCPFinWait1, 4},
		{TCPFinWait2, 5}, {TCPTimeWait, 6}, {TCPClose, 7}, {TCPCloseWait, 8},
		{TCPLastAck, 9}, {TCPListen, 10}, {TCPClosing, 11}, {TCPNewSynRecv, 12},
		{TCPBoundInactive, 13},
	} {
		if uint8(tc.s) != tc.want {
			t.Errorf("%v = %d, want %d", tc.s, uint8(tc.s), tc.want)
		}
	}
}

// sockaddr4 returns a sockaddr_in as the kernel writes it: family in host
// order (bo), port and address in network order, zero padding to 16 bytes.
func sockaddr4(bo binary.ByteOrder, ap netip.AddrPort) []byte {
	b := make([]byte, 16)
	bo.PutUint16(b[0:], 2)                       // sin_family AF_INET
	binary.BigEndian.PutUint16(b[2:], ap.Port()) // sin_port
	a := ap.Addr().As4()
	copy(b[4:8], a[:]) // sin_addr
	return b
}

// sockaddr6 returns a 28-byte sockaddr_in6 as the kernel writes it.
func sockaddr6(bo binary.ByteOrder, ap netip.AddrPort, flowinfo, scope uint32) []byte {
	b := make([]byte, 28)
	bo.PutUint16(b[0:], 10)                      // sin6_family AF_INET6
	binary.BigEndian.PutUint16(b[2:], ap.Port()) // sin6_port
	binary.BigEndian.PutUint32(b[4:], flowinfo)  // sin6_flowinfo
	a := ap.Addr().As16()
	copy(b[8:24], a[:])         // sin6_addr
	bo.PutUint32(b[24:], scope) // sin6_scope_id
	return b
}

// subflowAddrs returns a struct mptcp_subflow_addrs: two 128-byte sockaddr
// storage unions, local then remote.
func subflowAddrs(local, remote []byte) []byte {
	b := make([]byte, 256)
	copy(b[0:128], local)
	copy(b[128:256], remote)
	return b
}

var hostEndian = binary.NativeEndian

var (
	apA1 = netip.MustParseAddrPort("192.0.2.1:40001")
	apA2 = netip.MustParseAddrPort("198.51.100.7:443")
	apB1 = netip.MustParseAddrPort("[2001:db8::10]:40002")
	apB2 = netip.MustParseAddrPort("[2001:db8:1::20]:443")
	apC1 = netip.MustParseAddrPort("[fe80::1%4]:40003")
	apC2 = netip.MustParseAddrPort("[fe80::2%4]:8080")

	addrsA = subflowAddrs(sockaddr4(hostEndian, apA1), sockaddr4(hostEndian, apA2))
	addrsB = subflowAddrs(sockaddr6(hostEndian, apB1, 0x000abcde, 0), sockaddr6(hostEndian, apB2, 0x00012345, 0))
	addrsC = subflowAddrs(sockaddr6(hostEndian, apC1, 0, 4), sockaddr6(hostEndian, apC2, 0, 4))
)

func TestParseSockaddr(t *testing.T) {
	var swapped binary.ByteOrder = binary.BigEndian
	if hostEndian.Uint16([]byte{0, 1}) == 1 {
		swapped = binary.LittleEndian
	}
	mapped := netip.AddrPortFrom(netip.AddrFrom16(netip.MustParseAddr("192.0.2.9").As16()), 80)
	unknown := func(family uint16) []byte {
		b := make([]byte, 128)
		hostEndian.PutUint16(b, family)
		binary.BigEndian.PutUint16(b[2:], 80)
		copy(b[4:], []byte{192, 0, 2, 1})
		copy(b[8:], netip.MustParseAddr("2001:db8::1").AsSlice())
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string // "" for the zero AddrPort
	}{
		{"inet", sockaddr4(hostEndian, apA1), "192.0.2.1:40001"},
		{"inet in storage", subflowAddrs(sockaddr4(hostEndian, apA2), nil)[:128], "198.51.100.7:443"},
		{"inet port 0", sockaddr4(hostEndian, netip.MustParseAddrPort("0.0.0.0:0")), "0.0.0.0:0"},
		{"inet port 65535", sockaddr4(hostEndian, netip.MustParseAddrPort("255.255.255.255:65535")), "255.255.255.255:65535"},
		{"inet 8 bytes", sockaddr4(hostEndian, apA1)[:8], "192.0.2.1:40001"},
		{"inet6", sockaddr6(hostEndian, apB1, 0, 0), "[2001:db8::10]:40002"},
		{"inet6 flowinfo ignored", sockaddr6(hostEndian, apB2, 0xfffff, 0), "[2001:db8:1::20]:443"},
		{"inet6 global scope ignored", sockaddr6(hostEndian, apB1, 0, 3), "[2001:db8::10]:40002"},
		{"inet6 link-local zone", sockaddr6(hostEndian, apC1, 0, 4), "[fe80::1%4]:40003"},
		{"inet6 link-local big zone", sockaddr6(hostEndian, netip.MustParseAddrPort("[fe80::abcd]:1"), 0, 0xffffffff), "[fe80::abcd%4294967295]:1"},
		{"inet6 link-local no scope", sockaddr6(hostEndian, netip.MustParseAddrPort("[fe80::1]:22"), 0, 0), "[fe80::1]:22"},
		{"inet6 in storage", subflowAddrs(sockaddr6(hostEndian, apC2, 0, 4), nil)[:128], "[fe80::2%4]:8080"},
		{"inet6 v4-mapped", sockaddr6(hostEndian, mapped, 0, 0), "[::ffff:192.0.2.9]:80"},
		{"unspec", unknown(0), ""},
		{"unix", unknown(1), ""},
		{"packet", unknown(17), ""},
		{"netlink", unknown(16), ""},
		{"inet family byte-swapped", func() []byte { b := sockaddr4(hostEndian, apA1); swapped.PutUint16(b, 2); return b }(), ""},
		{"inet6 family byte-swapped", func() []byte { b := sockaddr6(hostEndian, apB1, 0, 0); swapped.PutUint16(b, 10); return b }(), ""},
		{"nil", nil, ""},
	} {
		got := parseSockaddr(tc.b)
		if tc.want == "" {
			if got != (netip.AddrPort{}) {
				t.Errorf("%s: parseSockaddr = %v, want the zero AddrPort", tc.name, got)
			}
			continue
		}
		if !got.IsValid() || got.String() != tc.want {
			t.Errorf("%s: parseSockaddr = %v, want %s", tc.name, got, tc.want)
		}
	}

	if got := parseSockaddr(sockaddr4(hostEndian, apA1)); !got.Addr().Is4() {
		t.Errorf("inet: %v is not a 4-byte address", got)
	}
	if got := parseSockaddr(sockaddr6(hostEndian, mapped, 0, 0)); got.Addr().Unmap() != netip.MustParseAddr("192.0.2.9") || got.Port() != 80 {
		t.Errorf("inet6 v4-mapped: %v", got)
	}
	if got := parseSockaddr(sockaddr6(hostEndian, apC1, 0, 4)); got.Addr().Zone() != "4" {
		t.Errorf("link-local zone = %q, want \"4\"", got.Addr().Zone())
	}
}

// TestParseSockaddrTruncated cuts each family at every length up to 28: no
// panic, and the zero AddrPort until the address is complete (8 bytes for
// sockaddr_in, 28 for sockaddr_in6).
func TestParseSockaddrTruncated(t *testing.T) {
	in4 := append(sockaddr4(hostEndian, apA1), make([]byte, 12)...)
	in6 := sockaddr6(hostEndian, apC1, 0x12345, 4)
	for n := 0; n <= 28; n++ {
		got4 := parseSockaddr(in4[:n])
		if n < 8 && got4 != (netip.AddrPort{}) {
			t.Errorf("inet %d bytes: %v, want zero", n, got4)
		}
		if n >= 8 && got4 != apA1 {
			t.Errorf("inet %d bytes: %v, want %v", n, got4, apA1)
		}
		got6 := parseSockaddr(in6[:n])
		if n < 28 && got6 != (netip.AddrPort{}) {
			t.Errorf("inet6 %d bytes: %v, want zero", n, got6)
		}
		if n == 28 && got6 != apC1 {
			t.Errorf("inet6 %d bytes: %v, want %v", n, got6, apC1)
		}
	}
}

func TestParseSubflowAddrs(t *testing.T) {
	zero := netip.AddrPort{}
	for _, tc := range []struct {
		name          string
		b             []byte
		local, remote netip.AddrPort
	}{
		{"inet", addrsA, apA1, apA2},
		{"inet6", addrsB, apB1, apB2},
		{"inet6 link-local", addrsC, apC1, apC2},
		{"mixed", subflowAddrs(sockaddr4(hostEndian, apA1), sockaddr6(hostEndian, apB2, 0, 0)), apA1, apB2},
		{"longer than 256", append(append([]byte{}, addrsA...), 0xff, 0xff), apA1, apA2},
		{"remote inet 8 bytes", addrsA[:128+8], apA1, apA2},
		{"remote inet 7 bytes", addrsA[:128+7], apA1, zero},
		{"remote inet6 27 bytes", addrsB[:128+27], apB1, zero},
		{"remote inet6 28 bytes", addrsB[:128+28], apB1, apB2},
		{"local only", addrsA[:128], apA1, zero},
		{"remote family only", addrsA[:130], apA1, zero},
		{"local inet 16 bytes", addrsA[:16], apA1, zero},
		{"local inet6 16 bytes", addrsB[:16], zero, zero},
		{"family only", addrsA[:2], zero, zero},
		{"empty", nil, zero, zero},
		{"all zero", make([]byte, 256), zero, zero},
	} {
		var s Subflow
		parseSubflowAddrs(tc.b, &s)
		if s.Local != tc.local || s.Remote != tc.remote {
			t.Errorf("%s: Local, Remote = %v, %v; want %v, %v", tc.name, s.Local, s.Remote, tc.local, tc.remote)
		}
	}
}

func TestSubflowDataMarshal(t *testing.T) {
	h := subflowData{sizeSubflowData: 0x10203040, numSubflows: 0x50607080, sizeKernel: 0x0a0b0c0d, sizeUser: 0x01020304}
	b := bytes.Repeat([]byte{0xee}, 20)
	h.marshal(b)
	for _, f := range []struct {
		off  int
		want uint32
	}{{0, 0x10203040}, {4, 0x50607080}, {8, 0x0a0b0c0d}, {12, 0x01020304}} {
		if got := hostEndian.Uint32(b[f.off:]); got != f.want {
			t.Errorf("marshal: offset %d = %#x, want %#x", f.off, got, f.want)
		}
	}
	if !bytes.Equal(b[16:], []byte{0xee, 0xee, 0xee, 0xee}) {
		t.Errorf("marshal wrote beyond 16 bytes: % x", b[16:])
	}
	var back subflowData
	if err := back.unmarshal(b); err != nil || back != h {
		t.Errorf("unmarshal(marshal(h)) = %+v, %v; want %+v", back, err, h)
	}

	// A request as the two-call pattern sends it, decoded from explicit bytes.
	req := make([]byte, 16)
	hostEndian.PutUint32(req[0:], 16)
	hostEndian.PutUint32(req[12:], 232)
	if err := back.unmarshal(req); err != nil || back != (subflowData{sizeSubflowData: 16, sizeUser: 232}) {
		t.Errorf("unmarshal(request) = %+v, %v", back, err)
	}
	var m [16]byte
	back.marshal(m[:])
	if !bytes.Equal(m[:], req) {
		t.Errorf("marshal(request) = % x, want % x", m, req)
	}
}

func TestSubflowDataUnmarshalShort(t *testing.T) {
	full := make([]byte, 16)
	(&subflowData{16, 2, 280, 232}).marshal(full)
	for n := 0; n < 16; n++ {
		h := subflowData{1, 2, 3, 4}
		if err := h.unmarshal(full[:n]); err == nil {
			t.Errorf("unmarshal(%d bytes) = nil error", n)
		}
		if h != (subflowData{1, 2, 3, 4}) {
			t.Errorf("unmarshal(%d bytes) changed the header: %+v", n, h)
		}
	}
}

// subflowReply builds an MPTCP_TCPINFO or MPTCP_SUBFLOW_ADDRS reply as the
// kernel leaves the buffer: the 16-byte header at 0 (the rest of a longer
// user header left as user space filled it, here 0xff), then the elements,
// each cut or zero-padded to sizeUser, from offset hdr. It allocates extra
// bytes after them.
func subflowReply(hdr, num, sizeKernel, sizeUser uint32, extra int, elems ...[]byte) []byte {
	b := make([]byte, int(max(hdr, 16))+len(elems)*int(sizeUser)+extra)
	for k := 16; k < int(hdr); k++ {
		b[k] = 0xff
	}
	for k, e := range elems {
		o := int(hdr) + k*int(sizeUser)
		copy(b[o:o+int(sizeUser)], e)
	}
	// The header last: with a bad size_subflow_data below 16 the elements
	// overlap it.
	hostEndian.PutUint32(b[0:], hdr)        // size_subflow_data
	hostEndian.PutUint32(b[4:], num)        // num_subflows
	hostEndian.PutUint32(b[8:], sizeKernel) // size_kernel
	hostEndian.PutUint32(b[12:], sizeUser)  // size_user
	return b
}

// wantSubflow is the Subflow for tcp_info v cut to tcpLen bytes and the
// given addresses.
func wantSubflow(id uint32, v tcpValues, tcpLen int, local, remote netip.AddrPort) Subflow {
	s := wantTCP(v, tcpLen)
	s.ID, s.Local, s.Remote = id, local, remote
	return s
}

var dstSentinel = Subflow{ID: 0xdead, State: TCPListen}

func TestParseSubflowArrays(t *testing.T) {
	t1 := buildTCPInfo(tcpA, sizeofTCPInfo618, hostEndian)
	t2 := buildTCPInfo(tcpB, sizeofTCPInfo618, hostEndian)
	t3 := buildTCPInfo(tcpC, sizeofTCPInfo618, hostEndian)
	zero := netip.AddrPort{}
	two := []Subflow{
		wantSubflow(0, tcpA, 232, apA1, apA2),
		wantSubflow(0, tcpB, 232, apB1, apB2),
	}
	for _, tc := range []struct {
		name       string
		tcp, addrs []byte
		want       []Subflow
		wantErr    bool
	}{
		{
			name:  "two subflows",
			tcp:   subflowReply(16, 2, 280, 232, 0, t1, t2),
			addrs: subflowReply(16, 2, 256, 256, 0, addrsA, addrsB),
			want:  two,
		},
		{
			name:  "size_user equal to kernel size",
			tcp:   subflowReply(16, 2, 280, 280, 0, t1, t2),
			addrs: subflowReply(16, 2, 256, 256, 0, addrsA, addrsB),
			want:  two,
		},
		{
			name:  "size_user below kernel size",
			tcp:   subflowReply(16, 2, 280, 104, 0, t1, t2),
			addrs: subflowReply(16, 2, 256, 128, 0, addrsA, addrsB),
			want: []Subflow{
				wantSubflow(0, tcpA, 104, apA1, zero),
				wantSubflow(0, tcpB, 104, apB1, zero),
			},
		},
		{
			name:  "addrs size_user 16: sockaddr_in only",
			tcp:   subflowReply(16, 2, 280, 232, 0, t1, t2),
			addrs: subflowReply(16, 2, 256, 16, 0, addrsA, addrsB),
			want: []Subflow{
				wantSubflow(0, tcpA, 232, apA1, zero),
				wantSubflow(0, tcpB, 232, zero, zero),
			},
		},
		{
			name:  "addrs size_user 2: family only",
			tcp:   subflowReply(16, 2, 280, 232, 0, t1, t2),
			addrs: subflowReply(16, 2, 256, 2, 0, addrsA, addrsB),
			want: []Subflow{
				wantSubflow(0, tcpA, 232, zero, zero),
				wantSubflow(0, tcpB, 232, zero, zero),
			},
		},
		{
			name:  "larger user header",
			tcp:   subflowReply(24, 2, 280, 232, 0, t1, t2),
			addrs: subflowReply(24, 2, 256, 256, 0, addrsA, addrsB),
			want:  two,
		},
		{
			name:  "larger user header on one reply",
			tcp:   subflowReply(16, 2, 280, 232, 0, t1, t2),
			addrs: subflowReply(40, 2, 256, 256, 0, addrsA, addrsB),
			want:  two,
		},
		{
			name:  "num_subflows above the elements present",
			tcp:   subflowReply(16, 5, 280, 232, 0, t1, t2),
			addrs: subflowReply(16, 5, 256, 256, 0, addrsA, addrsB),
			want:  two,
		},
		{
			name:  "partial trailing element ignored",
			tcp:   subflowReply(16, 3, 280, 232, 100, t1, t2),
			addrs: subflowReply(16, 3, 256, 256, 255, addrsA, addrsB),
			want:  two,
		},
		{
			name:  "num_subflows below the elements present",
			tcp:   subflowReply(16, 1, 280, 232, 0, t1, t2),
			addrs: subflowReply(16, 1, 256, 256, 0, addrsA, addrsB),
			want:  two[:1],
		},
		{
			name:  "fewer tcp_info than addrs",
			tcp:   subflowReply(16, 1, 280, 232, 0, t1),
			addrs: subflowReply(16, 3, 256, 256, 0, addrsA, addrsB, addrsC),
			want:  two[:1],
		},
		{
			name:  "fewer addrs than tcp_info",
			tcp:   subflowReply(16, 3, 280, 232, 0, t1, t2, t3),
			addrs: subflowReply(16, 2, 256, 256, 0, addrsA, addrsB),
			want:  two,
		},
		{
			name:  "three subflows, link-local",
			tcp:   subflowReply(16, 3, 280, 232, 0, t1, t2, t3),
			addrs: subflowReply(16, 3, 256, 256, 0, addrsA, addrsB, addrsC),
			want:  append(append([]Subflow{}, two...), wantSubflow(0, tcpC, 232, apC1, apC2)),
		},
		{
			name:  "zero size_user: first call",
			tcp:   subflowReply(16, 2, 280, 0, 0),
			addrs: subflowReply(16, 2, 256, 0, 0),
		},
		{
			name:  "zero size_user on tcp",
			tcp:   subflowReply(16, 2, 280, 0, 2*232),
			addrs: subflowReply(16, 2, 256, 256, 0, addrsA, addrsB),
		},
		{
			name:  "zero size_user on addrs",
			tcp:   subflowReply(16, 2, 280, 232, 0, t1, t2),
			addrs: subflowReply(16, 2, 256, 0, 2*256),
		},
		{
			name:  "size_user above the buffer",
			tcp:   subflowReply(16, 1, 280, 1<<20, 200),
			addrs: subflowReply(16, 1, 256, 256, 0, addrsA),
		},
		{
			name: "size_user 0xffffffff",
			tcp:  subflowReply(16, 1, 280, 232, 0, t1),
			addrs: func() []byte {
				b := subflowReply(16, 1, 256, 256, 0, addrsA)
				hostEndian.PutUint32(b[12:], 0xffffffff)
				return b
			}(),
		},
		{
			name:  "num_subflows zero",
			tcp:   subflowReply(16, 0, 280, 232, 0, t1, t2),
			addrs: subflowReply(16, 0, 256, 256, 0, addrsA, addrsB),
		},
		{
			name:  "header exactly the buffer",
			tcp:   subflowReply(16, 1, 280, 232, 0),
			addrs: subflowReply(24, 1, 256, 256, 0),
		},
		{name: "tcp empty", tcp: nil, addrs: subflowReply(16, 1, 256, 256, 0, addrsA), wantErr: true},
		{name: "tcp 15 bytes", tcp: subflowReply(16, 0, 280, 0, 0)[:15], addrs: subflowReply(16, 1, 256, 256, 0, addrsA), wantErr: true},
		{name: "addrs empty", tcp: subflowReply(16, 1, 280, 232, 0, t1), addrs: nil, wantErr: true},
		{name: "addrs 8 bytes", tcp: subflowReply(16, 1, 280, 232, 0, t1), addrs: subflowReply(16, 1, 256, 256, 0, addrsA)[:8], wantErr: true},
		{name: "tcp size_subflow_data 0", tcp: subflowReply(0, 1, 280, 232, 0, t1), addrs: subflowReply(16, 1, 256, 256, 0, addrsA), wantErr: true},
		{name: "tcp size_subflow_data 8", tcp: subflowReply(8, 1, 280, 232, 0, t1), addrs: subflowReply(16, 1, 256, 256, 0, addrsA), wantErr: true},
		{name: "tcp size_subflow_data 15", tcp: subflowReply(15, 1, 280, 232, 0, t1), addrs: subflowReply(16, 1, 256, 256, 0, addrsA), wantErr: true},
		{name: "addrs size_subflow_data 12", tcp: subflowReply(16, 1, 280, 232, 0, t1), addrs: subflowReply(12, 1, 256, 256, 0, addrsA), wantErr: true},
		{
			name: "tcp size_subflow_data above the buffer",
			tcp: func() []byte {
				b := subflowReply(16, 1, 280, 232, 0, t1)
				hostEndian.PutUint32(b, uint32(len(b)+1))
				return b
			}(),
			addrs:   subflowReply(16, 1, 256, 256, 0, addrsA),
			wantErr: true,
		},
		{
			name: "addrs size_subflow_data 0xffffffff",
			tcp:  subflowReply(16, 1, 280, 232, 0, t1),
			addrs: func() []byte {
				b := subflowReply(16, 1, 256, 256, 0, addrsA)
				hostEndian.PutUint32(b, 0xffffffff)
				return b
			}(),
			wantErr: true,
		},
		{
			name:    "header 24 in a 20-byte buffer",
			tcp:     subflowReply(24, 0, 280, 0, 0)[:20],
			addrs:   subflowReply(16, 1, 256, 256, 0, addrsA),
			wantErr: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSubflowArrays([]Subflow{dstSentinel}, tc.tcp, tc.addrs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if len(got) == 0 || got[0] != dstSentinel {
				t.Fatalf("dst[0] not kept: %+v", got)
			}
			got = got[1:]
			if len(got) != len(tc.want) {
				t.Fatalf("%d subflows, want %d: %+v", len(got), len(tc.want), got)
			}
			for k := range got {
				if got[k] != tc.want[k] {
					t.Errorf("subflow %d:\n got %+v\nwant %+v", k, got[k], tc.want[k])
				}
			}
		})
	}
}

// TestParseSubflowArraysHugeCount gives num_subflows = 0xffffffff with two
// elements present: both must be decoded.
func TestParseSubflowArraysHugeCount(t *testing.T) {
	tcp := subflowReply(16, 0xffffffff, 280, 232, 0, buildTCPInfo(tcpA, 280, hostEndian), buildTCPInfo(tcpB, 280, hostEndian))
	addrs := subflowReply(16, 0xffffffff, 256, 256, 0, addrsA, addrsB)
	got, err := parseSubflowArrays(nil, tcp, addrs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Local != apA1 || got[1].Local != apB1 {
		t.Errorf("got %d subflows, want 2: %+v", len(got), got)
	}
}

func TestFullInfoMarshal(t *testing.T) {
	h := fullInfo{
		sizeTCPInfoKernel: 0x11121314,
		sizeTCPInfoUser:   0x21222324,
		sizeSfInfoKernel:  0x31323334,
		sizeSfInfoUser:    0x41424344,
		numSubflows:       0x51525354,
		sizeArraysUser:    0x61626364,
		subflowInfo:       0x00007fff12345678,
		tcpInfo:           0x00007fff9abcdef0,
	}
	b := bytes.Repeat([]byte{0xee}, 48)
	h.marshal(b)
	for _, f := range []struct {
		off  int
		want uint64
		size int
	}{
		{0, 0x11121314, 4}, {4, 0x21222324, 4}, {8, 0x31323334, 4}, {12, 0x41424344, 4},
		{16, 0x51525354, 4}, {20, 0x61626364, 4}, {24, 0x00007fff12345678, 8}, {32, 0x00007fff9abcdef0, 8},
	} {
		var got uint64
		if f.size == 4 {
			got = uint64(hostEndian.Uint32(b[f.off:]))
		} else {
			got = hostEndian.Uint64(b[f.off:])
		}
		if got != f.want {
			t.Errorf("marshal: offset %d = %#x, want %#x", f.off, got, f.want)
		}
	}
	if !bytes.Equal(b[40:], bytes.Repeat([]byte{0xee}, 8)) {
		t.Errorf("marshal wrote beyond 40 bytes: % x", b[40:])
	}
	var back fullInfo
	if err := back.unmarshal(b); err != nil || back != h {
		t.Errorf("unmarshal(marshal(h)) = %+v, %v; want %+v", back, err, h)
	}
	var again [40]byte
	back.marshal(again[:])
	if !bytes.Equal(again[:], b[:40]) {
		t.Errorf("marshal(unmarshal(b)) = % x, want % x", again, b[:40])
	}

	for n := 0; n < 40; n++ {
		h2 := fullInfo{numSubflows: 9}
		if err := h2.unmarshal(b[:n]); err == nil {
			t.Errorf("unmarshal(%d bytes) = nil error", n)
		}
		if h2 != (fullInfo{numSubflows: 9}) {
			t.Errorf("unmarshal(%d bytes) changed the header: %+v", n, h2)
		}
	}
}

// TestFullInfoReply decodes a whole MPTCP_FULL_INFO reply: the header, then
// struct mptcp_info at offset 40, whole (136 bytes) or cut as optlen 60 cuts
// it.
func TestFullInfoReply(t *testing.T) {
	reply := make([]byte, 136)
	(&fullInfo{280, 232, 264, 264, 2, 4, 0x1000, 0x2000}).marshal(reply)
	copy(reply[40:], buildInfo(96, hostEndian))
	var h fullInfo
	if err := h.unmarshal(reply); err != nil {
		t.Fatal(err)
	}
	if h != (fullInfo{280, 232, 264, 264, 2, 4, 0x1000, 0x2000}) {
		t.Errorf("header = %+v", h)
	}
	var i Info
	parseInfo(reply[40:], &i)
	if want := wantInfo(96); i != want {
		t.Errorf("embedded info:\n got %+v\nwant %+v", i, want)
	}
	// optlen 60: 20 bytes of mptcp_info, write_seq cut in the middle. Its
	// value is not checked: parseInfo decodes the 4 bytes present (see the
	// report), but Has must call it absent.
	parseInfo(reply[40:60], &i)
	if i.Len != 20 || !i.Has(FieldToken) || i.Has(FieldWriteSeq) || i.Token != infoFull.Token || i.SndUna != 0 {
		t.Errorf("info cut to 20 bytes: %+v", i)
	}
}

// sfInfo returns a struct mptcp_subflow_info of size bytes with the
// addresses at addrOff (264 and 8 on 64-bit kernels, 260 and 4 on 32-bit
// ones), padding zero as the kernel's memset leaves it.
func sfInfo(size, addrOff int, id uint32, addrs []byte) []byte {
	b := make([]byte, size)
	hostEndian.PutUint32(b, id)
	copy(b[addrOff:], addrs)
	return b
}

// packArray lays elems out stride bytes apart, each cut or zero-padded.
func packArray(stride int, elems ...[]byte) []byte {
	b := make([]byte, stride*len(elems))
	for k, e := range elems {
		copy(b[k*stride:(k+1)*stride], e)
	}
	return b
}

func TestParseFullInfoArrays(t *testing.T) {
	t1 := buildTCPInfo(tcpA, sizeofTCPInfo618, hostEndian)
	t2 := buildTCPInfo(tcpB, sizeofTCPInfo618, hostEndian)
	t3 := buildTCPInfo(tcpC, sizeofTCPInfo618, hostEndian)
	zero := netip.AddrPort{}
	sf64 := packArray(264, sfInfo(264, 8, 1, addrsA), sfInfo(264, 8, 3, addrsB))
	sf32 := packArray(260, sfInfo(260, 4, 1, addrsA), sfInfo(260, 4, 3, addrsB))
	tcp232 := packArray(232, t1, t2)
	two := []Subflow{
		wantSubflow(1, tcpA, 232, apA1, apA2),
		wantSubflow(3, tcpB, 232, apB1, apB2),
	}
	for _, tc := range []struct {
		name      string
		h         fullInfo
		sf, tcp   []byte
		sfStride  int
		tcpStride int
		want      []Subflow
		wantErr   bool
	}{
		{
			name: "64-bit layout",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf64, tcp: tcp232, sfStride: 264, tcpStride: 232,
			want: two,
		},
		{
			name: "32-bit layout",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 260, sizeSfInfoUser: 260, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf32, tcp: tcp232, sfStride: 260, tcpStride: 232,
			want: two,
		},
		{
			name: "bigger future sfinfo, addrs still at 8",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 272, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf64, tcp: tcp232, sfStride: 264, tcpStride: 232,
			want: two,
		},
		{
			name: "whole 6.18 tcp_info",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 280, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf64, tcp: packArray(280, t1, t2), sfStride: 264, tcpStride: 280,
			want: two,
		},
		{
			name: "short tcp_info",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 104, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf64, tcp: packArray(104, t1, t2), sfStride: 264, tcpStride: 104,
			want: []Subflow{wantSubflow(1, tcpA, 104, apA1, apA2), wantSubflow(3, tcpB, 104, apB1, apB2)},
		},
		{
			name: "no tcp_info asked",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 0, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf64, tcp: nil, sfStride: 264, tcpStride: 0,
			want: []Subflow{{ID: 1, Local: apA1, Remote: apA2}, {ID: 3, Local: apB1, Remote: apB2}},
		},
		{
			name: "ids only",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 4, numSubflows: 2, sizeArraysUser: 2},
			sf:   packArray(4, sfInfo(264, 8, 1, nil), sfInfo(264, 8, 3, nil)), tcp: tcp232, sfStride: 4, tcpStride: 232,
			want: []Subflow{wantSubflow(1, tcpA, 232, zero, zero), wantSubflow(3, tcpB, 232, zero, zero)},
		},
		{
			name: "ids and padding, no addrs",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 8, numSubflows: 2, sizeArraysUser: 2},
			sf:   packArray(8, sfInfo(264, 8, 1, nil), sfInfo(264, 8, 3, nil)), tcp: tcp232, sfStride: 8, tcpStride: 232,
			want: []Subflow{wantSubflow(1, tcpA, 232, zero, zero), wantSubflow(3, tcpB, 232, zero, zero)},
		},
		{
			name: "local address only",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 136, numSubflows: 2, sizeArraysUser: 2},
			sf:   packArray(136, sfInfo(264, 8, 1, addrsA), sfInfo(264, 8, 3, addrsB)), tcp: tcp232, sfStride: 136, tcpStride: 232,
			want: []Subflow{wantSubflow(1, tcpA, 232, apA1, zero), wantSubflow(3, tcpB, 232, apB1, zero)},
		},
		{
			name: "sfinfo shorter than the id",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 2, numSubflows: 2, sizeArraysUser: 2},
			sf:   packArray(2, sfInfo(264, 8, 1, nil), sfInfo(264, 8, 3, nil)), tcp: tcp232, sfStride: 2, tcpStride: 232,
			want: []Subflow{wantSubflow(0, tcpA, 232, zero, zero), wantSubflow(0, tcpB, 232, zero, zero)},
		},
		{
			name: "num_subflows above size_arrays_user",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 5, sizeArraysUser: 2},
			sf:   sf64, tcp: tcp232, sfStride: 264, tcpStride: 232,
			want: two,
		},
		{
			name: "size_arrays_user above num_subflows",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 1, sizeArraysUser: 4},
			sf:   packArray(264, sfInfo(264, 8, 1, addrsA), nil, nil, nil), tcp: packArray(232, t1, nil, nil, nil), sfStride: 264, tcpStride: 232,
			want: two[:1],
		},
		{
			name: "three subflows, 32-bit, link-local",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 260, sizeSfInfoUser: 260, numSubflows: 3, sizeArraysUser: 3},
			sf:   packArray(260, sfInfo(260, 4, 1, addrsA), sfInfo(260, 4, 3, addrsB), sfInfo(260, 4, 4, addrsC)),
			tcp:  packArray(232, t1, t2, t3), sfStride: 260, tcpStride: 232,
			want: append(append([]Subflow{}, two...), wantSubflow(4, tcpC, 232, apC1, apC2)),
		},
		{
			name: "longer buffers than needed",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   append(append([]byte{}, sf64...), make([]byte, 1000)...), tcp: append(append([]byte{}, tcp232...), 1, 2, 3), sfStride: 264, tcpStride: 232,
			want: two,
		},
		{
			name: "no subflows",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 0, sizeArraysUser: 8},
			sf:   nil, tcp: nil, sfStride: 264, tcpStride: 232,
		},
		{
			name: "no arrays",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 3, sizeArraysUser: 0},
			sf:   nil, tcp: nil, sfStride: 264, tcpStride: 232,
		},
		{
			name: "sf buffer one byte short",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf64[:len(sf64)-1], tcp: tcp232, sfStride: 264, tcpStride: 232,
			wantErr: true,
		},
		{
			name: "tcp buffer one byte short",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf64, tcp: tcp232[:len(tcp232)-1], sfStride: 264, tcpStride: 232,
			wantErr: true,
		},
		{
			name: "empty buffers",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 2, sizeArraysUser: 2},
			sf:   nil, tcp: nil, sfStride: 264, tcpStride: 232,
			wantErr: true,
		},
		{
			name: "huge counts",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 232, sizeSfInfoKernel: 264, sizeSfInfoUser: 264, numSubflows: 0xffffffff, sizeArraysUser: 0xffffffff},
			sf:   sf64, tcp: tcp232, sfStride: 264, tcpStride: 232,
			wantErr: true,
		},
		{
			name: "user sizes 0xffffffff",
			h:    fullInfo{sizeTCPInfoKernel: 280, sizeTCPInfoUser: 0xffffffff, sizeSfInfoKernel: 264, sizeSfInfoUser: 0xffffffff, numSubflows: 2, sizeArraysUser: 2},
			sf:   sf64, tcp: tcp232, sfStride: 264, tcpStride: 232,
			// The kernel writes back sizes clamped to its own; these
			// would step past the buffers.
			wantErr: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			got, err := parseFullInfoArrays([]Subflow{dstSentinel}, &h, tc.sf, tc.tcp)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if h != tc.h {
				t.Errorf("header changed: %+v", h)
			}
			if len(got) == 0 || got[0] != dstSentinel {
				t.Fatalf("dst[0] not kept: %+v", got)
			}
			got = got[1:]
			if len(got) != len(tc.want) {
				t.Fatalf("%d subflows, want %d: %+v", len(got), len(tc.want), got)
			}
			for k := range got {
				if got[k] != tc.want[k] {
					t.Errorf("subflow %d:\n got %+v\nwant %+v", k, got[k], tc.want[k])
				}
			}
		})
	}
}

// TestParseFullInfoArraysFromHeaderBytes runs a 64-bit and a 32-bit reply
// through unmarshal first, as the Linux code does.
func TestParseFullInfoArraysFromHeaderBytes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sfSize  int
		addrOff int
	}{
		{"64-bit", 264, 8},
		{"32-bit", 260, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hb := make([]byte, 40)
			hostEndian.PutUint32(hb[0:], 280)               // size_tcpinfo_kernel
			hostEndian.PutUint32(hb[4:], 232)               // size_tcpinfo_user
			hostEndian.PutUint32(hb[8:], uint32(tc.sfSize)) // size_sfinfo_kernel
			hostEndian.PutUint32(hb[12:], uint32(tc.sfSize))
			hostEndian.PutUint32(hb[16:], 2) // num_subflows
			hostEndian.PutUint32(hb[20:], 2) // size_arrays_user
			var h fullInfo
			if err := h.unmarshal(hb); err != nil {
				t.Fatal(err)
			}
			sf := packArray(tc.sfSize, sfInfo(tc.sfSize, tc.addrOff, 1, addrsC), sfInfo(tc.sfSize, tc.addrOff, 2, addrsA))
			tcp := packArray(232, buildTCPInfo(tcpC, 280, hostEndian), buildTCPInfo(tcpA, 280, hostEndian))
			got, err := parseFullInfoArrays(nil, &h, sf, tcp)
			if err != nil {
				t.Fatal(err)
			}
			want := []Subflow{wantSubflow(1, tcpC, 232, apC1, apC2), wantSubflow(2, tcpA, 232, apA1, apA2)}
			if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
			if s := fmt.Sprint(got[0].Local); s != "[fe80::1%4]:40003" {
				t.Errorf("Local = %s", s)
			}
		})
	}
}
