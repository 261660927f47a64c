package device

import (
	"time"
	"unsafe"
)

const (
	profilingQueued = 0x1280
	profilingStart  = 0x1282
	profilingEnd    = 0x1283
)

// Event is an OpenCL event of an enqueued command.
type Event struct{ e uintptr }

// wait blocks until the command has completed.
func (e *Event) wait() error { return check("clWaitForEvents", cl.WaitForEvents(1, &e.e)) }

// Duration waits for the command and returns its run time on the device, from
// the profiling counters CL_PROFILING_COMMAND_START to _END.
func (e *Event) Duration() (time.Duration, error) {
	start, end, err := e.Span()
	if err != nil {
		return 0, err
	}
	return time.Duration(end - start), nil
}

// Span waits for the command and returns when it started and ended on the
// device, in nanoseconds of the device's profiling clock (comparable only
// between events of one device): the gap from one command's end to the
// next one's start is time the device spent idle between them.
func (e *Event) Span() (start, end uint64, err error) {
	if err := e.wait(); err != nil {
		return 0, 0, err
	}
	if err := check("clGetEventProfilingInfo", cl.GetEventProfilingInfo(e.e, profilingStart, 8, unsafe.Pointer(&start), nil)); err != nil {
		return 0, 0, err
	}
	if err := check("clGetEventProfilingInfo", cl.GetEventProfilingInfo(e.e, profilingEnd, 8, unsafe.Pointer(&end), nil)); err != nil {
		return 0, 0, err
	}
	return start, end, nil
}

// Release frees the event.
func (e *Event) Release() error {
	if e == nil || e.e == 0 {
		return nil
	}
	err := check("clReleaseEvent", cl.ReleaseEvent(e.e))
	e.e = 0
	return err
}
