// Shared helpers of every cltrain kernel. The host prepends this file to
// each program. Matrices are row-major: element {i, j} of an r×c matrix is
// at i*c + j.

// tanh built on expm1: accurate near zero and about ten times faster than
// PoCL's builtin tanh. |x| > 9 gives ±1 in float32 exactly.
inline float act_tanh(float x) {
	float t = expm1(2.0f * clamp(x, -9.0f, 9.0f));
	return t / (t + 2.0f);
}

// The logistic function, finite for any x.
inline float act_sigmoid(float x) {
	return 1.0f / (1.0f + exp(-x));
}

// softplus(x) = log(1 + e^x), stable for any x: log σ(z) = −softplus(−z).
inline float softplus(float x) {
	return fmax(x, 0.0f) + log1p(exp(-fabs(x)));
}

// Sums v over the work-group into scratch[0] (scratch holds one float per
// work-item) and returns it to every work-item. Any work-group size works.
inline float group_sum(float v, __local float *scratch) {
	const int lid = get_local_id(0);
	int n = get_local_size(0);
	scratch[lid] = v;
	barrier(CLK_LOCAL_MEM_FENCE);
	while (n > 1) {
		const int upper = (n + 1) / 2;
		if (lid < n - upper) {
			scratch[lid] += scratch[lid + upper];
		}
		barrier(CLK_LOCAL_MEM_FENCE);
		n = upper;
	}
	const float total = scratch[0];
	barrier(CLK_LOCAL_MEM_FENCE);
	return total;
}
