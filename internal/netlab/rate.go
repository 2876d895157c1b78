package netlab

import (
	"fmt"
	"strconv"
	"strings"
)

// Shaping parameters of [Path.Shape]'s tbf qdisc.
const (
	// ShapeLatency is the longest a packet may wait in the tbf queue before
	// it is dropped; it sets the queue length to rate*latency.
	ShapeLatency = "50ms"
	// minBurst is the smallest bucket: tbf drops any packet larger than its
	// burst, and 16 KiB holds a dozen full-size frames.
	minBurst = 16 << 10
	// burstHz sizes the bucket to one tick of a 250 Hz kernel, the classic
	// rule of thumb that lets tbf reach its rate at coarse timer resolution.
	burstHz = 250
)

// rateUnits are tc's rate suffixes, matched case-insensitively as tc does
// (so "mbps" is megabytes, not megabits), in bits per second.
var rateUnits = map[string]float64{
	"bit": 1, "kibit": 1 << 10, "kbit": 1e3, "mibit": 1 << 20, "mbit": 1e6,
	"gibit": 1 << 30, "gbit": 1e9, "tibit": 1 << 40, "tbit": 1e12,
	"bps": 8, "kibps": 8 << 10, "kbps": 8e3, "mibps": 8 << 20, "mbps": 8e6,
	"gibps": 8 << 30, "gbps": 8e9, "tibps": 8 << 40, "tbps": 8e12,
}

// parseRate returns the bytes per second of a tc rate string such as
// "20mbit"; a bare number is bits per second, as in tc.
func parseRate(rate string) (float64, error) {
	s := strings.TrimSpace(rate)
	i := strings.IndexFunc(s, func(r rune) bool {
		return (r < '0' || r > '9') && r != '.'
	})
	if i < 0 {
		i = len(s)
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("netlab: bad rate %q: want a positive number and a tc unit such as 20mbit", rate)
	}
	scale := 1.0
	if unit := strings.ToLower(s[i:]); unit != "" {
		var ok bool
		if scale, ok = rateUnits[unit]; !ok {
			return 0, fmt.Errorf("netlab: bad rate %q: unknown unit %q", rate, s[i:])
		}
	}
	return n * scale / 8, nil
}

// tbfBurst returns the bucket size in bytes for a rate in bytes per second:
// one 250 Hz tick of traffic, but at least 16 KiB.
func tbfBurst(bytesPerSec float64) int {
	return max(int(bytesPerSec/burstHz), minBurst)
}
