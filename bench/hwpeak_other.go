//go:build !amd64

package bench

// fmaLoop reports no FMA loop: the hardware peak is measured on amd64
// only, and is 0 (unknown) elsewhere.
func fmaLoop() (loop func(int64), flopsPerIter float64, isa string) { return nil, 0, "" }
