package dataset_test

import (
	"fmt"
	"log"

	"github.com/cltrain/cltrain/dataset"
)

// Load reads an .npz file as numpy's savez writes it: X of shape (n_x, m)
// and Y of (1, m) or (m,), labels 0 and 1.
func ExampleLoad() {
	set, err := dataset.Load("testdata/small_f64.npz")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d features, %d examples, first label %v\n", set.Features(), set.Examples(), set.Y.At(0, 0))
	// Output: 2 features, 5 examples, first label 0
}
