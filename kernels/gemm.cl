// C = alpha·op(A)·op(B) + beta·C, tiled through local memory and register
// blocked: a work-group computes a TM×TN tile of C, each work-item a WM×WN
// block of it, strided so that neighbouring work-items touch neighbouring
// columns. op(A) is M×K (A stored M×K, or K×M when TRANS_A); op(B) is K×N
// (B stored K×N, or N×K when TRANS_B). What is written is the EPILOGUE's
// (epilogue.cl), so a pre-activation need never be stored.

#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif
// The blocking defaults below are for compiling this file on its own: the
// host passes every blocking parameter as a -D option from one Go table,
// opencl.DefaultGemm, which TestGemmDefaultsMatchKernels keeps equal to them.
#ifndef TM
#define TM 32
#endif
#ifndef TN
#define TN 32
#endif
#ifndef TK
#define TK 16
#endif
#ifndef WM
#define WM 4
#endif
#ifndef WN
#define WN 4
#endif

#define RM (TM / WM) // work-items along M
#define RN (TN / WN) // work-items along N

#if TRANS_A
#define A_AT(i, k) A[(k) * M + (i)]
#else
#define A_AT(i, k) A[(i) * K + (k)]
#endif
#if TRANS_B
#define B_AT(k, j) B[(j) * K + (k)]
#else
#define B_AT(k, j) B[(k) * N + (j)]
#endif

__kernel __attribute__((reqd_work_group_size(RN, RM, 1)))
void gemm(const int M, const int N, const int K, const float alpha,
          __global const float *restrict A, __global const float *restrict B,
          const float beta, __global float *restrict C,
          __global const float *restrict bias, __global const float *restrict aux) {
	__local float As[TK][TM];
	__local float Bs[TK][TN];
	const int tx = get_local_id(0);
	const int ty = get_local_id(1);
	const int tid = ty * RN + tx;
	const int row0 = get_group_id(1) * TM;
	const int col0 = get_group_id(0) * TN;

	float acc[WM][WN];
	for (int wm = 0; wm < WM; wm++)
		for (int wn = 0; wn < WN; wn++)
			acc[wm][wn] = 0.0f;

	for (int k0 = 0; k0 < K; k0 += TK) {
		// Stage the tiles, walking the direction that is contiguous in memory.
		for (int l = tid; l < TM * TK; l += RM * RN) {
#if TRANS_A
			const int i = l % TM, k = l / TM;
#else
			const int k = l % TK, i = l / TK;
#endif
			const int gi = row0 + i, gk = k0 + k;
			As[k][i] = (gi < M && gk < K) ? A_AT(gi, gk) : 0.0f;
		}
		for (int l = tid; l < TK * TN; l += RM * RN) {
#if TRANS_B
			const int k = l % TK, j = l / TK;
#else
			const int j = l % TN, k = l / TN;
#endif
			const int gj = col0 + j, gk = k0 + k;
			Bs[k][j] = (gj < N && gk < K) ? B_AT(gk, gj) : 0.0f;
		}
		barrier(CLK_LOCAL_MEM_FENCE);
		for (int k = 0; k < TK; k++) {
			float a[WM], b[WN];
			for (int wm = 0; wm < WM; wm++)
				a[wm] = As[k][ty + wm * RM];
			for (int wn = 0; wn < WN; wn++)
				b[wn] = Bs[k][tx + wn * RN];
			for (int wm = 0; wm < WM; wm++)
				for (int wn = 0; wn < WN; wn++)
					acc[wm][wn] = fma(a[wm], b[wn], acc[wm][wn]);
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}

	for (int wm = 0; wm < WM; wm++) {
		const int i = row0 + ty + wm * RM;
		if (i >= M)
			continue;
		for (int wn = 0; wn < WN; wn++) {
			const int j = col0 + tx + wn * RN;
			if (j >= N)
				continue;
			store(C, i * N + j, i, acc[wm][wn], alpha, beta, bias, aux);
		}
	}
}
