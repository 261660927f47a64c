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

// Split holds out a seeded fifth of the examples for validation, as
// --val-split 0.2 does.
func ExampleSet_Split() {
	set := dataset.Flower(dataset.FlowerSeed)
	train, val, err := set.Split(0.2, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d training and %d held-out examples of %d classes\n", train.Examples(), val.Examples(), val.Classes())
	// Output: 320 training and 80 held-out examples of 2 classes
}
