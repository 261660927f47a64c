// GEMM for CPU devices: no local memory and no barriers; each work-item
// computes a register block of C with explicit vectors, so the compiler
// emits one SIMD FMA per vector and keeps the block in registers. Same
// contract as gemm.cl: C = alpha·op(A)·op(B) + beta·C, beta = 0 never reads
// C, EPILOGUE 1 and 2 write tanh(acc + bias[i]) and σ(acc + bias[i]).
//
// gemm_outer (op(B) = B: NN and TN): each work-item owns RM rows × NV·VW
// columns and adds, for every k, the outer product of RM values of op(A)
// with NV vectors of B's row k.
// gemm_dot (NT): each work-item owns DR×DC elements, each a dot product of a
// row of A with a row of B, vectorised along k.

#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef EPILOGUE
#define EPILOGUE 0
#endif
#ifndef VW
#define VW 16
#endif
#ifndef RM
#define RM 12
#endif
#ifndef NV
#define NV 2
#endif
#ifndef DR
#define DR 4
#endif
#ifndef DC
#define DC 4
#endif

#if VW == 16
#define floatV float16
#define vloadV vload16
#define vstoreV vstore16
#define HSUM(v) hsum8((v).lo + (v).hi)
#elif VW == 8
#define floatV float8
#define vloadV vload8
#define vstoreV vstore8
#define HSUM(v) hsum8(v)
#elif VW == 4
#define floatV float4
#define vloadV vload4
#define vstoreV vstore4
#define HSUM(v) hsum4(v)
#else
#error "VW must be 4, 8 or 16"
#endif

inline float hsum4(float4 v) {
	float2 s = v.lo + v.hi;
	return s.x + s.y;
}
inline float hsum8(float8 v) { return hsum4(v.lo + v.hi); }

#if TRANS_A
#define A_AT(i, k) A[(k) * M + (i)]
#else
#define A_AT(i, k) A[(i) * K + (k)]
#endif

// store writes one element of C through the epilogue.
inline void store(__global float *C, const int idx, const int i, const float acc,
                  const float alpha, const float beta,
                  __global const float *bias) {
#if EPILOGUE == 1
	C[idx] = act_tanh(acc + bias[i]);
#elif EPILOGUE == 2
	C[idx] = act_sigmoid(acc + bias[i]);
#else
	const float v = alpha * acc;
	C[idx] = beta == 0.0f ? v : fma(beta, C[idx], v);
#endif
}

#define CN (NV * VW)

__kernel void gemm_outer(const int M, const int N, const int K, const float alpha,
                         __global const float *restrict A,
                         __global const float *restrict B, const float beta,
                         __global float *restrict C,
                         __global const float *restrict bias) {
	// Consecutive work-items share a column panel of B, which stays in cache.
	const int i0 = get_global_id(0) * RM;
	const int j0 = get_global_id(1) * CN;
	if (i0 >= M || j0 >= N)
		return;
	const int rows = min(RM, M - i0);
	if (j0 + CN > N) {
		// The last, partial column block: plain dot products.
		for (int r = 0; r < rows; r++)
			for (int j = j0; j < N; j++) {
				float s = 0.0f;
				for (int k = 0; k < K; k++)
					s = fma(A_AT(i0 + r, k), B[k * N + j], s);
				store(C, (i0 + r) * N + j, i0 + r, s, alpha, beta, bias);
			}
		return;
	}
	// Rows past M read row M−1 again and are never written: no branch in the
	// inner loop.
	int ri[RM];
	for (int r = 0; r < RM; r++)
		ri[r] = min(i0 + r, M - 1);
	floatV acc[RM][NV];
#pragma unroll
	for (int r = 0; r < RM; r++)
#pragma unroll
		for (int v = 0; v < NV; v++)
			acc[r][v] = (floatV)(0.0f);
	for (int k = 0; k < K; k++) {
		floatV b[NV];
#pragma unroll
		for (int v = 0; v < NV; v++)
			b[v] = vloadV(0, B + k * N + j0 + v * VW);
#pragma unroll
		for (int r = 0; r < RM; r++) {
			const floatV a = (floatV)(A_AT(ri[r], k));
#pragma unroll
			for (int v = 0; v < NV; v++)
				acc[r][v] = fma(a, b[v], acc[r][v]);
		}
	}
	for (int r = 0; r < rows; r++) {
		float out[CN];
		for (int v = 0; v < NV; v++)
			vstoreV(acc[r][v], v, out);
		for (int c = 0; c < CN; c++)
			store(C, (i0 + r) * N + j0 + c, i0 + r, out[c], alpha, beta, bias);
	}
}

// gemm_dot: C = alpha·A·Bᵀ + beta·C with A M×K and B N×K, both read along k.
__kernel void gemm_dot(const int M, const int N, const int K, const float alpha,
                       __global const float *restrict A,
                       __global const float *restrict B, const float beta,
                       __global float *restrict C,
                       __global const float *restrict bias) {
	const int j0 = get_global_id(0) * DC;
	const int i0 = get_global_id(1) * DR;
	if (i0 >= M || j0 >= N)
		return;
	int ri[DR], cj[DC];
	for (int r = 0; r < DR; r++)
		ri[r] = min(i0 + r, M - 1);
	for (int c = 0; c < DC; c++)
		cj[c] = min(j0 + c, N - 1);
	floatV acc[DR][DC];
#pragma unroll
	for (int r = 0; r < DR; r++)
#pragma unroll
		for (int c = 0; c < DC; c++)
			acc[r][c] = (floatV)(0.0f);
	int k = 0;
	for (; k + VW <= K; k += VW) {
		floatV a[DR], b[DC];
#pragma unroll
		for (int r = 0; r < DR; r++)
			a[r] = vloadV(0, A + ri[r] * K + k);
#pragma unroll
		for (int c = 0; c < DC; c++)
			b[c] = vloadV(0, B + cj[c] * K + k);
#pragma unroll
		for (int r = 0; r < DR; r++)
#pragma unroll
			for (int c = 0; c < DC; c++)
				acc[r][c] = fma(a[r], b[c], acc[r][c]);
	}
	for (int r = 0; r < DR && i0 + r < M; r++)
		for (int c = 0; c < DC && j0 + c < N; c++) {
			float s = HSUM(acc[r][c]);
			for (int kk = k; kk < K; kk++)
				s = fma(A[ri[r] * K + kk], B[cj[c] * K + kk], s);
			store(C, (i0 + r) * N + j0 + c, i0 + r, s, alpha, beta, bias);
		}
}
