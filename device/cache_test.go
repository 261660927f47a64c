package device_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

// storeSrc writes v to x[0]: a kernel whose effect shows that the program
// works.
const storeSrc = `
__kernel void store(__global float *x, const float v) {
	if (get_global_id(0) == 0) x[0] = v;
}`

// privateCache points the program cache at a fresh folder for this test and
// returns it. The device is set up first: PoCL fixes its own kernel cache
// folder, under $XDG_CACHE_HOME, when it first lists its devices, and a
// folder removed at the end of this test would break every later build.
func privateCache(t *testing.T) string {
	t.Helper()
	cltest.Device(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv(device.EnvNoCache, "")
	dir := device.CacheDir()
	if dir == "" {
		t.Fatal("CacheDir is empty with XDG_CACHE_HOME set")
	}
	return dir
}

// cacheEntry returns the path of the only entry in the cache folder dir.
func cacheEntry(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	if len(paths) != 1 || !strings.HasSuffix(paths[0], ".bin") {
		t.Fatalf("cache folder holds %v, want one .bin entry", paths)
	}
	return paths[0]
}

// buildAndStore builds storeSrc, runs it to store v and reads v back.
func buildAndStore(t *testing.T, c *device.Context, v float32) {
	t.Helper()
	p, err := c.Build("store", storeSrc, "")
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer p.Release()
	k, err := p.Kernel("store")
	if err != nil {
		t.Fatalf("kernel: %v", err)
	}
	defer k.Release()
	b, err := c.NewBuffer(1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if err := b.Write([]float32{-1}); err != nil {
		t.Fatal(err)
	}
	if err := k.SetArgs(b, v); err != nil {
		t.Fatal(err)
	}
	if err := c.Launch(k, []int{1}, nil); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 1)
	if err := b.Read(got); err != nil {
		t.Fatal(err)
	}
	if got[0] != v {
		t.Fatalf("kernel stored %v, want %v", got[0], v)
	}
}

// TestCacheRejectsCorruptEntries damages the cached binary in several ways
// and checks that each next Build ignores the entry, compiles from source,
// gives a working program and leaves an entry that verifies. Before entries
// were verified, the truncated one crashed PoCL.
func TestCacheRejectsCorruptEntries(t *testing.T) {
	dir := privateCache(t)
	c := cltest.Context(t)
	compiles := 0
	c.OnCompile = func(string) { compiles++ }
	buildAndStore(t, c, 1)
	path := cacheEntry(t, dir)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := device.VerifyEntry(good); err != nil {
		t.Fatalf("fresh entry does not verify: %v", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, len(good))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	cases := []struct {
		name string
		data []byte
	}{
		{"truncated to 100 bytes", good[:100]},
		{"old format truncated to 100 bytes", good[device.EntryHeaderSize : device.EntryHeaderSize+100]},
		{"bit flipped in the middle", flipped},
		{"random bytes", random},
		{"header only", good[:device.EntryHeaderSize]},
		{"empty", nil},
		{"old format without header", good[device.EntryHeaderSize:]},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			before := compiles
			buildAndStore(t, c, float32(10+i))
			if compiles != before+1 {
				t.Errorf("Build compiled %d times from source, want 1 (the damaged entry ignored)", compiles-before)
			}
			entry, err := os.ReadFile(cacheEntry(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := device.VerifyEntry(entry); err != nil {
				t.Errorf("entry after the rebuild does not verify: %v", err)
			}
		})
	}
	before := compiles
	buildAndStore(t, c, 99)
	if compiles != before {
		t.Errorf("Build with an intact entry compiled from source")
	}
}

// TestVerifyEntry checks the entry format on its own: an intact entry gives
// back its binary, every damaged one is refused.
func TestVerifyEntry(t *testing.T) {
	bin := make([]byte, 1000)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range bin {
		bin[i] = byte(rng.Uint32())
	}
	entry := device.EncodeEntry(bin)
	got, err := device.VerifyEntry(entry)
	if err != nil || !bytes.Equal(got, bin) {
		t.Fatalf("VerifyEntry(intact) = %d bytes, %v; want the %d-byte binary", len(got), err, len(bin))
	}
	flip := func(i int) []byte {
		b := bytes.Clone(entry)
		b[i] ^= 1
		return b
	}
	random := make([]byte, len(entry))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	h := device.EntryHeaderSize
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated to 100 bytes", entry[:100]},
		{"one byte short", entry[:len(entry)-1]},
		{"one byte long", append(bytes.Clone(entry), 0)},
		{"header only", entry[:h]},
		{"part of the header", entry[:h/2]},
		{"bit flipped in the middle", flip(h + len(bin)/2)},
		{"bit flipped in the last byte", flip(len(entry) - 1)},
		{"bit flipped in the magic", flip(0)},
		{"bit flipped in the version", flip(7)},
		{"bit flipped in the length", flip(8)},
		{"bit flipped in the checksum", flip(16)},
		{"random bytes", random},
		{"old format without header", bin},
		{"header of an empty binary", device.EncodeEntry(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := device.VerifyEntry(tc.data)
			if err == nil || got != nil {
				t.Errorf("VerifyEntry = %d bytes, %v; want a refusal", len(got), err)
			}
		})
	}
}

// TestOnCompile checks that the compile notice comes on a cache miss only,
// and on every Build when the cache is off.
func TestOnCompile(t *testing.T) {
	privateCache(t)
	c := cltest.Context(t)
	var names []string
	c.OnCompile = func(program string) { names = append(names, program) }
	buildAndStore(t, c, 1)
	if len(names) != 1 || names[0] != "store" {
		t.Fatalf("first Build called OnCompile with %q, want once with \"store\"", names)
	}
	buildAndStore(t, c, 2)
	if len(names) != 1 {
		t.Errorf("second Build of the same source called OnCompile again: %q", names)
	}
	t.Setenv(device.EnvNoCache, "1")
	names = nil
	for i := range 3 {
		buildAndStore(t, c, float32(3+i))
	}
	if len(names) != 3 {
		t.Errorf("with %s=1, 3 Builds called OnCompile %d times, want 3", device.EnvNoCache, len(names))
	}
}
