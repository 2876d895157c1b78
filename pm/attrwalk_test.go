package pm

import (
	"bytes"
	"testing"

	"github.com/mdlayher/netlink"
)

// FuzzAttrWalker checks that attrWalker splits any input exactly as
// netlink.AttributeDecoder does: the same attributes with the same types,
// flags and data, and an error in the same cases.
func FuzzAttrWalker(f *testing.F) {
	for _, name := range eventFixtures {
		msgs, _ := readEventFixture(f, name)
		for _, m := range msgs {
			f.Add(m.Data)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 1, 0})             // zero length: no data, skipped by 4
	f.Add([]byte{3, 0, 1, 0})             // length below the header
	f.Add([]byte{9, 0, 1, 0, 1, 2, 3, 4}) // length past the end
	f.Add([]byte{5, 0, 1, 0x80, 7, 0, 0}) // nested flag, padding cut short
	f.Fuzz(func(t *testing.T, b []byte) {
		ad, derr := netlink.NewAttributeDecoder(b)
		w, werr := newAttrWalker(b)
		if (derr == nil) != (werr == nil) {
			t.Fatalf("NewAttributeDecoder error %v, newAttrWalker error %v", derr, werr)
		}
		if derr != nil {
			return
		}
		for i := 0; ; i++ {
			dn, wn := ad.Next(), w.next()
			if dn != wn {
				t.Fatalf("attribute %d: decoder %v, walker %v", i, dn, wn)
			}
			if !dn {
				break
			}
			if ad.Type() != w.kind() || ad.TypeFlags() != w.flags() || !bytes.Equal(ad.Bytes(), w.data) {
				t.Fatalf("attribute %d: decoder type %d flags %#x data %x, walker %d %#x %x",
					i, ad.Type(), ad.TypeFlags(), ad.Bytes(), w.kind(), w.flags(), w.data)
			}
		}
		if (ad.Err() == nil) != (w.err == nil) {
			t.Fatalf("decoder error %v, walker error %v", ad.Err(), w.err)
		}
	})
}
