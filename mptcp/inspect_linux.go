//go:build linux

package mptcp

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/multipath-dev/go/internal/sockopt"
	"github.com/multipath-dev/go/internal/unix"
	xunix "golang.org/x/sys/unix"
)

// inspector holds the per-connection buffers and the results of the calls
// made inside syscall.RawConn.Control.
type inspector struct {
	// fn is the callback passed to RawConn.Control, in.do bound once in
	// init so that a call does not allocate a closure; call selects what
	// it does. One bound callback instead of one per option saves the
	// one-shot functions (InfoOf, SubflowsOf, StatusOf) four allocations.
	fn   func(uintptr)
	call call

	fd  uintptr // valid only inside a callback
	st  Status
	n   int
	err error

	infoBuf [unix.SizeofMPTCPInfo]byte
	fullBuf [unix.SizeofMPTCPFullInfo]byte

	// Subflow buffers, sized for capSubflows elements.
	capSubflows int
	sfInfo      []byte // mptcp_subflow_info[] for MPTCP_FULL_INFO
	tcpInfo     []byte // tcp_info[] for MPTCP_FULL_INFO, or header+tcp_info[] for MPTCP_TCPINFO
	addrs       []byte // header+mptcp_subflow_addrs[] for MPTCP_SUBFLOW_ADDRS
	pinner      runtime.Pinner
	// noFullInfo is set once MPTCP_FULL_INFO was refused while the older
	// options worked: the kernel predates 6.5.
	noFullInfo bool
}

// call is what the Control callback of an Inspector does.
type call uint8

const (
	callStatus     call = iota // doStatus
	callInfo                   // doInfo
	callFull                   // doFull
	callTCPInfo                // doTCPInfo
	callAddrs                  // doAddrs
	callAcceptConn             // doAcceptConn
)

func (in *Inspector) init() error {
	in.fn = in.do
	return nil
}

// do runs the getsockopt calls in.call selects on fd.
func (in *inspector) do(fd uintptr) {
	switch in.call {
	case callStatus:
		in.doStatus(fd)
	case callInfo:
		in.doInfo(fd)
	case callFull:
		in.doFull(fd)
	case callTCPInfo:
		in.doTCPInfo(fd)
	case callAddrs:
		in.doAddrs(fd)
	case callAcceptConn:
		in.n, in.err = sockopt.GetInt(fd, xunix.SOL_SOCKET, xunix.SO_ACCEPTCONN)
	}
}

func (in *inspector) isMPTCP() (int, error) {
	return sockopt.GetInt(in.fd, unix.SOL_TCP, unix.TCP_IS_MPTCP)
}

func (in *inspector) protocol() (int, error) {
	return sockopt.GetInt(in.fd, xunix.SOL_SOCKET, xunix.SO_PROTOCOL)
}

func (in *inspector) infoProbe() error {
	_, err := sockopt.Get(in.fd, unix.SOL_MPTCP, unix.MPTCP_INFO, nil)
	return err
}

func (in *inspector) doStatus(fd uintptr) {
	in.fd = fd
	in.st, in.err = classify(in)
}

func (in *inspector) doInfo(fd uintptr) {
	in.n, in.err = sockopt.Get(fd, unix.SOL_MPTCP, unix.MPTCP_INFO, in.infoBuf[:])
}

// control runs the callback c on the socket and returns the error of
// RawConn.Control itself (a closed connection, for example).
func (in *Inspector) control(op string, c call) error {
	in.call = c
	if err := in.rc.Control(in.fn); err != nil {
		return wrapOp(op, err)
	}
	return nil
}

// listening reports whether the socket is a listener (SO_ACCEPTCONN).
func (in *Inspector) listening() bool {
	if in.control("inspect", callAcceptConn) != nil {
		return false
	}
	return in.err == nil && in.n == 1
}

func (in *Inspector) status() (Status, error) {
	if err := in.control("status", callStatus); err != nil {
		return StatusUnknown, err
	}
	if in.err != nil {
		return StatusUnknown, wrapOp("status", in.err)
	}
	return in.st, nil
}

func (in *Inspector) info(i *Info) error {
	if err := in.control("info", callInfo); err != nil {
		return err
	}
	if in.err != nil {
		return in.notMPTCP("info", in.err)
	}
	parseInfo(in.infoBuf[:in.n], i)
	return nil
}

// notMPTCP turns the errno of a SOL_MPTCP getsockopt into the error callers
// test: ErrFallback or ErrNotMPTCP when the connection does not use MPTCP,
// errors.ErrUnsupported when the kernel lacks the option.
func (in *Inspector) notMPTCP(op string, errno error) error {
	if !isOptErrno(errno) {
		return wrapOp(op, errno)
	}
	if err := in.control(op, callStatus); err != nil {
		return err
	}
	if in.err != nil {
		return wrapOp(op, in.err)
	}
	st := in.st
	if st == StatusMPTCP {
		return fmt.Errorf("mptcp: %s: the kernel lacks this MPTCP socket option (Linux 5.16 or later needed): %w: %w",
			op, errors.ErrUnsupported, errno)
	}
	return &notMPTCPError{op: op, status: st, errno: errno}
}

func (in *Inspector) snapshot(i *Info, dst []Subflow) ([]Subflow, error) {
	if in.capSubflows == 0 {
		in.grow(4)
	}
	if !in.noFullInfo {
		out, err := in.fullInfo(i, dst)
		if err == nil || !isOptErrno(err) {
			return out, in.errorOf("subflows", err)
		}
		// EOPNOTSUPP from a kernel before 6.5, or from a fallen-back IPv4
		// socket: the older options tell which.
		out, oerr := in.oldSubflows(dst)
		if oerr != nil {
			return dst, in.errorOf("subflows", oerr)
		}
		in.noFullInfo = true
		if i != nil {
			if err := in.info(i); err != nil {
				return dst, err
			}
		}
		return out, nil
	}
	out, err := in.oldSubflows(dst)
	if err != nil {
		return dst, in.errorOf("subflows", err)
	}
	if i != nil {
		if err := in.info(i); err != nil {
			return dst, err
		}
	}
	return out, nil
}

// errorOf maps an errno from a subflow call; a Control error is already
// wrapped.
func (in *Inspector) errorOf(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *opError
	if errors.As(err, &oe) {
		return err
	}
	return in.notMPTCP(op, err)
}

// grow sizes the subflow buffers for n subflows. They are three parts of
// one allocation, each starting at a multiple of 8 bytes.
func (in *Inspector) grow(n int) {
	in.capSubflows = n
	a := roundUp8(n * sizeofSubflowInfoUser)
	b := roundUp8(unix.SizeofMPTCPSubflowData + n*tcpInfoLen)
	c := unix.SizeofMPTCPSubflowData + n*unix.SizeofMPTCPSubflowAddrs
	buf := make([]byte, a+b+c)
	in.sfInfo = buf[: n*sizeofSubflowInfoUser : a]
	in.tcpInfo = buf[a : a+unix.SizeofMPTCPSubflowData+n*tcpInfoLen : a+b]
	in.addrs = buf[a+b:]
}

// roundUp8 rounds n up to a multiple of 8.
func roundUp8(n int) int { return (n + 7) &^ 7 }

// maxSubflowTries bounds the retries when subflows appear between the
// kernel's count and the copy; the kernel allows far fewer subflows than
// the buffers grow to.
const maxSubflowTries = 4

func (in *Inspector) fullInfo(i *Info, dst []Subflow) ([]Subflow, error) {
	for try := 0; try < maxSubflowTries; try++ {
		fi := fullInfo{
			sizeTCPInfoUser: tcpInfoLen,
			sizeSfInfoUser:  sizeofSubflowInfoUser,
			sizeArraysUser:  uint32(in.capSubflows),
			subflowInfo:     uint64(uintptr(unsafe.Pointer(&in.sfInfo[0]))),
			tcpInfo:         uint64(uintptr(unsafe.Pointer(&in.tcpInfo[0]))),
		}
		clear(in.fullBuf[:])
		fi.marshal(in.fullBuf[:])
		// Why pin: the kernel writes through pointers hidden in a byte
		// buffer, which the garbage collector cannot see.
		in.pinner.Pin(&in.sfInfo[0])
		in.pinner.Pin(&in.tcpInfo[0])
		err := in.control("subflows", callFull)
		in.pinner.Unpin()
		if err != nil {
			return dst, err
		}
		if in.err != nil {
			return dst, in.err
		}
		if err := fi.unmarshal(in.fullBuf[:in.n]); err != nil {
			return dst, err
		}
		if fi.numSubflows > fi.sizeArraysUser && try < maxSubflowTries-1 {
			in.grow(int(fi.numSubflows) + 2)
			continue
		}
		if i != nil {
			parseInfo(in.fullBuf[unix.SizeofMPTCPFullInfoHeader:in.n], i)
		}
		return parseFullInfoArrays(dst, &fi, in.sfInfo, in.tcpInfo[:in.capSubflows*tcpInfoLen])
	}
	return dst, nil
}

func (in *inspector) doFull(fd uintptr) {
	in.n, in.err = sockopt.Get(fd, unix.SOL_MPTCP, unix.MPTCP_FULL_INFO, in.fullBuf[:])
}

func (in *inspector) doTCPInfo(fd uintptr) {
	h := subflowData{sizeSubflowData: unix.SizeofMPTCPSubflowData, sizeUser: tcpInfoLen}
	h.marshal(in.tcpInfo)
	in.n, in.err = sockopt.Get(fd, unix.SOL_MPTCP, unix.MPTCP_TCPINFO, in.tcpInfo)
}

func (in *inspector) doAddrs(fd uintptr) {
	h := subflowData{sizeSubflowData: unix.SizeofMPTCPSubflowData, sizeUser: unix.SizeofMPTCPSubflowAddrs}
	h.marshal(in.addrs)
	in.n, in.err = sockopt.Get(fd, unix.SOL_MPTCP, unix.MPTCP_SUBFLOW_ADDRS, in.addrs)
}

// oldSubflows reads MPTCP_TCPINFO, then MPTCP_SUBFLOW_ADDRS (5.16–6.4).
func (in *Inspector) oldSubflows(dst []Subflow) ([]Subflow, error) {
	for try := 0; try < maxSubflowTries; try++ {
		tn, err := in.oldCall(callTCPInfo)
		if err != nil {
			return dst, err
		}
		an, err := in.oldCall(callAddrs)
		if err != nil {
			return dst, err
		}
		var th, ah subflowData
		if err := th.unmarshal(in.tcpInfo[:tn]); err != nil {
			return dst, err
		}
		if err := ah.unmarshal(in.addrs[:an]); err != nil {
			return dst, err
		}
		if max(th.numSubflows, ah.numSubflows) > uint32(in.capSubflows) && try < maxSubflowTries-1 {
			in.grow(int(max(th.numSubflows, ah.numSubflows)) + 2)
			continue
		}
		// Why compare: the two calls are not atomic, and the arrays are
		// paired by index, so a subflow opened or closed in between
		// would pair one subflow's tcp_info with another's addresses.
		if th.numSubflows != ah.numSubflows {
			if try < maxSubflowTries-1 {
				continue
			}
			return dst, errSubflowsChanged
		}
		return parseSubflowArrays(dst, in.tcpInfo[:tn], in.addrs[:an])
	}
	return dst, nil
}

// errSubflowsChanged reports that subflows kept appearing or closing
// between the two calls of the 5.16–6.4 path; a later call can succeed.
var errSubflowsChanged = &opError{op: "subflows", err: errors.New("the subflows changed between MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS on every try; call again")}

func (in *Inspector) oldCall(c call) (int, error) {
	if err := in.control("subflows", c); err != nil {
		return 0, err
	}
	return in.n, in.err
}
