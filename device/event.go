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
	if err := e.wait(); err != nil {
		return 0, err
	}
	var start, end uint64
	if err := check("clGetEventProfilingInfo", cl.GetEventProfilingInfo(e.e, profilingStart, 8, unsafe.Pointer(&start), nil)); err != nil {
		return 0, err
	}
	if err := check("clGetEventProfilingInfo", cl.GetEventProfilingInfo(e.e, profilingEnd, 8, unsafe.Pointer(&end), nil)); err != nil {
		return 0, err
	}
	return time.Duration(end - start), nil
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
