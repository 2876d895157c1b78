//go:build !linux

package main

import (
	"errors"
	"net"
)

// listOlder would print the subflows read with the older options; they
// exist only on Linux.
func listOlder(string, *net.TCPConn) error {
	return errors.New("MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS need Linux")
}
