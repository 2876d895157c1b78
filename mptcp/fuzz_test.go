package mptcp

import (
	"bytes"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// FuzzParseInfo checks parseInfo on any bytes: no panic, Len is the length
// cut to 96, Has agrees with Len, fields past Len are zero, and bytes past
// 96 do not matter.
func FuzzParseInfo(f *testing.F) {
	for _, k := range infoKernels {
		f.Add(buildInfo(k.size, hostEndian))
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(bytes.Repeat([]byte{0xff}, 200))
	f.Fuzz(func(t *testing.T, b []byte) {
		var i Info
		parseInfo(b, &i)
		if i.Len > 96 || i.Len != min(len(b), 96) {
			t.Fatalf("Len = %d for %d bytes", i.Len, len(b))
		}
		for fl := range numInfoFields {
			kf := kernelInfoFields[fl]
			has := i.Has(fl)
			if has && kf.off+kf.size > i.Len {
				t.Errorf("Has(%v) with the field ending at %d > Len %d", fl, kf.off+kf.size, i.Len)
			}
			if i.Len == 96 && !has {
				t.Errorf("Has(%v) = false at Len 96", fl)
			}
			if kf.off >= i.Len && (has || infoFieldValue(&i, fl) != 0) {
				t.Errorf("%v past Len %d: Has %v, value %#x", fl, i.Len, has, infoFieldValue(&i, fl))
			}
		}
		for _, fl := range []InfoField{numInfoFields, 200, 255} {
			if i.Has(fl) {
				t.Errorf("Has(%v) = true", fl)
			}
		}
		if i.Subflows() < 0 || i.Subflows() > 256 {
			t.Errorf("Subflows() = %d", i.Subflows())
		}
		if i.Has(FieldSubflowsTotal) && i.Subflows() != int(i.SubflowsTotal) ||
			!i.Has(FieldSubflowsTotal) && i.Subflows() != int(i.ExtraSubflows)+1 {
			t.Errorf("Subflows() = %d for %+v", i.Subflows(), i)
		}
		for _, d := range []time.Duration{i.LastDataSent, i.LastDataRecv, i.LastAckRecv} {
			if d < 0 || d%time.Millisecond != 0 {
				t.Errorf("duration %v is not a whole number of ms", d)
			}
		}
		if len(b) > 96 {
			var cut Info
			parseInfo(b[:96], &cut)
			if cut != i {
				t.Errorf("bytes past 96 changed the result")
			}
		}
		// Reusing an Info gives the same result as a fresh one.
		reused := infoFull
		parseInfo(b, &reused)
		if reused != i {
			t.Errorf("parseInfo into a used Info kept stale fields")
		}
	})
}

// FuzzParseTCPInfo checks parseTCPInfo on any bytes: no panic, fields past
// the buffer zero, whole fields decoded at their offsets.
func FuzzParseTCPInfo(f *testing.F) {
	f.Add(buildTCPInfo(tcpA, sizeofTCPInfo618, hostEndian))
	f.Add(buildTCPInfo(tcpB, 232, hostEndian))
	f.Add(buildTCPInfo(tcpC, 104, hostEndian))
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Subflow{ID: 5, Local: apA1}
		parseTCPInfo(b, &s)
		if s.ID != 5 || s.Local != apA1 || s.Remote.IsValid() {
			t.Errorf("parseTCPInfo changed ID or addresses: %+v", s)
		}
		for _, fl := range tcpInfoFields {
			g := fl.got(&s)
			if fl.off >= len(b) && g != 0 {
				t.Errorf("%s = %d past %d bytes", fl.name, g, len(b))
			}
			if fl.off+fl.size <= len(b) {
				var want uint64
				switch fl.size {
				case 1:
					want = uint64(b[fl.off])
				case 4:
					want = uint64(hostEndian.Uint32(b[fl.off:]))
				case 8:
					want = hostEndian.Uint64(b[fl.off:])
				}
				if g != want {
					t.Errorf("%s = %d, want %d", fl.name, g, want)
				}
			}
		}
		if s.RTT < 0 || s.RTTVar < 0 || s.LastDataSent < 0 || s.LastDataRecv < 0 {
			t.Errorf("negative duration: %+v", s)
		}
		if len(b) > tcpInfoLen {
			var cut Subflow
			cut.ID, cut.Local = 5, apA1
			parseTCPInfo(b[:tcpInfoLen], &cut)
			if cut != s {
				t.Errorf("bytes past %d changed the result", tcpInfoLen)
			}
		}
	})
}

// FuzzParseSockaddr checks parseSockaddr on any bytes: a valid AddrPort only
// for families 2 and 10 with the whole address present, the port and
// address read in network order, a zone only on a scoped link-local.
func FuzzParseSockaddr(f *testing.F) {
	f.Add(sockaddr4(hostEndian, apA1))
	f.Add(sockaddr6(hostEndian, apB1, 0x12345, 0))
	f.Add(sockaddr6(hostEndian, apC1, 0, 4))
	f.Add(addrsA[:128])
	f.Add(addrsC[:128])
	f.Add(sockaddr6(hostEndian, apC1, 0, 4)[:27])
	f.Add(sockaddr4(hostEndian, apA1)[:7])
	f.Add([]byte{})
	f.Add([]byte{2})
	f.Add([]byte{1, 0, 0, 80})
	f.Fuzz(func(t *testing.T, b []byte) {
		got := parseSockaddr(b)
		if !got.IsValid() {
			if got != (netip.AddrPort{}) {
				t.Fatalf("invalid but non-zero AddrPort %#v", got)
			}
		}
		var family uint16
		if len(b) >= 2 {
			family = hostEndian.Uint16(b)
		}
		switch {
		case family == 2 && len(b) >= 8:
			if !got.IsValid() || !got.Addr().Is4() {
				t.Fatalf("AF_INET, %d bytes: %v", len(b), got)
			}
			if got.Addr() != netip.AddrFrom4([4]byte(b[4:8])) || got.Port() != uint16(b[2])<<8|uint16(b[3]) {
				t.Errorf("AF_INET: %v from % x", got, b[:8])
			}
		case family == 10 && len(b) >= 28:
			if !got.IsValid() || !got.Addr().Is6() {
				t.Fatalf("AF_INET6, %d bytes: %v", len(b), got)
			}
			if got.Addr().WithZone("") != netip.AddrFrom16([16]byte(b[8:24])) || got.Port() != uint16(b[2])<<8|uint16(b[3]) {
				t.Errorf("AF_INET6: %v from % x", got, b[:28])
			}
			scope := hostEndian.Uint32(b[24:])
			wantZone := ""
			if scope != 0 && got.Addr().IsLinkLocalUnicast() {
				wantZone = strconv.FormatUint(uint64(scope), 10)
			}
			if got.Addr().Zone() != wantZone {
				t.Errorf("zone %q, want %q (scope %d)", got.Addr().Zone(), wantZone, scope)
			}
		default:
			if got.IsValid() {
				t.Errorf("family %d, %d bytes: valid %v", family, len(b), got)
			}
		}
	})
}

// replyCapacity is how many elements an MPTCP_TCPINFO or
// MPTCP_SUBFLOW_ADDRS reply can hold, computed without the decoder, and
// whether its header is acceptable.
func replyCapacity(b []byte) (n uint64, ok bool) {
	if len(b) < 16 {
		return 0, false
	}
	hdr, num, su := hostEndian.Uint32(b[0:]), hostEndian.Uint32(b[4:]), hostEndian.Uint32(b[12:])
	if hdr < 16 || uint64(hdr) > uint64(len(b)) {
		return 0, false
	}
	if su == 0 {
		return 0, true
	}
	return min((uint64(len(b))-uint64(hdr))/uint64(su), uint64(num)), true
}

// FuzzParseSubflowArrays checks parseSubflowArrays on any pair of replies:
// no panic, an error exactly when a header is unusable, dst kept, and never
// more subflows than both buffers hold.
func FuzzParseSubflowArrays(f *testing.F) {
	t1 := buildTCPInfo(tcpA, sizeofTCPInfo618, hostEndian)
	t2 := buildTCPInfo(tcpB, sizeofTCPInfo618, hostEndian)
	f.Add(subflowReply(16, 2, 280, 232, 0, t1, t2), subflowReply(16, 2, 256, 256, 0, addrsA, addrsB))
	f.Add(subflowReply(16, 2, 280, 104, 0, t1, t2), subflowReply(16, 2, 256, 16, 0, addrsA, addrsB))
	f.Add(subflowReply(24, 2, 280, 232, 0, t1, t2), subflowReply(24, 2, 256, 256, 0, addrsA, addrsC))
	f.Add(subflowReply(16, 5, 280, 232, 100, t1, t2), subflowReply(16, 3, 256, 256, 0, addrsA, addrsB, addrsC))
	f.Add(subflowReply(16, 2, 280, 0, 0), subflowReply(16, 2, 256, 0, 0))
	f.Add(subflowReply(8, 1, 280, 232, 0, t1), subflowReply(16, 1, 256, 256, 0, addrsA))
	f.Add(subflowReply(16, 0xffffffff, 280, 1, 3), subflowReply(16, 0xffffffff, 256, 2, 5))
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, tcp, addrs []byte) {
		nt, okT := replyCapacity(tcp)
		na, okA := replyCapacity(addrs)
		got, err := parseSubflowArrays([]Subflow{dstSentinel}, tcp, addrs)
		if (err == nil) != (okT && okA) {
			t.Fatalf("err = %v, headers acceptable: tcp %v addrs %v", err, okT, okA)
		}
		if len(got) == 0 || got[0] != dstSentinel {
			t.Fatalf("dst not kept: %d elements", len(got))
		}
		got = got[1:]
		if err != nil {
			if len(got) != 0 {
				t.Fatalf("error %v with %d subflows appended", err, len(got))
			}
			return
		}
		limit := min(nt, na)
		if uint64(len(got)) > limit {
			t.Fatalf("%d subflows from buffers holding %d tcp_info and %d addrs", len(got), nt, na)
		}
		if strconv.IntSize == 64 && uint64(len(got)) != limit {
			t.Errorf("%d subflows, want %d", len(got), limit)
		}
		for k, s := range got {
			if s.ID != 0 {
				t.Errorf("subflow %d: ID %d, the two-call path has no IDs", k, s.ID)
			}
			if s.Remote.IsValid() && hostEndian.Uint32(addrs[12:]) <= 128 {
				t.Errorf("subflow %d: remote address from a %d-byte element", k, hostEndian.Uint32(addrs[12:]))
			}
		}
	})
}

// FuzzParseFullInfo checks the MPTCP_FULL_INFO decoders on any header and
// arrays, stepped through by the element sizes in the header: the header round-trips, no panic, an
// error exactly when the arrays cannot hold the reported subflows, and the
// IDs read from each element.
func FuzzParseFullInfo(f *testing.F) {
	hdr := func(h fullInfo) []byte {
		b := make([]byte, 40)
		h.marshal(b)
		return b
	}
	t1 := buildTCPInfo(tcpA, sizeofTCPInfo618, hostEndian)
	t2 := buildTCPInfo(tcpB, sizeofTCPInfo618, hostEndian)
	f.Add(hdr(fullInfo{280, 232, 264, 264, 2, 2, 0x1000, 0x2000}),
		packArray(264, sfInfo(264, 8, 1, addrsA), sfInfo(264, 8, 3, addrsB)), packArray(232, t1, t2))
	f.Add(hdr(fullInfo{280, 232, 260, 260, 2, 2, 0x1000, 0x2000}),
		packArray(260, sfInfo(260, 4, 1, addrsA), sfInfo(260, 4, 2, addrsC)), packArray(232, t1, t2))
	f.Add(hdr(fullInfo{280, 104, 264, 8, 5, 2, 0, 0}),
		packArray(8, sfInfo(264, 8, 1, nil), sfInfo(264, 8, 2, nil)), packArray(104, t1, t2))
	f.Add(hdr(fullInfo{280, 0, 264, 264, 1, 4, 0, 0}), packArray(264, sfInfo(264, 8, 1, addrsB)), []byte{})
	f.Add(hdr(fullInfo{280, 232, 264, 264, 0xffffffff, 0xffffffff, 0, 0}), []byte{}, []byte{})
	f.Add(hdr(fullInfo{280, 232, 264, 264, 2, 2, 0, 0})[:39], []byte{}, []byte{})
	f.Add(append(hdr(fullInfo{280, 232, 264, 264, 0, 0, 0, 0}), buildInfo(96, hostEndian)...), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, hb, sf, tcp []byte) {
		var h fullInfo
		if err := h.unmarshal(hb); err != nil {
			if len(hb) >= 40 {
				t.Fatalf("unmarshal(%d bytes): %v", len(hb), err)
			}
			return
		} else if len(hb) < 40 {
			t.Fatalf("unmarshal(%d bytes) succeeded", len(hb))
		}
		var again [40]byte
		h.marshal(again[:])
		if !bytes.Equal(again[:], hb[:40]) {
			t.Fatalf("header does not round-trip:\n got % x\nwant % x", again, hb[:40])
		}

		// The kernel steps through each array by the size it wrote back.
		sfStride := int(min(h.sizeSfInfoUser, 1<<16))
		tcpStride := int(min(h.sizeTCPInfoUser, 1<<16))
		orig := h
		got, err := parseFullInfoArrays([]Subflow{dstSentinel}, &h, sf, tcp)
		if h != orig {
			t.Errorf("header changed")
		}
		if len(got) == 0 || got[0] != dstSentinel {
			t.Fatalf("dst not kept: %d elements", len(got))
		}
		got = got[1:]
		n := int(min(h.numSubflows, h.sizeArraysUser, 1<<16))
		fits := n*sfStride <= len(sf) && n*tcpStride <= len(tcp)
		if (err == nil) != fits {
			t.Fatalf("err = %v for %d subflows of %d+%d bytes in %d+%d", err, n, sfStride, tcpStride, len(sf), len(tcp))
		}
		if err != nil {
			if len(got) != 0 {
				t.Fatalf("error with %d subflows appended", len(got))
			}
			return
		}
		if len(got) != n || len(got)*sfStride > len(sf) || len(got)*tcpStride > len(tcp) {
			t.Fatalf("%d subflows, want %d, from %d and %d bytes", len(got), n, len(sf), len(tcp))
		}
		sfLen := sfStride
		for k, s := range got {
			var wantID uint32
			if sfLen >= 4 {
				wantID = hostEndian.Uint32(sf[k*sfStride:])
			}
			if s.ID != wantID {
				t.Errorf("subflow %d: ID %d, want %d", k, s.ID, wantID)
			}
			if sfLen <= 8 && (s.Local.IsValid() || s.Remote.IsValid()) && h.sizeSfInfoKernel == 264 {
				t.Errorf("subflow %d: addresses from a %d-byte element", k, sfLen)
			}
		}
	})
}
