//go:build !linux

package lab

import "errors"

// InNetNS runs fn; entering another network namespace needs Linux.
func InNetNS(path string, fn func() error) error {
	if path != "" {
		return errors.New("network namespaces need Linux")
	}
	return fn()
}
