package device_test

import (
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/cltrain/cltrain/internal/cltest"
)

const spinSrc = `
__kernel void spin(__global float *x, const int n) {
	float v = x[0];
	for (int i = 0; i < n; i++) v = v * 0.999999f + 1.0f;
	x[0] = v;
}`

// TestWriteInt32Async checks that the write returns before the commands
// queued ahead of it have run (it does not wait for the queue), that it
// runs after them, that Reclaim hands back the very slice only once the
// write is done, and that the device holds the slice's values.
func TestWriteInt32Async(t *testing.T) {
	c := cltest.Context(t)
	p, err := c.Build("spin", spinSrc, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	k, err := p.Kernel("spin")
	if err != nil {
		t.Fatal(err)
	}
	defer k.Release()
	scratch, err := c.NewBuffer(1)
	if err != nil {
		t.Fatal(err)
	}
	defer scratch.Release()
	const n = 1 << 20
	buf, err := c.NewBuffer(n)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Release()
	if err := k.SetArgs(scratch, int32(1<<27)); err != nil {
		t.Fatal(err)
	}
	// A kernel of a tenth of a second or more ahead of the write.
	if err := c.Launch(k, []int{1}, nil); err != nil {
		t.Fatal(err)
	}
	src := make([]int32, n)
	for i := range src {
		src[i] = int32(i*7 + 1)
	}
	start := time.Now()
	up, err := buf.WriteInt32Async(src)
	if err != nil {
		t.Fatal(err)
	}
	returned := time.Since(start)
	done, err := up.Done()
	if err != nil {
		t.Fatal(err)
	}
	if done {
		t.Errorf("the write is done %v after it was queued behind a long kernel: it did not wait for the queue's order", returned)
	}
	back, err := up.Reclaim()
	if err != nil {
		t.Fatal(err)
	}
	if done, err := up.Done(); err != nil || !done {
		t.Errorf("after Reclaim: done %v, %v; want done", done, err)
	}
	if len(back) != n || unsafe.SliceData(back) != unsafe.SliceData(src) {
		t.Fatalf("Reclaim returned another slice (len %d)", len(back))
	}
	if again, err := up.Reclaim(); again != nil || err != nil {
		t.Errorf("second Reclaim = %d values, %v; want nil, nil", len(again), err)
	}
	// Now the slice is the caller's again: clobbering it must not reach
	// the device.
	for i := range back {
		back[i] = -1
	}
	got := make([]float32, n)
	if err := buf.Read(got); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if w := int32(i*7 + 1); int32(math.Float32bits(v)) != w {
			t.Fatalf("element %d = %d, want %d", i, int32(math.Float32bits(v)), w)
		}
	}
	if _, err := buf.WriteInt32Async(make([]int32, n+1)); err == nil {
		t.Error("an oversized write was accepted")
	}
	if up, err := buf.WriteInt32Async(nil); err != nil {
		t.Errorf("empty write: %v", err)
	} else if err := up.Wait(); err != nil {
		t.Errorf("wait for an empty write: %v", err)
	}
}
