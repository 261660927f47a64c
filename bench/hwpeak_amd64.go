package bench

import "golang.org/x/sys/cpu"

// fmaZMM runs 16 independent chains of VFMADD231PS on ZMM registers iters
// times: 512·iters flops (hwpeak_amd64.s). It needs AVX-512F.
//
//go:noescape
func fmaZMM(iters int64)

// fmaYMM runs 12 independent chains of VFMADD231PS on YMM registers iters
// times: 192·iters flops (hwpeak_amd64.s). It needs AVX2 and FMA.
//
//go:noescape
func fmaYMM(iters int64)

// fmaLoop returns the widest FMA loop this CPU runs, its flops per
// iteration and its name; nil when the CPU has neither AVX-512F nor AVX2
// with FMA. x/sys/cpu reports AVX-512 only where the OS saves its
// registers.
func fmaLoop() (loop func(int64), flopsPerIter float64, isa string) {
	switch {
	case cpu.X86.HasAVX512F:
		return fmaZMM, 16 * 16 * 2, "AVX-512 VFMADD231PS on ZMM"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return fmaYMM, 12 * 8 * 2, "AVX2 VFMADD231PS on YMM"
	}
	return nil, 0, ""
}
