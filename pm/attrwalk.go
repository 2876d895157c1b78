package pm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errInvalidAttribute is the error of a malformed attribute, worded as
// github.com/mdlayher/netlink words its own.
var errInvalidAttribute = errors.New("invalid attribute; length too short or too large")

// attrWalker iterates over the netlink attributes of a message as
// netlink.AttributeDecoder does, with the same checks and errors, but
// without copying each attribute's data: netlink.AttributeDecoder.Next
// allocates a copy of every attribute, which made most of the allocations
// of decoding an event or an endpoint. data is valid only until the next
// call of next and aliases the message, which the callers only read.
type attrWalker struct {
	b    []byte
	i    int
	typ  uint16 // the current attribute's type, flags included
	data []byte // the current attribute's data
	err  error
}

// Linux's attribute header is 4 bytes; attributes are aligned to 4 bytes.
const (
	nlaHeaderLen = 4
	nlaAlignTo   = 4
)

// nlaFlags are the Nested and NetByteOrder bits of an attribute's type.
const nlaFlags = 0xc000

// newAttrWalker returns a walker over b, or an error if b does not split
// into attribute headers, as netlink.NewAttributeDecoder.
func newAttrWalker(b []byte) (attrWalker, error) {
	for i := 0; i < len(b); {
		if len(b)-i < nlaHeaderLen {
			return attrWalker{}, errInvalidAttribute
		}
		l := int(binary.NativeEndian.Uint16(b[i:]))
		i += nlaAlign(max(l, nlaHeaderLen))
	}
	return attrWalker{b: b}, nil
}

// next advances to the next attribute, reporting false at the end or on a
// malformed attribute, whose error err then holds.
func (w *attrWalker) next() bool {
	if w.err != nil || w.i >= len(w.b) {
		return false
	}
	rest := w.b[w.i:]
	if len(rest) < nlaHeaderLen {
		w.err = errInvalidAttribute
		return false
	}
	l := int(binary.NativeEndian.Uint16(rest))
	w.typ = binary.NativeEndian.Uint16(rest[2:])
	switch {
	case l > len(rest), l != 0 && l < nlaHeaderLen:
		w.err = errInvalidAttribute
		return false
	case l == 0:
		w.data = rest[:0:0]
	default:
		w.data = rest[nlaHeaderLen:l:l]
	}
	w.i += nlaAlign(max(l, nlaHeaderLen))
	return true
}

// kind returns the current attribute's type without its flags.
func (w *attrWalker) kind() uint16 { return w.typ &^ nlaFlags }

// flags returns the Nested and NetByteOrder bits of the current attribute's
// type.
func (w *attrWalker) flags() uint16 { return w.typ & nlaFlags }

// nlaAlign rounds n up to the attribute alignment.
func nlaAlign(n int) int { return (n + nlaAlignTo - 1) &^ (nlaAlignTo - 1) }

// do calls fn with the current attribute's data, keeping its error as the
// walker's, as netlink.AttributeDecoder.Do.
func (w *attrWalker) do(fn func(b []byte) error) {
	if w.err != nil {
		return
	}
	if err := fn(w.data); err != nil {
		w.err = err
	}
}

// uint8, uint16 and uint32 return the current attribute's data as an
// integer in native byte order, or set the walker's error, worded as
// netlink.AttributeDecoder words it, if its length is not the integer's.
func (w *attrWalker) uint8() uint8 {
	if !w.sized(1, "uint8") {
		return 0
	}
	return w.data[0]
}

func (w *attrWalker) uint16() uint16 {
	if !w.sized(2, "uint16") {
		return 0
	}
	return binary.NativeEndian.Uint16(w.data)
}

func (w *attrWalker) uint32() uint32 { return w.uint32i("uint32") }

// uint32i is uint32 whose error names the type name, such as "int32".
func (w *attrWalker) uint32i(name string) uint32 {
	if !w.sized(4, name) {
		return 0
	}
	return binary.NativeEndian.Uint32(w.data)
}

// sized reports whether the walker has no error and the current data is n
// bytes long, setting the error if not.
func (w *attrWalker) sized(n int, name string) bool {
	if w.err != nil {
		return false
	}
	if len(w.data) != n {
		w.err = fmt.Errorf("netlink: attribute %d is not a %s; length: %d", w.kind(), name, len(w.data))
		return false
	}
	return true
}
