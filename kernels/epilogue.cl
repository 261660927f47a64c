// What a GEMM writes for element idx (row i) of C, given its sum acc.
// Prepended to the GEMM programs; EPILOGUE selects:
//   0  C = alpha·acc + beta·C (beta = 0 never reads C)
//   1  C = tanh(acc + bias[i])              the hidden layers' forward pass
//   2  C = σ(acc + bias[i])                 the output layer's forward pass
//   3  C = acc · (1 − aux[idx]²)            dZ = (Wᵀ·dZ') ⊙ (1 − A²)
//   4  C = σ(acc + bias[i]) − aux[idx]      dZ = A − Y at the output

#ifndef EPILOGUE
#define EPILOGUE 0
#endif

inline void store(__global float *C, const int idx, const int i, const float acc,
                  const float alpha, const float beta,
                  __global const float *bias, __global const float *aux) {
#if EPILOGUE == 1
	C[idx] = act_tanh(acc + bias[i]);
#elif EPILOGUE == 2
	C[idx] = act_sigmoid(acc + bias[i]);
#elif EPILOGUE == 3
	const float a = aux[idx];
	C[idx] = acc * (1.0f - a * a);
#elif EPILOGUE == 4
	C[idx] = act_sigmoid(acc + bias[i]) - aux[idx];
#else
	const float v = alpha * acc;
	C[idx] = beta == 0.0f ? v : fma(beta, C[idx], v);
#endif
}
