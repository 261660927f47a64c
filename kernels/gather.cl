// Mini-batch gathers from an example-major copy of the data. The data X is
// feature-major (rows × m, X[i * m + j] is feature i of example j), so a
// batch's columns are scattered over every row and gathering them reads
// nearly every cache line of X. The transposed copy XT (m × rows) keeps
// each example's features together: a batch reads only its own examples.

// dst = srcᵀ: src is rows × cols, dst cols × rows, on a 2-D range (cols, rows).
__kernel void transpose(const int rows, const int cols, __global const float *src,
                        __global float *dst) {
	const int j = get_global_id(0), i = get_global_id(1);
	if (i < rows && j < cols)
		dst[j * rows + i] = src[i * cols + j];
}

// dst[i, j] = srcT[idx[off + j], i]: the examples idx[off], …,
// idx[off + cols − 1] of an example-major srcT (one row of `rows` features
// per example) as the columns of a feature-major dst (rows × cols), on a
// 2-D range (cols, rows).
__kernel void gather_cols_t(const int rows, const int cols, __global const int *idx,
                            const int off, __global const float *srcT,
                            __global float *dst) {
	const int j = get_global_id(0), i = get_global_id(1);
	if (i < rows && j < cols)
		dst[i * cols + j] = srcT[(long)idx[off + j] * rows + i];
}
