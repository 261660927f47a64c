// Package engine trains the classifier: a stack of tanh hidden layers and a
// sigmoid output, trained by gradient descent on the binary cross-entropy.
//
// The work runs on a Backend: the OpenCL backend keeps the data, parameters,
// activations and gradients on the device for the whole run and reads back
// only the costs asked for and the final parameters; the CPU backend runs the
// float64 reference (package cpuref). One conformance suite checks both.
//
// Layout: examples are columns. X is n_x×m, Y is 1×m; layer l has W_l of
// shape n_l×n_{l−1} and b_l of shape n_l×1, row-major (gonum's mat.Dense).
package engine
