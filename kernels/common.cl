// Shared helpers of every cltrain kernel. The host prepends this file to
// each program. Matrices are row-major: element {i, j} of an r×c matrix is
// at i*c + j.

// The activations, for float and for float4, float8 and float16 (the vector
// forms let the CPU kernels compute a whole vector per call).
//
// act_tanh: tanh from one exp, about twice as fast as PoCL's builtin tanh
// and fifty times faster than its expm1: an odd Taylor polynomial where
// |x| < 0.3 (its truncation error there is under 6e-8 relative),
// (1 − e)/(1 + e) with e = exp(−2|x|) elsewhere, which cannot overflow.
// act_sigmoid: the logistic function, finite for any x.
// softplus(x) = log(1 + e^x), stable for any x: log σ(z) = −softplus(−z).
#define DEFINE_ACTIVATIONS(T)                                                   \
	inline T __attribute__((overloadable)) act_tanh(T x) {                     \
		const T ax = fabs(x);                                                    \
		const T e = exp(-2.0f * ax);                                             \
		const T far = copysign((1.0f - e) / (1.0f + e), x);                      \
		const T x2 = x * x;                                                      \
		const T near = fma(x * x2,                                               \
		                   fma(x2, fma(x2, fma(x2, (T)(62.0f / 2835.0f),          \
		                                       (T)(-17.0f / 315.0f)),            \
		                               (T)(2.0f / 15.0f)),                       \
		                       (T)(-1.0f / 3.0f)),                               \
		                   x);                                                   \
		return select(far, near, ax < 0.3f);                                     \
	}                                                                          \
	inline T __attribute__((overloadable)) act_sigmoid(T x) {                  \
		return 1.0f / (1.0f + exp(-x));                                          \
	}                                                                          \
	inline T __attribute__((overloadable)) softplus(T x) {                     \
		return fmax(x, 0.0f) + log1p(exp(-fabs(x)));                             \
	}

DEFINE_ACTIVATIONS(float)
DEFINE_ACTIVATIONS(float4)
DEFINE_ACTIVATIONS(float8)
DEFINE_ACTIVATIONS(float16)

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

// Ends a work-group of a cost kernel (bce_cost, softmax_cost) over chunk g
// of chunks: sums its loss s and its hits right over the group; then
// work-item 0 writes the means over cols to out[0], out[1] when there is one
// chunk, or the chunk's sums to part[2g], part[2g + 1] for pair_finish.
// Every work-item of the group calls it.
inline void finish_cost_pair(float s, float right, const int cols, const int chunks, const int g,
                             __global float *out, __global float *part, __local float *scratch) {
	s = group_sum(s, scratch);
	right = group_sum(right, scratch);
	if (get_local_id(0) != 0)
		return;
	if (chunks == 1) {
		out[0] = s / cols;
		out[1] = right / cols;
	} else {
		part[2 * g] = s;
		part[2 * g + 1] = right;
	}
}
