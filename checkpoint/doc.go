// Package checkpoint saves and loads a model with its parameters and its
// optimizer's state as NumPy .npz files that np.load reads: entries W1, b1,
// W2, b2, ... with W_l of shape (n_l, n_{l-1}) and b_l of shape (n_l, 1),
// float64 in C order (row-major, as gonum stores them); "model", the model's
// kinds, optimizer parameters, L2 and step count as UTF-8 JSON bytes
// (json.loads(bytes(f["model"]))); and the optimizer's state, velocity_W1,
// ... for momentum and adam_m_W1, ..., adam_v_W1, ... for Adam, shaped as
// the parameters.
package checkpoint
