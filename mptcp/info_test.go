package mptcp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// infoKernels lists every size struct mptcp_info has had (kernel-uapi.md
// §2.1), with the releases that return it, plus a longer buffer as a newer
// kernel might return it, whose extra bytes must be ignored.
var infoKernels = []struct {
	size    int
	kernels string
}{
	{40, "5.9-5.11"},
	{48, "5.12-6.4"},
	{80, "6.5-6.7"},
	{88, "6.8-6.9"},
	{96, "6.10+"},
	{104, "hypothetical-newer"},
}

// kernelInfoFields is struct mptcp_info as kernel-uapi.md §2.1 documents it:
// the offset and size of each field, and since, the sizeof(struct
// mptcp_info) of the first kernel that returned it. A kernel with a smaller
// struct lacks the field, even where the field's bytes fall inside its
// struct's tail padding. endp_laminar_max (6.18) and endp_fullmesh_max (6.19)
// were reserved bytes from 6.10, returned as 0, so they count from 96.
var kernelInfoFields = [numInfoFields]struct{ off, size, since int }{
	FieldExtraSubflows:        {0, 1, 40},
	FieldAddAddrSignal:        {1, 1, 40},
	FieldAddAddrAccepted:      {2, 1, 40},
	FieldLimitExtraSubflows:   {3, 1, 40},
	FieldEndpSignalMax:        {4, 1, 40},
	FieldLimitAddAddrAccepted: {5, 1, 40},
	FieldFlags:                {8, 4, 40},
	FieldToken:                {12, 4, 40},
	FieldWriteSeq:             {16, 8, 40},
	FieldSndUna:               {24, 8, 40},
	FieldRcvNxt:               {32, 8, 40},
	FieldLocalAddrUsed:        {40, 1, 48},
	FieldEndpSubflowMax:       {41, 1, 48},
	FieldChecksumEnabled:      {42, 1, 48},
	FieldRetransmits:          {44, 4, 80},
	FieldBytesRetrans:         {48, 8, 80},
	FieldBytesSent:            {56, 8, 80},
	FieldBytesReceived:        {64, 8, 80},
	FieldBytesAcked:           {72, 8, 80},
	FieldSubflowsTotal:        {80, 1, 88},
	FieldEndpLaminarMax:       {81, 1, 96},
	FieldEndpFullmeshMax:      {82, 1, 96},
	FieldLastDataSent:         {84, 4, 96},
	FieldLastDataRecv:         {88, 4, 96},
	FieldLastAckRecv:          {92, 4, 96},
}

// infoFull is what buildInfo's bytes decode to at 96 bytes and more: a
// distinct non-zero value per field, multi-byte ones with distinct bytes so
// that a wrong offset or byte order shows.
var infoFull = Info{
	Len:                  96,
	ExtraSubflows:        3,
	AddAddrSignal:        4,
	AddAddrAccepted:      5,
	LimitExtraSubflows:   6,
	EndpSignalMax:        7,
	LimitAddAddrAccepted: 8,
	Flags:                InfoFlagRemoteKeyReceived,
	Token:                0xa1b2c3d4,
	WriteSeq:             0x0102030405060708,
	SndUna:               0x1112131415161718,
	RcvNxt:               0x2122232425262728,
	LocalAddrUsed:        9,
	EndpSubflowMax:       10,
	ChecksumEnabled:      true,
	Retransmits:          0x31323334,
	BytesRetrans:         0x4142434445464748,
	BytesSent:            0x5152535455565758,
	BytesReceived:        0x6162636465666768,
	BytesAcked:           0x7172737475767778,
	SubflowsTotal:        11,
	EndpLaminarMax:       12,
	EndpFullmeshMax:      13,
	LastDataSent:         1234 * time.Millisecond,
	LastDataRecv:         5678 * time.Millisecond,
	LastAckRecv:          12345678 * time.Millisecond,
}

// buildInfo returns struct mptcp_info as a kernel whose struct is size bytes
// long writes it (size is one of infoKernels), with multi-byte fields in
// byte order bo. It writes explicit values at the offsets kernel-uapi.md
// §2.1 documents and is the source of truth for the fixtures; holes,
// padding and reserved bytes stay 0 as the kernel leaves them. Bytes beyond
// 96 are filled with 0xee, standing for fields of a newer kernel.
func buildInfo(size int, bo binary.ByteOrder) []byte {
	b := make([]byte, size)
	// 5.9–5.11: 40 bytes.
	b[0] = 3 // mptcpi_subflows (extra_subflows)
	b[1] = 4 // mptcpi_add_addr_signal
	b[2] = 5 // mptcpi_add_addr_accepted
	b[3] = 6 // mptcpi_subflows_max (limit_extra_subflows)
	b[4] = 7 // mptcpi_add_addr_signal_max (endp_signal_max)
	b[5] = 8 // mptcpi_add_addr_accepted_max (limit_add_addr_accepted)
	// 6–7: hole.
	bo.PutUint32(b[8:], 0x2)                 // mptcpi_flags: REMOTE_KEY_RECEIVED
	bo.PutUint32(b[12:], 0xa1b2c3d4)         // mptcpi_token
	bo.PutUint64(b[16:], 0x0102030405060708) // mptcpi_write_seq
	bo.PutUint64(b[24:], 0x1112131415161718) // mptcpi_snd_una
	bo.PutUint64(b[32:], 0x2122232425262728) // mptcpi_rcv_nxt
	if size >= 48 {                          // 5.12–6.4
		b[40] = 9  // mptcpi_local_addr_used
		b[41] = 10 // mptcpi_local_addr_max (endp_subflow_max)
		b[42] = 1  // mptcpi_csum_enabled (5.14)
		// 43: hole; 44–47: tail padding up to 6.4.
	}
	if size >= 80 { // 6.5–6.7
		bo.PutUint32(b[44:], 0x31323334)         // mptcpi_retransmits
		bo.PutUint64(b[48:], 0x4142434445464748) // mptcpi_bytes_retrans
		bo.PutUint64(b[56:], 0x5152535455565758) // mptcpi_bytes_sent
		bo.PutUint64(b[64:], 0x6162636465666768) // mptcpi_bytes_received
		bo.PutUint64(b[72:], 0x7172737475767778) // mptcpi_bytes_acked
	}
	if size >= 88 { // 6.8–6.9
		b[80] = 11 // mptcpi_subflows_total
		// 81–87: tail padding on 6.8–6.9.
	}
	if size >= 96 { // 6.10+
		b[81] = 12 // mptcpi_endp_laminar_max (6.18; reserved before)
		b[82] = 13 // mptcpi_endp_fullmesh_max (6.19; reserved before)
		// 83: reserved.
		bo.PutUint32(b[84:], 1234)     // mptcpi_last_data_sent, ms
		bo.PutUint32(b[88:], 5678)     // mptcpi_last_data_recv, ms
		bo.PutUint32(b[92:], 12345678) // mptcpi_last_ack_recv, ms
	}
	for k := 96; k < size; k++ {
		b[k] = 0xee
	}
	return b
}

// wantInfo is what parseInfo must return for buildInfo(size, ...): the
// fields of that kernel, the others zero.
func wantInfo(size int) Info {
	w := infoFull
	w.Len = min(size, 96)
	for f := range numInfoFields {
		if kernelInfoFields[f].since > size {
			zeroInfoField(&w, f)
		}
	}
	return w
}

// infoFieldValue returns field f of i as an integer; durations in ms.
func infoFieldValue(i *Info, f InfoField) uint64 {
	switch f {
	case FieldExtraSubflows:
		return uint64(i.ExtraSubflows)
	case FieldAddAddrSignal:
		return uint64(i.AddAddrSignal)
	case FieldAddAddrAccepted:
		return uint64(i.AddAddrAccepted)
	case FieldLimitExtraSubflows:
		return uint64(i.LimitExtraSubflows)
	case FieldEndpSignalMax:
		return uint64(i.EndpSignalMax)
	case FieldLimitAddAddrAccepted:
		return uint64(i.LimitAddAddrAccepted)
	case FieldFlags:
		return uint64(i.Flags)
	case FieldToken:
		return uint64(i.Token)
	case FieldWriteSeq:
		return i.WriteSeq
	case FieldSndUna:
		return i.SndUna
	case FieldRcvNxt:
		return i.RcvNxt
	case FieldLocalAddrUsed:
		return uint64(i.LocalAddrUsed)
	case FieldEndpSubflowMax:
		return uint64(i.EndpSubflowMax)
	case FieldChecksumEnabled:
		if i.ChecksumEnabled {
			return 1
		}
		return 0
	case FieldRetransmits:
		return uint64(i.Retransmits)
	case FieldBytesRetrans:
		return i.BytesRetrans
	case FieldBytesSent:
		return i.BytesSent
	case FieldBytesReceived:
		return i.BytesReceived
	case FieldBytesAcked:
		return i.BytesAcked
	case FieldSubflowsTotal:
		return uint64(i.SubflowsTotal)
	case FieldEndpLaminarMax:
		return uint64(i.EndpLaminarMax)
	case FieldEndpFullmeshMax:
		return uint64(i.EndpFullmeshMax)
	case FieldLastDataSent:
		return uint64(i.LastDataSent / time.Millisecond)
	case FieldLastDataRecv:
		return uint64(i.LastDataRecv / time.Millisecond)
	case FieldLastAckRecv:
		return uint64(i.LastAckRecv / time.Millisecond)
	}
	panic(fmt.Sprintf("infoFieldValue: unknown field %d", f))
}

// zeroInfoField sets field f of i to its zero value.
func zeroInfoField(i *Info, f InfoField) {
	switch f {
	case FieldExtraSubflows:
		i.ExtraSubflows = 0
	case FieldAddAddrSignal:
		i.AddAddrSignal = 0
	case FieldAddAddrAccepted:
		i.AddAddrAccepted = 0
	case FieldLimitExtraSubflows:
		i.LimitExtraSubflows = 0
	case FieldEndpSignalMax:
		i.EndpSignalMax = 0
	case FieldLimitAddAddrAccepted:
		i.LimitAddAddrAccepted = 0
	case FieldFlags:
		i.Flags = 0
	case FieldToken:
		i.Token = 0
	case FieldWriteSeq:
		i.WriteSeq = 0
	case FieldSndUna:
		i.SndUna = 0
	case FieldRcvNxt:
		i.RcvNxt = 0
	case FieldLocalAddrUsed:
		i.LocalAddrUsed = 0
	case FieldEndpSubflowMax:
		i.EndpSubflowMax = 0
	case FieldChecksumEnabled:
		i.ChecksumEnabled = false
	case FieldRetransmits:
		i.Retransmits = 0
	case FieldBytesRetrans:
		i.BytesRetrans = 0
	case FieldBytesSent:
		i.BytesSent = 0
	case FieldBytesReceived:
		i.BytesReceived = 0
	case FieldBytesAcked:
		i.BytesAcked = 0
	case FieldSubflowsTotal:
		i.SubflowsTotal = 0
	case FieldEndpLaminarMax:
		i.EndpLaminarMax = 0
	case FieldEndpFullmeshMax:
		i.EndpFullmeshMax = 0
	case FieldLastDataSent:
		i.LastDataSent = 0
	case FieldLastDataRecv:
		i.LastDataRecv = 0
	case FieldLastAckRecv:
		i.LastAckRecv = 0
	default:
		panic(fmt.Sprintf("zeroInfoField: unknown field %d", f))
	}
}

func TestInfoLayoutMatchesKernel(t *testing.T) {
	for f := range numInfoFields {
		k, l := kernelInfoFields[f], infoLayout[f]
		if int(l.off) != k.off || int(l.size) != k.size {
			t.Errorf("infoLayout[%v] = {%d, %d}, kernel has offset %d size %d", f, l.off, l.size, k.off, k.size)
		}
		if k.off+k.size > k.since {
			t.Errorf("kernelInfoFields[%v] ends at %d, beyond the %d-byte struct that added it", f, k.off+k.size, k.since)
		}
	}
}

func TestParseInfoKernelSizes(t *testing.T) {
	for _, k := range infoKernels {
		t.Run(fmt.Sprintf("%d-%s", k.size, k.kernels), func(t *testing.T) {
			b := buildInfo(k.size, binary.NativeEndian)
			var got Info
			parseInfo(b, &got)
			want := wantInfo(k.size)

			if got.Len != min(k.size, 96) {
				t.Errorf("Len = %d, want %d", got.Len, min(k.size, 96))
			}
			for f := range numInfoFields {
				g, w := infoFieldValue(&got, f), infoFieldValue(&want, f)
				if g != w {
					t.Errorf("%v = %#x, want %#x", f, g, w)
				}
				if kernelInfoFields[f].since > k.size && g != 0 {
					t.Errorf("%v is absent on %s but decoded as %#x, want 0", f, k.kernels, g)
				}
			}
			if got != want {
				t.Errorf("parseInfo:\n got %+v\nwant %+v", got, want)
			}

			wantSubflows := int(infoFull.ExtraSubflows) + 1
			if k.size >= 88 {
				wantSubflows = int(infoFull.SubflowsTotal)
			}
			if n := got.Subflows(); n != wantSubflows {
				t.Errorf("Subflows() = %d, want %d", n, wantSubflows)
			}

			if k.size >= 96 {
				for _, d := range []struct {
					name string
					got  time.Duration
					ms   int64
				}{
					{"LastDataSent", got.LastDataSent, 1234},
					{"LastDataRecv", got.LastDataRecv, 5678},
					{"LastAckRecv", got.LastAckRecv, 12345678},
				} {
					if d.got.Milliseconds() != d.ms || d.got != time.Duration(d.ms)*time.Millisecond {
						t.Errorf("%s = %v, want %dms", d.name, d.got, d.ms)
					}
				}
			}
		})
	}
}

// TestInfoHasByKernelSize checks Has against the kernel history: at each
// size, exactly the fields that kernel returns. The fields whose bytes lie
// in the tail padding of an older struct are the known bug described in the
// skip message: Has compares offsets with Len, and so reports them present.
func TestInfoHasByKernelSize(t *testing.T) {
	for _, k := range infoKernels {
		t.Run(fmt.Sprintf("%d-%s", k.size, k.kernels), func(t *testing.T) {
			var i Info
			parseInfo(buildInfo(k.size, binary.NativeEndian), &i)
			var padding []string
			for f := range numInfoFields {
				kf := kernelInfoFields[f]
				want := k.size >= kf.since
				got := i.Has(f)
				if got && kf.off+kf.size > i.Len {
					t.Errorf("Has(%v) = true, but the field ends at byte %d, beyond Len %d", f, kf.off+kf.size, i.Len)
				}
				if got == want {
					continue
				}
				if got && !want && kf.off+kf.size <= i.Len {
					padding = append(padding, f.String())
					continue
				}
				t.Errorf("Has(%v) = %v at Len %d (%s), want %v", f, got, i.Len, k.kernels, want)
			}
			for _, f := range []InfoField{numInfoFields, numInfoFields + 1, 255} {
				if i.Has(f) {
					t.Errorf("Has(%v) = true for an unknown field", f)
				}
			}
			if len(padding) > 0 {
				t.Errorf("at Len %d (kernels %s) Has reports %s present, "+
					"but those kernels lack them; their bytes are tail padding of the %d-byte struct and decode as 0",
					i.Len, k.kernels, strings.Join(padding, ", "), k.size)
			}
		})
	}
}

// TestInfoHasTruncated decodes every prefix of a full buffer: Has never
// reports a field that does not fit in Len, a field starting at or after Len
// is zero, and one that fits is decoded.
func TestInfoHasTruncated(t *testing.T) {
	full := buildInfo(104, binary.NativeEndian)
	for n := 0; n <= len(full); n++ {
		var i Info
		parseInfo(full[:n], &i)
		if i.Len != min(n, 96) {
			t.Errorf("len %d: Len = %d, want %d", n, i.Len, min(n, 96))
		}
		for f := range numInfoFields {
			kf := kernelInfoFields[f]
			v := infoFieldValue(&i, f)
			switch {
			case i.Has(f) && kf.off+kf.size > n:
				t.Errorf("len %d: Has(%v) = true, field ends at %d", n, f, kf.off+kf.size)
			case kf.off >= n && (i.Has(f) || v != 0):
				t.Errorf("len %d: %v beyond the buffer: Has = %v, value %#x; want false, 0", n, f, i.Has(f), v)
			case kf.off+kf.size <= n && v != infoFieldValue(&infoFull, f):
				t.Errorf("len %d: %v = %#x, want %#x", n, f, v, infoFieldValue(&infoFull, f))
			}
		}
		if n >= 96 {
			for f := range numInfoFields {
				if !i.Has(f) {
					t.Errorf("len %d: Has(%v) = false", n, f)
				}
			}
		}
	}
}

func TestParseInfoIgnoresTrailingBytes(t *testing.T) {
	var want, got Info
	parseInfo(buildInfo(96, binary.NativeEndian), &want)
	long := append(buildInfo(104, binary.NativeEndian), bytes.Repeat([]byte{0xff}, 4000)...)
	parseInfo(long, &got)
	if got != want || got.Len != 96 {
		t.Errorf("parseInfo(%d bytes) = %+v, want %+v", len(long), got, want)
	}
}

// TestParseInfoResets checks that parseInfo overwrites every field, so an
// Info reused with an older kernel's reply keeps no stale values.
func TestParseInfoResets(t *testing.T) {
	for _, k := range infoKernels {
		i := infoFull
		i.Len = 96
		parseInfo(buildInfo(k.size, binary.NativeEndian), &i)
		if want := wantInfo(k.size); i != want {
			t.Errorf("size %d over a full Info:\n got %+v\nwant %+v", k.size, i, want)
		}
	}
	i := infoFull
	parseInfo(nil, &i)
	if i != (Info{}) {
		t.Errorf("parseInfo(nil) = %+v, want zero Info", i)
	}
	if i.Subflows() != 1 {
		t.Errorf("zero Info: Subflows() = %d, want 1", i.Subflows())
	}
}

func TestInfoSubflows(t *testing.T) {
	for _, tc := range []struct {
		name string
		i    Info
		want int
	}{
		{"5.16 initial only", Info{Len: 48}, 1},
		{"5.16 two extra", Info{Len: 48, ExtraSubflows: 2}, 3},
		{"6.5 ignores subflows_total", Info{Len: 80, ExtraSubflows: 2, SubflowsTotal: 9}, 3},
		{"6.8 total", Info{Len: 88, ExtraSubflows: 2, SubflowsTotal: 3}, 3},
		{"6.8 initial closed", Info{Len: 88, ExtraSubflows: 2, SubflowsTotal: 2}, 2},
		{"6.8 all closed", Info{Len: 88, ExtraSubflows: 0, SubflowsTotal: 0}, 0},
		{"6.10 total", Info{Len: 96, ExtraSubflows: 7, SubflowsTotal: 8}, 8},
		{"max extra", Info{Len: 48, ExtraSubflows: 255}, 256},
		{"max total", Info{Len: 96, SubflowsTotal: 255}, 255},
	} {
		if got := tc.i.Subflows(); got != tc.want {
			t.Errorf("%s: Subflows() = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestInfoFlagsString(t *testing.T) {
	if InfoFlagFallback != 1 || InfoFlagRemoteKeyReceived != 2 {
		t.Fatalf("flag values %#x %#x, kernel has 0x1 0x2", uint32(InfoFlagFallback), uint32(InfoFlagRemoteKeyReceived))
	}
	for _, tc := range []struct {
		f    InfoFlags
		want string
	}{
		{0, "0"},
		{InfoFlagFallback, "fallback"},
		{InfoFlagRemoteKeyReceived, "remote_key_received"},
		{InfoFlagFallback | InfoFlagRemoteKeyReceived, "fallback|remote_key_received"},
		{4, "0x4"},
		{InfoFlagRemoteKeyReceived | 0x80000000, "remote_key_received|0x80000000"},
		{0xffffffff, "fallback|remote_key_received|0xfffffffc"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("InfoFlags(%#x).String() = %q, want %q", uint32(tc.f), got, tc.want)
		}
	}
	if got := fmt.Sprint(InfoFlagRemoteKeyReceived); got != "remote_key_received" {
		t.Errorf("fmt.Sprint = %q", got)
	}
}

func TestInfoFieldString(t *testing.T) {
	// The kernel's 6.18 names without the mptcpi_ prefix, in struct order.
	names := []string{
		"extra_subflows", "add_addr_signal", "add_addr_accepted", "limit_extra_subflows",
		"endp_signal_max", "limit_add_addr_accepted", "flags", "token", "write_seq",
		"snd_una", "rcv_nxt", "local_addr_used", "endp_subflow_max", "csum_enabled",
		"retransmits", "bytes_retrans", "bytes_sent", "bytes_received", "bytes_acked",
		"subflows_total", "endp_laminar_max", "endp_fullmesh_max", "last_data_sent",
		"last_data_recv", "last_ack_recv",
	}
	if len(names) != int(numInfoFields) {
		t.Fatalf("%d names for %d fields", len(names), numInfoFields)
	}
	for f, want := range names {
		if got := InfoField(f).String(); got != want {
			t.Errorf("InfoField(%d).String() = %q, want %q", f, got, want)
		}
	}
	for _, tc := range []struct {
		f    InfoField
		want string
	}{
		{numInfoFields, fmt.Sprintf("InfoField(%d)", numInfoFields)},
		{255, "InfoField(255)"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	// Each field's position in the struct order matches its offset order.
	for f := InfoField(1); f < numInfoFields; f++ {
		if kernelInfoFields[f].off <= kernelInfoFields[f-1].off {
			t.Errorf("%v (offset %d) does not follow %v (offset %d)", f, kernelInfoFields[f].off, f-1, kernelInfoFields[f-1].off)
		}
	}
}

// infoHexFixture is the 96-byte fixture, little-endian, as a hex file.
const infoHexFixture = "mptcp_info_96.hex"

// readHexFixture reads a hex dump under testdata: pairs of hex digits,
// whitespace ignored, '#' starting a comment.
func readHexFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var digits strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		line, _, _ = strings.Cut(line, "#")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return b
}

// formatHexFixture renders b the way readHexFixture reads it.
func formatHexFixture(b []byte, header string) []byte {
	var w bytes.Buffer
	w.WriteString(header)
	for off := 0; off < len(b); off += 16 {
		row := b[off:min(off+16, len(b))]
		parts := make([]string, len(row))
		for k, c := range row {
			parts[k] = fmt.Sprintf("%02x", c)
		}
		fmt.Fprintf(&w, "%s  # 0x%02x\n", strings.Join(parts, " "), off)
	}
	return w.Bytes()
}

// TestParseInfoHexFixture decodes testdata/mptcp_info_96.hex. buildInfo is
// the source of truth: the file must hold exactly its little-endian bytes.
// MPTCP_UPDATE_FIXTURES=1 rewrites the file from it.
func TestParseInfoHexFixture(t *testing.T) {
	want := buildInfo(96, binary.LittleEndian)
	if os.Getenv("MPTCP_UPDATE_FIXTURES") != "" {
		header := "# struct mptcp_info as Linux 6.10+ returns it: 96 bytes, little-endian host.\n" +
			"# Generated from buildInfo in info_test.go, the source of truth; to regenerate:\n" +
			"#   MPTCP_UPDATE_FIXTURES=1 go test -run TestParseInfoHexFixture ./mptcp/\n"
		if err := os.WriteFile(filepath.Join("testdata", infoHexFixture), formatHexFixture(want, header), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := readHexFixture(t, infoHexFixture)
	if !bytes.Equal(b, want) {
		t.Fatalf("testdata/%s differs from buildInfo(96, LittleEndian):\n got %x\nwant %x", infoHexFixture, b, want)
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		// On a big-endian host the kernel writes the other byte order; the
		// in-code fixtures cover decoding there.
		t.Skip("fixture is little-endian; host is big-endian")
	}
	var got Info
	parseInfo(b, &got)
	if w := wantInfo(96); got != w {
		t.Errorf("parseInfo(%s):\n got %+v\nwant %+v", infoHexFixture, got, w)
	}
	for f := range numInfoFields {
		if !got.Has(f) {
			t.Errorf("Has(%v) = false", f)
		}
	}
	if got.Subflows() != 11 {
		t.Errorf("Subflows() = %d, want 11", got.Subflows())
	}
}
