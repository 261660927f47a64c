package kernels_test

import (
	"os"
	"testing"

	"github.com/cltrain/cltrain/internal/cltest"
	"github.com/cltrain/cltrain/kernels"
)

const tanhVariants = `
__kernel void t_expm1(__global const float *x, __global float *y) { int i = get_global_id(0); float t = expm1(2.0f * clamp(x[i], -9.0f, 9.0f)); y[i] = t / (t + 2.0f); }
__kernel void t_exp(__global const float *x, __global float *y) { int i = get_global_id(0); y[i] = 1.0f - 2.0f / (exp(2.0f * x[i]) + 1.0f); }
__kernel void t_builtin(__global const float *x, __global float *y) { int i = get_global_id(0); y[i] = tanh(x[i]); }
__kernel void t_copy(__global const float *x, __global float *y) { int i = get_global_id(0); y[i] = x[i]; }
__kernel void t_sig(__global const float *x, __global float *y) { int i = get_global_id(0); y[i] = 1.0f / (1.0f + exp(-x[i])); }
`

func TestScratchTanh(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	c := cltest.Context(t)
	for _, opt := range []string{"", "-cl-fast-relaxed-math"} {
		p, err := c.Build("tv", tanhVariants, opt)
		if err != nil {
			t.Fatal(err)
		}
		n := 1 << 24
		x, _ := kernels.NewMat(c, 1, n)
		y, _ := kernels.NewMat(c, 1, n)
		for _, name := range []string{"t_expm1", "t_exp", "t_builtin", "t_copy", "t_sig"} {
			k, _ := p.Kernel(name)
			k.SetArgs(x.Buf, y.Buf)
			c.Launch(k, []int{n}, nil)
			c.Finish()
			ev, _ := c.LaunchTimed(k, []int{n}, nil)
			d, _ := ev.Duration()
			t.Logf("%q %s: %v", opt, name, d)
		}
	}
}

func TestScratchTanh2(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	c := cltest.Context(t)
	src, _ := kernels.Source()
	p, err := c.Build("tv", src+`__kernel void t_new(__global const float *x, __global float *y) { int i = get_global_id(0); y[i] = act_tanh(x[i]); }
__kernel void t_far(__global const float *x, __global float *y) { int i = get_global_id(0); float ax = fabs(x[i]); float e = exp(-2.0f*ax); y[i] = copysign((1.0f - e) / (1.0f + e), x[i]); }
__kernel void t_far2(__global const float *x, __global float *y) { int i = get_global_id(0); float xx = x[i]; float ax = fabs(xx); float e = exp(-2.0f*ax); float r = (1.0f - e) / (1.0f + e); y[i] = xx < 0 ? -r : r; }
__kernel void t_sel(__global const float *x, __global float *y) { int i = get_global_id(0); float xx = x[i]; float ax = fabs(xx); float e = exp(-2.0f*ax); float r = (1.0f - e) / (1.0f + e); r = xx < 0 ? -r : r; float x2 = xx*xx; float nr = fma(xx * x2, fma(x2, fma(x2, fma(x2, 62.0f / 2835.0f, -17.0f / 315.0f), 2.0f / 15.0f), -1.0f / 3.0f), xx); y[i] = ax < 0.3f ? nr : r; }
`, os.Getenv("OPT"))
	if err != nil {
		t.Fatal(err)
	}
	n := 1 << 24
	x, _ := kernels.NewMat(c, 1, n)
	y, _ := kernels.NewMat(c, 1, n)
	for _, name := range []string{"t_new", "t_far", "t_far2", "t_sel"} {
		k, _ := p.Kernel(name)
		k.SetArgs(x.Buf, y.Buf)
		c.Launch(k, []int{n}, nil)
		c.Finish()
		ev, _ := c.LaunchTimed(k, []int{n}, nil)
		d, _ := ev.Duration()
		t.Logf("%s: %v", name, d)
	}
}
