//go:build !linux

package pm

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
)

var _ osClient = &client{}

// errUnsupported is what every operation returns off Linux.
var errUnsupported = fmt.Errorf("pm: the mptcp_pm generic netlink family needs Linux, not %s: %w", runtime.GOOS, errors.ErrUnsupported)

// client is the stub of systems without mptcp_pm; dial never returns one.
type client struct{}

func dial(*Config) (*client, error) { return nil, errUnsupported }

func (*client) Close() error                           { return errUnsupported }
func (*client) addEndpoint(Endpoint) (Endpoint, error) { return Endpoint{}, errUnsupported }
func (*client) endpoint(uint8) (Endpoint, error)       { return Endpoint{}, errUnsupported }
func (*client) endpoints() ([]Endpoint, error)         { return nil, errUnsupported }
func (*client) deleteEndpoint(uint8) error             { return errUnsupported }
func (*client) deleteEndpointAddr(netip.Addr) error    { return errUnsupported }
func (*client) flushEndpoints() error                  { return errUnsupported }
func (*client) setEndpointFlags(uint8, Flags) error    { return errUnsupported }
func (*client) limits() (Limits, error)                { return Limits{}, errUnsupported }
func (*client) setLimits(LimitsUpdate) error           { return errUnsupported }
