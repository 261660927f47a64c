package device

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"github.com/cltrain/cltrain/internal/atomicfile"
)

const (
	programBinarySizes = 0x1165
	programBinaries    = 0x1166
)

// EnvNoCache names the variable that, set to 1, turns off the program binary
// cache.
const EnvNoCache = "CLTRAIN_NO_CACHE"

// CacheDir returns the folder of the program binary cache: cltrain/programs
// in the user cache folder, or "" when the cache is off or has no home.
func CacheDir() string {
	if os.Getenv(EnvNoCache) == "1" {
		return ""
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "cltrain", "programs")
}

// cacheKey names a program binary by everything that shapes it: the device,
// its driver, the build options and the source.
func (c *Context) cacheKey(source, options string) string {
	h := sha256.New()
	d := c.Device
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", d.Platform, d.PlatformVersion, d.Name, d.DriverVersion, d.Version, options)
	h.Write([]byte(source))
	return hex.EncodeToString(h.Sum(nil))
}

// buildCached returns the program from the binary cache, or nil when it is
// not there or does not load (a stale or foreign binary is rebuilt).
func (c *Context) buildCached(name, key, options string) *Program {
	dir := CacheDir()
	if dir == "" {
		return nil
	}
	bin, err := os.ReadFile(filepath.Join(dir, key+".bin"))
	if err != nil || len(bin) == 0 {
		return nil
	}
	length := uintptr(len(bin))
	ptr := &bin[0]
	var binStatus, s int32
	p := cl.CreateProgramWithBinary(c.ctx, 1, &c.Device.id, &length, &ptr, &binStatus, &s)
	if s != 0 || binStatus != 0 {
		if p != 0 {
			cl.ReleaseProgram(p)
		}
		return nil
	}
	prog := &Program{Name: name, p: p, dev: c.Device.id}
	if prog.build(options) != nil {
		prog.Release()
		return nil
	}
	return prog
}

// storeBinary writes the built program's binary to the cache, atomically.
// The cache is an optimisation: failures are ignored.
func (c *Context) storeBinary(p *Program, key string) {
	dir := CacheDir()
	if dir == "" {
		return
	}
	var size uintptr
	if cl.GetProgramInfo(p.p, programBinarySizes, unsafe.Sizeof(size), unsafe.Pointer(&size), nil) != 0 || size == 0 {
		return
	}
	bin := make([]byte, size)
	ptr := &bin[0]
	if cl.GetProgramInfo(p.p, programBinaries, unsafe.Sizeof(ptr), unsafe.Pointer(&ptr), nil) != 0 {
		return
	}
	if os.MkdirAll(dir, 0o755) != nil {
		return
	}
	atomicfile.WriteBytes(filepath.Join(dir, key+".bin"), bin)
}
