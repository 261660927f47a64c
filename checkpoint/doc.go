// Package checkpoint saves and loads model parameters as NumPy .npz files that
// np.load reads: entries W1, b1, W2, b2, ... with W_l of shape (n_l, n_{l-1})
// and b_l of shape (n_l, 1), float64 in C order (row-major, as gonum stores
// them).
package checkpoint
