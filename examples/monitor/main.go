// Command monitor prints the events of the kernel's MPTCP path manager as
// they happen, one line each, through the pm package: a Go counterpart of
// `ip mptcp monitor`.
//
//	sudo go run ./examples/monitor
//	sudo go run ./examples/monitor -netns blue
//	sudo go run ./examples/monitor -json | jq .
//
// A line is what pm.Event.String gives, the format of iproute2 6.19:
//
//	[         CREATED] token=0c8e9a4b remid=0 locid=0 saddr4=192.0.2.1 daddr4=198.51.100.2 sport=41537 dport=443
//	[  SF_ESTABLISHED] token=0c8e9a4b remid=0 locid=2 saddr4=192.0.2.2 daddr4=198.51.100.2 sport=36001 dport=443 backup=0 ifindex=3
//	[LISTENER_CREATED] saddr4=127.0.0.1 sport=8080
//
// With -json, each event is a JSON object on a line of its own, with only
// the attributes the kernel sent:
//
//	{"type":"SF_ESTABLISHED","token":"0c8e9a4b","local_id":2,"remote_id":0,"local":"192.0.2.2:36001","remote":"198.51.100.2:443","backup":false,"ifindex":3}
//
// When the kernel dropped events because the monitor fell behind, a line
// says how many: "# pm: 12 events lost: ..." in text, {"lost":12} in JSON;
// -buffer enlarges the socket's receive buffer to make that rarer.
// -netns NAME watches the namespace /run/netns/NAME (or the namespace file
// NAME, if it contains a slash). The monitor runs until interrupted (Ctrl-C
// or SIGTERM), then exits with status 0; errors exit with status 1.
// Subscribing needs CAP_NET_ADMIN; opening another namespace needs
// CAP_SYS_ADMIN.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/multipath-dev/go/pm"
)

func main() {
	asJSON := flag.Bool("json", false, "print one JSON object per event")
	netns := flag.String("netns", "", "watch the network namespace /run/netns/`NAME`")
	buffer := flag.Int("buffer", 0, "socket receive buffer size in `bytes` (0: the kernel's default)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: monitor [-json] [-netns NAME] [-buffer BYTES]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *buffer < 0 {
		fmt.Fprintf(os.Stderr, "monitor: -buffer %d: want 0 (the kernel's default) or a size in bytes\n", *buffer)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, *netns, *asJSON, *buffer); err != nil {
		fmt.Fprintf(os.Stderr, "monitor: %v\n", err)
		os.Exit(1)
	}
}

// run prints the events of the namespace netns ("" for the current one)
// to w until ctx is done.
func run(ctx context.Context, w io.Writer, netns string, asJSON bool, buffer int) error {
	cfg := &pm.Config{}
	switch {
	case strings.Contains(netns, "/"):
		cfg.NetNSPath = netns
	case netns != "":
		cfg.NetNSPath = "/run/netns/" + netns
	}
	c, err := pm.Dial(cfg)
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("entering another network namespace needs CAP_SYS_ADMIN: %w", err)
	} else if err != nil {
		return err
	}
	sub, err := c.Subscribe()
	// The subscription has a socket of its own; the Client is not needed
	// any more.
	c.Close()
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("subscribing to MPTCP events needs CAP_NET_ADMIN: %w", err)
	} else if err != nil {
		return err
	}
	defer sub.Close()
	if buffer > 0 {
		if err := sub.SetReadBuffer(buffer); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(w)
	for ev, err := range sub.Events(ctx) {
		var lost *pm.EventsLostError
		switch {
		case errors.As(err, &lost):
			if asJSON {
				err = enc.Encode(map[string]int{"lost": lost.Dropped})
			} else {
				_, err = fmt.Fprintf(w, "# %v\n", lost)
			}
		case errors.Is(err, context.Canceled):
			return nil
		case err != nil:
			return err
		case asJSON:
			err = enc.Encode(toJSON(ev))
		default:
			_, err = fmt.Fprintln(w, ev)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonEvent is the JSON form of an event: the fields of the attributes the
// kernel sent, named as iproute2 names them where it does.
type jsonEvent struct {
	Type        string     `json:"type"`
	Token       string     `json:"token,omitempty"`
	LocalID     *uint8     `json:"local_id,omitempty"`
	RemoteID    *uint8     `json:"remote_id,omitempty"`
	Local       string     `json:"local,omitempty"`
	Remote      string     `json:"remote,omitempty"`
	Backup      *bool      `json:"backup,omitempty"`
	Interface   int        `json:"ifindex,omitempty"`
	Error       int        `json:"error,omitempty"`
	ErrorText   string     `json:"error_text,omitempty"`
	ResetReason *uint32    `json:"reset_reason,omitempty"`
	ResetFlags  *uint32    `json:"reset_flags,omitempty"`
	Timeout     *uint32    `json:"timeout,omitempty"`
	ServerSide  bool       `json:"server_side,omitempty"`
	DenyJoinID0 bool       `json:"deny_join_id0,omitempty"`
	Flags       uint16     `json:"flags,omitempty"` // those without a name
	Unknown     []jsonAttr `json:"unknown,omitempty"`
}

// jsonAttr is an attribute the pm package does not know.
type jsonAttr struct {
	Type uint16 `json:"type"`
	Data string `json:"data"` // hexadecimal
}

// toJSON returns the JSON form of ev.
func toJSON(ev pm.Event) jsonEvent {
	has := ev.Attrs.Has
	j := jsonEvent{Type: ev.Type.String(), ServerSide: ev.ServerSide}
	if has(pm.AttrToken) {
		j.Token = fmt.Sprintf("%08x", ev.Token)
	}
	if has(pm.AttrLocalID) {
		j.LocalID = &ev.LocalID
	}
	if has(pm.AttrRemoteID) {
		j.RemoteID = &ev.RemoteID
	}
	j.Local = endpoint(ev.Local, has(pm.AttrSaddr4) || has(pm.AttrSaddr6), has(pm.AttrSport))
	j.Remote = endpoint(ev.Remote, has(pm.AttrDaddr4) || has(pm.AttrDaddr6), has(pm.AttrDport))
	if has(pm.AttrBackup) {
		j.Backup = &ev.Backup
	}
	j.Interface = ev.Interface
	if ev.Error != 0 {
		j.Error, j.ErrorText = int(ev.Error), ev.Error.Error()
	}
	if has(pm.AttrResetReason) {
		j.ResetReason = &ev.ResetReason
	}
	if has(pm.AttrResetFlags) {
		j.ResetFlags = &ev.ResetFlags
	}
	if has(pm.AttrTimeout) {
		j.Timeout = &ev.Timeout
	}
	j.DenyJoinID0 = ev.Flags&pm.EventFlagDenyJoinID0 != 0
	j.Flags = uint16(ev.Flags &^ (pm.EventFlagDenyJoinID0 | pm.EventFlagServerSide))
	for _, a := range ev.Unknown {
		j.Unknown = append(j.Unknown, jsonAttr{Type: a.Type, Data: hex.EncodeToString(a.Data)})
	}
	return j
}

// endpoint formats an address and port as far as the kernel sent them.
func endpoint(ap netip.AddrPort, hasAddr, hasPort bool) string {
	switch {
	case hasAddr && hasPort:
		return ap.String()
	case hasAddr:
		return ap.Addr().String()
	case hasPort:
		return ":" + strconv.Itoa(int(ap.Port()))
	}
	return ""
}
