// The optimizers' updates, one fused kernel per parameter tensor, and the
// L2 penalty's sum of squares. g is the gradient of the mean cost; l2 is
// λ/m for weights (the L2 term (λ/m)·W folded into the gradient) and 0 for
// biases. Launched on a 1-D range of n or more work-items.

// sgd_l2: w −= lr·(g + l2·w).
__kernel void sgd_l2(const int n, const float lr, const float l2, __global float *w,
                     __global const float *g) {
	const int i = get_global_id(0);
	if (i < n) {
		const float wi = w[i];
		w[i] = fma(-lr, fma(l2, wi, g[i]), wi);
	}
}

// momentum, as PyTorch writes it: v = mu·v + (g + l2·w), w −= lr·v.
__kernel void momentum(const int n, const float lr, const float mu, const float l2,
                       __global float *w, __global const float *g, __global float *v) {
	const int i = get_global_id(0);
	if (i < n) {
		const float wi = w[i];
		const float vi = fma(mu, v[i], fma(l2, wi, g[i]));
		v[i] = vi;
		w[i] = fma(-lr, vi, wi);
	}
}

// adam, as PyTorch writes it, at step t: with d = g + l2·w,
// m = β1·m + (1−β1)·d, v = β2·v + (1−β2)·d², w −= lr·m̂/(√v̂ + ε), where
// m̂ = m/(1−β1^t) and v̂ = v/(1−β2^t). The host computes the corrections in
// float64: step = lr/(1−β1^t), rc2 = 1/√(1−β2^t), so that
// w −= step·m/(√v·rc2 + ε). omb1 = 1−β1, omb2 = 1−β2.
__kernel void adam(const int n, const float step, const float b1, const float omb1,
                   const float b2, const float omb2, const float rc2, const float eps,
                   const float l2, __global float *w, __global const float *g,
                   __global float *m, __global float *v) {
	const int i = get_global_id(0);
	if (i < n) {
		const float wi = w[i];
		const float d = fma(l2, wi, g[i]);
		const float mi = fma(b1, m[i], omb1 * d);
		const float vi = fma(b2, v[i], omb2 * d * d);
		m[i] = mi;
		v[i] = vi;
		w[i] = wi - step * mi / fma(sqrt(vi), rc2, eps);
	}
}

// sum_squares: part[off + g] = Σ w[i]² over chunk g of the n values
// (chunk values per work-group, any work-group size; scratch holds one
// float per work-item). l2_finish adds the parts.
__kernel void sum_squares(const int n, const int chunk, __global const float *w,
                          __global float *part, const int off, __local float *scratch) {
	const int g = get_group_id(0), lid = get_local_id(0), wg = get_local_size(0);
	const int i0 = min(g * chunk, n), i1 = min(i0 + chunk, n);
	float s = 0.0f;
	for (int i = i0 + lid; i < i1; i += wg)
		s = fma(w[i], w[i], s);
	s = group_sum(s, scratch);
	if (lid == 0)
		part[off + g] = s;
}

// l2_finish adds the L2 penalty to a cost: out[0] += scale·Σ part[0 … count),
// summed in order in one work-item; scale = λ/(2m).
__kernel void l2_finish(const int count, const float scale, __global const float *part,
                        __global float *out) {
	if (get_global_id(0) != 0)
		return;
	float s = 0.0f;
	for (int k = 0; k < count; k++)
		s += part[k];
	out[0] = fma(scale, s, out[0]);
}
