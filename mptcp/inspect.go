package mptcp

import (
	"errors"
	"fmt"
	"reflect"
	"syscall"
)

// errNilConn reports a nil connection passed to an introspection call.
var errNilConn = errors.New("mptcp: nil connection")

// errZeroInspector reports an Inspector that NewInspector did not make.
var errZeroInspector = errors.New("mptcp: Inspector not made by NewInspector")

// An Inspector reads the MPTCP state of one connection repeatedly. It keeps
// the connection's syscall.RawConn and its buffers, so Info does not
// allocate and Subflows reuses its memory. An Inspector is not safe for
// concurrent use; create one per goroutine (they are cheap).
type Inspector struct {
	rc syscall.RawConn
	inspector
}

// NewInspector returns an Inspector for c, which may be any connection that
// implements syscall.Conn: one from this package, one made with the standard
// library's SetMultipathTCP, or one accepted by a net/http server. On
// systems other than Linux it returns an error matching
// errors.ErrUnsupported.
func NewInspector(c syscall.Conn) (*Inspector, error) {
	if c == nil {
		return nil, errNilConn
	}
	if v := reflect.ValueOf(c); v.Kind() == reflect.Pointer && v.IsNil() {
		// A typed nil, such as a nil *net.TCPConn, whose SyscallConn
		// method would dereference it.
		return nil, fmt.Errorf("mptcp: nil %T connection", c)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		if errors.Is(err, syscall.EINVAL) {
			return nil, fmt.Errorf("mptcp: inspect: %T has no socket (a zero value?): %w", c, err)
		}
		return nil, wrapOp("inspect", err)
	}
	in := &Inspector{rc: rc}
	if err := in.init(); err != nil {
		return nil, err
	}
	return in, nil
}

// Status reports whether the connection uses MPTCP now, fell back to TCP,
// or was plain TCP from the start. It needs one getsockopt on Linux 6.10
// and later, two or three before.
func (in *Inspector) Status() (Status, error) {
	if in == nil || in.rc == nil {
		return StatusUnknown, errZeroInspector
	}
	return in.status()
}

// Info reads MPTCP_INFO into i without allocating. A field the running
// kernel does not return is reported absent by i.Has. When the connection
// does not use MPTCP the error matches ErrNotMPTCP, and ErrFallback too if
// it fell back; on kernels before 5.16, which lack the option, it matches
// errors.ErrUnsupported. On a listening socket, which Status reports as
// MPTCP when it accepts MPTCP, Info returns an error saying so.
func (in *Inspector) Info(i *Info) error {
	if in == nil || in.rc == nil {
		return errZeroInspector
	}
	if i == nil {
		return errors.New("mptcp: Inspector.Info called with a nil *Info")
	}
	if err := in.info(i); err != nil {
		return err
	}
	// Why: the kernel answers MPTCP_INFO on a listener with every field
	// zero. A connection's token is almost never 0, so only then is the
	// socket asked whether it listens.
	if i.Token == 0 && in.listening() {
		*i = Info{}
		return errListener
	}
	return nil
}

// errListener is the error of Info and Subflows on a listening socket.
var errListener = errors.New("mptcp: the socket is a listener, which has no MPTCP connection to inspect (inspect the connections it accepts)")

// snapshotOf is snapshot, refusing a listener: the kernel reports one
// "subflow" in the LISTEN state for it.
func (in *Inspector) snapshotOf(i *Info, dst []Subflow) ([]Subflow, error) {
	out, err := in.snapshot(i, dst)
	if err == nil && len(out) == 1 && out[0].State == TCPListen && in.listening() {
		if i != nil {
			*i = Info{}
		}
		return out[:0], errListener
	}
	return out, err
}

// Subflows appends one Subflow per subflow of the connection to dst[:0] and
// returns the result. On Linux 6.5 and later it is one atomic snapshot
// (MPTCP_FULL_INFO); on 5.16–6.4 it combines MPTCP_TCPINFO and
// MPTCP_SUBFLOW_ADDRS, two calls between which subflows may come or go, and
// reports only subflows both calls saw. Errors are as for Info.
func (in *Inspector) Subflows(dst []Subflow) ([]Subflow, error) {
	if in == nil || in.rc == nil {
		return dst[:0], errZeroInspector
	}
	return in.snapshotOf(nil, dst[:0])
}

// Snapshot is Subflows that also fills i, when not nil, with the
// connection's MPTCP_INFO. On Linux 6.5 and later both come from the same
// atomic MPTCP_FULL_INFO call; before, MPTCP_INFO is read separately.
func (in *Inspector) Snapshot(i *Info, dst []Subflow) ([]Subflow, error) {
	if in == nil || in.rc == nil {
		return dst[:0], errZeroInspector
	}
	return in.snapshotOf(i, dst[:0])
}

// StatusOf reports whether c uses MPTCP now, fell back to TCP, or was plain
// TCP from the start. See Inspector.Status.
func StatusOf(c syscall.Conn) (Status, error) {
	in, err := NewInspector(c)
	if err != nil {
		return StatusUnknown, err
	}
	return in.Status()
}

// InfoOf returns the MPTCP_INFO of c. See Inspector.Info.
func InfoOf(c syscall.Conn) (*Info, error) {
	in, err := NewInspector(c)
	if err != nil {
		return nil, err
	}
	var i Info
	if err := in.Info(&i); err != nil {
		return nil, err
	}
	return &i, nil
}

// SubflowsOf returns the subflows of c. See Inspector.Subflows.
func SubflowsOf(c syscall.Conn) ([]Subflow, error) {
	in, err := NewInspector(c)
	if err != nil {
		return nil, err
	}
	return in.Subflows(nil)
}

// opError is returned by introspection calls for errors from the kernel: it
// names the operation and unwraps to the errno.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "mptcp: " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

func wrapOp(op string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{op: op, err: err}
}
