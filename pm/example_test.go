package pm_test

import (
	"errors"
	"fmt"
	"log"
	"net/netip"
	"os"

	"github.com/multipath-dev/go/pm"
)

// Add a subflow endpoint and let the kernel pick its id, as
// `ip mptcp endpoint add 192.0.2.2 dev eth1 subflow` does.
func ExampleClient_AddEndpoint() {
	c, err := pm.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ep, err := c.AddEndpoint(pm.Endpoint{
		Addr:      netip.MustParseAddr("192.0.2.2"),
		Interface: 2,
		Flags:     pm.FlagSubflow,
	})
	switch {
	case errors.Is(err, os.ErrExist):
		log.Fatal("192.0.2.2 is an endpoint already")
	case errors.Is(err, os.ErrPermission):
		log.Fatal("changing endpoints needs CAP_NET_ADMIN")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("endpoint %d: %v %s\n", ep.ID, ep.Addr, ep.Flags)
}

// List the endpoints of a named network namespace.
func ExampleClient_Endpoints() {
	c, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/blue"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	eps, err := c.Endpoints()
	if err != nil {
		log.Fatal(err)
	}
	for _, ep := range eps {
		fmt.Println(ep.Addr, "id", ep.ID, ep.Flags)
	}
}

// Allow one more subflow per connection, leaving add_addr_accepted as it is.
func ExampleClient_SetLimits() {
	c, err := pm.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	l, err := c.Limits()
	if err != nil {
		log.Fatal(err)
	}
	more := l.Subflows + 1
	if err := c.SetLimits(pm.LimitsUpdate{Subflows: &more}); errors.Is(err, pm.ErrInvalid) {
		log.Fatalf("the kernel refuses %d subflows: %v", more, err)
	} else if err != nil {
		log.Fatal(err)
	}
}
