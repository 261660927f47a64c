package device

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
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

// A cache entry is a header followed by the program binary:
//
//	entryMagic (8 bytes) | binary length (uint64, little-endian) | SHA-256 of the binary (32 bytes) | binary
//
// An entry is handed to OpenCL only when all three agree with the bytes that
// follow, so a truncated, corrupted or foreign file is rebuilt instead of
// reaching the driver (PoCL crashes on a truncated binary).
const (
	entryMagic      = "CLTRBIN\x01" // the last byte is the format version
	entryHeaderSize = len(entryMagic) + 8 + sha256.Size
)

// errEntry is wrapped by every reason verifyEntry refuses an entry.
var errEntry = errors.New("program cache entry does not verify")

// encodeEntry returns the cache entry holding bin.
func encodeEntry(bin []byte) []byte {
	out := make([]byte, 0, entryHeaderSize+len(bin))
	out = append(out, entryMagic...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(bin)))
	sum := sha256.Sum256(bin)
	out = append(out, sum[:]...)
	return append(out, bin...)
}

// verifyEntry checks an entry's header, length and checksum and returns the
// program binary it holds, or an error wrapping errEntry that says why not.
func verifyEntry(entry []byte) ([]byte, error) {
	if len(entry) < entryHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", errEntry, len(entry), entryHeaderSize)
	}
	if !bytes.Equal(entry[:len(entryMagic)], []byte(entryMagic)) {
		return nil, fmt.Errorf("%w: no %q header (an old or foreign file)", errEntry, entryMagic)
	}
	rest := entry[len(entryMagic):]
	length := binary.LittleEndian.Uint64(rest)
	sum := rest[8 : 8+sha256.Size]
	bin := rest[8+sha256.Size:]
	if length == 0 || length != uint64(len(bin)) {
		return nil, fmt.Errorf("%w: header says %d bytes of binary, %d follow", errEntry, length, len(bin))
	}
	if got := sha256.Sum256(bin); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("%w: SHA-256 of the binary does not match the header", errEntry)
	}
	return bin, nil
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
// not there, does not verify or does not load (such an entry is rebuilt and
// overwritten by the caller).
func (c *Context) buildCached(name, key, options string) *Program {
	dir := CacheDir()
	if dir == "" {
		return nil
	}
	entry, err := os.ReadFile(filepath.Join(dir, key+".bin"))
	if err != nil {
		return nil
	}
	bin, err := verifyEntry(entry)
	if err != nil {
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

// storeBinary writes the built program's binary, with its verifying header,
// to the cache, atomically. The cache is an optimisation: failures are
// ignored.
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
	atomicfile.WriteBytes(filepath.Join(dir, key+".bin"), encodeEntry(bin))
}
