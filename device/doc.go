// Package device is a thin OpenCL binding and device manager.
//
// It loads the OpenCL ICD loader (libOpenCL.so.1) at run time with purego, so
// programs using it build with CGO_ENABLED=0 and start on machines without
// OpenCL; every call's status is checked and reported by its name
// (CL_INVALID_WORK_GROUP_SIZE, …). Buffers hold 4-byte elements; matrices
// stored in them are row-major: element {i, j} of an r×c matrix is at i*c + j.
package device
