package openblas

import (
	"fmt"
	"strings"
	"sync"

	"github.com/ebitengine/purego"
)

// libraryNames are the file names tried, in order, by Load.
var libraryNames = []string{"libopenblas.so.0", "libopenblas.so"}

// loadOnce opens the library the first time Load is called; the library
// then stays loaded for the life of the process.
var loadOnce = sync.OnceValues(load)

// Load opens OpenBLAS and returns the Implementation that routes Sgemm and
// Dgemm to it. Every call returns the same Implementation. When the library
// or one of its gemm routines is missing, the error wraps ErrUnavailable and
// names the package to install.
func Load() (*Implementation, error) { return loadOnce() }

// load opens the first library of libraryNames that dlopen finds and looks up
// its symbols.
func load() (*Implementation, error) {
	var (
		lib, file string
		handle    uintptr
		errs      []string
	)
	for _, file = range libraryNames {
		h, err := purego.Dlopen(file, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err == nil {
			handle, lib = h, file
			break
		}
		errs = append(errs, err.Error())
	}
	if handle == 0 {
		return nil, fmt.Errorf("%w: cannot open %s (%s); install it with: apt-get install libopenblas0",
			ErrUnavailable, strings.Join(libraryNames, " or "), strings.Join(errs, "; "))
	}

	impl := &Implementation{name: "OpenBLAS (" + lib + ")"}
	for _, fn := range []struct {
		sym string
		ptr any
	}{{"cblas_sgemm", &impl.sgemm}, {"cblas_dgemm", &impl.dgemm}} {
		addr, err := purego.Dlsym(handle, fn.sym)
		if err != nil {
			return nil, fmt.Errorf("%w: %s has no %s (%v); install it with: apt-get install libopenblas0",
				ErrUnavailable, lib, fn.sym, err)
		}
		purego.RegisterFunc(fn.ptr, addr)
	}
	if addr, err := purego.Dlsym(handle, "openblas_get_num_threads"); err == nil {
		purego.RegisterFunc(&impl.getNumThreads, addr)
	}
	if addr, err := purego.Dlsym(handle, "openblas_set_num_threads"); err == nil {
		purego.RegisterFunc(&impl.setNumThreads, addr)
	}
	if addr, err := purego.Dlsym(handle, "openblas_get_config"); err == nil {
		var config func() string
		purego.RegisterFunc(&config, addr)
		if s := strings.TrimSpace(config()); s != "" {
			impl.name = s
		}
	}
	return impl, nil
}
