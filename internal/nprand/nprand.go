package nprand

import "math"

// Parameters of MT19937.
const (
	stateLen   = 624
	shift      = 397
	matrixA    = 0x9908b0df
	upperMask  = 0x80000000
	lowerMask  = 0x7fffffff
	seedFactor = 1812433253
)

// RandomState is numpy's legacy random generator: the MT19937 state plus the
// cached second Gaussian of the polar method. The zero value is not usable;
// create one with New. A RandomState is not safe for concurrent use.
type RandomState struct {
	key      [stateLen]uint32
	pos      int
	hasGauss bool
	gauss    float64
}

// New returns a generator seeded as np.random.seed(seed) seeds numpy's global
// generator (and np.random.RandomState(seed) a new one).
func New(seed uint32) *RandomState {
	r := &RandomState{}
	r.Seed(seed)
	return r
}

// Seed resets r to the state np.random.seed(seed) produces, discarding any
// cached Gaussian.
func (r *RandomState) Seed(seed uint32) {
	r.key[0] = seed
	for i := 1; i < stateLen; i++ {
		prev := r.key[i-1]
		r.key[i] = seedFactor*(prev^(prev>>30)) + uint32(i)
	}
	r.pos = stateLen
	r.hasGauss = false
	r.gauss = 0
}

// regenerate refills the state with the next 624 words.
func (r *RandomState) regenerate() {
	k := &r.key
	var i int
	for ; i < stateLen-shift; i++ {
		y := k[i]&upperMask | k[i+1]&lowerMask
		k[i] = k[i+shift] ^ y>>1 ^ -(y&1)&matrixA
	}
	for ; i < stateLen-1; i++ {
		y := k[i]&upperMask | k[i+1]&lowerMask
		k[i] = k[i+shift-stateLen] ^ y>>1 ^ -(y&1)&matrixA
	}
	y := k[stateLen-1]&upperMask | k[0]&lowerMask
	k[stateLen-1] = k[shift-1] ^ y>>1 ^ -(y&1)&matrixA
	r.pos = 0
}

// Uint32 returns the next raw 32-bit output of the MT19937 stream.
func (r *RandomState) Uint32() uint32 {
	if r.pos == stateLen {
		r.regenerate()
	}
	y := r.key[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// uint64 returns two 32-bit outputs joined, the first one high, as numpy's
// MT19937 next_uint64 does.
func (r *RandomState) uint64() uint64 {
	hi := uint64(r.Uint32())
	return hi<<32 | uint64(r.Uint32())
}

// Float64 returns a uniform value in [0, 1) with 53 random bits, as numpy's
// random_sample: (a>>5 * 2^26 + b>>6) / 2^53 from two 32-bit outputs a, b.
func (r *RandomState) Float64() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) / 9007199254740992.0
}

// NormFloat64 returns a standard normal value as numpy's legacy randn does:
// Marsaglia's polar method, which yields two values per accepted pair; the
// second is cached and returned by the next call.
func (r *RandomState) NormFloat64() float64 {
	if r.hasGauss {
		r.hasGauss = false
		g := r.gauss
		r.gauss = 0
		return g
	}
	var x1, x2, r2 float64
	for {
		x1 = float64(2*r.Float64()) - 1
		x2 = float64(2*r.Float64()) - 1
		r2 = float64(x1*x1) + float64(x2*x2)
		if r2 < 1 && r2 != 0 {
			break
		}
	}
	f := math.Sqrt(float64(-2*math.Log(r2)) / r2)
	r.gauss = float64(f * x1)
	r.hasGauss = true
	return float64(f * x2)
}

// Randn returns n standard normal values, the same as numpy's randn(n) (and
// standard_normal(n)) on a legacy generator. It returns an empty slice for
// n <= 0.
func (r *RandomState) Randn(n int) []float64 {
	out := make([]float64, max(n, 0))
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

// Permutation returns a random permutation of 0..n-1, the same as numpy's
// legacy permutation(n): the identity shuffled by Fisher-Yates from the last
// position down, each index drawn by interval. It returns an empty slice for
// n <= 0.
func (r *RandomState) Permutation(n int) []int {
	p := make([]int, max(n, 0))
	for i := range p {
		p[i] = i
	}
	for i := len(p) - 1; i > 0; i-- {
		j := r.interval(uint64(i))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// interval returns a uniform integer in [0, hi] by masked rejection, as numpy's
// random_interval: draw 32 bits (64 when hi needs them), keep the bits below
// hi's highest set bit, and retry while the result exceeds hi.
func (r *RandomState) interval(hi uint64) uint64 {
	if hi == 0 {
		return 0
	}
	mask := hi
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if hi <= math.MaxUint32 {
		for {
			if v := uint64(r.Uint32()) & mask; v <= hi {
				return v
			}
		}
	}
	for {
		if v := r.uint64() & mask; v <= hi {
			return v
		}
	}
}
