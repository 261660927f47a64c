package device

import (
	"fmt"
	"unsafe"
)

const memReadWrite = 1 << 0

// Buffer is device memory holding 4-byte elements (float32 or int32).
type Buffer struct {
	ctx  *Context
	mem  uintptr
	size int64 // bytes
}

// NewBuffer allocates room for n 4-byte elements. It refuses, before calling
// OpenCL, sizes over the device's largest allocation or over what is left of
// its global memory, naming the sizes.
func (c *Context) NewBuffer(n int) (*Buffer, error) {
	if n <= 0 {
		return nil, fmt.Errorf("allocate buffer of %d elements: size must be positive", n)
	}
	bytes := int64(n) * 4
	d := c.Device
	if d.MaxAllocBytes > 0 && bytes > d.MaxAllocBytes {
		return nil, fmt.Errorf("allocate %s: over the device's largest allocation of %s (%s)", fmtBytes(bytes), fmtBytes(d.MaxAllocBytes), d.Name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.GlobalMemBytes > 0 && c.allocated+bytes > d.GlobalMemBytes {
		return nil, fmt.Errorf("allocate %s: %s already in use of the device's %s global memory (%s)", fmtBytes(bytes), fmtBytes(c.allocated), fmtBytes(d.GlobalMemBytes), d.Name)
	}
	var s int32
	mem := cl.CreateBuffer(c.ctx, memReadWrite, uintptr(bytes), nil, &s)
	if err := check("clCreateBuffer", s); err != nil {
		return nil, fmt.Errorf("allocate %s: %w", fmtBytes(bytes), err)
	}
	c.allocated += bytes
	return &Buffer{ctx: c, mem: mem, size: bytes}, nil
}

// Len returns the number of 4-byte elements the buffer holds.
func (b *Buffer) Len() int { return int(b.size / 4) }

// Write copies src to the start of the buffer and returns once src may be
// reused.
func (b *Buffer) Write(src []float32) error {
	return b.write(unsafe.Pointer(unsafe.SliceData(src)), len(src))
}

// WriteInt32 copies src to the start of the buffer.
func (b *Buffer) WriteInt32(src []int32) error {
	return b.write(unsafe.Pointer(unsafe.SliceData(src)), len(src))
}

func (b *Buffer) write(p unsafe.Pointer, n int) error {
	if err := b.fits(n, "write"); err != nil || n == 0 {
		return err
	}
	s := cl.EnqueueWriteBuffer(b.ctx.queue, b.mem, 1, 0, uintptr(n)*4, p, 0, nil, nil)
	return check("clEnqueueWriteBuffer", s)
}

// Read copies the first len(dst) elements of the buffer to dst, waiting for
// every command queued before it.
func (b *Buffer) Read(dst []float32) error {
	if err := b.fits(len(dst), "read"); err != nil || len(dst) == 0 {
		return err
	}
	s := cl.EnqueueReadBuffer(b.ctx.queue, b.mem, 1, 0, uintptr(len(dst))*4, unsafe.Pointer(&dst[0]), 0, nil, nil)
	return check("clEnqueueReadBuffer", s)
}

func (b *Buffer) fits(n int, op string) error {
	if b == nil || b.mem == 0 {
		return fmt.Errorf("%s: released or nil buffer", op)
	}
	if int64(n)*4 > b.size {
		return fmt.Errorf("%s %d elements: buffer holds %d", op, n, b.Len())
	}
	return nil
}

// Release frees the device memory.
func (b *Buffer) Release() error {
	if b == nil || b.mem == 0 {
		return nil
	}
	err := check("clReleaseMemObject", cl.ReleaseMemObject(b.mem))
	b.ctx.mu.Lock()
	b.ctx.allocated -= b.size
	b.ctx.mu.Unlock()
	b.mem = 0
	return err
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Handle returns the cl_mem handle, for passing the buffer to other OpenCL
// libraries (such as CLBlast) on the same context.
func (b *Buffer) Handle() uintptr { return b.mem }
