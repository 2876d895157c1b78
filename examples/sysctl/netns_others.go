//go:build !linux

package main

import "errors"

// inNamespace calls fn; other network namespaces need Linux.
func inNamespace(path string, fn func() error) error {
	if path != "" {
		return errors.New("network namespaces need Linux")
	}
	return fn()
}
