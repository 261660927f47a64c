package bench

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/cpu"
)

// KernelSet says which of OpenBLAS's kernel sets the cpu32-openblas row
// ran: OpenBLAS built with DYNAMIC_ARCH picks one per CPU at load time, and
// falls back to a generic one (Prescott, SSE3 only) on CPUs it does not
// know, or runs the one OPENBLAS_CORETYPE names.
type KernelSet struct {
	Config string `json:"config"`     // openblas_get_config, e.g. "OpenBLAS 0.3.21 … Haswell MAX_THREADS=64"
	Name   string `json:"kernel_set"` // the core name in it, e.g. "Haswell"; "" when none is known
	// CPUBest is the newest set this CPU runs, e.g. "SkylakeX" on a CPU
	// with AVX-512; "" when unknown (not x86).
	CPUBest string `json:"cpu_best,omitempty"`
	// CoreType is $OPENBLAS_CORETYPE when set: it forces the set.
	CoreType string `json:"openblas_coretype,omitempty"`
	// Warning is set when the set is a generic fallback or older than
	// CPUBest: the row understates what OpenBLAS does on this CPU.
	Warning string `json:"warning,omitempty"`
}

// x86Sets are OpenBLAS's x86 core names (its gotoblas_corename) by the
// instruction set their kernels need: 0 SSE (generic), 1 AVX, 2 AVX2 and
// FMA, 3 AVX-512.
var x86Sets = map[string]int{
	"prescott": 0, "core2": 0, "penryn": 0, "dunnington": 0, "nehalem": 0, "atom": 0, "katmai": 0,
	"coppermine": 0, "northwood": 0, "banias": 0, "athlon": 0, "opteron": 0, "opteron_sse3": 0,
	"barcelona": 0, "nano": 0, "bobcat": 0,
	"sandybridge": 1, "bulldozer": 1, "piledriver": 1,
	"haswell": 2, "zen": 2, "steamroller": 2, "excavator": 2,
	"skylakex": 3, "cooperlake": 3, "sapphirerapids": 3,
}

// bestSets are the sets to name as the best of each level.
var bestSets = []string{"Prescott", "Sandybridge", "Haswell", "SkylakeX"}

// cpuLevel returns the newest x86Sets level this CPU runs, or −1 off x86.
// SkylakeX's kernels need AVX-512 F, BW, DQ and VL.
func cpuLevel() int {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "386" {
		return -1
	}
	switch x := cpu.X86; {
	case x.HasAVX512F && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL:
		return 3
	case x.HasAVX2 && x.HasFMA:
		return 2
	case x.HasAVX:
		return 1
	}
	return 0
}

// kernelSet reads the set out of OpenBLAS's config string and judges it
// against a CPU of level (−1: not x86, no judgement); coreType is
// $OPENBLAS_CORETYPE.
func kernelSet(config, coreType string, level int) KernelSet {
	k := KernelSet{Config: config, CoreType: coreType}
	have := -1
	for _, f := range strings.Fields(config) {
		if l, ok := x86Sets[strings.ToLower(f)]; ok {
			k.Name, have = f, l
		}
	}
	if level < 0 || level >= len(bestSets) {
		return k
	}
	k.CPUBest = bestSets[level]
	if have < 0 || have >= level {
		return k
	}
	why := "older than this CPU runs"
	if have == 0 {
		why = "generic, OpenBLAS's fallback for CPUs it does not recognise"
	}
	if coreType != "" {
		why += "; forced by OPENBLAS_CORETYPE=" + coreType
	}
	k.Warning = fmt.Sprintf("OpenBLAS runs its %s kernels (%s) on a CPU that runs its %s kernels, so the %s rows understate the CPU; OPENBLAS_CORETYPE=%s runs those",
		k.Name, why, k.CPUBest, CPU32OpenBLAS, k.CPUBest)
	return k
}

// openBLASKernelSet returns the set of the loaded OpenBLAS whose config
// string is config, judged against this CPU.
func openBLASKernelSet(config string) *KernelSet {
	k := kernelSet(config, os.Getenv("OPENBLAS_CORETYPE"), cpuLevel())
	return &k
}
