//go:build linux

package nstest

import (
	"os"
	"testing"
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
// counter newer than the kernel) returns 0; a file that cannot be read or
// parsed, or a negative value such as TcpMaxConn's -1, fails the test.
func (ns *NS) Counter(t testing.TB, name string) uint64 {
	t.Helper()
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
		t.Fatalf("nstest: reading counters in %s: %v", ns.Name, err)
	}
	for i, b := range files {
		v, found, err := findCounter(b, name)
		if err != nil {
			t.Fatalf("nstest: %s in %s: %v", counterFiles[i], ns.Name, err)
		}
		if found {
			return v
		}
	}
	return 0
}
