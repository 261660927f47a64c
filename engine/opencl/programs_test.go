package opencl

import (
	"testing"

	"github.com/cltrain/cltrain/internal/cltest"
)

// TestOneProgramPerSource checks that kernels of the same source files
// and defines come from one program (built once), that other defines
// build another, and that the kernels taken from a shared program still
// compute what they should.
func TestOneProgramPerSource(t *testing.T) {
	c := cltest.Context(t)
	o, err := NewOps(c, DefaultGemm)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Release()
	a := upload(t, c, []float32{1, 2, 3, 0.5})
	b := upload(t, c, []float32{0.5, 4, -1, 0.5})
	sub, tb := upload(t, c, make([]float32, 4)), upload(t, c, make([]float32, 4))
	w := upload(t, c, []float32{1, 1, 1, 1})
	if err := o.Sub(a, b, sub); err != nil {
		t.Fatal(err)
	}
	if err := o.TanhBackward(a, b, tb); err != nil {
		t.Fatal(err)
	}
	if err := o.SGD(w.Buf, a.Buf, 4, 0.5); err != nil {
		t.Fatal(err)
	}
	if n := len(o.programs); n != 1 {
		t.Errorf("sub, tanh_backward and sgd of elementwise.cl built %d programs, want 1: %v", n, o.programs)
	}
	if n := len(o.kernels); n != 3 {
		t.Errorf("%d kernels, want 3", n)
	}
	for _, tc := range []struct {
		name string
		m    Mat
		want []float32
	}{
		{"sub", sub, []float32{0.5, -2, 4, 0}},
		{"tanh_backward", tb, []float32{0.75, -30, 0, 0.375}},
		{"sgd", w, []float32{0.5, 0, -0.5, 0.75}},
	} {
		got := make([]float32, 4)
		if err := tc.m.Buf.Read(got); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if d := got[i] - tc.want[i]; d > 1e-6 || d < -1e-6 {
				t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}

	// Two kernels of reduce.cl with the same vector width share a
	// program; another width builds a second one.
	for _, k := range []struct {
		name string
		vw   int
	}{{"row_sums", 4}, {"row_sums_finish", 4}, {"row_sums", 8}} {
		if _, err := o.reduceKernel(k.name, k.vw); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(o.programs); n != 3 {
		t.Errorf("after two widths of reduce.cl: %d programs, want 3", n)
	}
}
