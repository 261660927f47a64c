package device

import (
	"errors"
	"fmt"
	"os"
	"slices"
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
	Type             Kind   `json:"type"` // "GPU", "CPU", "accelerator" or "other" in JSON
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

// Kind is a device's type as OpenCL reports it.
type Kind int

// The device kinds. A device that reports several types is the first of
// GPU, CPU and Accelerator it has.
const (
	Other Kind = iota
	GPU
	CPU
	Accelerator
)

// String returns the kind as cltrain prints it: "GPU", "CPU",
// "accelerator" or "other".
func (k Kind) String() string {
	switch k {
	case GPU:
		return "GPU"
	case CPU:
		return "CPU"
	case Accelerator:
		return "accelerator"
	}
	return "other"
}

// MarshalText writes the kind as String does, so JSON holds the name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a name that String writes.
func (k *Kind) UnmarshalText(b []byte) error {
	for _, c := range []Kind{Other, GPU, CPU, Accelerator} {
		if c.String() == string(b) {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("device kind %q: want GPU, CPU, accelerator or other", b)
}

// Device is one OpenCL device with its facts.
type Device struct {
	Info
	id       uintptr
	platform uintptr
}

// Devices lists every device of every platform, numbered in that order.
// It fails, wrapping ErrNoOpenCL, when there is no library, no platform or no
// device; when platforms exist but none reports a device, the error names
// each platform, its version and what clGetDeviceIDs returned for it.
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
	var empty []platformReport
	for _, p := range platforms {
		pname, err := platformString(p, platformName)
		if err != nil {
			return nil, err
		}
		pversion, err := platformString(p, platformVersion)
		if err != nil {
			return nil, fmt.Errorf("platform %s: %w", pname, err)
		}
		if v, ok := os.LookupEnv(envPoCLCacheDir); ok && v == "" && isPoCL(pname, pversion) {
			// PoCL 3.1 asserts that its cache folder name is not empty,
			// aborting the process inside clGetDeviceIDs: not asked.
			empty = append(empty, platformReport{Name: pname, Version: pversion, Skipped: true})
			continue
		}
		var nd uint32
		s := cl.GetDeviceIDs(p, typeAll, 0, nil, &nd)
		if s != 0 || nd == 0 {
			// A platform without a device, usually CL_DEVICE_NOT_FOUND,
			// is passed over; its answer is reported if no platform has one.
			empty = append(empty, platformReport{Name: pname, Version: pversion, Status: Status(s)})
			continue
		}
		ids := make([]uintptr, nd)
		if err := check("clGetDeviceIDs", cl.GetDeviceIDs(p, typeAll, nd, &ids[0], nil)); err != nil {
			return nil, fmt.Errorf("platform %s: %w", pname, err)
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
		return nil, noDeviceError(empty, poclCacheProblem())
	}
	return out, nil
}

// envPoCLCacheDir names PoCL's variable for its kernel cache folder.
const envPoCLCacheDir = "POCL_CACHE_DIR"

// platformReport is what one platform answered when asked for its devices.
type platformReport struct {
	Name, Version string
	Status        Status // returned by clGetDeviceIDs; CL_SUCCESS means it counted 0 devices
	Skipped       bool   // not asked, as asking would abort the process
}

// noDeviceError explains, wrapping ErrNoOpenCL, that the platforms found
// report no device. poclProblem, when not empty, says what is wrong with
// PoCL's cache folder and is given when a platform is PoCL; the install hint
// is given only when no platform is PoCL.
func noDeviceError(platforms []platformReport, poclProblem string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d OpenCL platform(s) found but no device:", len(platforms))
	pocl := false
	for _, p := range platforms {
		answer := "clGetDeviceIDs returned " + p.Status.Error()
		switch {
		case p.Skipped:
			answer = "not asked for devices"
		case p.Status == 0:
			answer += " with 0 devices"
		}
		fmt.Fprintf(&b, " %s (%s): %s;", p.Name, p.Version, answer)
		pocl = pocl || isPoCL(p.Name, p.Version)
	}
	switch {
	case pocl && poclProblem != "":
		b.WriteString(" " + poclProblem)
	case pocl:
		b.WriteString(" PoCL says why with POCL_DEBUG=err")
	default:
		b.WriteString(" check the platform's driver, or " + installHint)
	}
	return fmt.Errorf("%w: %s", ErrNoOpenCL, b.String())
}

// isPoCL reports whether a platform is PoCL, by its name or version.
func isPoCL(name, version string) bool {
	return strings.Contains(name, "Portable Computing Language") || strings.Contains(version, "PoCL")
}

// poclCacheProblem returns a sentence saying why $POCL_CACHE_DIR cannot
// serve as PoCL's cache folder, or "" when it is unset or fine. It is asked
// after PoCL has tried to create the folder, so a missing folder is one that
// could not be created.
func poclCacheProblem() string {
	dir, ok := os.LookupEnv(envPoCLCacheDir)
	if !ok {
		return ""
	}
	if dir == "" {
		return envPoCLCacheDir + " is set but empty, on which PoCL aborts the process; unset it or name a writable folder"
	}
	why := ""
	if st, err := os.Stat(dir); err != nil {
		why = pathErr(err)
	} else if !st.IsDir() {
		why = "not a folder"
	} else if f, err := os.CreateTemp(dir, ".cltrain-probe-*"); err != nil {
		why = pathErr(err)
	} else {
		f.Close()
		os.Remove(f.Name())
		return ""
	}
	return fmt.Sprintf("%s=%s is not a writable folder (%s); PoCL reports no device without one", envPoCLCacheDir, dir, why)
}

// pathErr returns the cause of a file system error without the path.
func pathErr(err error) string {
	if u := errors.Unwrap(err); u != nil {
		return u.Error()
	}
	return err.Error()
}

// Auto asks Select for the default: $CLTRAIN_DEVICE, else the first GPU,
// else the first device.
const Auto = -1

// Select returns the device at index, numbered as Devices lists them. With
// index Auto it returns the one at the index in $CLTRAIN_DEVICE when that is
// set (to a non-negative integer; spaces around it are ignored, an empty
// value counts as unset), else the first GPU, else the first device. Any
// other negative index, and an index past the last device, is refused.
func Select(index int) (Device, error) {
	devs, err := Devices()
	if err != nil {
		return Device{}, err
	}
	last := len(devs) - 1
	source := fmt.Sprintf("--device %d", index)
	switch {
	case index == Auto:
		env := strings.TrimSpace(os.Getenv(EnvDevice))
		if env == "" {
			break
		}
		i, err := parseIndex(env)
		if err != nil {
			return Device{}, fmt.Errorf("%s=%q: not a device index: want a whole number from 0 to %d (see cltrain devices)", EnvDevice, os.Getenv(EnvDevice), last)
		}
		index, source = i, fmt.Sprintf("%s=%d", EnvDevice, i)
	case index < 0:
		return Device{}, fmt.Errorf("%s: not a device index: numbered 0 to %d (see cltrain devices)", source, last)
	}
	if index >= 0 {
		if index > last {
			return Device{}, fmt.Errorf("%s out of range: %d device(s), numbered 0 to %d (see cltrain devices)", source, len(devs), last)
		}
		return devs[index], nil
	}
	for _, d := range devs {
		if d.Type == GPU {
			return d, nil
		}
	}
	return devs[0], nil
}

// parseIndex parses a device index: decimal digits only, so that "-5",
// "+1", "1.5" and "0,1" are refused.
func parseIndex(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a non-negative integer", s)
	}
	return strconv.Atoi(s)
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
		d.Type = GPU
	case t&typeCPU != 0:
		d.Type = CPU
	case t&typeAccelerator != 0:
		d.Type = Accelerator
	default:
		d.Type = Other
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

// ParseList reads a list of devices as --device takes them: "" or "-1" for
// the default (Auto), "all" for every device, or indices separated by
// commas ("0,1"), each once. It checks the spelling only; SelectList checks
// the indices against the devices there are.
func ParseList(spec string) (indices []int, all bool, err error) {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "", strconv.Itoa(Auto):
		return []int{Auto}, false, nil
	case "all":
		return nil, true, nil
	}
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		i, err := strconv.Atoi(f)
		if err != nil || i < 0 {
			return nil, false, fmt.Errorf("device list %q: %q is not a device index (0, 1, …; or all)", spec, f)
		}
		if slices.Contains(indices, i) {
			return nil, false, fmt.Errorf("device list %q: device %d given twice", spec, i)
		}
		indices = append(indices, i)
	}
	return indices, false, nil
}

// SelectList returns the devices a list names (see ParseList): the default
// device for "" or "-1", every device for "all", else the devices at the
// given indices, in that order.
func SelectList(spec string) ([]Device, error) {
	indices, all, err := ParseList(spec)
	if err != nil {
		return nil, err
	}
	if len(indices) == 1 {
		d, err := Select(indices[0])
		return []Device{d}, err
	}
	devs, err := Devices()
	if err != nil {
		return nil, err
	}
	if all {
		return devs, nil
	}
	out := make([]Device, len(indices))
	for k, i := range indices {
		if i >= len(devs) {
			return nil, fmt.Errorf("--device %d out of range: %d device(s), numbered 0 to %d (see cltrain devices)", i, len(devs), len(devs)-1)
		}
		out[k] = devs[i]
	}
	return out, nil
}
