package pm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/multipath-dev/go/internal/unix"
)

// Flags are the flags of an endpoint (MPTCP_PM_ADDR_FLAG_*).
type Flags uint32

// Endpoint flags. Their values are fixed by the kernel ABI.
const (
	// FlagSignal announces the endpoint's address to peers with ADD_ADDR:
	// the server side of a connection uses it.
	FlagSignal Flags = unix.MPTCP_PM_ADDR_FLAG_SIGNAL
	// FlagSubflow creates a subflow from the endpoint's address to the
	// peer's initial address: the client side of a connection uses it.
	FlagSubflow Flags = unix.MPTCP_PM_ADDR_FLAG_SUBFLOW
	// FlagBackup marks the subflows of the endpoint as backup (MP_PRIO):
	// they carry data only when no other subflow can.
	FlagBackup Flags = unix.MPTCP_PM_ADDR_FLAG_BACKUP
	// FlagFullmesh creates a subflow from the endpoint's address to every
	// address the peer announced (Linux 5.15). It cannot be combined with
	// FlagSignal.
	FlagFullmesh Flags = unix.MPTCP_PM_ADDR_FLAG_FULLMESH
	// FlagImplicit marks an endpoint the kernel created itself for a local
	// address used by a subflow towards a peer-announced address (Linux
	// 5.18). It is reported by the kernel and cannot be requested.
	FlagImplicit Flags = unix.MPTCP_PM_ADDR_FLAG_IMPLICIT
	// FlagLaminar uses the endpoint for at most one subflow towards the
	// addresses the peer announced (Linux 6.18).
	FlagLaminar Flags = unix.MPTCP_PM_ADDR_FLAG_LAMINAR
)

// knownFlags are the bits this package has names for: the kernel's
// MPTCP_PM_ADDR_FLAGS_MASK.
const knownFlags = FlagSignal | FlagSubflow | FlagBackup | FlagFullmesh | FlagImplicit | FlagLaminar

// changeableFlags are the only bits the kernel lets [Client.SetEndpointFlags]
// change.
const changeableFlags = FlagBackup | FlagFullmesh

// flagNames are the flag words in the order `ip mptcp endpoint show` prints
// them.
var flagNames = [...]struct {
	f    Flags
	name string
}{
	{FlagSignal, "signal"},
	{FlagSubflow, "subflow"},
	{FlagBackup, "backup"},
	{FlagFullmesh, "fullmesh"},
	{FlagImplicit, "implicit"},
	{FlagLaminar, "laminar"},
}

// String returns the flags as `ip mptcp endpoint show` prints them: the
// words signal, subflow, backup, fullmesh, implicit and laminar, in that
// order, separated by single spaces, so FlagSubflow|FlagBackup is
// "subflow backup". Bits without a name follow as iproute2 prints them,
// "rawflags" and one hexadecimal number of at least two digits, such as
// "signal rawflags 40". No flags give the empty string.
func (f Flags) String() string {
	var words []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			words = append(words, n.name)
		}
	}
	if rest := f &^ knownFlags; rest != 0 {
		words = append(words, fmt.Sprintf("rawflags %02x", uint32(rest)))
	}
	return strings.Join(words, " ")
}

// ParseFlags parses flags written as [Flags.String] writes them: flag words
// (signal, subflow, backup, fullmesh, implicit, laminar), hexadecimal
// numbers written "rawflags 40" (as iproute2 prints them) or "0x40", separated by spaces or commas (the kernel
// selftests' pm_nl_ctl writes "signal,backup"), in any order and case. The
// empty string is no flags. Anything else, including iproute2's change-only
// words nobackup and nofullmesh, gives a [*ValidationError] matching
// [ErrInvalid].
func ParseFlags(s string) (Flags, error) {
	var f Flags
	words := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n'
	})
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.EqualFold(w, "rawflags") && i+1 < len(words) {
			// iproute2 prints bits it has no name for as "rawflags XX".
			i++
			w = "0x" + words[i]
		}
		bit, ok := parseFlagWord(w)
		if !ok {
			return 0, &ValidationError{Field: "flags", Value: w, Reason: "not a flag word (signal, subflow, backup, fullmesh, implicit, laminar) or 0x hex number"}
		}
		f |= bit
	}
	return f, nil
}

// parseFlagWord parses one flag word or 0x number.
func parseFlagWord(w string) (Flags, bool) {
	lw := strings.ToLower(w)
	for _, n := range flagNames {
		if lw == n.name {
			return n.f, true
		}
	}
	if hex, ok := strings.CutPrefix(lw, "0x"); ok {
		v, err := strconv.ParseUint(hex, 16, 32)
		if err == nil && v != 0 {
			return Flags(v), true
		}
	}
	return 0, false
}
