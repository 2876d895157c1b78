package lab

import (
	"github.com/multipath-dev/go/internal/netlab"
	"github.com/multipath-dev/go/pm"
)

// PM opens a path-manager client in the namespace ns, for what SetLimits
// and AddEndpoint do not cover, such as an endpoint with a port or for an
// address outside the paths. The caller closes it.
func (l *Lab) PM(ns *netlab.NS) (*pm.Client, error) { return l.pm(ns) }
