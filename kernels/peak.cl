// The device's limits, for benchmarks: arithmetic peak and copy bandwidth.
// VW (4, 8 or 16) is the vector width of the FMA chains.

#ifndef VW
#define VW 16
#endif

#define VEC_(n) float##n
#define VEC(n) VEC_(n)
typedef VEC(VW) vec;

// hsum returns the sum of a vector's lanes.
inline float hsum(vec v) {
#if VW == 16
	const float8 h8 = v.lo + v.hi;
	const float4 h4 = h8.lo + h8.hi;
#elif VW == 8
	const float4 h4 = v.lo + v.hi;
#else
	const float4 h4 = v;
#endif
	const float2 h2 = h4.lo + h4.hi;
	return h2.x + h2.y;
}

// FMA16 steps sixteen independent chains x = x·a + b. It calls fma(), not
// mad(): PoCL 3.1 compiles mad() to a separate multiply and add (vmulps,
// vaddps) even under -cl-fast-relaxed-math or -cl-mad-enable, which runs at
// 0.6 of the CPU's FMA peak; fma() gives vfmadd on whole ZMM registers
// (docs/PERF.md, "Speed, round two").
#define FMA16(a, b)                                                                 \
	x0 = fma(x0, a, b); x1 = fma(x1, a, b); x2 = fma(x2, a, b); x3 = fma(x3, a, b);     \
	x4 = fma(x4, a, b); x5 = fma(x5, a, b); x6 = fma(x6, a, b); x7 = fma(x7, a, b);     \
	x8 = fma(x8, a, b); x9 = fma(x9, a, b); x10 = fma(x10, a, b); x11 = fma(x11, a, b); \
	x12 = fma(x12, a, b); x13 = fma(x13, a, b); x14 = fma(x14, a, b); x15 = fma(x15, a, b);

// peak_fma runs sixteen independent chains x = x·a + b of VW-wide vectors
// per work-item, 2·iters steps each: 2·VW·32·iters flops per work-item.
// The chains are independent so that the FMA latency is hidden (eight
// chains, one per FMA pipe and cycle of latency on a two-pipe, four-cycle
// CPU, left it at 0.84 of the peak, sixteen reach 0.91); a and b are
// arguments and the lanes' sum is written out, so the compiler can neither
// fold nor drop the work. With a < 1 the values converge to b/(1−a).
__kernel void peak_fma(const int iters, const float a, const float b, __global float *out) {
	const int gid = get_global_id(0);
	const vec av = (vec)(a), bv = (vec)(b);
	vec x0 = (vec)(gid & 7), x1 = x0 + 1.0f, x2 = x0 + 2.0f, x3 = x0 + 3.0f;
	vec x4 = x0 + 4.0f, x5 = x0 + 5.0f, x6 = x0 + 6.0f, x7 = x0 + 7.0f;
	vec x8 = x0 + 8.0f, x9 = x0 + 9.0f, x10 = x0 + 10.0f, x11 = x0 + 11.0f;
	vec x12 = x0 + 12.0f, x13 = x0 + 13.0f, x14 = x0 + 14.0f, x15 = x0 + 15.0f;
	for (int i = 0; i < iters; i++) {
		FMA16(av, bv)
		FMA16(av, bv)
	}
	const vec lo = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
	const vec hi = ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
	out[gid] = hsum(lo + hi);
}

// copy4 copies n4 float4 vectors from in to out: 32·n4 bytes moved (16·n4
// read, 16·n4 written).
__kernel void copy4(const int n4, __global const float4 *in, __global float4 *out) {
	const int i = get_global_id(0);
	if (i < n4)
		out[i] = in[i];
}
