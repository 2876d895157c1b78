//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/multipath-dev/go/examples/internal/labtest"
	"github.com/multipath-dev/go/internal/nstest"
	"github.com/multipath-dev/go/mptcp"
	"github.com/multipath-dev/go/pm"
)

// A proc is a running command whose stdout lines are collected.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), done: make(chan struct{})}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		p.cmd.Wait()
	})
	return p
}

func (p *proc) snapshot() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.lines)
}

// interrupt sends SIGINT, as Ctrl-C does, and returns the lines and the
// exit status.
func (p *proc) interrupt(t *testing.T) ([]string, int) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not exit within 10s of SIGINT", p.cmd.Path)
	}
	p.cmd.Wait()
	return p.snapshot(), p.cmd.ProcessState.ExitCode()
}

// A recorder collects the library's own events, in a goroutine.
type recorder struct {
	mu  sync.Mutex
	evs []pm.Event
}

func record(t *testing.T, ns *nstest.NS) *recorder {
	t.Helper()
	c, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub, err := c.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetReadBuffer(16 << 20); err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev, err := range sub.Events(context.Background()) {
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("library subscription: %v", err)
				}
				continue
			}
			r.mu.Lock()
			r.evs = append(r.evs, ev)
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		sub.Close()
		<-done
	})
	return r
}

func (r *recorder) snapshot() []pm.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

// settle waits until the counts of what fn returns stop changing.
func settle(fn func() int) {
	for n := -1; n != fn(); time.Sleep(150 * time.Millisecond) {
		n = fn()
	}
}

// listen opens and closes an MPTCP listener in ns, which gives a
// LISTENER_CREATED and a LISTENER_CLOSED event.
func listen(t *testing.T, ns *nstest.NS) {
	t.Helper()
	if err := ns.Do(func() error {
		ln, err := mptcp.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		return ln.Close()
	}); err != nil {
		t.Fatal(err)
	}
}

// syncAll makes listener events in ns until every process printed a line,
// then waits until all are quiet.
func syncAll(t *testing.T, ns *nstest.NS, rec *recorder, procs ...*proc) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ready := true
		for _, p := range procs {
			ready = ready && len(p.snapshot()) > 0
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the monitors printed nothing within 20s")
		}
		listen(t, ns)
	}
	settle(func() int {
		n := len(rec.snapshot())
		for _, p := range procs {
			n += len(p.snapshot())
		}
		return n
	})
}

// connect makes an MPTCP connection in ns to ln, sends a byte and returns
// both ends and the client's token once the server read it.
func connect(t *testing.T, ns *nstest.NS, ln net.Listener) (client, server net.Conn, tok uint32) {
	t.Helper()
	if err := ns.Do(func() (err error) {
		client, err = (&mptcp.Dialer{Policy: mptcp.Require}).Dial("tcp", ln.Addr().String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	info, err := mptcp.InfoOf(client.(*net.TCPConn))
	if err != nil {
		t.Fatal(err)
	}
	return client, s, info.Token
}

var ipLineRE = regexp.MustCompile(`^\[\s*([A-Z_]+(?: \d+)?)\](?: token=([0-9a-f]{8}))?`)

// typeToken returns "TYPE token" of a line as `ip mptcp monitor` or the
// monitor prints it; ip 6.1 shows listener events as "[UNKNOWN 15]".
func typeToken(line string) string {
	m := ipLineRE.FindStringSubmatch(line)
	if m == nil {
		return "unparsed: " + line
	}
	var n int
	if _, err := fmt.Sscanf(m[1], "UNKNOWN %d", &n); err == nil {
		m[1] = pm.EventType(n).String()
	}
	return strings.TrimSpace(m[1] + " " + m[2])
}

// The monitor, run in a namespace during connections and listener
// changes, prints one line per event the library itself receives: its
// String, or with -json its JSON form; ip mptcp monitor shows the same
// types and tokens. Both modes exit with status 0 on SIGINT.
func TestMonitor(t *testing.T) {
	ns := nstest.New(t)
	bin := labtest.Build(t)
	rec := record(t, ns)
	text := start(t, bin, "-netns", ns.Name)
	js := start(t, bin, "-json", "-buffer", "1048576", "-netns", "/run/netns/"+ns.Name)
	ip := start(t, "ip", "netns", "exec", ns.Name, "ip", "mptcp", "monitor")
	syncAll(t, ns, rec, text, js, ip)
	r0, t0, j0, i0 := len(rec.snapshot()), len(text.snapshot()), len(js.snapshot()), len(ip.snapshot())

	var tokens []uint32
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		var ln net.Listener
		if err := ns.Do(func() (err error) {
			ln, err = (&mptcp.ListenConfig{Policy: mptcp.Require}).Listen(context.Background(), "tcp", addr)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c, s, tok := connect(t, ns, ln)
		tokens = append(tokens, tok)
		c.Close()
		s.Close()
		ln.Close()
	}
	pc, err := pm.Dial(&pm.Config{NetNSPath: "/run/netns/" + ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ep, err := pc.AddEndpoint(pm.Endpoint{Addr: netip.MustParseAddr("127.0.0.1"), Port: 10987, Flags: pm.FlagSignal})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.DeleteEndpoint(ep.ID); err != nil {
		t.Fatal(err)
	}
	// Wait for every connection's CLOSED, on both ends.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n := 0
		for _, ev := range rec.snapshot()[r0:] {
			if ev.Type == pm.EventClosed {
				n++
			}
		}
		if n == 2*len(tokens) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d CLOSED events within 10s, want %d", n, 2*len(tokens))
		}
	}
	settle(func() int {
		return len(rec.snapshot()) + len(text.snapshot()) + len(js.snapshot()) + len(ip.snapshot())
	})

	evs := rec.snapshot()[r0:]
	textLines, code := text.interrupt(t)
	if code != 0 {
		t.Errorf("monitor exited with status %d on SIGINT", code)
	}
	jsonLines, code := js.interrupt(t)
	if code != 0 {
		t.Errorf("monitor -json exited with status %d on SIGINT", code)
	}
	textLines, jsonLines, ipLines := textLines[t0:], jsonLines[j0:], ip.snapshot()[i0:]
	t.Logf("monitor printed:\n\t%s", strings.Join(textLines, "\n\t"))
	t.Logf("monitor -json printed:\n\t%s", strings.Join(jsonLines, "\n\t"))
	if len(evs) < 4*len(tokens)+6 {
		t.Fatalf("only %d events:\n%v", len(evs), evs)
	}

	var want, wantIP []string
	for _, ev := range evs {
		want = append(want, ev.String())
		tt := ev.Type.String()
		if ev.Attrs.Has(pm.AttrToken) {
			tt += fmt.Sprintf(" %08x", ev.Token)
		}
		wantIP = append(wantIP, tt)
	}
	if !slices.Equal(textLines, want) {
		t.Errorf("monitor printed\n\t%s\nthe library received\n\t%s", strings.Join(textLines, "\n\t"), strings.Join(want, "\n\t"))
	}
	var gotIP []string
	for _, l := range ipLines {
		gotIP = append(gotIP, typeToken(l))
	}
	if !slices.Equal(gotIP, wantIP) {
		t.Errorf("ip mptcp monitor printed\n\t%s\nthe library received\n\t%s", strings.Join(gotIP, "\n\t"), strings.Join(wantIP, "\n\t"))
	}
	if len(jsonLines) != len(evs) {
		t.Fatalf("monitor -json printed %d lines for %d events:\n%s", len(jsonLines), len(evs), strings.Join(jsonLines, "\n"))
	}
	seen := map[string]bool{}
	for i, l := range jsonLines {
		var got jsonEvent
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Errorf("line %d: %v: %s", i, err, l)
			continue
		}
		if w := toJSON(evs[i]); !reflect.DeepEqual(got, w) {
			t.Errorf("line %d: %s\nwant %+v", i, l, w)
		}
		seen[got.Type+" "+got.Token] = true
	}
	// The JSON carries the sockets' tokens, in hexadecimal.
	for _, tok := range tokens {
		for _, typ := range []string{"CREATED", "ESTABLISHED", "CLOSED"} {
			if k := fmt.Sprintf("%s %08x", typ, tok); !seen[k] {
				t.Errorf("no JSON line for %s", k)
			}
		}
	}
	if !strings.Contains(strings.Join(jsonLines, "\n"), `{"type":"LISTENER_CREATED","local":"127.0.0.1:10987"}`) {
		t.Errorf("no JSON line for the port endpoint's listener:\n%s", strings.Join(jsonLines, "\n"))
	}
}

var lostLineRE = regexp.MustCompile(`^# pm: (\d+) events lost: `)

// A monitor that falls behind (stopped, with a tiny buffer) reports how
// many events were lost: its event lines plus the lost counts are what
// the library received meanwhile.
func TestMonitorLost(t *testing.T) {
	ns := nstest.New(t)
	bin := labtest.Build(t)
	rec := record(t, ns)
	mon := start(t, bin, "-buffer", "1", "-netns", ns.Name)
	syncAll(t, ns, rec, mon)
	r0, m0 := len(rec.snapshot()), len(mon.snapshot())

	if err := mon.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		listen(t, ns)
	}
	settle(func() int { return len(rec.snapshot()) })
	if err := mon.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	settle(func() int { return len(mon.snapshot()) })
	evs := rec.snapshot()[r0:]
	lines, code := mon.interrupt(t)
	if code != 0 {
		t.Errorf("exit status %d on SIGINT", code)
	}
	lines = lines[m0:]
	printed, lost, reports := 0, 0, 0
	for _, l := range lines {
		if m := lostLineRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			lost += n
			reports++
			continue
		}
		printed++
	}
	t.Logf("%d events: the monitor printed %d and reported %d lost in %d lines", len(evs), printed, lost, reports)
	if len(evs) != 100 || reports == 0 || printed+lost != len(evs) {
		t.Errorf("%d events, the monitor printed %d and reported %d lost in %d lines; want 100 = printed + lost:\n%s",
			len(evs), printed, lost, reports, strings.Join(lines, "\n"))
	}
}
