package netlab

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// findCounter looks name up in the contents of /proc/net/snmp or
// /proc/net/netstat: pairs of lines "Tcp: Name1 Name2 ..." and
// "Tcp: v1 v2 ...", where name is "Tcp" + "Name1". Only the value asked for
// is parsed, so other columns may be negative.
func findCounter(b []byte, name string) (value uint64, found bool, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20) // netstat's TcpExt lines are several KiB long.
	for sc.Scan() {
		header := strings.Fields(sc.Text())
		if !sc.Scan() {
			return 0, false, fmt.Errorf("header %q has no value line", firstOr(header))
		}
		values := strings.Fields(sc.Text())
		if len(header) == 0 || len(values) != len(header) || values[0] != header[0] {
			return 0, false, fmt.Errorf("malformed pair of lines for %q", firstOr(header))
		}
		prefix := strings.TrimSuffix(header[0], ":")
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for i, col := range header[1:] {
			if prefix+col != name {
				continue
			}
			v, err := strconv.ParseUint(values[i+1], 10, 64)
			if err != nil {
				return 0, false, fmt.Errorf("counter %s: %w", name, err)
			}
			return v, true, nil
		}
	}
	return 0, false, sc.Err()
}

// firstOr returns the first field, or "" for an empty line.
func firstOr(fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}
