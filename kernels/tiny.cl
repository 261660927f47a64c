// Full-batch training of a one-hidden-layer network (NX inputs, NH tanh
// units, one sigmoid output) for many iterations in one launch of one
// work-group: each work-item runs the forward and backward pass of its
// columns, TVW at a time in vectors, and keeps its share of every gradient
// in registers; the work-group sums the shares and applies the update in
// local memory. The parameters go back to global memory at the end; the cost
// and accuracy of every evaluated step (step % logEvery == 0, from the
// forward pass before its update) go to evals[2k], evals[2k+1].

#ifndef NX
#define NX 2
#endif
#ifndef NH
#define NH 4
#endif
#ifndef TVW
#define TVW 16 // columns per vector: 16 for CPU devices, 1 for GPUs
#endif

#if TVW == 16
#define floatT float16
#define vloadT vload16
#define IOTA (float16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define HSUMT(v) hsumT8((v).lo + (v).hi)
#elif TVW == 8
#define floatT float8
#define vloadT vload8
#define IOTA (float8)(0, 1, 2, 3, 4, 5, 6, 7)
#define HSUMT(v) hsumT8(v)
#elif TVW == 1
#define floatT float
#define vloadT(off, p) (p)[off]
#define IOTA 0.0f
#define HSUMT(v) (v)
#else
#error "TVW must be 1, 8 or 16"
#endif

inline float hsumT4(float4 v) {
	const float2 s = v.lo + v.hi;
	return s.x + s.y;
}
inline float hsumT8(float8 v) { return hsumT4(v.lo + v.hi); }

#define OFF_B1 (NH * NX) // gradient layout: dW1, db1, dW2, db2
#define OFF_W2 (OFF_B1 + NH)
#define OFF_B2 (OFF_W2 + NH)
#define NG (OFF_B2 + 1) // gradient values
#define NR (NG + 2)     // plus the cost and the correct count

// loadCols returns columns j … j+TVW−1 of row r of an m-column matrix,
// zero past m.
inline floatT loadCols(__global const float *restrict p, const int r, const int j, const int m) {
	if (j + TVW <= m)
		return vloadT(0, p + r * m + j);
	float t[TVW];
	for (int l = 0; l < TVW; l++)
		t[l] = j + l < m ? p[r * m + j + l] : 0.0f;
#if TVW == 1
	return t[0];
#else
	return vloadT(0, t);
#endif
}

__kernel void tiny_train(const int m, const int first, const int steps,
                         const int logEvery, const float lr,
                         __global const float *restrict X,
                         __global const float *restrict Y,
                         __global float *W1, __global float *B1,
                         __global float *W2, __global float *B2,
                         __global float *evals, __local float *red) {
	__local float p[NG]; // W1, b1, W2, b2 in the gradient layout
	const int lid = get_local_id(0);
	const int wg = get_local_size(0);
	for (int t = lid; t < NG; t += wg) {
		p[t] = t < OFF_B1 ? W1[t] : t < OFF_W2 ? B1[t - OFF_B1] : t < OFF_B2 ? W2[t - OFF_W2] : B2[0];
	}
	barrier(CLK_LOCAL_MEM_FENCE);

	int logged = 0;
	for (int s = 0; s < steps; s++) {
		const bool eval = (first + s) % logEvery == 0;
		floatT g[NR];
		for (int r = 0; r < NR; r++)
			g[r] = (floatT)(0.0f);
		for (int j = lid * TVW; j < m; j += wg * TVW) {
			// Lanes past m get y = 0 and a zero mask: they add nothing.
			const floatT valid = select((floatT)(0.0f), (floatT)(1.0f), IOTA < (floatT)(m - j));
			floatT x[NX], a1[NH];
			for (int k = 0; k < NX; k++)
				x[k] = loadCols(X, k, j, m);
			floatT z2 = (floatT)(p[OFF_B2]);
			for (int i = 0; i < NH; i++) {
				floatT z = (floatT)(p[OFF_B1 + i]);
				for (int k = 0; k < NX; k++)
					z = fma((floatT)(p[i * NX + k]), x[k], z);
				a1[i] = act_tanh(z);
				z2 = fma((floatT)(p[OFF_W2 + i]), a1[i], z2);
			}
			const floatT y = loadCols(Y, 0, j, m);
			const floatT dz2 = (act_sigmoid(z2) - y) * valid;
			for (int i = 0; i < NH; i++) {
				g[OFF_W2 + i] = fma(dz2, a1[i], g[OFF_W2 + i]);
				const floatT dz1 = p[OFF_W2 + i] * dz2 * (1.0f - a1[i] * a1[i]);
				for (int k = 0; k < NX; k++)
					g[i * NX + k] = fma(dz1, x[k], g[i * NX + k]);
				g[OFF_B1 + i] += dz1;
			}
			g[OFF_B2] += dz2;
			if (eval) {
				g[NG] += valid * (y * softplus(-z2) + (1.0f - y) * softplus(z2));
				g[NG + 1] += valid * select((floatT)(0.0f), (floatT)(1.0f), (z2 > 0.0f) == (y > 0.5f));
			}
		}
		for (int r = 0; r < NR; r++)
			red[lid * NR + r] = HSUMT(g[r]);
		barrier(CLK_LOCAL_MEM_FENCE);
		for (int n = wg; n > 1;) {
			const int upper = (n + 1) / 2;
			if (lid < n - upper)
				for (int r = 0; r < NR; r++)
					red[lid * NR + r] += red[(lid + upper) * NR + r];
			barrier(CLK_LOCAL_MEM_FENCE);
			n = upper;
		}
		const float scale = lr / m;
		for (int t = lid; t < NG; t += wg)
			p[t] -= scale * red[t];
		if (eval && lid == 0) {
			evals[2 * logged] = red[NG] / m;
			evals[2 * logged + 1] = red[NG + 1] / m;
		}
		logged += eval ? 1 : 0;
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	for (int t = lid; t < NG; t += wg) {
		const float v = p[t];
		if (t < OFF_B1)
			W1[t] = v;
		else if (t < OFF_W2)
			B1[t - OFF_B1] = v;
		else if (t < OFF_B2)
			W2[t - OFF_W2] = v;
		else
			B2[0] = v;
	}
}
