//go:build !linux

package main

import (
	"errors"
	"io"
)

// run needs Linux: the options it tries are Linux ones.
func run(io.Writer) error {
	return errors.New("this example tries Linux socket options and needs Linux")
}
