// Elementwise kernels over rows×cols matrices, launched on a 2-D range
// (cols, rows). bias holds one value per row.

__kernel void bias_tanh(const int rows, const int cols, __global const float *z,
                        __global const float *bias, __global float *out) {
	const int j = get_global_id(0), i = get_global_id(1);
	if (i < rows && j < cols)
		out[i * cols + j] = act_tanh(z[i * cols + j] + bias[i]);
}

__kernel void bias_sigmoid(const int rows, const int cols, __global const float *z,
                           __global const float *bias, __global float *out) {
	const int j = get_global_id(0), i = get_global_id(1);
	if (i < rows && j < cols)
		out[i * cols + j] = act_sigmoid(z[i * cols + j] + bias[i]);
}

// out = a − b (dZ = A − Y for the sigmoid output with cross-entropy).
__kernel void sub(const int n, __global const float *a, __global const float *b,
                  __global float *out) {
	const int i = get_global_id(0);
	if (i < n)
		out[i] = a[i] - b[i];
}

// out = da ⊙ (1 − a²): the gradient through tanh, given its output a.
__kernel void tanh_backward(const int n, __global const float *da,
                            __global const float *a, __global float *out) {
	const int i = get_global_id(0);
	if (i < n)
		out[i] = da[i] * (1.0f - a[i] * a[i]);
}

// w −= lr·dw.
__kernel void sgd(const int n, const float lr, __global float *w,
                  __global const float *dw) {
	const int i = get_global_id(0);
	if (i < n)
		w[i] = fma(-lr, dw[i], w[i]);
}

// Copies the columns idx[off], …, idx[off+cols−1] of the rows×srcCols matrix
// src into the rows×cols matrix dst (a mini-batch of examples).
__kernel void gather_cols(const int rows, const int cols, const int srcCols,
                          __global const int *idx, const int off,
                          __global const float *src, __global float *dst) {
	const int j = get_global_id(0), i = get_global_id(1);
	if (i < rows && j < cols)
		dst[i * cols + j] = src[i * srcCols + idx[off + j]];
}

