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

#define FMA8(a, b)                                                                 \
	x0 = mad(x0, a, b); x1 = mad(x1, a, b); x2 = mad(x2, a, b); x3 = mad(x3, a, b); \
	x4 = mad(x4, a, b); x5 = mad(x5, a, b); x6 = mad(x6, a, b); x7 = mad(x7, a, b);

// peak_fma runs eight independent chains x = x·a + b of VW-wide vectors per
// work-item, 4·iters steps each: 2·VW·8·4·iters flops per work-item. The
// chains are independent so that the FMA latency is hidden; a and b are
// arguments and the lanes' sum is written out, so the compiler can neither
// fold nor drop the work. With a < 1 the values converge to b/(1−a).
__kernel void peak_fma(const int iters, const float a, const float b, __global float *out) {
	const int gid = get_global_id(0);
	const vec av = (vec)(a), bv = (vec)(b);
	vec x0 = (vec)(gid & 7), x1 = x0 + 1.0f, x2 = x0 + 2.0f, x3 = x0 + 3.0f;
	vec x4 = x0 + 4.0f, x5 = x0 + 5.0f, x6 = x0 + 6.0f, x7 = x0 + 7.0f;
	for (int i = 0; i < iters; i++) {
		FMA8(av, bv)
		FMA8(av, bv)
		FMA8(av, bv)
		FMA8(av, bv)
	}
	out[gid] = hsum(((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)));
}

// copy4 copies n4 float4 vectors from in to out: 32·n4 bytes moved (16·n4
// read, 16·n4 written).
__kernel void copy4(const int n4, __global const float4 *in, __global float4 *out) {
	const int i = get_global_id(0);
	if (i < n4)
		out[i] = in[i];
}
