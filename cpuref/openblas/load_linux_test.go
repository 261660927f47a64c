package openblas

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadMissingLibrary(t *testing.T) {
	saved := libraryNames
	libraryNames = []string{"libopenblas-absent.so.0"}
	defer func() { libraryNames = saved }()

	impl, err := load()
	if impl != nil || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("load() = %v, %v; want an error wrapping ErrUnavailable", impl, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "apt-get install libopenblas0") || !strings.Contains(msg, "libopenblas-absent.so.0") ||
		strings.Contains(msg, "\n") {
		t.Errorf("error %q should be one line naming the library and the fix", msg)
	}
}
