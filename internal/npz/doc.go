// Package npz reads and writes NumPy .npz archives of floating-point arrays,
// defensively on the reading side: every entry's size is checked against a
// caller-given limit before anything is decompressed or allocated, reads are
// bounded by the sizes the archive declares, and npy headers are parsed by a
// strict parser before the data is decoded with npyio.
//
// Layout: an .npz file is a zip archive with one "<key>.npy" entry per array;
// arrays are returned and written in C order (row-major: element (i, j) of an
// (r, c) array is Data[i*c+j]).
package npz
