// Package cpuref holds the CPU reference implementation of the operations
// used to train the classifier: gemm, bias plus activation, the tanh
// derivative, row sums, the binary cross-entropy cost and the SGD update.
//
// Every operation is written to be simple and obviously correct rather than
// fast (except Gemm, which is the installed BLAS), so that the OpenCL kernels
// and other backends can be checked against it.
//
// Two flavours share one op set: the float64 functions (Gemm, BiasTanh, …)
// work on gonum blas64.General values and are the trusted reference; the
// float32 functions carry a 32 suffix (Gemm32, BiasTanh32, …) and work on
// blas32.General values, for fair float32 benchmarks and a float32 CPU
// backend. The float32 elementwise functions evaluate in float64 and round
// once to float32; their reductions (RowSums32, Cost32, CostFromLogits32)
// accumulate in float64.
//
// Layout: matrices are row-major, element {i,j} is Data[i*Stride+j], and
// examples are columns (X is n_x×m, Y is 1×m).
//
// Shape disagreements between arguments are programming errors and panic,
// as they do in gonum's blas and mat packages.
package cpuref
