package device

import (
	"fmt"
	"runtime"
	"unsafe"
)

const eventExecutionStatus = 0x11D3 // CL_EVENT_COMMAND_EXECUTION_STATUS

// Upload is a write to a buffer that the queue may not have done yet
// (WriteInt32Async). It keeps its host slice alive and pinned until Wait
// has seen the write complete: until then the caller must neither modify
// nor reuse the slice.
type Upload struct {
	ev   *Event
	pin  runtime.Pinner
	held []int32
}

// WriteInt32Async queues a copy of src to the start of the buffer and
// returns at once, without waiting for the commands queued before it. src
// is held (and pinned, as the driver keeps its address) until the
// returned Upload's Wait; the caller must not touch it before then.
// Commands queued after it on the context's in-order queue see the new
// contents.
func (b *Buffer) WriteInt32Async(src []int32) (*Upload, error) {
	if err := b.fits(len(src), "write"); err != nil {
		return nil, err
	}
	u := &Upload{held: src}
	if len(src) == 0 {
		return u, nil
	}
	p := unsafe.SliceData(src)
	u.pin.Pin(p)
	var ev uintptr
	s := cl.EnqueueWriteBuffer(b.ctx.queue, b.mem, 0, 0, uintptr(len(src))*4, unsafe.Pointer(p), 0, nil, &ev)
	if err := check("clEnqueueWriteBuffer", s); err != nil {
		u.pin.Unpin()
		return nil, fmt.Errorf("write %d elements without blocking: %w", len(src), err)
	}
	u.ev = &Event{e: ev}
	// PoCL starts nothing before a flush or a wait; submit the copy so
	// that it runs while the host goes on.
	if err := b.ctx.Flush(); err != nil {
		return u, fmt.Errorf("write %d elements without blocking: %w", len(src), err)
	}
	return u, nil
}

// Done reports, without waiting, whether the queue has completed the
// write. A nil Upload is done.
func (u *Upload) Done() (bool, error) {
	if u == nil || u.ev == nil {
		return true, nil
	}
	var status int32
	if err := check("clGetEventInfo", cl.GetEventInfo(u.ev.e, eventExecutionStatus, 4, unsafe.Pointer(&status), nil)); err != nil {
		return false, fmt.Errorf("upload status: %w", err)
	}
	if status < 0 {
		return false, fmt.Errorf("upload: %w", Status(status))
	}
	return status == 0, nil // CL_COMPLETE
}

// Wait blocks until the queue has completed the write, then unpins the
// host slice and releases the event. It may be called more than once; a
// nil Upload returns at once.
func (u *Upload) Wait() error {
	if u == nil || u.ev == nil {
		return nil
	}
	err := u.ev.wait()
	if e := u.ev.Release(); err == nil {
		err = e
	}
	u.ev = nil
	u.pin.Unpin()
	if err != nil {
		return fmt.Errorf("wait for upload: %w", err)
	}
	return nil
}

// Reclaim waits for the write (Wait) and hands its host slice back, for
// the caller to reuse: the one way to have the slice back is after the
// queue is done with it. Later calls, and a nil Upload, return nil.
func (u *Upload) Reclaim() ([]int32, error) {
	if u == nil {
		return nil, nil
	}
	if err := u.Wait(); err != nil {
		return nil, err
	}
	s := u.held
	u.held = nil
	return s, nil
}

// Held returns the host slice the upload holds until Reclaim hands it
// back (nil after), for inspection: it must not be modified before then.
func (u *Upload) Held() []int32 {
	if u == nil {
		return nil
	}
	return u.held
}
