package engine

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LabelError is the error of a label the softmax output cannot take: the
// example (column) it belongs to, its value and what is wrong with it, so
// that a loader can name the line it came from.
type LabelError struct {
	Example int
	Value   float64
	Reason  string
}

func (e *LabelError) Error() string {
	return fmt.Sprintf("label %v of example %d: %s", e.Value, e.Example, e.Reason)
}

// MaxClasses bounds the classes OneHot infers from labels, so that one
// absurd label cannot ask for a huge matrix.
const MaxClasses = 1 << 16

// OneHot returns the K×m one-hot matrix of the class labels y (1×m, the
// integers 0 … K−1). K is k, or the largest label plus one when k is 0. A
// label that is not an integer, is negative, or is K or more is a
// *LabelError.
func OneHot(y *mat.Dense, k int) (*mat.Dense, error) {
	r, m := y.Dims()
	if r != 1 {
		return nil, fmt.Errorf("class labels are %d×%d, want 1×%d", r, m, m)
	}
	labels := y.RawRowView(0)
	limit := k
	if k == 0 {
		limit = MaxClasses
	}
	for j, v := range labels {
		switch {
		case v != math.Trunc(v) || math.IsInf(v, 0):
			return nil, &LabelError{j, v, "a class must be an integer"}
		case v < 0:
			return nil, &LabelError{j, v, "a class must not be negative"}
		case v >= float64(limit):
			if k == 0 {
				return nil, &LabelError{j, v, fmt.Sprintf("classes above %d are not supported", MaxClasses-1)}
			}
			return nil, &LabelError{j, v, fmt.Sprintf("the model has %d classes, 0 to %d", k, k-1)}
		}
	}
	if k == 0 {
		for _, v := range labels {
			k = max(k, int(v)+1)
		}
		k = max(k, 2)
	}
	out := mat.NewDense(k, m, nil)
	for j, v := range labels {
		out.Set(int(v), j, 1)
	}
	return out, nil
}

// CheckOneHot reports whether every column of y holds one 1 and zeros
// otherwise; the error names the first column that does not.
func CheckOneHot(y *mat.Dense) error {
	r, m := y.Dims()
	for j := range m {
		ones := 0
		for i := range r {
			switch v := y.At(i, j); v {
			case 0:
			case 1:
				ones++
			default:
				return fmt.Errorf("one-hot labels: column %d holds %v, want 0 or 1", j, v)
			}
		}
		if ones != 1 {
			return fmt.Errorf("one-hot labels: column %d sums to %d, want 1", j, ones)
		}
	}
	return nil
}

// ClassOf returns the class each column of the K×m matrix a names: the
// index of its largest value (the first on a tie); for a 1×m sigmoid
// output, 1 where the value exceeds 0.5, else 0.
func ClassOf(a *mat.Dense) []int {
	r, m := a.Dims()
	out := make([]int, m)
	for j := range m {
		if r == 1 {
			if a.At(0, j) > 0.5 {
				out[j] = 1
			}
			continue
		}
		best := 0
		for i := 1; i < r; i++ {
			if a.At(i, j) > a.At(best, j) {
				best = i
			}
		}
		out[j] = best
	}
	return out
}
