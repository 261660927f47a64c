package dataset

import (
	"fmt"
	"math"
	"strings"

	"github.com/cltrain/cltrain/internal/npz"
	"gonum.org/v1/gonum/mat"
)

// loadNPZFile reads the .npz file at path.
func loadNPZFile(path string) (*Set, error) {
	r, err := npz.Open(path, MaxArrayBytes)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readNPZ(path, r)
}

// readNPZ builds a Set from the arrays X and Y of r; name is used in error
// messages.
func readNPZ(name string, r *npz.Reader) (*Set, error) {
	for _, key := range []string{"X", "Y"} {
		if !r.Has(key) {
			found := "no arrays"
			if keys := r.Keys(); len(keys) > 0 {
				found = "only " + strings.Join(keys, ", ")
			}
			return nil, fmt.Errorf("%s: array %q missing (want X (n_x, m) and Y (1, m); the file holds %s)", name, key, found)
		}
	}
	xa, err := r.Read("X")
	if err != nil {
		return nil, err
	}
	if len(xa.Shape) != 2 {
		return nil, fmt.Errorf("%s: array \"X\": shape %s has rank %d, want 2 (n_x, m)", name, npz.FormatShape(xa.Shape), len(xa.Shape))
	}
	nx, m := xa.Shape[0], xa.Shape[1]
	if m == 0 {
		return nil, fmt.Errorf("%s: array \"X\": shape %s has no examples (m = 0)", name, npz.FormatShape(xa.Shape))
	}
	if nx == 0 {
		return nil, fmt.Errorf("%s: array \"X\": shape %s has no features (n_x = 0)", name, npz.FormatShape(xa.Shape))
	}
	for i, v := range xa.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: array \"X\": element (%d, %d) is %v, not finite", name, i/m, i%m, v)
		}
	}
	ya, err := r.Read("Y")
	if err != nil {
		return nil, err
	}
	if len(ya.Shape) != 2 || ya.Shape[0] != 1 || ya.Shape[1] != m {
		return nil, fmt.Errorf("%s: array \"Y\": shape %s, want (1, %d) to match X %s", name, npz.FormatShape(ya.Shape), m, npz.FormatShape(xa.Shape))
	}
	for i, v := range ya.Data {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("%s: array \"Y\": label %v of example %d is not 0 or 1", name, v, i)
		}
	}
	return &Set{X: mat.NewDense(nx, m, xa.Data), Y: mat.NewDense(1, m, ya.Data)}, nil
}
