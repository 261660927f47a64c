// Packed GEMM for CPU devices: C = alpha·op(A)·op(B) + beta·C through the
// EPILOGUE (epilogue.cl), for every transpose but TT, in three launches.
//
// pack_a copies op(A) (M×K; A stored M×K, or K×M when TRANS_A) into row
// blocks of RM rows, each block K steps of RM consecutive values:
//   Ap[(b·K + k)·RM + r] = op(A)[b·RM + r, k], 0 past row M.
// With ROWSUM it also writes rowsum[i] = alpha·Σ_k op(A)[i, k] +
// beta·rowsum[i] (GemmUpdate's bias step; beta = 0 never reads it).
// pack_b copies op(B) (K×N; B stored K×N, or N×K when TRANS_B) into column
// panels of CN = NV·VW columns, each panel K steps of CN consecutive values:
//   Bp[(p·K + k)·CN + c] = op(B)[k, p·CN + c], 0 past column N.
// gemm_packed gives each work-item an RM×CN block of C over the whole of K:
// per k, NV vectors of the panel and RM broadcast values of the block, all
// read in order from two contiguous streams (no cache-set aliasing, no
// strided prefetch), RM·NV fma() on whole vectors, and the epilogue once on
// the final sums. The host launches it in work-groups of GM×GN work-items,
// which PoCL runs one after another on one thread: the group's GN panels
// and GM blocks stay in the core's L2 while it reuses each GM and GN times.

#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
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

#if VW == 16
#define floatP float16
#define vloadP vload16
#define vstoreP vstore16
#elif VW == 8
#define floatP float8
#define vloadP vload8
#define vstoreP vstore8
#elif VW == 4
#define floatP float4
#define vloadP vload4
#define vstoreP vstore4
#else
#error "VW must be 4, 8 or 16"
#endif

#define PCN (NV * VW)
// PK is the run of k one packing work-item copies. The packing kernels run
// one work-item per work-group, so that PoCL does not vectorise across
// work-items (which turned these loops into gathers and scatters): each
// work-item is a plain loop over PK steps of one block or panel.
#define PK 256
// PR is the run of rows of B one pack_b work-item copies whole when op(B) =
// B.
#define PR 8

// transpose16 transposes the 16×16 block held in r[0…15] (row i in r[i]) in
// place: four rounds of two-source shuffles that swap the off-diagonal
// blocks of 8, 4, 2 and 1, 64 vpermt2ps instead of 256 scalar moves. It
// must be inlined: PoCL's compiler otherwise kept it a function, with the
// block stored to the stack and reloaded around each call (pack_a of NN
// 1024³ took 0.50–0.53 ms that way, 0.40–0.44 inlined: docs/PERF.md).
#define SWAP_BLOCKS(h)                                                           \
	for (int i = 0; i < 16; i++)                                                 \
		if (!(i & (h))) {                                                        \
			const float16 x = r[i], y = r[i + (h)];                              \
			r[i] = shuffle2(x, y, lo##h);                                        \
			r[i + (h)] = shuffle2(x, y, hi##h);                                  \
		}
__attribute__((always_inline)) inline void transpose16(float16 r[16]) {
	// loH takes row i's columns j without bit H and row i+H's in their
	// place; hiH the rest.
	const uint16 lo8 = (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
	const uint16 hi8 = (uint16)(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
	const uint16 lo4 = (uint16)(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
	const uint16 hi4 = (uint16)(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
	const uint16 lo2 = (uint16)(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
	const uint16 hi2 = (uint16)(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
	const uint16 lo1 = (uint16)(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
	const uint16 hi1 = (uint16)(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
#pragma unroll
	SWAP_BLOCKS(8)
#pragma unroll
	SWAP_BLOCKS(4)
#pragma unroll
	SWAP_BLOCKS(2)
#pragma unroll
	SWAP_BLOCKS(1)
}

// pack_a: work-item (kc, b) copies k in [kc·PK, kc·PK + PK) of row block b;
// with ROWSUM, work-item (0, b) copies the whole of K and sums its rows.
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void pack_a(const int M, const int K, const float alpha,
            __global const float *restrict A, __global float *restrict Ap,
            const float beta, __global float *restrict rowsum) {
	const int b = get_global_id(1);
	const int i0 = b * RM;
	const int rows = min(RM, M - i0);
#if ROWSUM
	if (get_global_id(0) != 0)
		return;
	const int ka = 0, kb = K;
	float sum[RM];
	for (int r = 0; r < RM; r++)
		sum[r] = 0.0f;
#else
	const int ka = get_global_id(0) * PK, kb = min(ka + PK, K);
#endif
	__global float *out = Ap + (size_t)b * K * RM;
	int k = ka;
#if !TRANS_A && RM <= 16
	// Whole blocks of 16 steps of full rows: 16×16 transposes in registers.
	if (rows == RM)
		for (; k + 16 <= kb; k += 16) {
			float16 t[16];
#pragma unroll
			for (int r = 0; r < 16; r++)
				t[r] = r < RM ? vload16(0, A + (size_t)(i0 + r) * K + k) : (float16)(0.0f);
			transpose16(t);
#pragma unroll
			for (int kk = 0; kk < 16; kk++) {
				float16 v = t[kk];
#if ROWSUM
#pragma unroll
				for (int r = 0; r < RM; r++)
					sum[r] += ((float *)&v)[r];
#endif
#if RM == 16
				vstore16(v, 0, out + (k + kk) * RM);
#elif RM == 12
				vstore8(v.lo, 0, out + (k + kk) * RM);
				vstore4(v.s89ab, 0, out + (k + kk) * RM + 8);
#elif RM == 8
				vstore8(v.lo, 0, out + (k + kk) * RM);
#else
#pragma unroll
				for (int r = 0; r < RM; r++)
					out[(k + kk) * RM + r] = ((float *)&v)[r];
#endif
			}
		}
#endif
#if TRANS_A && !ROWSUM
	// op(A)'s rows are A's columns: each k copies RM consecutive floats
	// (GemmUpdate, the one caller with row sums, never transposes A).
	if (rows == RM)
		for (; k < kb; k++) {
			const __global float *src = A + (size_t)k * M + i0;
			__global float *dst = out + k * RM;
#if RM == 16
			const float16 v = vload16(0, src);
			vstore16(v, 0, dst);
#elif RM == 12
			const float8 v = vload8(0, src);
			const float4 w = vload4(0, src + 8);
			vstore8(v, 0, dst);
			vstore4(w, 0, dst + 8);
#elif RM == 8
			const float8 v = vload8(0, src);
			vstore8(v, 0, dst);
#else
#pragma unroll
			for (int r = 0; r < RM; r++)
				dst[r] = src[r];
#endif
		}
#endif
	for (; k < kb; k += 16) {
		const int kn = min(16, kb - k);
		float t[16][RM]; // t[kk][r] = op(A)[i0 + r, k + kk]
		for (int r = 0; r < RM; r++)
			for (int kk = 0; kk < 16; kk++)
				t[kk][r] = 0.0f;
		for (int r = 0; r < rows; r++)
			for (int kk = 0; kk < kn; kk++)
#if TRANS_A
				t[kk][r] = A[(size_t)(k + kk) * M + i0 + r];
#else
				t[kk][r] = A[(size_t)(i0 + r) * K + k + kk];
#endif
		for (int kk = 0; kk < kn; kk++)
			for (int r = 0; r < RM; r++) {
				out[(k + kk) * RM + r] = t[kk][r];
#if ROWSUM
				sum[r] += t[kk][r];
#endif
			}
	}
#if ROWSUM
	for (int r = 0; r < rows; r++) {
		const float v = alpha * sum[r];
		rowsum[i0 + r] = beta == 0.0f ? v : fma(beta, rowsum[i0 + r], v);
	}
#endif
}

// pack_b, B transposed: work-item (kc, p) copies k in [kc·PK, kc·PK + PK)
// of panel p. B not transposed: work-item (r, 0) copies rows [r·PR,
// r·PR + PR) of B whole, into every panel, so that it reads B in long runs
// (a run of one panel per row, 128 bytes, read X of 784-256-8192 a third
// slower: docs/PERF.md).
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void pack_b(const int N, const int K, __global const float *restrict B,
            __global float *restrict Bp) {
#if TRANS_B
	const int p = get_global_id(1);
	const int j0 = p * PCN;
	const int cols = min(PCN, N - j0);
	const int ka = get_global_id(0) * PK, kb = min(ka + PK, K);
	__global float *out = Bp + (size_t)p * K * PCN;
	int k = ka;
#if VW == 16
	// Whole blocks of 16 steps of full panels: each of the panel's rows of B
	// read in one run into private memory first, then 16×16 transposes in
	// registers. Tiles read straight from B made 32 interleaved streams of
	// 64 bytes, 10–20 % slower; pack_a's 12 rows staged the same way were
	// slower, and read tiles straight (docs/PERF.md).
	if (cols == PCN && k + 16 <= kb) {
		const int tiles = (kb - k) / 16;
		float16 run[PCN][PK / 16];
		for (int c = 0; c < PCN; c++)
			for (int q = 0; q < tiles; q++)
				run[c][q] = vload16(q, B + (size_t)(j0 + c) * K + k);
		for (int q = 0; q < tiles; q++, k += 16)
#pragma unroll
			for (int v = 0; v < NV; v++) {
				float16 t[16];
#pragma unroll
				for (int c = 0; c < 16; c++)
					t[c] = run[v * 16 + c][q];
				transpose16(t);
#pragma unroll
				for (int kk = 0; kk < 16; kk++)
					vstore16(t[kk], (k + kk) * NV + v, out);
			}
	}
#endif
	for (; k < kb; k += 16) {
		const int kn = min(16, kb - k);
		float t[16][PCN]; // t[kk][c] = B[j0 + c, k + kk]
		for (int kk = 0; kk < 16; kk++)
			for (int c = 0; c < PCN; c++)
				t[kk][c] = 0.0f;
		for (int c = 0; c < cols; c++)
			for (int kk = 0; kk < kn; kk++)
				t[kk][c] = B[(size_t)(j0 + c) * K + k + kk];
		for (int kk = 0; kk < kn; kk++)
			for (int v = 0; v < NV; v++)
				vstoreP(vloadP(v, t[kk]), (k + kk) * NV + v, out);
	}
#else
	const int ka = get_global_id(0) * PR, kb = min(ka + PR, K);
	const int full = N / PCN, panels = (N + PCN - 1) / PCN;
	for (int k = ka; k < kb; k++) {
		const __global float *row = B + (size_t)k * N;
		for (int p = 0; p < full; p++)
			for (int v = 0; v < NV; v++)
				vstoreP(vloadP(0, row + p * PCN + v * VW), ((size_t)p * K + k) * NV + v, Bp);
		for (int p = full; p < panels; p++)
			for (int c = 0; c < PCN; c++)
				Bp[((size_t)p * K + k) * PCN + c] = p * PCN + c < N ? row[p * PCN + c] : 0.0f;
	}
#endif
}

// gemm_packed: work-item (b, p) computes rows b·RM … and columns p·PCN …
// of C from the packed Ap and Bp, over k0 ≤ k < k1. Work-items past the
// matrix (the host rounds the launch up to whole work-groups) return at
// once. A product whose K is split into passes (so that a work-group's
// blocks and panels of one pass stay in L2) keeps its raw partial sums in C
// between passes: the first pass folds beta·C in as (beta/alpha)·C (the
// host splits only when alpha ≠ 0), the last applies the epilogue.
__kernel void gemm_packed(const int M, const int N, const int K, const float alpha,
                          __global const float *restrict Ap,
                          __global const float *restrict Bp, const float beta,
                          __global float *restrict C,
                          __global const float *restrict bias,
                          __global const float *restrict aux, const int k0,
                          const int k1) {
	const int b = get_global_id(0), p = get_global_id(1);
	const int i0 = b * RM, j0 = p * PCN;
	if (i0 >= M || j0 >= N)
		return;
	const __global float *a = Ap + (size_t)b * K * RM;
	const __global float *bp = Bp + (size_t)p * K * PCN;
	const bool first = k0 == 0, last = k1 == K;
	floatP acc[RM][NV];
#pragma unroll
	for (int r = 0; r < RM; r++)
#pragma unroll
		for (int v = 0; v < NV; v++)
			acc[r][v] = (floatP)(0.0f);
	for (int k = k0; k < k1; k++) {
		floatP bv[NV];
#pragma unroll
		for (int v = 0; v < NV; v++)
			bv[v] = vloadP(k * NV + v, bp);
#pragma unroll
		for (int r = 0; r < RM; r++) {
			const floatP av = (floatP)(a[k * RM + r]);
#pragma unroll
			for (int v = 0; v < NV; v++)
				acc[r][v] = fma(av, bv[v], acc[r][v]);
		}
	}
	// What the pass adds its sums to: nothing (one pass, or the first with
	// beta = 0), (beta/alpha)·C (the first of several), the partial sums in
	// C (the others).
	const float carry = first ? (last || beta == 0.0f ? 0.0f : beta / alpha) : 1.0f;
	const float betaLast = first ? beta : 0.0f;
#if EPILOGUE == 1 || EPILOGUE == 2 || EPILOGUE == 4
	// The epilogues with tanh or the sigmoid name every acc[r][v] by
	// constants (unrolled loops), so that the accumulators stay in
	// registers through the k loop: under a loop over the rows there are,
	// too long to unroll with these epilogues, acc was indexed at run time,
	// in memory, and the k loop loaded and stored it (docs/PERF.md). A block
	// at the matrix's edge goes through a copy in private memory instead.
	// The short epilogues keep the plain loop, which LLVM unrolls itself
	// and which compiles in a fraction of the time. (The writes are spelled
	// out in each branch: moving them into a shared inline function made
	// the plain loop's W1·X of 784-256-8192 a fifth slower, 9.9–11.6 →
	// 12.5–14.5 ms, alternated three times.)
	const int rows = min(RM, M - i0), cols = min(PCN, N - j0);
	if (rows == RM && cols == PCN) {
#pragma unroll
		for (int r = 0; r < RM; r++)
#pragma unroll
			for (int v = 0; v < NV; v++) {
				const int idx = (i0 + r) * N + j0 + v * VW;
				floatP sum = acc[r][v];
				if (carry != 0.0f)
					sum = fma((floatP)(carry), vloadP(0, C + idx), sum);
				if (last)
					store(C, idx, i0 + r, sum, alpha, betaLast, bias, aux);
				else
					vstoreP(sum, 0, C + idx);
			}
		return;
	}
	float edge[RM][PCN];
#pragma unroll
	for (int r = 0; r < RM; r++)
#pragma unroll
		for (int v = 0; v < NV; v++)
			vstoreP(acc[r][v], 0, &edge[r][v * VW]);
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++) {
			const int idx = (i0 + r) * N + j0 + c;
			float sum = edge[r][c];
			if (carry != 0.0f)
				sum = fma(carry, C[idx], sum);
			if (last)
				store(C, idx, i0 + r, sum, alpha, betaLast, bias, aux);
			else
				C[idx] = sum;
		}
#else
	const int rows = min(RM, M - i0);
	for (int r = 0; r < rows; r++)
		for (int v = 0; v < NV; v++) {
			const int j = j0 + v * VW;
			const int idx = (i0 + r) * N + j;
			if (j + VW <= N) {
				floatP sum = acc[r][v];
				if (carry != 0.0f)
					sum = fma((floatP)(carry), vloadP(0, C + idx), sum);
				if (last)
					store(C, idx, i0 + r, sum, alpha, betaLast, bias, aux);
				else
					vstoreP(sum, 0, C + idx);
			} else if (j < N) {
				float out[VW];
				vstoreP(acc[r][v], 0, out);
				for (int c = 0; c < N - j; c++) {
					float sum = out[c];
					if (carry != 0.0f)
						sum = fma(carry, C[idx + c], sum);
					if (last)
						store(C, idx + c, i0 + r, sum, alpha, betaLast, bias, aux);
					else
						C[idx + c] = sum;
				}
			}
		}
#endif
}
