//go:build !linux

package main

import "errors"

// inNetNS runs fn; entering another network namespace needs Linux.
func inNetNS(path string, fn func() error) error {
	if path != "" {
		return errors.New("network namespaces need Linux")
	}
	return fn()
}
