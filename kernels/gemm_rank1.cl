// The rank-one GEMM for CPU devices: a product with K = 1, C = op(A)·op(B)
// with op(A) an M-vector and op(B) an N-vector (contiguous whatever the
// transposes), through the EPILOGUE (epilogue.cl). It is memory work, one
// multiply per element written: W2ᵀ·dZ2 of a network with one output unit.
//
// Work-item (jc, ic) writes rows [ic·rows, ic·rows + rows) and columns
// [jc·cols, jc·cols + cols) of C, each row a run of 16-wide vectors in
// order, so that the writes stream. It runs alone in its work-group, so
// that PoCL does not vectorise across work-items (which turns the row runs
// into scatters): the host sizes rows × cols to tens of kilobytes each.
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void gemm_rank1(const int M, const int N, const int rows, const int cols, const float alpha,
                __global const float *restrict a, __global const float *restrict b,
                const float beta, __global float *C, __global const float *bias,
                __global const float *aux) {
	const int j0 = get_global_id(0) * cols, i0 = get_global_id(1) * rows;
	const int j1 = min(j0 + cols, N), i1 = min(i0 + rows, M);
	for (int i = i0; i < i1; i++) {
		const float ai = a[i];
		int j = j0;
		for (; j + 16 <= j1; j += 16)
			store(C, i * N + j, i, ai * vload16(0, b + j), alpha, beta, bias, aux);
		for (; j < j1; j++)
			store(C, i * N + j, i, ai * b[j], alpha, beta, bias, aux);
	}
}
