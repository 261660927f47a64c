// Package nprand reproduces numpy's legacy random generator (np.random.seed,
// np.random.RandomState): the MT19937 stream seeded from an integer,
// random_sample and permutation bit for bit, and the polar-method randn with
// its cached second value. randn takes the same uniform draws as numpy's; its
// values agree to within a few ulp, since numpy takes log from the C library
// and this package from Go's math package.
package nprand
