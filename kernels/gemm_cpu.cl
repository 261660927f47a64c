// GEMM for CPU devices: no local memory and no barriers; each work-item
// computes a register block of C with explicit vectors, so the compiler
// emits one SIMD FMA per vector and keeps the block in registers. Same
// contract as gemm.cl: C = alpha·op(A)·op(B) + beta·C through the EPILOGUE
// (epilogue.cl).
//
// gemm_outer (op(B) = B: NN and TN): each work-item owns RM rows × NV·VW
// columns and adds, for every k, the outer product of RM values of op(A)
// with NV vectors of B's row k.
// gemm_dot (NT): each work-item owns DR×DC elements, each a dot product of a
// row of A with a row of B, vectorised along k.

#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef ROWSUM
#define ROWSUM 0
#endif
// The blocking defaults below are for compiling this file on its own: the
// host passes every blocking parameter as a -D option from one Go table,
// opencl.DefaultGemm, which TestGemmDefaultsMatchKernels keeps equal to them.
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
#define LOADV LOAD16
#define vloadV vload16
#define vstoreV vstore16
#define HSUM(v) hsum8((v).lo + (v).hi)
#elif VW == 8
#define floatV float8
#define LOADV LOAD8
#define vloadV vload8
#define vstoreV vstore8
#define HSUM(v) hsum8(v)
#elif VW == 4
#define floatV float4
#define LOADV LOAD4
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

#define CN (NV * VW)

// gemm_outer runs over k0 ≤ k < k1. A product whose K is split into passes
// (k0 > 0 or k1 < K, so that each pass's panel of B stays in cache) keeps
// its raw partial sums in C between passes: the first pass folds beta·C in as
// (beta/alpha)·C (the host splits only when alpha ≠ 0), the last applies the
// epilogue.
#define PASS_FIRST (k0 == 0)
#define PASS_LAST (k1 == K)
#define PASS_INIT(LOAD, idx) (PASS_FIRST ? (beta != 0.0f && !PASS_LAST ? (beta / alpha) * LOAD(C + (idx)) : 0.0f) : LOAD(C + (idx)))

__kernel void gemm_outer(const int M, const int N, const int K, const float alpha,
                         __global const float *restrict A,
                         __global const float *restrict B, const float beta,
                         __global float *restrict C,
                         __global const float *restrict bias,
                         __global const float *restrict aux, const int k0,
                         const int k1) {
	// Consecutive work-items share a column panel of B, which stays in cache.
	const int i0 = get_global_id(0) * RM;
	const int j0 = get_global_id(1) * CN;
	if (i0 >= M || j0 >= N)
		return;
	const int rows = min(RM, M - i0);
	const float betaLast = PASS_FIRST ? beta : 0.0f; // folded in by a split's first pass
	// Rows past M read row M−1 again and are never written: no branch in the
	// inner loop.
	int ri[RM];
	for (int r = 0; r < RM; r++)
		ri[r] = min(i0 + r, M - 1);
	floatV acc[RM][NV];
	if (j0 + CN > N) {
		// The last, partial column block: the same outer products on vectors
		// gathered with the columns past N clamped to N−1, written back
		// element by element.
		const int cols = N - j0;
		for (int r = 0; r < RM; r++)
			for (int v = 0; v < NV; v++)
				acc[r][v] = (floatV)(0.0f);
		for (int k = k0; k < k1; k++) {
			floatV b[NV];
			for (int v = 0; v < NV; v++) {
				float t[VW];
				for (int l = 0; l < VW; l++)
					t[l] = B[k * N + min(j0 + v * VW + l, N - 1)];
				b[v] = vloadV(0, t);
			}
			for (int r = 0; r < RM; r++) {
				const floatV a = (floatV)(A_AT(ri[r], k));
				for (int v = 0; v < NV; v++)
					acc[r][v] = fma(a, b[v], acc[r][v]);
			}
		}
		for (int r = 0; r < rows; r++) {
			float out[CN];
			for (int v = 0; v < NV; v++)
				vstoreV(acc[r][v], v, out);
			for (int c = 0; c < cols; c++) {
				const int idx = (i0 + r) * N + j0 + c;
				const float sum = out[c] + PASS_INIT(LOAD1, idx);
				if (PASS_LAST)
					store(C, idx, i0 + r, sum, alpha, betaLast, bias, aux);
				else
					C[idx] = sum;
			}
		}
		return;
	}
#pragma unroll
	for (int r = 0; r < RM; r++)
#pragma unroll
		for (int v = 0; v < NV; v++)
			acc[r][v] = r < rows ? PASS_INIT(LOADV, (i0 + r) * N + j0 + v * VW) : (floatV)(0.0f);
	for (int k = k0; k < k1; k++) {
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
	for (int r = 0; r < rows; r++)
		for (int v = 0; v < NV; v++) {
			const int idx = (i0 + r) * N + j0 + v * VW;
			if (PASS_LAST)
				store(C, idx, i0 + r, acc[r][v], alpha, betaLast, bias, aux);
			else
				vstoreV(acc[r][v], 0, C + idx);
		}
}

// gemm_dot: C = alpha·A·Bᵀ + beta·C with A M×K and B N×K, both read along k.
__kernel void gemm_dot(const int M, const int N, const int K, const float alpha,
                       __global const float *restrict A,
                       __global const float *restrict B, const float beta,
                       __global float *restrict C,
                       __global const float *restrict bias,
                       __global float *restrict rowsum) {
	const int j0 = get_global_id(0) * DC;
	const int i0 = get_global_id(1) * DR;
	if (i0 >= M || j0 >= N)
		return;
	int ri[DR], cj[DC];
	for (int r = 0; r < DR; r++)
		ri[r] = min(i0 + r, M - 1);
	for (int c = 0; c < DC; c++)
		cj[c] = min(j0 + c, N - 1);
	floatV acc[DR][DC], sum[DR];
#pragma unroll
	for (int r = 0; r < DR; r++) {
		sum[r] = (floatV)(0.0f);
#pragma unroll
		for (int c = 0; c < DC; c++)
			acc[r][c] = (floatV)(0.0f);
	}
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
		for (int r = 0; r < DR; r++) {
#pragma unroll
			for (int c = 0; c < DC; c++)
				acc[r][c] = fma(a[r], b[c], acc[r][c]);
#if ROWSUM
			sum[r] += a[r];
#endif
		}
	}
#if ROWSUM
	if (j0 == 0)
		for (int r = 0; r < DR && i0 + r < M; r++) {
			float s = HSUM(sum[r]);
			for (int kk = k; kk < K; kk++)
				s += A[ri[r] * K + kk];
			const float v = alpha * s;
			rowsum[i0 + r] = beta == 0.0f ? v : fma(beta, rowsum[i0 + r], v);
		}
#endif
	for (int r = 0; r < DR && i0 + r < M; r++)
		for (int c = 0; c < DC && j0 + c < N; c++) {
			float s = HSUM(acc[r][c]);
			for (int kk = k; kk < K; kk++)
				s = fma(A[ri[r] * K + kk], B[cj[c] * K + kk], s);
			store(C, (i0 + r) * N + j0 + c, i0 + r, s, alpha, beta, bias, bias);
		}
}
