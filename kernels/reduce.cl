// Reductions: one work-group per output, any work-group size; scratch is a
// local buffer of one float per work-item.

// out[i] = scale·Σ_j a[i, j] + beta·out[i] (beta = 0 never reads out);
// work-group i sums row i (db = (1/m) Σ dZ).
__kernel void row_sums(const int rows, const int cols, const float scale,
                       const float beta, __global const float *a,
                       __global float *out, __local float *scratch) {
	const int i = get_group_id(1);
	float s = 0.0f;
	for (int j = get_local_id(0); j < cols; j += get_local_size(0))
		s += a[i * cols + j];
	s = group_sum(s, scratch);
	if (get_local_id(0) == 0 && i < rows)
		out[i] = beta == 0.0f ? scale * s : fma(beta, out[i], scale * s);
}

// out[0] = (1/cols)·Σ_j [y·softplus(−z) + (1−y)·softplus(z)] with z = zb[j] +
// bias[0]: the binary cross-entropy from the logits of a 1×cols output,
// finite however far z saturates the sigmoid; out[1] = the fraction of
// examples where (z > 0) == (y > 0.5), the accuracy. Run as one work-group.
__kernel void bce_cost(const int cols, __global const float *zb,
                       __global const float *bias, __global const float *y,
                       __global float *out, __local float *scratch) {
	const float b = bias[0];
	float s = 0.0f, right = 0.0f;
	for (int j = get_local_id(0); j < cols; j += get_local_size(0)) {
		const float z = zb[j] + b;
		s += y[j] * softplus(-z) + (1.0f - y[j]) * softplus(z);
		right += (z > 0.0f) == (y[j] > 0.5f) ? 1.0f : 0.0f;
	}
	s = group_sum(s, scratch);
	right = group_sum(right, scratch);
	if (get_local_id(0) == 0) {
		out[0] = s / cols;
		out[1] = right / cols;
	}
}
