//go:build !linux

package main

import (
	"errors"
	"io"
)

// twoPaths needs Linux network namespaces.
func twoPaths(io.Writer, int, string) error {
	return errors.New("the two-path mode needs Linux network namespaces")
}
