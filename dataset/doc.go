// Package dataset provides the training data: the planar "flower" set,
// generated exactly as numpy builds it, and loaders for CSV and NumPy .npz
// files, with a seeded split into training and held-out examples.
//
// Layout: examples are columns; X is (n_x, m) and Y is (1, m) with class
// labels 0, 1, 2, … (0 and 1 for a binary task; an .npz file's one-hot Y
// becomes such labels), both gonum *mat.Dense in row-major order. Y is nil
// only in a set that LoadUnlabelled read from a file without labels.
package dataset
