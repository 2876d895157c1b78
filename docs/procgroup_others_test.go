//go:build !linux

package docs

import "os/exec"

// ownGroup does nothing here: the commands the pages show run on Linux.
func ownGroup(*exec.Cmd) {}
