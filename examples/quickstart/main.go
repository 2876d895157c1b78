// Command quickstart shows MPTCP working on this machine: it starts an MPTCP
// server and client on loopback, sends data from one to the other, and
// prints whether each side uses MPTCP, its MPTCP_INFO and its subflows.
// Where MPTCP is unavailable it says why and shows the TCP fallback working.
// It needs no privileges.
//
//	go run ./examples/quickstart
//
// With -two-paths (root) it builds two hosts in network namespaces joined
// by two paths shaped with tbf, configures their path managers with the pm
// package, and shows both subflows of one connection carrying the data. It
// removes the namespaces when it ends, also on Ctrl-C.
//
//	sudo go run ./examples/quickstart -two-paths
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
)

func main() {
	size := flag.Int("size", 4<<20, "bytes the client sends, 1 to 1 GiB; 16 MiB with -two-paths unless given")
	addr := flag.String("addr", "127.0.0.1:0", "address the server listens on")
	two := flag.Bool("two-paths", false, "build two hosts joined by two paths in network namespaces (needs root)")
	rate := flag.String("rate", "50mbit", "rate of each path with -two-paths, as tc writes it")
	flag.Parse()
	log.SetFlags(0)
	if err := lab.CheckArgs(*size); err != nil {
		log.Fatalf("quickstart: %v", err)
	}
	switch {
	case isSet("rate") && !*two:
		log.Fatal("quickstart: -rate needs -two-paths")
	case isSet("addr") && *two:
		log.Fatal("quickstart: -addr does not go with -two-paths, which uses the lab's addresses")
	}
	if *two {
		n := *size
		if !isSet("size") {
			n = 16 << 20
		}
		if err := twoPaths(os.Stdout, n, *rate); err != nil {
			log.Fatalf("quickstart: %v", err)
		}
		return
	}
	if err := run(os.Stdout, *addr, *size); err != nil {
		log.Fatalf("quickstart: %v", err)
	}
}

// isSet reports whether the named flag was given on the command line.
func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func run(w io.Writer, addr string, size int) error {
	if err := mptcp.Available(); err != nil {
		var ue *mptcp.UnavailableError
		if errors.As(err, &ue) {
			fmt.Fprintf(w, "MPTCP available: no, %s (%v)\n", ue.Reason, ue.Err)
		} else {
			fmt.Fprintf(w, "MPTCP available: no (%v)\n", err)
		}
		fmt.Fprintln(w, "Continuing with the default policy, which falls back to plain TCP.")
	} else {
		fmt.Fprintln(w, "MPTCP available: yes")
	}

	ln, err := (&mptcp.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Fprintf(w, "server listening on %s\n", ln.Addr())

	type result struct {
		conn *net.TCPConn
		sum  [32]byte
		n    int64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		h := sha256.New()
		n, err := io.Copy(h, c)
		var r result
		r.conn, r.n, r.err = c.(*net.TCPConn), n, err
		copy(r.sum[:], h.Sum(nil))
		done <- r
	}()

	c, err := (&mptcp.Dialer{}).Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	client := c.(*net.TCPConn)
	defer client.Close()
	data := make([]byte, size)
	rand.Read(data)
	if _, err := io.Copy(client, bytes.NewReader(data)); err != nil {
		return err
	}
	// Half-close so the server sees EOF; both sockets stay open to inspect.
	if err := client.CloseWrite(); err != nil {
		return err
	}
	r := <-done
	if r.err != nil {
		return r.err
	}
	defer r.conn.Close()
	verdict := "intact"
	if r.sum != sha256.Sum256(data) || r.n != int64(size) {
		verdict = "CORRUPTED"
	}
	fmt.Fprintf(w, "client sent %d bytes, server received %d, sha256 %s\n\n", size, r.n, verdict)

	report(w, "client", client)
	report(w, "server", r.conn)
	if verdict != "intact" {
		return errors.New("data did not arrive intact")
	}
	return nil
}

// report prints what the library knows about one side of the connection.
func report(w io.Writer, side string, c *net.TCPConn) {
	st, err := mptcp.StatusOf(c)
	if err != nil {
		fmt.Fprintf(w, "%s: status unknown: %v\n", side, err)
		return
	}
	fmt.Fprintf(w, "%s: %s (%s)\n", side, st, describe(st))
	if st != mptcp.StatusMPTCP {
		fmt.Fprintln(w)
		return
	}
	in, err := mptcp.NewInspector(c)
	if err != nil {
		fmt.Fprintf(w, "  inspect: %v\n", err)
		return
	}
	var info mptcp.Info
	sfs, err := in.Snapshot(&info, nil)
	if err != nil {
		fmt.Fprintf(w, "  subflows: %v\n", err)
		return
	}
	fmt.Fprintf(w, "  MPTCP_INFO (%d bytes): token %08x, subflows %d (extra %d), flags %v\n",
		info.Len, info.Token, info.Subflows(), info.ExtraSubflows, info.Flags)
	var opt []string
	if info.Has(mptcp.FieldBytesSent) {
		opt = append(opt, fmt.Sprintf("bytes sent %d, received %d, acked %d, retransmitted %d",
			info.BytesSent, info.BytesReceived, info.BytesAcked, info.BytesRetrans))
	}
	if info.Has(mptcp.FieldLastDataSent) {
		opt = append(opt, fmt.Sprintf("last data sent %v ago, received %v ago", info.LastDataSent, info.LastDataRecv))
	}
	for _, s := range opt {
		fmt.Fprintf(w, "  %s\n", s)
	}
	fmt.Fprintf(w, "  limits: %d extra subflows, %d ADD_ADDR accepted; endpoints: %d subflow, %d signal\n",
		info.LimitExtraSubflows, info.LimitAddAddrAccepted, info.EndpSubflowMax, info.EndpSignalMax)
	for _, sf := range sfs {
		fmt.Fprintf(w, "  subflow %d: %v -> %v %v, rtt %v, cwnd %d, mss %d, sent %d B, received %d B\n",
			sf.ID, sf.Local, sf.Remote, sf.State, sf.RTT, sf.SndCwnd, sf.SndMSS, sf.BytesSent, sf.BytesReceived)
	}
	fmt.Fprintln(w)
}

func describe(st mptcp.Status) string {
	switch st {
	case mptcp.StatusMPTCP:
		return "using Multipath TCP"
	case mptcp.StatusFallback:
		return "created as MPTCP, fell back to plain TCP"
	case mptcp.StatusTCP:
		return "plain TCP socket"
	}
	return strings.ToLower(st.String())
}
