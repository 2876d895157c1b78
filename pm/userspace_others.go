//go:build !linux

package pm

import "net/netip"

var _ userspaceClient = &client{}

func (*client) announce(uint32, Endpoint) error                             { return errUnsupported }
func (*client) remove(uint32, uint8) error                                  { return errUnsupported }
func (*client) createSubflow(uint32, Endpoint, netip.AddrPort) error        { return errUnsupported }
func (*client) destroySubflow(uint32, netip.AddrPort, netip.AddrPort) error { return errUnsupported }
func (*client) connectionEndpoint(uint32, uint8) (Endpoint, error)          { return Endpoint{}, errUnsupported }
func (*client) connectionEndpoints(uint32) ([]Endpoint, error)              { return nil, errUnsupported }
func (*client) setSubflowBackup(uint32, netip.AddrPort, netip.AddrPort, bool) error {
	return errUnsupported
}
