package opencl_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/backendtest"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/internal/cltest"
)

// TestPrepareKeepsParams checks that Prepare, which runs a step with a
// learning rate of 0 to get the kernels compiled, leaves every bit of the
// parameters as it was: fused and unfused, full-batch and mini-batch, one
// and two hidden layers.
func TestPrepareKeepsParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	x, y := backendtest.Problem(rng, 3, 37)
	for _, sizes := range [][]int{{3, 5, 4, 1}, {3, 5, 1}} {
		p := backendtest.Params(t, rng, sizes)
		for _, noFusion := range []bool{false, true} {
			for _, batch := range []int{0, 7} {
				t.Run(fmt.Sprintf("%v/nofusion=%v/batch%d", sizes, noFusion, batch), func(t *testing.T) {
					b, err := opencl.New(cltest.Device(t), opencl.Options{})
					if err != nil {
						t.Fatal(err)
					}
					defer b.Close()
					b.NoFusion = noFusion
					if err := b.Load(engine.Model{Sizes: p.Sizes()}, x, y, p); err != nil {
						t.Fatal(err)
					}
					if err := b.Prepare(batch); err != nil {
						t.Fatal(err)
					}
					got, err := b.Params()
					if err != nil {
						t.Fatal(err)
					}
					for l := range p.W {
						for _, pair := range [][2]*mat.Dense{{got.W[l], p.W[l]}, {got.B[l], p.B[l]}} {
							g, w := pair[0].RawMatrix().Data, pair[1].RawMatrix().Data
							for i := range w {
								if float32(g[i]) != float32(w[i]) {
									t.Fatalf("layer %d element %d: %v after Prepare, %v before", l+1, i, g[i], w[i])
								}
							}
						}
					}
				})
			}
		}
	}
}
