// Package clblast calls CLBlast's single-precision GEMM, loaded at run time
// with purego, on buffers and a command queue made elsewhere (package
// device's Buffer.Handle and Context.QueueHandle).
//
// Layout: matrices are row-major (CLBlastLayoutRowMajor), element {i, j} of
// a matrix with leading dimension ld is at i*ld + j, as in package kernels.
package clblast

import (
	"errors"
	"fmt"

	"github.com/ebitengine/purego"
)

// DefaultLibrary is the library Load opens when given no name: CLBlast's
// shared library as Debian's libclblast1 installs it.
const DefaultLibrary = "libclblast.so.1"

// ErrUnavailable is wrapped by the errors of Load when CLBlast cannot be
// used on this machine.
var ErrUnavailable = errors.New("clblast: library unavailable")

// CLBlast's enumeration values, from clblast_c.h.
const (
	layoutRowMajor = 101
	transposeNo    = 111
	transposeYes   = 112
)

// Library is a loaded CLBlast.
type Library struct {
	name string
	// sgemm is CLBlastSgemm: layout, transposes, m, n, k, alpha, A with
	// offset and ld, B with offset and ld, beta, C with offset and ld, the
	// queue and the event to fill (none when nil); it returns a
	// CLBlastStatusCode.
	sgemm func(layout, tA, tB int32, m, n, k uintptr, alpha float32,
		a, aOff, lda, b, bOff, ldb uintptr, beta float32, c, cOff, ldc uintptr,
		queue, event *uintptr) int32
}

// Load opens CLBlast from name, a library file name or path (DefaultLibrary
// when empty). When it is missing the one-line error wraps ErrUnavailable
// and names the package to install.
func Load(name string) (*Library, error) {
	if name == "" {
		name = DefaultLibrary
	}
	h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot open %s (%v); install it with: apt-get install libclblast1", ErrUnavailable, name, err)
	}
	addr, err := purego.Dlsym(h, "CLBlastSgemm")
	if err != nil {
		return nil, fmt.Errorf("%w: %s has no CLBlastSgemm (%v)", ErrUnavailable, name, err)
	}
	l := &Library{name: name}
	purego.RegisterFunc(&l.sgemm, addr)
	return l, nil
}

// Name returns the library name or path it was loaded from.
func (l *Library) Name() string { return l.name }

// Matrix is a row-major matrix in an OpenCL buffer: handle is the cl_mem,
// LD the distance between the starts of consecutive rows.
type Matrix struct {
	Handle uintptr
	LD     int
}

// Sgemm enqueues C = alpha·op(A)·op(B) + beta·C on queue (a
// cl_command_queue), op transposing when tA or tB, with op(A) m×k and op(B)
// k×n. It does not wait for the result.
func (l *Library) Sgemm(queue uintptr, tA, tB bool, m, n, k int, alpha float32, a, b Matrix, beta float32, c Matrix) error {
	if m <= 0 || n <= 0 || k <= 0 {
		return fmt.Errorf("clblast sgemm: sizes %d×%d×%d must be positive", m, n, k)
	}
	s := l.sgemm(layoutRowMajor, transpose(tA), transpose(tB), uintptr(m), uintptr(n), uintptr(k), alpha,
		a.Handle, 0, uintptr(a.LD), b.Handle, 0, uintptr(b.LD), beta, c.Handle, 0, uintptr(c.LD), &queue, nil)
	if s != 0 {
		return fmt.Errorf("clblast sgemm %d×%d×%d: %w", m, n, k, Status(s))
	}
	return nil
}

func transpose(t bool) int32 {
	if t {
		return transposeYes
	}
	return transposeNo
}

// Status is a CLBlastStatusCode other than success.
type Status int32

// statusNames are the codes CLBlast adds to OpenCL's, from clblast_c.h.
var statusNames = map[Status]string{
	-1024: "CLBlastNotImplemented", -1022: "CLBlastInvalidMatrixA", -1021: "CLBlastInvalidMatrixB",
	-1020: "CLBlastInvalidMatrixC", -1017: "CLBlastInvalidDimension", -1016: "CLBlastInvalidLeadDimA",
	-1015: "CLBlastInvalidLeadDimB", -1014: "CLBlastInvalidLeadDimC", -1011: "CLBlastInsufficientMemoryA",
	-1010: "CLBlastInsufficientMemoryB", -1009: "CLBlastInsufficientMemoryC",
	-2046: "CLBlastInvalidLocalMemUsage", -2041: "CLBlastDatabaseError",
	-2040: "CLBlastUnknownError", -2039: "CLBlastUnexpectedError",
}

// Error names the code; codes shared with OpenCL are given as numbers.
func (s Status) Error() string {
	if n, ok := statusNames[s]; ok {
		return fmt.Sprintf("%s (%d)", n, int32(s))
	}
	return fmt.Sprintf("CLBlast status %d (OpenCL status codes are CLBlast's too)", int32(s))
}
