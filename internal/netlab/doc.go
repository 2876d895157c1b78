// Package netlab builds throwaway network namespaces on Linux: hosts joined
// by veth paths with fixed addresses, routed by source address, whose rate
// can be limited and which can be cut and restored, with helpers to run
// code and commands inside a namespace. It serves the MPTCP library's
// integration tests (through internal/nstest, which fails the test instead
// of returning errors) and its runnable examples.
//
// Namespaces need Linux, root and the iproute2 binaries ip and tc. Whatever
// can fail returns an error rather than panicking or exiting; off Linux every
// constructor returns one matching [errors.ErrUnsupported].
//
//	topo, err := netlab.TwoHosts("demo-", 2)
//	if err != nil {
//		return err
//	}
//	defer topo.Close()
//	var ln net.Listener
//	err = topo.Server.Do(func() (err error) {
//		ln, err = net.Listen("tcp", topo.Paths[0].B4.String()+":0")
//		return err
//	})
package netlab
