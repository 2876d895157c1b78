package pm

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/multipath-dev/go/internal/unix"
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

// FuzzEndpointWalker checks that parseEndpointMessage, which walks the
// attributes with attrWalker, gives what it gave when it used
// netlink.AttributeDecoder (netlinkEndpointMessage): the same endpoint, or
// an error with the same text.
func FuzzEndpointWalker(f *testing.F) {
	msgs, err := readHexLines(readTestdata(f, "endpoints.hex"))
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range msgs {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gerr := parseEndpointMessage(b)
		want, werr := netlinkEndpointMessage(b)
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("error %v, with netlink.AttributeDecoder %v", gerr, werr)
		}
		if got != want {
			t.Fatalf("endpoint %+v, with netlink.AttributeDecoder %+v", got, want)
		}
	})
}

// netlinkEndpointMessage is parseEndpointMessage as it was with
// netlink.AttributeDecoder, the reference of FuzzEndpointWalker.
func netlinkEndpointMessage(b []byte) (Endpoint, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return Endpoint{}, err
	}
	var (
		ep    Endpoint
		found bool
	)
	for ad.Next() {
		if ad.Type() != unix.MPTCP_PM_ATTR_ADDR {
			continue
		}
		found = true
		ad.Nested(func(nad *netlink.AttributeDecoder) error {
			ep, err = netlinkEndpoint(nad)
			return err
		})
	}
	if err := ad.Err(); err != nil {
		return Endpoint{}, err
	}
	if !found {
		return Endpoint{}, errors.New("pm: reply without an endpoint")
	}
	return ep, nil
}

// netlinkEndpoint is parseEndpoint as it was with netlink.AttributeDecoder.
func netlinkEndpoint(ad *netlink.AttributeDecoder) (Endpoint, error) {
	var (
		ep     Endpoint
		family uint16
		a4     []byte
		a6     []byte
	)
	for ad.Next() {
		switch ad.Type() {
		case unix.MPTCP_PM_ADDR_ATTR_FAMILY:
			family = ad.Uint16()
		case unix.MPTCP_PM_ADDR_ATTR_ID:
			ep.ID = ad.Uint8()
		case unix.MPTCP_PM_ADDR_ATTR_ADDR4:
			a4 = ad.Bytes()
		case unix.MPTCP_PM_ADDR_ATTR_ADDR6:
			a6 = ad.Bytes()
		case unix.MPTCP_PM_ADDR_ATTR_PORT:
			ep.Port = ad.Uint16()
		case unix.MPTCP_PM_ADDR_ATTR_FLAGS:
			ep.Flags = Flags(ad.Uint32())
		case unix.MPTCP_PM_ADDR_ATTR_IF_IDX:
			ep.Interface = int(ad.Int32())
		}
	}
	if err := ad.Err(); err != nil {
		return Endpoint{}, err
	}
	var ok bool
	switch family {
	case unix.AF_INET:
		ep.Addr, ok = netip.AddrFromSlice(a4)
		ok = ok && len(a4) == 4
	case unix.AF_INET6:
		ep.Addr, ok = netip.AddrFromSlice(a6)
		ok = ok && len(a6) == 16
	default:
		return Endpoint{}, fmt.Errorf("pm: endpoint of unknown address family %d", family)
	}
	if !ok {
		return Endpoint{}, errNoAddr
	}
	return ep, nil
}
