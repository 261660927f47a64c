package device

import (
	"fmt"
	"sync"
	"unsafe"
)

const queueProfilingEnable = 1 << 1

// Context is an OpenCL context on one device with one in-order command queue
// created with profiling enabled. Its methods are safe for use by one
// goroutine at a time.
type Context struct {
	Device Device

	// OnCompile, when set, is called before a program is compiled from
	// source (a cache miss), so a caller can say that compiling may take a
	// while. program is the name given to Build.
	OnCompile func(program string)

	ctx   uintptr
	queue uintptr

	mu        sync.Mutex
	allocated int64 // bytes in live buffers made by this context
}

// Queue is the kind of command queue a context gets.
type Queue int

// The queue kinds.
const (
	// Plain queues run commands in order and record no times: what
	// training needs.
	Plain Queue = iota
	// Profiled queues also record each command's start and end on the
	// device, for LaunchTimed and Event.Duration, at a small cost per
	// command on some drivers.
	Profiled
)

// NewContext creates a context and an in-order queue of the given kind on d.
func NewContext(d Device, queue Queue) (*Context, error) {
	if err := load(); err != nil {
		return nil, err
	}
	props := []uintptr{0x1084 /* CL_CONTEXT_PLATFORM */, d.platform, 0}
	var s int32
	ctx := cl.CreateContext(&props[0], 1, &d.id, 0, 0, &s)
	if err := check("clCreateContext", s); err != nil {
		return nil, fmt.Errorf("device %d (%s): %w", d.Index, d.Name, err)
	}
	var qprops uint64
	if queue == Profiled {
		qprops = queueProfilingEnable
	}
	q := cl.CreateCommandQueue(ctx, d.id, qprops, &s)
	if err := check("clCreateCommandQueue", s); err != nil {
		cl.ReleaseContext(ctx)
		return nil, fmt.Errorf("device %d (%s): %w", d.Index, d.Name, err)
	}
	return &Context{Device: d, ctx: ctx, queue: q}, nil
}

// Finish blocks until every command queued so far has completed.
func (c *Context) Finish() error { return check("clFinish", cl.Finish(c.queue)) }

// Flush submits every queued command to the device without waiting, so
// that the device works while the host turns to another; some drivers
// (PoCL) start nothing before a flush or a wait.
func (c *Context) Flush() error { return check("clFlush", cl.Flush(c.queue)) }

// allocatedBytes returns the bytes held by this context's live buffers.
func (c *Context) allocatedBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.allocated
}

// Close waits for the queue to drain, then releases the queue and the
// context. Buffers, programs and kernels must be released first.
func (c *Context) Close() error {
	if c == nil || c.ctx == 0 {
		return nil
	}
	err := c.Finish()
	if e := check("clReleaseCommandQueue", cl.ReleaseCommandQueue(c.queue)); err == nil {
		err = e
	}
	if e := check("clReleaseContext", cl.ReleaseContext(c.ctx)); err == nil {
		err = e
	}
	c.ctx, c.queue = 0, 0
	return err
}

// Local is a kernel argument that reserves this many bytes of local memory.
type Local int

// Kernel is one kernel of a built program.
type Kernel struct {
	Name string
	k    uintptr
	dev  uintptr
}

// SetArgs sets the kernel's arguments in order. Each argument is a *Buffer,
// an int32, a uint32, a float32 or a Local size.
func (k *Kernel) SetArgs(args ...any) error {
	for i, a := range args {
		var s int32
		switch v := a.(type) {
		case *Buffer:
			if v == nil || v.mem == 0 {
				return fmt.Errorf("kernel %s argument %d: released or nil buffer", k.Name, i)
			}
			s = cl.SetKernelArg(k.k, uint32(i), unsafe.Sizeof(v.mem), unsafe.Pointer(&v.mem))
		case int32:
			s = cl.SetKernelArg(k.k, uint32(i), 4, unsafe.Pointer(&v))
		case uint32:
			s = cl.SetKernelArg(k.k, uint32(i), 4, unsafe.Pointer(&v))
		case float32:
			s = cl.SetKernelArg(k.k, uint32(i), 4, unsafe.Pointer(&v))
		case Local:
			s = cl.SetKernelArg(k.k, uint32(i), uintptr(v), nil)
		default:
			return fmt.Errorf("kernel %s argument %d: unsupported type %T", k.Name, i, a)
		}
		if err := check("clSetKernelArg", s); err != nil {
			return fmt.Errorf("kernel %s argument %d: %w", k.Name, i, err)
		}
	}
	return nil
}

// MaxWorkGroupSize returns the largest work-group this kernel can be
// launched with on its device.
func (k *Kernel) MaxWorkGroupSize() (int, error) {
	var v uintptr
	if err := check("clGetKernelWorkGroupInfo", cl.GetKernelWorkGroupInfo(k.k, k.dev, 0x11B0, unsafe.Sizeof(v), unsafe.Pointer(&v), nil)); err != nil {
		return 0, fmt.Errorf("kernel %s: %w", k.Name, err)
	}
	return int(v), nil
}

// Release frees the kernel.
func (k *Kernel) Release() error {
	if k == nil || k.k == 0 {
		return nil
	}
	err := check("clReleaseKernel", cl.ReleaseKernel(k.k))
	k.k = 0
	return err
}

// Launch enqueues k over an NDRange of global work-items with work-groups of
// local size (nil lets the driver choose). Each global size is rounded up to a
// multiple of its local size; kernels guard their own bounds.
func (c *Context) Launch(k *Kernel, global, local []int) error {
	return c.launch(k, global, local, nil)
}

// LaunchTimed is Launch returning an event whose profiling times give the
// kernel's own run time. The caller releases the event.
func (c *Context) LaunchTimed(k *Kernel, global, local []int) (*Event, error) {
	var ev uintptr
	if err := c.launch(k, global, local, &ev); err != nil {
		return nil, err
	}
	return &Event{e: ev}, nil
}

func (c *Context) launch(k *Kernel, global, local []int, ev *uintptr) error {
	dims := len(global)
	if dims < 1 || dims > 3 || (local != nil && len(local) != dims) {
		return fmt.Errorf("launch kernel %s: bad NDRange global %v local %v", k.Name, global, local)
	}
	var g, l [3]uintptr
	var lp *uintptr
	for i := 0; i < dims; i++ {
		if global[i] <= 0 {
			return fmt.Errorf("launch kernel %s: empty NDRange global %v", k.Name, global)
		}
		g[i] = uintptr(global[i])
		if local != nil {
			if local[i] <= 0 {
				return fmt.Errorf("launch kernel %s: bad local size %v", k.Name, local)
			}
			l[i] = uintptr(local[i])
			g[i] = (g[i] + l[i] - 1) / l[i] * l[i]
			lp = &l[0]
		}
	}
	s := cl.EnqueueNDRangeKernel(c.queue, k.k, uint32(dims), nil, &g[0], lp, 0, nil, ev)
	if err := check("clEnqueueNDRangeKernel", s); err != nil {
		return fmt.Errorf("launch kernel %s (global %v, local %v): %w", k.Name, global, local, err)
	}
	return nil
}

// QueueHandle returns the cl_command_queue handle, for other OpenCL
// libraries (such as CLBlast) enqueuing on the same queue.
func (c *Context) QueueHandle() uintptr { return c.queue }
