//go:build linux

package netlab

import (
	"fmt"
	"os"
)

// counterFiles hold the kernel's SNMP and extended counters. They are read
// through /proc/thread-self because /proc/self/net (and /proc/net, a link to
// it) shows the namespace of the process's main thread, not of the thread
// that [NS.Do] moved.
var counterFiles = []string{"/proc/thread-self/net/snmp", "/proc/thread-self/net/netstat"}

// Counter returns the kernel SNMP or netstat counter name inside the
// namespace, read from /proc/net/snmp and /proc/net/netstat. The name is the
// line's prefix followed by the column, as nstat spells it: "TcpActiveOpens",
// "TcpOutRsts", "TcpExtTCPTimeouts", "MPTcpExtMPCapableSYNTX",
// "MPTcpExtMPJoinSynRx". A name the kernel does not list (a typo, or a
// counter newer than the kernel) returns 0 and no error; a file that cannot
// be read or parsed, or a negative value such as TcpMaxConn's -1, returns an
// error.
func (ns *NS) Counter(name string) (uint64, error) {
	var files [][]byte
	err := ns.Do(func() error {
		for _, path := range counterFiles {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files = append(files, b)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("netlab: reading counters in %s: %w", ns.Name, err)
	}
	for i, b := range files {
		v, found, err := findCounter(b, name)
		if err != nil {
			return 0, fmt.Errorf("netlab: %s in %s: %w", counterFiles[i], ns.Name, err)
		}
		if found {
			return v, nil
		}
	}
	return 0, nil
}
