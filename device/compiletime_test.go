package device_test

import (
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

// TestCompileTime checks that a new context reports no compile time, that a
// Build from source (the binary cache off) adds some, and that a second Build
// adds more.
func TestCompileTime(t *testing.T) {
	t.Setenv(device.EnvNoCache, "1")
	c := cltest.Context(t)
	if got := c.CompileTime(); got != 0 {
		t.Fatalf("new context: CompileTime = %v, want 0", got)
	}
	buildAndStore(t, c, 1)
	first := c.CompileTime()
	if first <= 0 {
		t.Fatalf("after one Build: CompileTime = %v, want > 0", first)
	}
	buildAndStore(t, c, 2)
	if second := c.CompileTime(); second <= first {
		t.Errorf("after a second Build: CompileTime = %v, want more than the first %v", second, first)
	}
}

// TestCompileTimeCountsCacheLoads checks that a Build served from the binary
// cache adds its load time too.
func TestCompileTimeCountsCacheLoads(t *testing.T) {
	dir := privateCache(t)
	c := cltest.Context(t)
	buildAndStore(t, c, 1) // compiles and stores the entry
	cacheEntry(t, dir)
	compiled := c.CompileTime()
	if compiled <= 0 {
		t.Fatalf("after a compiling Build: CompileTime = %v, want > 0", compiled)
	}
	var names []string
	c.OnCompile = func(program string) { names = append(names, program) }
	buildAndStore(t, c, 2) // loads the entry
	if len(names) != 0 {
		t.Fatalf("second Build compiled %q, want a cache load", names)
	}
	if loaded := c.CompileTime(); loaded <= compiled {
		t.Errorf("after a cached Build: CompileTime = %v, want more than %v", loaded, compiled)
	}
}
