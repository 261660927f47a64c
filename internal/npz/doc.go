// Package npz reads and writes NumPy .npz archives of floating-point arrays
// (and writes uint8 arrays, and reads bool and integer arrays, with
// Writer.WriteUint8 and Reader.ReadNumeric),
// defensively on the reading side: every entry's size, and the size of the
// float64 array made of it, is checked against a caller-given limit before
// anything is decompressed or allocated, reads are bounded by the sizes the
// archive declares, and npy headers are parsed by a strict parser before the
// data is decoded (floats with npyio).
//
// Layout: an .npz file is a zip archive with one "<key>.npy" entry per array;
// arrays are returned and written in C order (row-major: element (i, j) of an
// (r, c) array is Data[i*c+j]).
package npz
