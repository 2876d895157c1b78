//go:build !linux

package netlab_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/multipath-dev/go/internal/netlab"
)

func TestUnsupported(t *testing.T) {
	_, nsErr := netlab.NewNS("netlabt-")
	_, linkErr := netlab.Link(nil, nil, 1)
	_, topoErr := netlab.TwoHosts("netlabt-", 1)
	for _, err := range []error{nsErr, linkErr, topoErr} {
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "network namespaces need Linux") {
			t.Errorf("got %v, want errors.ErrUnsupported saying namespaces need Linux", err)
		}
	}
	if got := netlab.RemoveStale("netlabt-"); got != nil {
		t.Errorf("RemoveStale = %q, want nil", got)
	}
}
