package lab

import (
	"fmt"
	"io"
	"net"
)

// Echo serves ln until it is closed: it sends back to each client what the
// client sends, until the client closes its end.
func Echo(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

// EchoCheck sends msg over c, which an echo server serves, and checks that
// the same bytes come back.
func EchoCheck(c net.Conn, msg string) error {
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if string(got) != msg {
		return fmt.Errorf("echo: sent %q, got %q back", msg, got)
	}
	return nil
}
