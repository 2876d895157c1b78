package mptcp

import (
	"errors"
	"syscall"
	"testing"
)

// fakeProbe answers the status getsockopts the way a given kernel does.
type fakeProbe struct {
	isMPTCPVal   int
	isMPTCPErr   error
	proto        int
	protoErr     error
	infoErr      error
	infoCalled   bool
	isMPTCPCalls int
}

func (f *fakeProbe) isMPTCP() (int, error)  { f.isMPTCPCalls++; return f.isMPTCPVal, f.isMPTCPErr }
func (f *fakeProbe) protocol() (int, error) { return f.proto, f.protoErr }
func (f *fakeProbe) infoProbe() error       { f.infoCalled = true; return f.infoErr }

func TestClassify(t *testing.T) {
	ebadf := syscall.Errno(9)
	tests := []struct {
		name    string
		p       fakeProbe
		want    Status
		wantErr error
	}{
		// 6.10 and later: TCP_IS_MPTCP answers.
		{name: "6.10 mptcp", p: fakeProbe{isMPTCPVal: 1, proto: 262}, want: StatusMPTCP},
		{name: "6.10 fallback", p: fakeProbe{isMPTCPVal: 0, proto: 262}, want: StatusFallback},
		{name: "6.10 plain tcp", p: fakeProbe{isMPTCPVal: 0, proto: 6}, want: StatusTCP},
		// 5.16–6.9: TCP_IS_MPTCP unknown; MPTCP_INFO probe decides.
		{name: "5.16 mptcp", p: fakeProbe{isMPTCPErr: errEOPNOTSUPP, proto: 262}, want: StatusMPTCP},
		{name: "5.16 fallback v4", p: fakeProbe{isMPTCPErr: errENOPROTOOPT, proto: 262, infoErr: errEOPNOTSUPP}, want: StatusFallback},
		{name: "5.16 fallback v6", p: fakeProbe{isMPTCPErr: errENOPROTOOPT, proto: 262, infoErr: errENOPROTOOPT}, want: StatusFallback},
		{name: "5.16 plain tcp", p: fakeProbe{isMPTCPErr: errENOPROTOOPT, proto: 6, infoErr: errEOPNOTSUPP}, want: StatusTCP},
		// 5.6–5.15: no SOL_MPTCP at all; the TCP_IS_MPTCP errno decides.
		{name: "5.6 mptcp v4", p: fakeProbe{isMPTCPErr: errEOPNOTSUPP, proto: 262, infoErr: errEOPNOTSUPP}, want: StatusMPTCP},
		{name: "5.6 mptcp v6", p: fakeProbe{isMPTCPErr: errEOPNOTSUPP, proto: 262, infoErr: errEOPNOTSUPP}, want: StatusMPTCP},
		{name: "5.6 fallback", p: fakeProbe{isMPTCPErr: errENOPROTOOPT, proto: 262, infoErr: errEOPNOTSUPP}, want: StatusFallback},
		// Not TCP at all, or a broken descriptor.
		{name: "udp", p: fakeProbe{isMPTCPErr: errEOPNOTSUPP, proto: 17}, wantErr: errNotTCP},
		{name: "unix", p: fakeProbe{isMPTCPErr: errEOPNOTSUPP, proto: 0}, wantErr: errNotTCP},
		{name: "ebadf", p: fakeProbe{isMPTCPErr: ebadf}, wantErr: ebadf},
		{name: "protocol fails", p: fakeProbe{isMPTCPErr: errENOPROTOOPT, protoErr: ebadf}, wantErr: ebadf},
		{name: "probe fails oddly", p: fakeProbe{isMPTCPErr: errEOPNOTSUPP, proto: 262, infoErr: ebadf}, wantErr: ebadf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := classify(&tt.p)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || got != StatusUnknown {
					t.Fatalf("classify = %v, %v; want unknown, %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("classify = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestClassifyOneCallOnNewKernels(t *testing.T) {
	p := &fakeProbe{isMPTCPVal: 1}
	if _, err := classify(p); err != nil || p.isMPTCPCalls != 1 || p.infoCalled {
		t.Fatalf("an MPTCP socket on 6.10 should need one getsockopt; calls=%d info=%v err=%v", p.isMPTCPCalls, p.infoCalled, err)
	}
}

func TestErrorsMatch(t *testing.T) {
	fb := &notMPTCPError{op: "info", status: StatusFallback, errno: errEOPNOTSUPP}
	if !errors.Is(fb, ErrFallback) || !errors.Is(fb, ErrNotMPTCP) || errors.Is(fb, errors.ErrUnsupported) {
		t.Errorf("fallback error %v must match ErrFallback and ErrNotMPTCP, not errors.ErrUnsupported", fb)
	}
	tcp := &notMPTCPError{op: "info", status: StatusTCP}
	if errors.Is(tcp, ErrFallback) || !errors.Is(tcp, ErrNotMPTCP) {
		t.Errorf("plain TCP error %v: want ErrNotMPTCP only", tcp)
	}
	if !errors.Is(ErrFallback, ErrNotMPTCP) || errors.Is(ErrNotMPTCP, ErrFallback) {
		t.Error("ErrFallback must match ErrNotMPTCP, not the reverse")
	}
	for errno, want := range map[syscall.Errno]Reason{
		errENOPROTOOPT: ReasonDisabled, errEPROTONOSUPPORT: ReasonNotBuilt, errEINVAL: ReasonKernelTooOld,
		errEPERM: ReasonDenied, errEACCES: ReasonDenied, syscall.Errno(24): ReasonUnknown,
	} {
		u := &UnavailableError{Reason: reasonOf(errno), Err: errno}
		if u.Reason != want || !errors.Is(u, ErrUnavailable) || !errors.Is(u, errno) {
			t.Errorf("errno %d: reason %v (want %v), matches ErrUnavailable=%v", errno, u.Reason, want, errors.Is(u, ErrUnavailable))
		}
	}
	if r := reasonOf(errors.ErrUnsupported); r != ReasonUnsupportedOS {
		t.Errorf("reasonOf(ErrUnsupported) = %v", r)
	}
}

func TestPolicyString(t *testing.T) {
	for p, want := range map[Policy]string{Prefer: "prefer", Require: "require", Disable: "disable", 9: "Policy(9)"} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", p, got, want)
		}
	}
	for s, want := range map[Status]string{StatusUnknown: "unknown", StatusMPTCP: "mptcp", StatusFallback: "fallback", StatusTCP: "tcp", 9: "Status(9)"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", s, got, want)
		}
	}
}
