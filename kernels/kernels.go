// Package kernels holds cltrain's OpenCL C kernels, embedded in the binary.
// It holds sources only: the OpenCL backend (package engine/opencl) builds
// them with its parameters as -D options, and every tunable has a default
// inside its file (#ifndef TM / #define TM 32), so each file also compiles
// on its own.
package kernels

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"
)

//go:embed *.cl
var sources embed.FS

// Source returns the embedded OpenCL C files (such as "gemm.cl") joined in
// order, after the shared helpers of common.cl, as the host builds them.
func Source(files ...string) (string, error) {
	var b strings.Builder
	for _, name := range append([]string{"common.cl"}, files...) {
		body, err := sources.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("read kernel source %s: %w", name, err)
		}
		b.Write(body)
		b.WriteString("\n")
	}
	return b.String(), nil
}

// SourceHash returns a short hash of every embedded kernel source, for
// caches keyed on the code they were built from.
func SourceHash() string {
	h := sha256.New()
	entries, _ := sources.ReadDir(".")
	for _, e := range entries {
		b, _ := sources.ReadFile(e.Name())
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
