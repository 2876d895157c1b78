//go:build !linux

package main

import "errors"

// inNetNS runs fn; entering another network namespace needs Linux. (The
// daemon itself needs Linux too: pm.Dial says so elsewhere.)
func inNetNS(path string, fn func() error) error {
	if path != "" {
		return errors.New("network namespaces need Linux")
	}
	return fn()
}
