// What a GEMM writes for the element (or the vector of elements starting
// at) idx, in row i of C, given its sum acc. Prepended to the GEMM programs;
// EPILOGUE selects:
//   0  C = alpha·acc + beta·C (beta = 0 never reads C)
//   1  C = tanh(acc + bias[i])              the hidden layers' forward pass
//   2  C = σ(acc + bias[i])                 the output layer's forward pass
//   3  C = acc · (1 − aux[idx]²)            dZ = (Wᵀ·dZ') ⊙ (1 − A²)
//   4  C = σ(acc + bias[i]) − aux[idx]      dZ = A − Y at the output
//   5  C = max(acc + bias[i], 0)            ReLU hidden layers' forward pass
//   6  C = acc where aux[idx] > 0, else 0   dZ = (Wᵀ·dZ') ⊙ [A > 0], ReLU's
//                                           derivative at 0 taken as 0

#ifndef EPILOGUE
#define EPILOGUE 0
#endif

#if EPILOGUE == 1
#define EPILOGUE_VALUE(LOAD) act_tanh(acc + bias[i])
#elif EPILOGUE == 2
#define EPILOGUE_VALUE(LOAD) act_sigmoid(acc + bias[i])
#elif EPILOGUE == 3
#define EPILOGUE_VALUE(LOAD) (acc * (1.0f - LOAD(aux + idx) * LOAD(aux + idx)))
#elif EPILOGUE == 4
#define EPILOGUE_VALUE(LOAD) (act_sigmoid(acc + bias[i]) - LOAD(aux + idx))
#elif EPILOGUE == 5
#define EPILOGUE_VALUE(LOAD) fmax(acc + bias[i], 0.0f)
#elif EPILOGUE == 6
#define EPILOGUE_VALUE(LOAD) select(zero, acc, LOAD(aux + idx) > 0.0f)
#else
#define EPILOGUE_VALUE(LOAD) (beta == 0.0f ? alpha * acc : fma(beta, LOAD(C + idx), alpha * acc))
#endif

#define DEFINE_STORE(T, LOAD, STORE)                                            \
	inline void __attribute__((overloadable))                                  \
	store(__global float *C, const int idx, const int i, const T acc,          \
	      const float alpha, const float beta, __global const float *bias,    \
	      __global const float *aux) {                                         \
		const T zero = (T)(0.0f); /* the ReLU mask's other side */               \
		STORE(EPILOGUE_VALUE(LOAD), C + idx);                                    \
	}

#define LOAD1(p) (*(p))
#define STORE1(v, p) (*(p) = (v))
#define LOAD4(p) vload4(0, p)
#define STORE4(v, p) vstore4(v, 0, p)
#define LOAD8(p) vload8(0, p)
#define STORE8(v, p) vstore8(v, 0, p)
#define LOAD16(p) vload16(0, p)
#define STORE16(v, p) vstore16(v, 0, p)

DEFINE_STORE(float, LOAD1, STORE1)
DEFINE_STORE(float4, LOAD4, STORE4)
DEFINE_STORE(float8, LOAD8, STORE8)
DEFINE_STORE(float16, LOAD16, STORE16)
