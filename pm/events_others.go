//go:build !linux

package pm

// subscribe fails off Linux, where there is no mptcp_pm family; no Client
// can exist there anyway.
func (c *Client) subscribe() (osSubscription, error) { return nil, errUnsupported }
