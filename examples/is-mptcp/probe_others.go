//go:build !linux

package main

import (
	"errors"
	"syscall"

	"github.com/multipath-dev/go/mptcp"
)

// result is what the three calls returned on one socket, as printed, and
// the rule's verdict.
type result struct {
	isMPTCP, info, protocol string
	status                  mptcp.Status
	by                      string
}

// probe needs Linux: the getsockopt calls it makes exist only there.
func probe(syscall.Conn) (result, error) {
	return result{}, errors.New("this example makes Linux getsockopt calls and needs Linux")
}
