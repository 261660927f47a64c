// The softmax output layer: column-wise kernels over the K×cols logits z
// (without the bias, which they add), one work-item per column, walking the
// column's K rows; neighbouring work-items read neighbouring columns.

// softmax_col writes to out the softmax of column j of z + bias, minus y
// (when y is not null): e^(z_i + b_i − c)/Σ_k e^(z_k + b_k − c), c being the
// column's largest value, so no exponent overflows. out may be z.
inline void softmax_col(const int rows, const int cols, const int j, __global const float *z,
                        __global const float *bias, __global const float *y,
                        __global float *out) {
	float c = z[j] + bias[0];
	for (int i = 1; i < rows; i++)
		c = fmax(c, z[i * cols + j] + bias[i]);
	float s = 0.0f;
	for (int i = 0; i < rows; i++) {
		const float e = exp(z[i * cols + j] + bias[i] - c);
		out[i * cols + j] = e;
		s += e;
	}
	const float inv = 1.0f / s;
	for (int i = 0; i < rows; i++) {
		const float a = out[i * cols + j] * inv;
		out[i * cols + j] = y ? a - y[i * cols + j] : a;
	}
}

// bias_softmax: out = softmax(z + bias) column by column (A of the output
// layer, unfused path).
__kernel void bias_softmax(const int rows, const int cols, __global const float *z,
                           __global const float *bias, __global float *out) {
	const int j = get_global_id(0);
	if (j < cols)
		softmax_col(rows, cols, j, z, bias, 0, out);
}

// softmax_sub: out = softmax(z + bias) − y, the output layer's gradient
// dZ = A − Y of the categorical cross-entropy, without storing A.
__kernel void softmax_sub(const int rows, const int cols, __global const float *z,
                          __global const float *bias, __global const float *y,
                          __global float *out) {
	const int j = get_global_id(0);
	if (j < cols)
		softmax_col(rows, cols, j, z, bias, y, out);
}

// softmax_cost: the categorical cross-entropy of the one-hot labels y
// (rows×cols) given the logits z + bias, per column log Σ_i e^(z_i + b_i − c)
// + c − Σ_i y_i·(z_i + b_i) with c the largest logit, finite for any finite
// logits; and the accuracy, the columns whose largest logit (the first on a
// tie) is where y is largest. Launched over chunks work-groups of any size,
// each taking chunk columns: with one chunk it writes out[0] = the mean cost
// and out[1] = the accuracy; with several, the sums of chunk g to part[2g],
// part[2g + 1], which pair_finish adds in order. scratch holds one float per
// work-item.
__kernel void softmax_cost(const int rows, const int cols, const int chunk,
                           __global const float *z, __global const float *bias,
                           __global const float *y, __global float *out,
                           __global float *part, __local float *scratch) {
	const int g = get_group_id(0), chunks = get_num_groups(0);
	const int lid = get_local_id(0), wg = get_local_size(0);
	const int c0 = min(g * chunk, cols), c1 = min(c0 + chunk, cols);
	float s = 0.0f, right = 0.0f;
	for (int j = c0 + lid; j < c1; j += wg) {
		float c = z[j] + bias[0], label = y[j];
		int best = 0, want = 0;
		for (int i = 1; i < rows; i++) {
			const float v = z[i * cols + j] + bias[i];
			if (v > c) {
				c = v;
				best = i;
			}
			const float t = y[i * cols + j];
			if (t > label) {
				label = t;
				want = i;
			}
		}
		float sum = 0.0f, picked = 0.0f;
		for (int i = 0; i < rows; i++) {
			const float v = z[i * cols + j] + bias[i];
			sum += exp(v - c);
			picked += y[i * cols + j] * (v - c);
		}
		s += log(sum) - picked;
		right += best == want ? 1.0f : 0.0f;
	}
	finish_cost_pair(s, right, cols, chunks, g, out, part, scratch);
}
