//go:build !race

package labtest

// raceFlags are empty: the tests run without the race detector.
var raceFlags []string
