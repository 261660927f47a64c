// Full-batch training of a one-hidden-layer network (NX inputs, NH tanh
// units, one sigmoid output) for many iterations in one launch of one
// work-group: each work-item runs the forward and backward pass of its
// columns and keeps its share of every gradient in registers, the
// work-group sums the shares, and the update is applied in local memory.
// The parameters go back to global memory at the end; the cost and accuracy
// of every evaluated step (step % logEvery == 0, from the forward pass before
// its update) go to evals[2k], evals[2k+1].

#ifndef NX
#define NX 2
#endif
#ifndef NH
#define NH 4
#endif

#define OFF_B1 (NH * NX)     // gradient layout: dW1, db1, dW2, db2
#define OFF_W2 (OFF_B1 + NH)
#define OFF_B2 (OFF_W2 + NH)
#define NG (OFF_B2 + 1)      // gradient values
#define NR (NG + 2)          // plus the cost and the correct count

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
		float g[NR];
		for (int r = 0; r < NR; r++)
			g[r] = 0.0f;
		for (int j = lid; j < m; j += wg) {
			float x[NX], a1[NH];
			for (int k = 0; k < NX; k++)
				x[k] = X[k * m + j];
			float z2 = p[OFF_B2];
			for (int i = 0; i < NH; i++) {
				float z = p[OFF_B1 + i];
				for (int k = 0; k < NX; k++)
					z = fma(p[i * NX + k], x[k], z);
				a1[i] = act_tanh(z);
				z2 = fma(p[OFF_W2 + i], a1[i], z2);
			}
			const float y = Y[j];
			const float dz2 = act_sigmoid(z2) - y;
			for (int i = 0; i < NH; i++) {
				g[OFF_W2 + i] = fma(dz2, a1[i], g[OFF_W2 + i]);
				const float dz1 = p[OFF_W2 + i] * dz2 * (1.0f - a1[i] * a1[i]);
				for (int k = 0; k < NX; k++)
					g[i * NX + k] = fma(dz1, x[k], g[i * NX + k]);
				g[OFF_B1 + i] += dz1;
			}
			g[OFF_B2] += dz2;
			if (eval) {
				g[NG] += y * softplus(-z2) + (1.0f - y) * softplus(z2);
				g[NG + 1] += (z2 > 0.0f) == (y > 0.5f) ? 1.0f : 0.0f;
			}
		}
		for (int r = 0; r < NR; r++)
			red[lid * NR + r] = g[r];
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
