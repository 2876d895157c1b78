//go:build !linux

package pm

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestDialUnsupported(t *testing.T) {
	c, err := Dial(nil)
	if c != nil || !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), runtime.GOOS) {
		t.Errorf("Dial = %v, %v; want an error matching errors.ErrUnsupported naming %s", c, err, runtime.GOOS)
	}
}
