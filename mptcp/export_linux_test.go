//go:build linux

package mptcp

// SizeInspectorForTest sizes in's subflow buffers for n subflows, so tests
// in package mptcp_test can check that they grow.
func SizeInspectorForTest(in *Inspector, n int) { in.grow(n) }

// UseOlderSubflowPathForTest makes in read subflows as on kernels before
// 6.5.
func UseOlderSubflowPathForTest(in *Inspector) { in.noFullInfo = true }
