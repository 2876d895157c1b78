//go:build linux

package main

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// inNamespace calls fn in the network namespace file path, or directly if
// path is "". /proc/sys/net shows the sysctls of the namespace of the thread
// that opens a file there, so fn runs on a thread of its own moved into the
// namespace, which is never unlocked: the runtime ends it with fn's
// goroutine instead of giving it to other goroutines.
func inNamespace(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(path)
		if err == nil {
			err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
			f.Close()
		}
		if err != nil {
			done <- fmt.Errorf("entering the network namespace %s: %w", path, err)
			return
		}
		done <- fn()
	}()
	return <-done
}
