// The ReLU hidden layers' elementwise kernels, for the unfused path (the
// fused one has them as GEMM epilogues 5 and 6, epilogue.cl). ReLU's
// derivative at 0 is taken as 0, as PyTorch does: the mask is the layer's
// output a > 0.

// out = max(z + bias, 0), on a 2-D range (cols, rows); bias holds one value
// per row.
__kernel void bias_relu(const int rows, const int cols, __global const float *z,
                        __global const float *bias, __global float *out) {
	const int j = get_global_id(0), i = get_global_id(1);
	if (i < rows && j < cols)
		out[i * cols + j] = fmax(z[i * cols + j] + bias[i], 0.0f);
}

// out = da where a > 0, else 0: the gradient through ReLU given its output a.
// out may be da.
__kernel void relu_backward(const int n, __global const float *da,
                            __global const float *a, __global float *out) {
	const int i = get_global_id(0);
	if (i < n)
		out[i] = a[i] > 0.0f ? da[i] : 0.0f;
}
