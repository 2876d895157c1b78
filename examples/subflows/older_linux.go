package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"
	"unsafe"

	"github.com/multipath-dev/go/mptcp"
	"golang.org/x/sys/unix"
)

// The two options of Linux 5.16 that -older calls itself; x/sys/unix has
// SOL_MPTCP but not these names.
const (
	mptcpTCPInfo       = 2 // MPTCP_TCPINFO: a struct tcp_info per subflow
	mptcpSubflowAddrs  = 3 // MPTCP_SUBFLOW_ADDRS: the addresses of each subflow
	sizeofSubflowData  = 16
	sizeofSubflowAddrs = 256 // two struct __kernel_sockaddr_storage
)

// subflowData is struct mptcp_subflow_data, the header before the array
// of both options.
type subflowData struct {
	SizeSubflowData uint32 // the header's size, set by the caller
	NumSubflows     uint32 // set by the kernel: the connection's subflows
	SizeKernel      uint32 // set by the kernel: its element size
	SizeUser        uint32 // the element size the caller can take
}

// olderSubflow is one subflow as the two older options describe it.
type olderSubflow struct {
	local, remote netip.AddrPort
	tcp           unix.TCPInfo
}

// getsockopt calls getsockopt(fd, SOL_MPTCP, opt) with a buffer that holds
// the header and room for n elements of size elem, and returns the header
// the kernel wrote and the buffer.
func getsockopt(fd uintptr, opt, elem, n int) (subflowData, []byte, error) {
	buf := make([]byte, sizeofSubflowData+elem*n)
	binary.NativeEndian.PutUint32(buf[0:], sizeofSubflowData)
	binary.NativeEndian.PutUint32(buf[12:], uint32(elem))
	l := uint32(len(buf))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_MPTCP, uintptr(opt),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return subflowData{}, nil, e
	}
	h := subflowData{
		SizeSubflowData: binary.NativeEndian.Uint32(buf[0:]),
		NumSubflows:     binary.NativeEndian.Uint32(buf[4:]),
		SizeKernel:      binary.NativeEndian.Uint32(buf[8:]),
		SizeUser:        binary.NativeEndian.Uint32(buf[12:]),
	}
	return h, buf[:l], nil
}

// sockaddr decodes a struct sockaddr_in or sockaddr_in6 at the start of b.
func sockaddr(b []byte) netip.AddrPort {
	port := binary.BigEndian.Uint16(b[2:4])
	switch binary.NativeEndian.Uint16(b[0:2]) {
	case unix.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port)
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), port)
	}
	return netip.AddrPort{}
}

// olderSubflows reads the subflows of c with MPTCP_TCPINFO and then
// MPTCP_SUBFLOW_ADDRS, as a program must on Linux 5.16–6.4. Subflows can
// come or go between the two calls; it asks again, up to three times,
// until both report the same number.
func olderSubflows(c *net.TCPConn) ([]olderSubflow, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var sfs []olderSubflow
	var opErr error
	for try, room := 0, 4; try < 3; try++ {
		sfs, opErr = nil, nil
		var infoHdr, addrHdr subflowData
		var infos, addrs []byte
		err := rc.Control(func(fd uintptr) {
			if infoHdr, infos, opErr = getsockopt(fd, mptcpTCPInfo, unix.SizeofTCPInfo, room); opErr != nil {
				opErr = fmt.Errorf("getsockopt(SOL_MPTCP, MPTCP_TCPINFO): %w", opErr)
				return
			}
			if addrHdr, addrs, opErr = getsockopt(fd, mptcpSubflowAddrs, sizeofSubflowAddrs, room); opErr != nil {
				opErr = fmt.Errorf("getsockopt(SOL_MPTCP, MPTCP_SUBFLOW_ADDRS): %w", opErr)
			}
		})
		if err == nil {
			err = opErr
		}
		if err != nil {
			return nil, err
		}
		n := int(infoHdr.NumSubflows)
		if n != int(addrHdr.NumSubflows) || n > room {
			room = max(n, int(addrHdr.NumSubflows), room)
			continue // the subflows changed, or did not fit: again
		}
		// The kernel fills min(SizeUser, SizeKernel) bytes of each element
		// and steps by SizeUser.
		for i := 0; i < n; i++ {
			var sf olderSubflow
			tcp := infos[sizeofSubflowData+i*int(infoHdr.SizeUser):]
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&sf.tcp)), unix.SizeofTCPInfo), tcp[:min(int(infoHdr.SizeUser), int(infoHdr.SizeKernel), len(tcp))])
			a := addrs[sizeofSubflowData+i*int(addrHdr.SizeUser):]
			sf.local, sf.remote = sockaddr(a), sockaddr(a[sizeofSubflowAddrs/2:])
			sfs = append(sfs, sf)
		}
		return sfs, nil
	}
	return nil, fmt.Errorf("the subflows changed between MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS on every try")
}

// tcpStates names the TCP states of tcp_info's state field.
var tcpStates = [...]string{1: "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"}

// listOlder prints the subflows of one end of the connection as the two
// older options give them: no subflow ids, which only MPTCP_FULL_INFO has.
func listOlder(name string, c *net.TCPConn) error {
	info, err := mptcp.InfoOf(c)
	if err != nil {
		return err
	}
	sfs, err := olderSubflows(c)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d subflows, token %08x, from MPTCP_TCPINFO + MPTCP_SUBFLOW_ADDRS, two raw getsockopt calls (-older)\n", name, len(sfs), info.Token)
	for i, sf := range sfs {
		state := fmt.Sprint(sf.tcp.State)
		if int(sf.tcp.State) < len(tcpStates) && tcpStates[sf.tcp.State] != "" {
			state = tcpStates[sf.tcp.State]
		}
		fmt.Printf("  #%d: %v -> %v %s, rtt %v, sent %d B, acked %d B, received %d B, retransmitted %d B\n",
			i+1, unmap(sf.local), unmap(sf.remote), state, time.Duration(sf.tcp.Rtt)*time.Microsecond,
			sf.tcp.Bytes_sent, sf.tcp.Bytes_acked, sf.tcp.Bytes_received, sf.tcp.Bytes_retrans)
	}
	return nil
}
