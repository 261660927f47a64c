package device

import (
	"fmt"
	"strings"
	"unsafe"
)

const programBuildLog = 0x1183

// BuildError is returned when a program fails to compile; it carries the
// compiler's build log.
type BuildError struct {
	Name   string // what was being built
	Status Status
	Log    string
}

// Error names the program, the status and the whole build log.
func (e *BuildError) Error() string {
	return fmt.Sprintf("build program %s: %v:\n%s", e.Name, e.Status, strings.TrimSpace(e.Log))
}

// Unwrap returns the OpenCL status.
func (e *BuildError) Unwrap() error { return e.Status }

// Program is a built OpenCL program.
type Program struct {
	Name string
	p    uintptr
	dev  uintptr
}

// Build compiles source for the context's device with the given compiler
// options. name labels the program in errors. A compile failure returns a
// *BuildError holding the log. Built binaries are cached per device, driver,
// options and source (see CacheDir) and loaded from there when present and
// intact; otherwise c.OnCompile, when set, is called before compiling.
func (c *Context) Build(name, source, options string) (*Program, error) {
	key := c.cacheKey(source, options)
	if p := c.buildCached(name, key, options); p != nil {
		return p, nil
	}
	if c.OnCompile != nil {
		c.OnCompile(name)
	}
	p, err := c.buildSource(name, source, options)
	if err != nil {
		return nil, err
	}
	c.storeBinary(p, key)
	return p, nil
}

func (c *Context) buildSource(name, source, options string) (*Program, error) {
	src := append([]byte(source), 0)
	srcPtr := &src[0]
	length := uintptr(len(source))
	var s int32
	p := cl.CreateProgramWithSource(c.ctx, 1, &srcPtr, &length, &s)
	if err := check("clCreateProgramWithSource", s); err != nil {
		return nil, fmt.Errorf("build program %s: %w", name, err)
	}
	prog := &Program{Name: name, p: p, dev: c.Device.id}
	if err := prog.build(options); err != nil {
		prog.Release()
		return nil, err
	}
	return prog, nil
}

func (p *Program) build(options string) error {
	s := cl.BuildProgram(p.p, 1, &p.dev, options, 0, 0)
	if s == 0 {
		return nil
	}
	log, err := infoString(func(size uintptr, v unsafe.Pointer, ret *uintptr) int32 {
		return cl.GetProgramBuildInfo(p.p, p.dev, programBuildLog, size, v, ret)
	}, "clGetProgramBuildInfo")
	if err != nil {
		log = "(no build log: " + err.Error() + ")"
	}
	return &BuildError{Name: p.Name, Status: Status(s), Log: log}
}

// Kernel creates the named kernel of the program.
func (p *Program) Kernel(name string) (*Kernel, error) {
	var s int32
	k := cl.CreateKernel(p.p, name, &s)
	if err := check("clCreateKernel", s); err != nil {
		return nil, fmt.Errorf("program %s kernel %s: %w", p.Name, name, err)
	}
	return &Kernel{Name: name, k: k, dev: p.dev}, nil
}

// Release frees the program. Kernels made from it stay valid until released.
func (p *Program) Release() error {
	if p == nil || p.p == 0 {
		return nil
	}
	err := check("clReleaseProgram", cl.ReleaseProgram(p.p))
	p.p = 0
	return err
}
