package device

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

// OpenCL info parameters used by this package.
const (
	platformVersion = 0x0901
	platformName    = 0x0902
	platformVendor  = 0x0903

	deviceType             = 0x1000
	deviceMaxComputeUnits  = 0x1002
	deviceMaxWorkGroupSize = 0x1004
	deviceMaxClock         = 0x100C
	deviceMaxMemAlloc      = 0x1010
	deviceGlobalMemSize    = 0x101F
	deviceLocalMemSize     = 0x1023
	deviceName             = 0x102B
	deviceVendor           = 0x102C
	driverVersion          = 0x102D
	deviceVersion          = 0x102F
	deviceDoubleFPConfig   = 0x1032
	deviceOpenCLCVersion   = 0x103D

	typeCPU         = 1 << 1
	typeGPU         = 1 << 2
	typeAccelerator = 1 << 3
	typeAll         = 0xFFFFFFFF
)

// EnvDevice names the environment variable that picks the default device
// index when no --device flag is given.
const EnvDevice = "CLTRAIN_DEVICE"

// Info holds the facts about one OpenCL device.
type Info struct {
	Index            int    `json:"index"` // position in the list Devices returns
	Platform         string `json:"platform"`
	PlatformVersion  string `json:"platform_version"`
	Name             string `json:"name"`
	Vendor           string `json:"vendor"`
	Type             string `json:"type"` // "GPU", "CPU", "accelerator" or "other"
	DriverVersion    string `json:"driver_version"`
	Version          string `json:"version"`
	OpenCLCVersion   string `json:"opencl_c_version"`
	ComputeUnits     int    `json:"compute_units"`
	MaxClockMHz      int    `json:"max_clock_mhz"`
	MaxWorkGroupSize int    `json:"max_work_group_size"`
	LocalMemBytes    int64  `json:"local_mem_bytes"`
	GlobalMemBytes   int64  `json:"global_mem_bytes"`
	MaxAllocBytes    int64  `json:"max_alloc_bytes"`
	FP64             bool   `json:"fp64"`
}

// Device is one OpenCL device with its facts.
type Device struct {
	Info
	id       uintptr
	platform uintptr
}

// Devices lists every device of every platform, numbered in that order.
// It fails, wrapping ErrNoOpenCL, when there is no library, no platform or no
// device.
func Devices() ([]Device, error) {
	if err := load(); err != nil {
		return nil, err
	}
	var n uint32
	if s := cl.GetPlatformIDs(0, nil, &n); s != 0 || n == 0 {
		if s == 0 || Status(s) == ErrPlatformNotFound {
			return nil, fmt.Errorf("%w: no OpenCL platform found: %s", ErrNoOpenCL, installHint)
		}
		return nil, check("clGetPlatformIDs", s)
	}
	platforms := make([]uintptr, n)
	if err := check("clGetPlatformIDs", cl.GetPlatformIDs(n, &platforms[0], nil)); err != nil {
		return nil, err
	}
	var out []Device
	for _, p := range platforms {
		pname, err := platformString(p, platformName)
		if err != nil {
			return nil, err
		}
		pversion, err := platformString(p, platformVersion)
		if err != nil {
			return nil, err
		}
		var nd uint32
		s := cl.GetDeviceIDs(p, typeAll, 0, nil, &nd)
		if Status(s) == ErrDeviceNotFound || nd == 0 {
			continue
		}
		if err := check("clGetDeviceIDs", s); err != nil {
			return nil, err
		}
		ids := make([]uintptr, nd)
		if err := check("clGetDeviceIDs", cl.GetDeviceIDs(p, typeAll, nd, &ids[0], nil)); err != nil {
			return nil, err
		}
		for _, id := range ids {
			d := Device{id: id, platform: p}
			d.Index = len(out)
			d.Platform = pname
			d.PlatformVersion = pversion
			if err := d.query(); err != nil {
				return nil, fmt.Errorf("device %d on %s: %w", d.Index, pname, err)
			}
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: OpenCL platforms found but no device: %s", ErrNoOpenCL, installHint)
	}
	return out, nil
}

// Select returns the device to use: the one at index when index ≥ 0, else
// the index in $CLTRAIN_DEVICE when set, else the first GPU, else the first
// device.
func Select(index int) (Device, error) {
	devs, err := Devices()
	if err != nil {
		return Device{}, err
	}
	source := "--device"
	if index < 0 {
		if env := strings.TrimSpace(os.Getenv(EnvDevice)); env != "" {
			i, err := strconv.Atoi(env)
			if err != nil {
				return Device{}, fmt.Errorf("%s=%q is not a device index (see cltrain devices)", EnvDevice, env)
			}
			index, source = i, EnvDevice
		}
	}
	if index >= 0 {
		if index >= len(devs) {
			return Device{}, fmt.Errorf("%s %d out of range: %d device(s), numbered 0 to %d (see cltrain devices)", source, index, len(devs), len(devs)-1)
		}
		return devs[index], nil
	}
	for _, d := range devs {
		if d.Type == "GPU" {
			return d, nil
		}
	}
	return devs[0], nil
}

// IsNoOpenCL reports whether err says that OpenCL is absent.
func IsNoOpenCL(err error) bool { return errors.Is(err, ErrNoOpenCL) }

func (d *Device) query() error {
	var err error
	str := func(param uint32) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = infoString(func(size uintptr, v unsafe.Pointer, ret *uintptr) int32 {
			return cl.GetDeviceInfo(d.id, param, size, v, ret)
		}, "clGetDeviceInfo")
		return s
	}
	u64 := func(param uint32, size uintptr) uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		err = check("clGetDeviceInfo", cl.GetDeviceInfo(d.id, param, size, unsafe.Pointer(&v), nil))
		return v
	}
	d.Name = str(deviceName)
	d.Vendor = str(deviceVendor)
	d.DriverVersion = str(driverVersion)
	d.Version = str(deviceVersion)
	d.OpenCLCVersion = str(deviceOpenCLCVersion)
	switch t := u64(deviceType, 8); {
	case t&typeGPU != 0:
		d.Type = "GPU"
	case t&typeCPU != 0:
		d.Type = "CPU"
	case t&typeAccelerator != 0:
		d.Type = "accelerator"
	default:
		d.Type = "other"
	}
	d.ComputeUnits = int(u64(deviceMaxComputeUnits, 4))
	d.MaxClockMHz = int(u64(deviceMaxClock, 4))
	d.MaxWorkGroupSize = int(u64(deviceMaxWorkGroupSize, unsafe.Sizeof(uintptr(0))))
	d.LocalMemBytes = int64(u64(deviceLocalMemSize, 8))
	d.GlobalMemBytes = int64(u64(deviceGlobalMemSize, 8))
	d.MaxAllocBytes = int64(u64(deviceMaxMemAlloc, 8))
	d.FP64 = u64(deviceDoubleFPConfig, 8) != 0
	return err
}

func platformString(p uintptr, param uint32) (string, error) {
	return infoString(func(size uintptr, v unsafe.Pointer, ret *uintptr) int32 {
		return cl.GetPlatformInfo(p, param, size, v, ret)
	}, "clGetPlatformInfo")
}

// infoString runs the two-call size-then-value protocol of clGet*Info for a
// string parameter.
func infoString(get func(size uintptr, v unsafe.Pointer, ret *uintptr) int32, op string) (string, error) {
	var n uintptr
	if err := check(op, get(0, nil, &n)); err != nil {
		return "", err
	}
	if n == 0 {
		return "", nil
	}
	buf := make([]byte, n)
	if err := check(op, get(n, unsafe.Pointer(&buf[0]), nil)); err != nil {
		return "", err
	}
	return strings.TrimRight(string(buf), "\x00 "), nil
}
