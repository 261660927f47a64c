// Reductions in two stages, with deterministic results and no atomics.
// Stage one splits each row into chunks, one work-group per chunk (any
// work-group size; scratch is a local buffer of one float per work-item):
// the work-items sum RVW-wide vectors strided by the work-group size, then
// the group sums its work-items. A row of one chunk is finished there; a
// row of several writes one partial sum per chunk, and stage two adds them
// in order. The partition depends only on the shape and the launch, so a
// run repeats bit for bit.

// RVW (4, 8 or 16) is the width of the vector loads: 16 fills an AVX-512
// register on CPU devices, 4 keeps a GPU's loads coalesced.
#ifndef RVW
#define RVW 16
#endif

#define RVEC_(n) float##n
#define RVEC(n) RVEC_(n)
#define RLOAD_(n) vload##n
#define RLOAD(n) RLOAD_(n)
#define RAS_FLOAT_(n) as_float##n
#define RAS_FLOAT(n) RAS_FLOAT_(n)
#define RAS_INT_(n) as_int##n
#define RAS_INT(n) RAS_INT_(n)
typedef RVEC(RVW) rvec;
#define rload RLOAD(RVW)
#define ras_float RAS_FLOAT(RVW)
#define ras_int RAS_INT(RVW)

// rsum returns the sum of a vector's lanes, pairwise.
inline float rsum(rvec v) {
#if RVW == 16
	const float8 h8 = v.lo + v.hi;
	const float4 h4 = h8.lo + h8.hi;
#elif RVW == 8
	const float4 h4 = v.lo + v.hi;
#else
	const float4 h4 = v;
#endif
	const float2 h2 = h4.lo + h4.hi;
	return h2.x + h2.y;
}

// finish_row returns scale·s + beta·old, not reading old when beta = 0.
inline float finish_row(float s, float scale, float beta, __global const float *old) {
	return beta == 0.0f ? scale * s : fma(beta, *old, scale * s);
}

// row_sums: out[i] = scale·Σ_j a[i, j] + beta·out[i] (beta = 0 never reads
// out); db = (1/m)·Σ dZ. Launched over chunks × rows work-groups, each
// chunk holding chunk columns (a multiple of RVW), the last one the rest.
// With one chunk per row it writes out; with several it writes part[i·n +
// g] for chunk g of row i and row_sums_finish completes the sums.
__kernel void row_sums(const int rows, const int cols, const int chunk, const float scale,
                       const float beta, __global const float *a, __global float *out,
                       __global float *part, __local float *scratch) {
	const int g = get_group_id(0), chunks = get_num_groups(0), i = get_group_id(1);
	const int lid = get_local_id(0), wg = get_local_size(0);
	const int c0 = min(g * chunk, cols), c1 = min(c0 + chunk, cols);
	__global const float *row = a + (long)i * cols + c0;
	const int nv = (c1 - c0) / RVW;
	rvec acc = (rvec)(0.0f);
	for (int v = lid; v < nv; v += wg)
		acc += rload(0, row + v * RVW);
	float s = rsum(acc);
	for (int j = nv * RVW + lid; j < c1 - c0; j += wg)
		s += row[j];
	s = group_sum(s, scratch);
	if (lid != 0 || i >= rows)
		return;
	if (chunks == 1)
		out[i] = finish_row(s, scale, beta, out + i);
	else
		part[i * chunks + g] = s;
}

// row_sums_finish adds the chunks partial sums of each row, in order, one
// work-item per row: out[i] = scale·Σ_g part[i·chunks + g] + beta·out[i].
__kernel void row_sums_finish(const int rows, const int chunks, const float scale,
                              const float beta, __global const float *part,
                              __global float *out) {
	const int i = get_global_id(0);
	if (i >= rows)
		return;
	float s = 0.0f;
	for (int g = 0; g < chunks; g++)
		s += part[i * chunks + g];
	out[i] = finish_row(s, scale, beta, out + i);
}

// log1p_unit returns log(1 + e) for e in [0, 1] as e·p(2e − 1), p the
// degree-9 Chebyshev interpolant of log(1 + e)/e in monomials of t = 2e − 1:
// within 1.4e-7 relative of the true value in float32 (float64 check in
// docs/PERF.md), no cancellation near 0, and nine FMAs where PoCL's log1p
// is a slow call.
#define DEFINE_LOG1P_UNIT(T)                                                   \
	inline T __attribute__((overloadable)) log1p_unit(T e) {                   \
		const T t = fma(e, 2.0f, -1.0f);                                         \
		T p = (T)(-6.2032364e-06f);                                              \
		p = fma(p, t, 2.0508869e-05f);                                           \
		p = fma(p, t, -5.303138e-05f);                                           \
		p = fma(p, t, 0.00018090133f);                                           \
		p = fma(p, t, -0.0006425995f);                                           \
		p = fma(p, t, 0.0022897022f);                                            \
		p = fma(p, t, -0.008461024f);                                            \
		p = fma(p, t, 0.033152252f);                                             \
		p = fma(p, t, -0.14426355f);                                             \
		p = fma(p, t, 0.8109302f);                                               \
		return e * p;                                                            \
	}
DEFINE_LOG1P_UNIT(float)
DEFINE_LOG1P_UNIT(rvec)

// exp_neg returns e^−u for u ≥ 0 in float32 to within 3e-7 relative (5 ulp;
// OpenCL allows exp 3): u = n·ln2 − s with n = u/ln2 rounded to an integer,
// e^s on |s| ≤ ln2/2 by Horner's rule on Cephes' expf polynomial, and 2^−n
// written into the exponent bits. One float for ln2 costs the 2 ulp above
// the two-part reduction only where e^−u is tiny. n is rounded by adding
// 1.5·2^23, which leaves it in the low mantissa bits of t (PoCL's rint is a
// long software sequence); (127 − bits of t) << 23 is then 2^−n, the high
// bits of t shifting out. u is clamped at 87, e^−87 ≈ 1.6e-38, so n ≤ 126
// keeps the scale a normal float; anything smaller stands for the same
// nothing in a sum of costs. Fourteen vector operations where PoCL's exp,
// with its range checks and two-step scaling, takes about twenty-five.
#define DEFINE_EXP_NEG(T, AS_T, AS_I)                                         \
	inline T __attribute__((overloadable)) exp_neg(T u) {                      \
		u = fmin(u, 87.0f);                                                      \
		const T t = fma(u, 1.44269504f, 12582912.0f);                            \
		const T n = t - 12582912.0f;                                             \
		const T s = fma(n, 0.69314718f, -u);                                     \
		T p = (T)(1.9875691500e-4f);                                             \
		p = fma(p, s, 1.3981999507e-3f);                                         \
		p = fma(p, s, 8.3334519073e-3f);                                         \
		p = fma(p, s, 4.1665795894e-2f);                                         \
		p = fma(p, s, 1.6666665459e-1f);                                         \
		p = fma(p, s, 5.0000001201e-1f);                                         \
		p = fma(p, s, 1.0f);                                                     \
		p = fma(p, s, 1.0f);                                                     \
		return p * AS_T((127 - AS_I(t)) << 23);                                  \
	}
DEFINE_EXP_NEG(float, as_float, as_int)
DEFINE_EXP_NEG(rvec, ras_float, ras_int)

// bce_cost: out[0] = (1/cols)·Σ_j [y·softplus(−z) + (1−y)·softplus(z)] with
// z = zb[j] + bias[0], the binary cross-entropy from the logits of a 1×cols
// output, finite however far z saturates the sigmoid; out[1] = the fraction
// of examples where (z > 0) == (y > 0.5), the accuracy. With softplus(±z) =
// max(±z, 0) + log1p(e^−|z|) the sum is max(z, 0) − y·z + log1p(e^−|z|):
// one exp and one log1p per example, each example's term formed before it
// is summed, so a fitted model's small loss does not cancel out of large
// sums of max(z, 0) and y·z. Launched over chunks work-groups as row_sums
// is; with several it writes the pair (sum, right) of chunk g to part[2g],
// part[2g + 1] and pair_finish completes it.
__kernel void bce_cost(const int cols, const int chunk, __global const float *zb,
                       __global const float *bias, __global const float *y,
                       __global float *out, __global float *part, __local float *scratch) {
	const int g = get_group_id(0), chunks = get_num_groups(0);
	const int lid = get_local_id(0), wg = get_local_size(0);
	const int c0 = min(g * chunk, cols), c1 = min(c0 + chunk, cols);
	const float b = bias[0];
	const int nv = (c1 - c0) / RVW;
	rvec acc = (rvec)(0.0f), hits = (rvec)(0.0f);
	for (int v = lid; v < nv; v += wg) {
		const rvec z = rload(0, zb + c0 + v * RVW) + b;
		const rvec yv = rload(0, y + c0 + v * RVW);
		acc += fma(-yv, z, fmax(z, 0.0f)) + log1p_unit(exp_neg(fabs(z)));
		hits = select(hits, hits + 1.0f, (z > 0.0f) == (yv > 0.5f));
	}
	float s = rsum(acc), right = rsum(hits);
	for (int j = c0 + nv * RVW + lid; j < c1; j += wg) {
		const float z = zb[j] + b;
		s += fma(-y[j], z, fmax(z, 0.0f)) + log1p_unit(exp_neg(fabs(z)));
		right += (z > 0.0f) == (y[j] > 0.5f) ? 1.0f : 0.0f;
	}
	finish_cost_pair(s, right, cols, chunks, g, out, part, scratch);
}

// pair_finish adds the (sum, hits) pairs of the chunks of a cost kernel
// (bce_cost, softmax_cost) in order, in one work-item: out[0] =
// Σ part[2g]/cols, out[1] = Σ part[2g + 1]/cols.
__kernel void pair_finish(const int cols, const int chunks, __global const float *part,
                          __global float *out) {
	if (get_global_id(0) != 0)
		return;
	float s = 0.0f, right = 0.0f;
	for (int g = 0; g < chunks; g++) {
		s += part[2 * g];
		right += part[2 * g + 1];
	}
	out[0] = s / cols;
	out[1] = right / cols;
}
