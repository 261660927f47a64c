// Package bench measures cltrain's backends side by side: GEMM in the
// transposes training uses, the elementwise ops and reductions, one training
// step and a whole flower-sized training run, on the CPU in float32 and
// float64 (gonum's Go BLAS, and OpenBLAS when installed) and on an OpenCL
// device (cltrain's kernels, and CLBlast's SGEMM when installed), together
// with the device's measured peak FLOP rate and copy bandwidth, the host
// CPU's own FMA peak (a Go assembly loop on amd64) and the OpenBLAS kernel
// set that ran.
//
// Every case runs its backends interleaved (a warm-up each, then rounds of
// A B C …) so that drift of the machine hits all of them, and reports the
// median and the min–max spread of the runs. Run gathers a Report; its
// methods write it as a table, JSON or CSV, and Plot draws it.
//
// Layout: matrices are row-major, element {i, j} of an r×c matrix at
// i*c + j; examples are columns (X is n_x×m).
package bench
