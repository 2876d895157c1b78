//go:build race

package labtest

// raceFlags build the examples with the race detector when their tests use
// it.
var raceFlags = []string{"-race"}
