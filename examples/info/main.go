// Command info reads MPTCP_INFO, the connection-level state the kernel keeps
// for an MPTCP socket, and prints the fields the running kernel returned,
// grouped by the Linux release that added them.
//
//	go run ./examples/info
//	go run ./examples/info -hold    # then, in another shell: ss -Mtin
//	go run ./examples/info -hold -look 'ss -Mtin'
//
// It opens an MPTCP connection on loopback, sends -size bytes from the
// client to the server, waits until the server has read them all, and reads
// MPTCP_INFO on both ends with mptcp.InfoOf: it prints every field of the
// client's and a summary of the server's. struct mptcp_info grew with
// the kernel: the kernel copies as many bytes as it knows (Info.Len: 48 on
// 5.16–6.4, 80 on 6.5, 88 on 6.8, 96 from 6.10), and Info.Has tells whether
// a field is among them, so a field this kernel lacks is listed as missing
// instead of printed as 0. With -hold the connection stays open until Enter
// (or the end of standard input), for a look with `ss -Mtin`, which shows
// the same token and counters; -look CMD runs CMD with sh then instead of
// waiting for Enter, and ends when CMD does. It needs no privileges.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
)

// group is the fields one kernel release added to struct mptcp_info, in
// the lines they are printed on.
type group struct {
	since string
	lines [][]mptcp.InfoField
}

// groups lists every field of struct mptcp_info by the release that added
// it (the struct existed from 5.9 for ss; getsockopt can read it from 5.16).
var groups = []group{
	{"5.9", [][]mptcp.InfoField{
		{mptcp.FieldToken, mptcp.FieldFlags},
		{mptcp.FieldExtraSubflows, mptcp.FieldAddAddrSignal, mptcp.FieldAddAddrAccepted},
		{mptcp.FieldLimitExtraSubflows, mptcp.FieldEndpSignalMax, mptcp.FieldLimitAddAddrAccepted},
		{mptcp.FieldWriteSeq, mptcp.FieldSndUna, mptcp.FieldRcvNxt},
	}},
	{"5.12", [][]mptcp.InfoField{{mptcp.FieldLocalAddrUsed, mptcp.FieldEndpSubflowMax}}},
	{"5.14", [][]mptcp.InfoField{{mptcp.FieldChecksumEnabled}}},
	{"6.5", [][]mptcp.InfoField{
		{mptcp.FieldBytesSent, mptcp.FieldBytesReceived, mptcp.FieldBytesAcked},
		{mptcp.FieldRetransmits, mptcp.FieldBytesRetrans},
	}},
	{"6.8", [][]mptcp.InfoField{{mptcp.FieldSubflowsTotal}}},
	{"6.10", [][]mptcp.InfoField{{mptcp.FieldLastDataSent, mptcp.FieldLastDataRecv, mptcp.FieldLastAckRecv}}},
	// These two were reserved bytes, always 0, on 6.10 to 6.17 (and 6.18
	// for the second); Has reports them from 6.10 on.
	{"6.18*", [][]mptcp.InfoField{{mptcp.FieldEndpLaminarMax}}},
	{"6.19*", [][]mptcp.InfoField{{mptcp.FieldEndpFullmeshMax}}},
}

func main() {
	size := flag.Int("size", 1<<20, "bytes the client sends")
	hold := flag.Bool("hold", false, "keep the connection open until Enter")
	look := flag.String("look", "", "with -hold: run `CMD` with sh while the connection is held, then end")
	flag.Parse()
	log.SetFlags(0)
	if err := lab.CheckArgs(*size); err != nil {
		log.Fatalf("info: %v", err)
	}
	if err := run(os.Stdout, *size, *hold, *look); err != nil {
		log.Fatalf("info: %v", err)
	}
}

func run(w io.Writer, size int, hold bool, look string) error {
	ln, err := (&mptcp.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := (&mptcp.Dialer{}).Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	client := c.(*net.TCPConn)
	defer client.Close()
	s := <-accepted
	if s == nil {
		return errors.New("accept failed")
	}
	server := s.(*net.TCPConn)
	defer server.Close()

	// Send, and read everything on the other end, so that bytes_sent is
	// final when we look (bytes_acked may still trail it).
	read := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(server, make([]byte, size))
		read <- err
	}()
	if _, err := client.Write(make([]byte, size)); err != nil {
		return err
	}
	if err := <-read; err != nil {
		return err
	}
	fmt.Fprintf(w, "client %v wrote %d bytes, server %v read them\n", client.LocalAddr(), size, server.LocalAddr())

	// The error says when the connection is not MPTCP (it matches
	// mptcp.ErrNotMPTCP) or the kernel predates 5.16 (errors.ErrUnsupported).
	info, err := mptcp.InfoOf(client)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	printClient(w, info)
	if info, err = mptcp.InfoOf(server); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	fmt.Fprintf(w, "server: MPTCP_INFO, %d bytes: token %08x", info.Len, info.Token)
	if info.Has(mptcp.FieldBytesReceived) {
		fmt.Fprintf(w, ", bytes_received %d", info.BytesReceived)
	}
	fmt.Fprintf(w, ", subflows %d\n", info.Subflows())

	if hold {
		fmt.Fprintln(w, "holding the connection: look with `ss -Mtin`; Enter ends")
		if look != "" {
			cmd := exec.Command("sh", "-c", look)
			cmd.Stdout, cmd.Stderr = w, w
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("-look %q: %w", look, err)
			}
			return nil
		}
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	return nil
}

// printClient prints the fields of the client's info that the kernel
// returned, by release.
func printClient(w io.Writer, info *mptcp.Info) {
	fmt.Fprintf(w, "client: MPTCP_INFO, %d bytes\n", info.Len)
	var missing []string
	for _, g := range groups {
		label := g.since
		for _, line := range g.lines {
			var parts []string
			for _, f := range line {
				if info.Has(f) {
					parts = append(parts, fmt.Sprintf("%v %s", f, value(info, f)))
				} else {
					missing = append(missing, f.String())
				}
			}
			if len(parts) > 0 {
				fmt.Fprintf(w, "  %-6s %s\n", label, strings.Join(parts, ", "))
				label = ""
			}
		}
	}
	if len(missing) == 0 {
		missing = []string{"none"}
	}
	fmt.Fprintf(w, "  (* a reserved byte, read as 0, from 6.10 until that release)\n")
	fmt.Fprintf(w, "  not returned by this kernel: %s\n", strings.Join(missing, ", "))
	fmt.Fprintf(w, "  subflows (Info.Subflows): %d\n", info.Subflows())
}

// value formats the field f of info.
func value(i *mptcp.Info, f mptcp.InfoField) string {
	switch f {
	case mptcp.FieldToken:
		return fmt.Sprintf("%08x", i.Token)
	case mptcp.FieldFlags:
		return i.Flags.String()
	case mptcp.FieldExtraSubflows:
		return fmt.Sprint(i.ExtraSubflows)
	case mptcp.FieldAddAddrSignal:
		return fmt.Sprint(i.AddAddrSignal)
	case mptcp.FieldAddAddrAccepted:
		return fmt.Sprint(i.AddAddrAccepted)
	case mptcp.FieldLimitExtraSubflows:
		return fmt.Sprint(i.LimitExtraSubflows)
	case mptcp.FieldEndpSignalMax:
		return fmt.Sprint(i.EndpSignalMax)
	case mptcp.FieldLimitAddAddrAccepted:
		return fmt.Sprint(i.LimitAddAddrAccepted)
	case mptcp.FieldWriteSeq:
		return fmt.Sprintf("%x", i.WriteSeq)
	case mptcp.FieldSndUna:
		return fmt.Sprintf("%x", i.SndUna)
	case mptcp.FieldRcvNxt:
		return fmt.Sprintf("%x", i.RcvNxt)
	case mptcp.FieldLocalAddrUsed:
		return fmt.Sprint(i.LocalAddrUsed)
	case mptcp.FieldEndpSubflowMax:
		return fmt.Sprint(i.EndpSubflowMax)
	case mptcp.FieldChecksumEnabled:
		return fmt.Sprint(i.ChecksumEnabled)
	case mptcp.FieldRetransmits:
		return fmt.Sprint(i.Retransmits)
	case mptcp.FieldBytesRetrans:
		return fmt.Sprint(i.BytesRetrans)
	case mptcp.FieldBytesSent:
		return fmt.Sprint(i.BytesSent)
	case mptcp.FieldBytesReceived:
		return fmt.Sprint(i.BytesReceived)
	case mptcp.FieldBytesAcked:
		return fmt.Sprint(i.BytesAcked)
	case mptcp.FieldSubflowsTotal:
		return fmt.Sprint(i.SubflowsTotal)
	case mptcp.FieldEndpLaminarMax:
		return fmt.Sprint(i.EndpLaminarMax)
	case mptcp.FieldEndpFullmeshMax:
		return fmt.Sprint(i.EndpFullmeshMax)
	case mptcp.FieldLastDataSent:
		return i.LastDataSent.String()
	case mptcp.FieldLastDataRecv:
		return i.LastDataRecv.String()
	case mptcp.FieldLastAckRecv:
		return i.LastAckRecv.String()
	}
	return "?"
}
