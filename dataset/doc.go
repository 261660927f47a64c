// Package dataset provides the training data: the planar "flower" set,
// generated exactly as numpy builds it, and loaders for CSV and NumPy .npz
// files.
//
// Layout: examples are columns; X is (n_x, m) and Y is (1, m) with labels 0 or
// 1, both gonum *mat.Dense in row-major order. Y is nil only in a set that
// LoadUnlabelled read from a file without labels.
package dataset
