// Command check-server is a local stand-in for check.mptcp.dev: an HTTP
// server on an MPTCP listener that tells each client whether its
// connection uses MPTCP. The server decides from the connection it
// accepted: http.Server.ConnContext asks mptcp.StatusOf once per connection
// and keeps the answer in the connection's context, where the handler finds
// it. Because an MPTCP listener hands out plain TCP sockets to clients that
// did not ask for MPTCP, the answer is "plain TCP" for them. It needs no
// privileges.
//
// With no flags it runs a demonstration: it starts the server on loopback
// and asks it once with an MPTCP client (mptcp.Dialer) and once with a
// plain TCP client (net.Dialer with SetMultipathTCP(false)), printing each
// client socket's SO_PROTOCOL beside the server's answer.
//
//	go run ./examples/check-server
//
// With -listen it serves until Ctrl-C, printing each connection's status;
// with -get it is the client, MPTCP unless -tcp is given. curl, without
// --mptcp (curl 8.9 and later), is a plain TCP client too.
//
//	go run ./examples/check-server -listen 127.0.0.1:8080
//	go run ./examples/check-server -get http://127.0.0.1:8080/
//	go run ./examples/check-server -get http://127.0.0.1:8080/ -tcp
//	curl http://127.0.0.1:8080/
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/multipath-dev/go/examples/internal/lab"
	"github.com/multipath-dev/go/mptcp"
)

func main() {
	listen := flag.String("listen", "", "serve on `ADDR` until Ctrl-C")
	get := flag.String("get", "", "ask the server at `URL`")
	tcp := flag.Bool("tcp", false, "with -get, use a plain TCP client")
	flag.Parse()
	log.SetFlags(0)
	if flag.NArg() > 0 {
		log.Fatalf("check-server: unexpected arguments %q", flag.Args())
	}
	var err error
	switch {
	case *listen != "":
		err = serveUntilInterrupt(os.Stdout, *listen)
	case *get != "":
		err = ask(os.Stdout, *get, !*tcp)
	default:
		err = demo(os.Stdout)
	}
	if err != nil {
		log.Fatalf("check-server: %v", err)
	}
}

// statusKey is the context key under which ConnContext keeps the status of
// the accepted connection.
type statusKey struct{}

// newServer returns the checking server. If logw is not nil, it prints
// there the remote address and status of each new connection.
func newServer(logw io.Writer) *http.Server {
	var mu sync.Mutex
	return &http.Server{
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			st, err := mptcp.StatusOf(c.(*net.TCPConn))
			if err != nil {
				st = mptcp.StatusUnknown
			}
			if logw != nil {
				mu.Lock()
				fmt.Fprintf(logw, "connection from %s: %s\n", c.RemoteAddr(), st)
				mu.Unlock()
			}
			return context.WithValue(ctx, statusKey{}, st)
		},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, _ := r.Context().Value(statusKey{}).(mptcp.Status)
			fmt.Fprintln(w, answer(st))
		}),
	}
}

// answer is what the server tells a client whose connection has status st.
func answer(st mptcp.Status) string {
	switch st {
	case mptcp.StatusMPTCP:
		return "Your connection uses MPTCP."
	case mptcp.StatusFallback:
		return "Your connection does not use MPTCP: it fell back to TCP."
	case mptcp.StatusTCP:
		return "Your connection does not use MPTCP: plain TCP."
	}
	return "The server could not tell whether your connection uses MPTCP."
}

// listen opens the server's MPTCP listener; under the default Prefer
// policy it is a plain TCP one where this host has no MPTCP.
func listen(addr string) (net.Listener, error) {
	return (&mptcp.ListenConfig{}).Listen(context.Background(), "tcp", addr)
}

// serveUntilInterrupt serves on addr until SIGINT or SIGTERM.
func serveUntilInterrupt(w io.Writer, addr string) error {
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := newServer(w)
	fmt.Fprintf(w, "listening on http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ask sends one request to url, with an MPTCP client or a plain TCP one,
// and prints the protocol of the client's socket and the server's answer.
func ask(w io.Writer, url string, useMPTCP bool) error {
	proto := -1 // the SO_PROTOCOL of the client's socket, read when it is dialed
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		var c net.Conn
		var err error
		if useMPTCP {
			c, err = (&mptcp.Dialer{}).DialContext(ctx, network, address)
		} else {
			d := &net.Dialer{}
			d.SetMultipathTCP(false)
			c, err = d.DialContext(ctx, network, address)
		}
		if err == nil {
			proto, err = lab.Protocol(c.(*net.TCPConn))
		}
		return c, err
	}
	client := &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	name := "TCP client (net.Dialer)"
	if useMPTCP {
		name = "MPTCP client (mptcp.Dialer)"
	}
	fmt.Fprintf(w, "%s: client socket SO_PROTOCOL %d (%s)\n", name, proto, lab.ProtocolName(proto))
	fmt.Fprintf(w, "  server says: %s\n", strings.TrimSpace(string(body)))
	return nil
}

// demo starts the server on loopback and asks it with both clients.
func demo(w io.Writer) error {
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := newServer(nil)
	go srv.Serve(ln)
	defer srv.Close()
	url := fmt.Sprintf("http://%s/", ln.Addr())
	for _, useMPTCP := range []bool{true, false} {
		if err := ask(w, url, useMPTCP); err != nil {
			return err
		}
	}
	return nil
}
