package device

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ErrNoOpenCL is wrapped by every error that comes from OpenCL being absent:
// no ICD loader library, or a loader that finds no platform or device.
var ErrNoOpenCL = errors.New("OpenCL is not available")

// installHint names the fix for a machine without a usable OpenCL.
const installHint = "install ocl-icd-libopencl1 and an ICD such as pocl-opencl-icd (Debian: make deps), or the GPU vendor's driver"

// cl holds the OpenCL entry points, resolved once from the ICD loader.
var cl struct {
	GetPlatformIDs          func(n uint32, platforms *uintptr, num *uint32) int32
	GetPlatformInfo         func(p uintptr, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	GetDeviceIDs            func(p uintptr, typ uint64, n uint32, devices *uintptr, num *uint32) int32
	GetDeviceInfo           func(d uintptr, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	CreateContext           func(props *uintptr, n uint32, devices *uintptr, notify uintptr, user uintptr, status *int32) uintptr
	ReleaseContext          func(c uintptr) int32
	CreateCommandQueue      func(c uintptr, d uintptr, props uint64, status *int32) uintptr
	ReleaseCommandQueue     func(q uintptr) int32
	CreateProgramWithSource func(c uintptr, n uint32, src **byte, lengths *uintptr, status *int32) uintptr
	CreateProgramWithBinary func(c uintptr, n uint32, devices *uintptr, lengths *uintptr, binaries **byte, binStatus *int32, status *int32) uintptr
	BuildProgram            func(p uintptr, n uint32, devices *uintptr, options string, notify uintptr, user uintptr) int32
	GetProgramBuildInfo     func(p uintptr, d uintptr, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	GetProgramInfo          func(p uintptr, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	ReleaseProgram          func(p uintptr) int32
	CreateKernel            func(p uintptr, name string, status *int32) uintptr
	SetKernelArg            func(k uintptr, index uint32, size uintptr, value unsafe.Pointer) int32
	GetKernelWorkGroupInfo  func(k uintptr, d uintptr, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	ReleaseKernel           func(k uintptr) int32
	CreateBuffer            func(c uintptr, flags uint64, size uintptr, host unsafe.Pointer, status *int32) uintptr
	ReleaseMemObject        func(m uintptr) int32
	EnqueueWriteBuffer      func(q uintptr, m uintptr, blocking uint32, offset, size uintptr, src unsafe.Pointer, n uint32, wait *uintptr, ev *uintptr) int32
	EnqueueReadBuffer       func(q uintptr, m uintptr, blocking uint32, offset, size uintptr, dst unsafe.Pointer, n uint32, wait *uintptr, ev *uintptr) int32
	EnqueueNDRangeKernel    func(q uintptr, k uintptr, dims uint32, offset, global, local *uintptr, n uint32, wait *uintptr, ev *uintptr) int32
	Finish                  func(q uintptr) int32
	Flush                   func(q uintptr) int32
	WaitForEvents           func(n uint32, events *uintptr) int32
	GetEventProfilingInfo   func(e uintptr, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	GetEventInfo            func(e uintptr, param uint32, size uintptr, value unsafe.Pointer, ret *uintptr) int32
	ReleaseEvent            func(e uintptr) int32
}

var (
	loadOnce sync.Once
	loadErr  error
)

// libraryNames lists the ICD loader names tried, in order, for this OS.
func libraryNames() []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"/System/Library/Frameworks/OpenCL.framework/OpenCL"}
	default:
		return []string{"libOpenCL.so.1", "libOpenCL.so"}
	}
}

// load opens the OpenCL library and resolves every entry point the package
// uses. It runs once; later calls return the first result.
func load() error {
	loadOnce.Do(func() { loadErr = open() })
	return loadErr
}

func open() error {
	var handle uintptr
	var tried []string
	for _, name := range libraryNames() {
		h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil {
			handle = h
			break
		}
		tried = append(tried, name)
	}
	if handle == 0 {
		return fmt.Errorf("%w: no OpenCL library (tried %s): %s", ErrNoOpenCL, strings.Join(tried, ", "), installHint)
	}
	syms := []struct {
		ptr  any
		name string
	}{
		{&cl.GetPlatformIDs, "clGetPlatformIDs"},
		{&cl.GetPlatformInfo, "clGetPlatformInfo"},
		{&cl.GetDeviceIDs, "clGetDeviceIDs"},
		{&cl.GetDeviceInfo, "clGetDeviceInfo"},
		{&cl.CreateContext, "clCreateContext"},
		{&cl.ReleaseContext, "clReleaseContext"},
		{&cl.CreateCommandQueue, "clCreateCommandQueue"},
		{&cl.ReleaseCommandQueue, "clReleaseCommandQueue"},
		{&cl.CreateProgramWithSource, "clCreateProgramWithSource"},
		{&cl.CreateProgramWithBinary, "clCreateProgramWithBinary"},
		{&cl.BuildProgram, "clBuildProgram"},
		{&cl.GetProgramBuildInfo, "clGetProgramBuildInfo"},
		{&cl.GetProgramInfo, "clGetProgramInfo"},
		{&cl.ReleaseProgram, "clReleaseProgram"},
		{&cl.CreateKernel, "clCreateKernel"},
		{&cl.SetKernelArg, "clSetKernelArg"},
		{&cl.GetKernelWorkGroupInfo, "clGetKernelWorkGroupInfo"},
		{&cl.ReleaseKernel, "clReleaseKernel"},
		{&cl.CreateBuffer, "clCreateBuffer"},
		{&cl.ReleaseMemObject, "clReleaseMemObject"},
		{&cl.EnqueueWriteBuffer, "clEnqueueWriteBuffer"},
		{&cl.EnqueueReadBuffer, "clEnqueueReadBuffer"},
		{&cl.EnqueueNDRangeKernel, "clEnqueueNDRangeKernel"},
		{&cl.Finish, "clFinish"},
		{&cl.Flush, "clFlush"},
		{&cl.WaitForEvents, "clWaitForEvents"},
		{&cl.GetEventProfilingInfo, "clGetEventProfilingInfo"},
		{&cl.GetEventInfo, "clGetEventInfo"},
		{&cl.ReleaseEvent, "clReleaseEvent"},
	}
	for _, s := range syms {
		if _, err := purego.Dlsym(handle, s.name); err != nil {
			return fmt.Errorf("%w: the OpenCL library lacks %s (OpenCL 1.2 or later is needed): %s", ErrNoOpenCL, s.name, installHint)
		}
		purego.RegisterLibFunc(s.ptr, handle, s.name)
	}
	return nil
}
