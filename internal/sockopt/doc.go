// Package sockopt reads socket options whose size varies with the kernel.
// It has code on Linux only; other systems have no such options.
package sockopt
