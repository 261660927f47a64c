package checkpoint

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	npyz "codeberg.org/sbinet/npyio/npz"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/internal/npz"
	"github.com/cltrain/cltrain/internal/npztest"
	"gonum.org/v1/gonum/mat"
)

// network returns parameters for layer sizes dims (inputs first), filled
// with awkward values: subnormals, negative zero, extremes.
func network(dims ...int) engine.Params {
	special := []float64{0, math.Copysign(0, -1), 5e-324, -math.MaxFloat64, math.MaxFloat64, 1.0 / 3, -2.5e-300, math.Pi}
	k := 0
	next := func() float64 {
		k++
		if k%5 == 0 {
			return special[(k/5)%len(special)]
		}
		return math.Sin(float64(k)) * float64(k)
	}
	var p engine.Params
	for l := 1; l < len(dims); l++ {
		wm := mat.NewDense(dims[l], dims[l-1], nil)
		bm := mat.NewDense(dims[l], 1, nil)
		for i := range dims[l] {
			for j := range dims[l-1] {
				wm.Set(i, j, next())
			}
			bm.Set(i, 0, next())
		}
		p.W, p.B = append(p.W, wm), append(p.B, bm)
	}
	return p
}

// scaled returns p's weights and biases times f, without state.
func scaled(p engine.Params, f float64) engine.Params {
	var q engine.Params
	for l := range p.W {
		w, b := &mat.Dense{}, &mat.Dense{}
		w.Scale(f, p.W[l])
		b.Scale(f, p.B[l])
		q.W, q.B = append(q.W, w), append(q.B, b)
	}
	return q
}

// withState returns p with the state of optimizer o after steps updates:
// slot k is p's parameters times 1/(k+2), so each slot differs.
func withState(p engine.Params, o engine.Optimizer, steps int) engine.Params {
	q := p.Clone()
	q.Opt.Steps = steps
	for k := range o.Slots() {
		q.Opt.Slots = append(q.Opt.Slots, scaled(p, 1/float64(k+2)))
	}
	return q
}

// model returns the model of the given sizes and kinds, DefaultHyper.
func model(h engine.Activation, out engine.Output, o engine.Optimizer, sizes ...int) engine.Model {
	return engine.Model{Sizes: sizes, Hidden: h, Output: out, Optimizer: o, Hyper: engine.DefaultHyper}
}

// bitsEqual reports whether a and b have the same shape and bit patterns.
func bitsEqual(a, b *mat.Dense) bool {
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ar != br || ac != bc {
		return false
	}
	for i := range ar {
		for j := range ac {
			if math.Float64bits(a.At(i, j)) != math.Float64bits(b.At(i, j)) {
				return false
			}
		}
	}
	return true
}

// paramsEqual reports, as an error, where got and want differ in layers,
// values (bit for bit), step count or state.
func paramsEqual(got, want engine.Params) error {
	layers := func(what string, g, w engine.Params) error {
		if len(g.W) != len(w.W) || len(g.B) != len(w.B) {
			return fmt.Errorf("%s: %d/%d layers, want %d", what, len(g.W), len(g.B), len(w.W))
		}
		for l := range w.W {
			if !bitsEqual(g.W[l], w.W[l]) || !bitsEqual(g.B[l], w.B[l]) {
				return fmt.Errorf("%s: layer %d differs", what, l+1)
			}
		}
		return nil
	}
	if err := layers("parameters", got, want); err != nil {
		return err
	}
	if got.Opt.Steps != want.Opt.Steps || len(got.Opt.Slots) != len(want.Opt.Slots) {
		return fmt.Errorf("state: step %d with %d slots, want step %d with %d", got.Opt.Steps, len(got.Opt.Slots), want.Opt.Steps, len(want.Opt.Slots))
	}
	for k := range want.Opt.Slots {
		if err := layers(fmt.Sprintf("state slot %d", k+1), got.Opt.Slots[k], want.Opt.Slots[k]); err != nil {
			return err
		}
	}
	return nil
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestRoundTrip(t *testing.T) {
	tanh, relu := engine.Tanh, engine.ReLU
	sig, soft := engine.Sigmoid, engine.Softmax
	sgd, mom, adam := engine.SGD, engine.Momentum, engine.Adam
	custom := model(relu, sig, adam, 5, 7, 3, 1)
	custom.Hyper = engine.Hyper{Momentum: 0.5, Beta1: 0.8, Beta2: 0.95, Eps: 1e-6}
	custom.L2 = 0.125
	softMom := model(relu, soft, mom, 5, 7, 4)
	softMom.Hyper.Momentum = 0
	tests := []struct {
		name  string
		model engine.Model
		p     engine.Params
		keys  []string // the entries after W1, b1, ..., "model"
	}{
		{"tanh sigmoid sgd fresh", model(tanh, sig, sgd, 5, 7, 3, 1), network(5, 7, 3, 1), nil},
		{"tanh softmax sgd after 12 steps", model(tanh, soft, sgd, 5, 7, 3), withState(network(5, 7, 3), sgd, 12), nil},
		{"relu softmax momentum after 5 steps", softMom, withState(network(5, 7, 4), mom, 5),
			[]string{"velocity_W1", "velocity_b1", "velocity_W2", "velocity_b2"}},
		{"tanh sigmoid momentum fresh", model(tanh, sig, mom, 2, 3, 1), network(2, 3, 1), nil},
		{"relu sigmoid adam after 7 steps, L2", custom, withState(network(5, 7, 3, 1), adam, 7),
			[]string{"adam_m_W1", "adam_m_b1", "adam_m_W2", "adam_m_b2", "adam_m_W3", "adam_m_b3",
				"adam_v_W1", "adam_v_b1", "adam_v_W2", "adam_v_b2", "adam_v_W3", "adam_v_b3"}},
		{"relu softmax adam fresh", model(relu, soft, adam, 3, 2, 2), network(3, 2, 2), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "model.npz")
			if err := Save(path, tc.model, tc.p); err != nil {
				t.Fatal(err)
			}
			m, p, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, tc.model) {
				t.Errorf("model %+v, want %+v", m, tc.model)
			}
			if err := paramsEqual(p, tc.p); err != nil {
				t.Error(err)
			}
			if err := m.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			var want []string
			for l := range tc.p.W {
				want = append(want, fmt.Sprintf("W%d", l+1), fmt.Sprintf("b%d", l+1))
			}
			want = append(append(want, "model"), tc.keys...)
			r, err := npz.Open(path, MaxArrayBytes)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.Keys(); !slices.Equal(got, want) {
				t.Errorf("entries %v, want %v", got, want)
			}
			if names := dirEntries(t, dir); !slices.Equal(names, []string{"model.npz"}) {
				t.Errorf("folder holds %v", names)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o644 {
				t.Errorf("mode %v, want 0644", st.Mode().Perm())
			}
		})
	}
}

// Zeros at step 0, as a backend returns before its first update, are a
// fresh start and are left out.
func TestSaveDropsZeroStateAtStepZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.npz")
	m := model(engine.ReLU, engine.Sigmoid, engine.Adam, 2, 3, 1)
	p := network(2, 3, 1)
	q := p.Clone()
	q.Opt.Slots = []engine.Params{scaled(p, 0), scaled(p, 0)}
	if err := Save(path, m, q); err != nil {
		t.Fatal(err)
	}
	_, got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := paramsEqual(got, p); err != nil {
		t.Error(err)
	}
}

func TestSaveViewsAndOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.npz")
	if err := Save(path, engine.NewModel(2, 2), network(2, 2, 1)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// A view into a larger matrix has a stride wider than its columns.
	big := mat.NewDense(6, 8, nil)
	for i := range 6 {
		for j := range 8 {
			big.Set(i, j, float64(10*i+j))
		}
	}
	p := engine.Params{
		W: []*mat.Dense{big.Slice(1, 4, 2, 7).(*mat.Dense), big.Slice(0, 1, 0, 3).(*mat.Dense)},
		B: []*mat.Dense{big.Slice(2, 5, 7, 8).(*mat.Dense), big.Slice(5, 6, 7, 8).(*mat.Dense)},
	}
	if err := Save(path, engine.NewModel(5, 3), p); err != nil {
		t.Fatal(err)
	}
	_, got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for l := range p.W {
		if !mat.Equal(got.W[l], p.W[l]) || !mat.Equal(got.B[l], p.B[l]) {
			t.Errorf("layer %d: got W %v b %v", l+1, mat.Formatted(got.W[l]), mat.Formatted(got.B[l]))
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("overwritten file mode %v (%v), want 0600 kept", st.Mode().Perm(), err)
	}
}

// readEntry returns the bytes of the zip entry name.
func readEntry(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestFileLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.npz")
	p := withState(network(2, 4, 1), engine.Momentum, 9)
	m := model(engine.Tanh, engine.Sigmoid, engine.Momentum, 2, 4, 1)
	if err := Save(path, m, p); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	v := p.Opt.Slots[0]
	want := []struct {
		name  string
		shape string
		m     *mat.Dense
	}{
		{"W1.npy", "(4, 2)", p.W[0]}, {"b1.npy", "(4, 1)", p.B[0]},
		{"W2.npy", "(1, 4)", p.W[1]}, {"b2.npy", "(1, 1)", p.B[1]},
		{"model.npy", "", nil},
		{"velocity_W1.npy", "(4, 2)", v.W[0]}, {"velocity_b1.npy", "(4, 1)", v.B[0]},
		{"velocity_W2.npy", "(1, 4)", v.W[1]}, {"velocity_b2.npy", "(1, 1)", v.B[1]},
	}
	const wantJSON = `{"hidden":"tanh","output":"sigmoid","optimizer":"momentum","momentum":0.9,"beta1":0.9,"beta2":0.999,"eps":1e-8,"l2":0,"steps":9}`
	if len(zr.File) != len(want) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(want))
	}
	for i, f := range zr.File {
		if f.Name != want[i].name {
			t.Errorf("entry %d is %q, want %q", i, f.Name, want[i].name)
			continue
		}
		raw := readEntry(t, f)
		if string(raw[:6]) != "\x93NUMPY" || raw[6] != 1 || raw[7] != 0 {
			t.Errorf("%s: preamble %q", f.Name, raw[:8])
		}
		hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
		if (10+hlen)%64 != 0 || raw[10+hlen-1] != '\n' {
			t.Errorf("%s: header length %d not padded to 64 with a final newline", f.Name, hlen)
		}
		dict := strings.TrimRight(string(raw[10:10+hlen]), " \n")
		data := raw[10+hlen:]
		if want[i].m == nil {
			wantDict := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }", len(wantJSON))
			if dict != wantDict || string(data) != wantJSON {
				t.Errorf("%s: header %q, data %q; want %q, %q", f.Name, dict, data, wantDict, wantJSON)
			}
			continue
		}
		wantDict := "{'descr': '<f8', 'fortran_order': False, 'shape': " + want[i].shape + ", }"
		if dict != wantDict {
			t.Errorf("%s: header %q, want %q", f.Name, dict, wantDict)
		}
		rows, cols := want[i].m.Dims()
		if len(data) != 8*rows*cols {
			t.Fatalf("%s: %d data bytes, want %d", f.Name, len(data), 8*rows*cols)
		}
		for k := range rows * cols {
			got := math.Float64frombits(binary.LittleEndian.Uint64(data[8*k:]))
			if math.Float64bits(got) != math.Float64bits(want[i].m.At(k/cols, k%cols)) {
				t.Errorf("%s: element %d is %v", f.Name, k, got)
			}
		}
	}

	// npyio reads the float arrays as well.
	nr, err := npyz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer nr.Close()
	for _, wn := range want {
		if wn.m == nil {
			continue
		}
		var m mat.Dense
		if err := nr.Read(wn.name, &m); err != nil {
			t.Fatalf("npyio: %s: %v", wn.name, err)
		}
		if !bitsEqual(&m, wn.m) {
			t.Errorf("npyio: %s differs", wn.name)
		}
	}
}

// numpyValue is element (i, j) of the arrays gen_testdata.py writes.
func numpyValue(name string, cols, i, j int) float64 {
	layer := float64(name[1] - '0')
	k := float64(i*cols + j)
	if name[0] == 'W' {
		return (k+1)/3 + (layer - 1)
	}
	return -(k+1)/5 + (layer - 1)
}

func TestLoadNumpyFiles(t *testing.T) {
	tanhSGD := model(engine.Tanh, engine.Sigmoid, engine.SGD, 2, 4, 1)
	softSGD := model(engine.Tanh, engine.Softmax, engine.SGD, 2, 4, 3)
	adam := model(engine.ReLU, engine.Softmax, engine.Adam, 2, 4, 3)
	adam.Hyper = engine.Hyper{Momentum: 0.9, Beta1: 0.8, Beta2: 0.99, Eps: 1e-7}
	adam.L2 = 0.01
	for _, tc := range []struct {
		file  string
		f32   bool
		model engine.Model
		steps int
	}{
		{"testdata/numpy_f64.npz", false, tanhSGD, 0},
		{"testdata/numpy_compressed.npz", false, tanhSGD, 0},
		{"testdata/numpy_f32.npz", true, tanhSGD, 0},
		{"testdata/numpy_softmax.npz", false, softSGD, 0}, // no "model": K = 3 is softmax
		{"testdata/numpy_adam.npz", false, adam, 3},
	} {
		m, p, err := Load(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m, tc.model) {
			t.Errorf("%s: model %+v, want %+v", tc.file, m, tc.model)
		}
		if p.Opt.Steps != tc.steps || len(p.Opt.Slots) != tc.model.Optimizer.Slots() {
			t.Fatalf("%s: step %d with %d slots", tc.file, p.Opt.Steps, len(p.Opt.Slots))
		}
		k := tc.model.Sizes[2]
		shapes := map[string][2]int{"W1": {4, 2}, "b1": {4, 1}, "W2": {k, 4}, "b2": {k, 1}}
		check := func(what string, mats map[string]*mat.Dense, f func(float64) float64) {
			for name, m := range mats {
				r, c := m.Dims()
				if [2]int{r, c} != shapes[name] {
					t.Errorf("%s %s%s: %dx%d, want %v", tc.file, what, name, r, c, shapes[name])
					continue
				}
				for i := range r {
					for j := range c {
						want := f(numpyValue(name, c, i, j))
						if tc.f32 {
							want = float64(float32(want))
						}
						if got := m.At(i, j); got != want {
							t.Errorf("%s %s%s(%d, %d) = %v, want %v", tc.file, what, name, i, j, got, want)
						}
					}
				}
			}
		}
		byName := func(q engine.Params) map[string]*mat.Dense {
			return map[string]*mat.Dense{"W1": q.W[0], "b1": q.B[0], "W2": q.W[1], "b2": q.B[1]}
		}
		check("", byName(p), func(v float64) float64 { return v })
		if tc.model.Optimizer == engine.Adam {
			check("adam_m_", byName(p.Opt.Slots[0]), func(v float64) float64 { return v / 10 })
			check("adam_v_", byName(p.Opt.Slots[1]), func(v float64) float64 { return v * v })
		}
	}
}

// entry is one array for archive: a matrix, or for a string the bytes of
// a 1-D uint8 array.
type entry struct {
	key   string
	value any
}

// archive writes the entries with npz.Writer into dir/name.
func archive(t *testing.T, dir, name string, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := npz.NewWriter(&buf)
	for _, e := range entries {
		var err error
		switch v := e.value.(type) {
		case *mat.Dense:
			r, c := v.Dims()
			err = zw.WriteArray(e.key, []int{r, c}, v.RawMatrix().Data)
		case string:
			err = zw.WriteUint8(e.key, []int{len(v)}, []byte(v))
		default:
			t.Fatalf("entry %s: %T", e.key, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// layers returns the entries W1, b1, ... of p, with the given key prefix.
func layers(prefix string, p engine.Params) []entry {
	var out []entry
	for l := range p.W {
		out = append(out, entry{fmt.Sprintf("%sW%d", prefix, l+1), p.W[l]}, entry{fmt.Sprintf("%sb%d", prefix, l+1), p.B[l]})
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	p := network(2, 4, 1)
	w, b := p.W, p.B
	nan := mat.DenseCopyOf(w[1])
	nan.Set(0, 2, math.NaN())
	net := layers("", p)
	// file writes the network's W and b and the given entries.
	n := 0
	file := func(extra ...entry) string {
		n++
		return archive(t, dir, fmt.Sprintf("c%d.npz", n), append(slices.Clone(net), extra...)...)
	}
	desc := func(json string) entry { return entry{"model", json} }
	const (
		adamJSON = `{"hidden":"relu","output":"sigmoid","optimizer":"adam","steps":3}`
		momJSON  = `{"hidden":"tanh","output":"sigmoid","optimizer":"momentum","steps":3}`
	)
	v := scaled(p, 0.5)
	adamState := append(layers("adam_m_", v), layers("adam_v_", v)...)
	// withoutKey drops one entry.
	withoutKey := func(es []entry, key string) []entry {
		return slices.DeleteFunc(slices.Clone(es), func(e entry) bool { return e.key == key })
	}
	// replaced swaps one entry's value.
	replaced := func(es []entry, key string, value any) []entry {
		out := slices.Clone(es)
		for i := range out {
			if out[i].key == key {
				out[i].value = value
			}
		}
		return out
	}
	raw := func(name string, entries ...npztest.Entry) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, npztest.Archive(t, entries...), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	f64 := func(m *mat.Dense) npztest.Entry {
		r, c := m.Dims()
		return npztest.Entry{Descr: "<f8", Shape: fmt.Sprintf("(%d, %d)", r, c), Payload: npztest.Float64s(m.RawMatrix().Data...)}
	}
	named := func(key string, e npztest.Entry) npztest.Entry { e.Key = key; return e }
	rawNet := []npztest.Entry{named("W1", f64(w[0])), named("b1", f64(b[0])), named("W2", f64(w[1])), named("b2", f64(b[1]))}
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"missing file", filepath.Join(dir, "nope.npz"), []string{"nope.npz", "no such file"}},
		{"folder", dir, []string{dir, "directory"}},
		{"not a zip", writeFile(t, dir, "text.npz", "W1,b1\n"), []string{"text.npz", "not a valid .npz"}},
		{"no layers", archive(t, dir, "empty.npz"), []string{"empty.npz", "no layers"}},
		{"model only", archive(t, dir, "modelonly.npz", desc(momJSON)), []string{"modelonly.npz", "no layers"}},
		{"gap", archive(t, dir, "gap.npz", entry{"W1", w[0]}, entry{"b1", b[0]}, entry{"W3", w[1]}, entry{"b3", b[1]}),
			[]string{"gap.npz", `"W2" missing`}},
		{"bias missing", archive(t, dir, "nob.npz", entry{"W1", w[0]}, entry{"b1", b[0]}, entry{"W2", w[1]}),
			[]string{"nob.npz", `"b2" missing`}},
		{"huge layer number", archive(t, dir, "huge.npz", entry{"W1", w[0]}, entry{"b1", b[0]}, entry{"W999999999", w[1]}),
			[]string{"huge.npz", `"W2" missing`}},
		{"extra array", file(entry{"lr", b[1]}), []string{`unexpected array "lr"`}},
		{"leading zero", archive(t, dir, "zero.npz", entry{"W01", w[0]}, entry{"b1", b[0]}),
			[]string{"zero.npz", `unexpected array "W01"`}},
		{"unknown state prefix", file(desc(momJSON), entry{"momentum_W1", w[0]}), []string{`unexpected array "momentum_W1"`}},
		{"state key without layer", file(desc(momJSON), entry{"velocity_", w[0]}), []string{`unexpected array "velocity_"`}},
		{"chain broken", archive(t, dir, "chain.npz", entry{"W1", w[0]}, entry{"b1", b[0]}, entry{"W2", w[0]}, entry{"b2", b[0]}),
			[]string{"chain.npz", `"W2"`, "(4, 2)", "W1, which has 4 rows"}},
		{"bias shape", archive(t, dir, "bshape.npz", entry{"W1", w[0]}, entry{"b1", w[0]}),
			[]string{"bshape.npz", `"b1"`, "(4, 2)", "want (4, 1)"}},
		{"NaN", archive(t, dir, "nan.npz", entry{"W1", w[0]}, entry{"b1", b[0]}, entry{"W2", nan}, entry{"b2", b[1]}),
			[]string{"nan.npz", `"W2"`, "(0, 2)", "NaN"}},
		{"bias vector", "testdata/numpy_b_vector.npz", []string{"numpy_b_vector.npz", `"b1"`, "(4,)", "rank 1"}},
		{"int dtype", "testdata/numpy_int.npz", []string{"numpy_int.npz", `"W1"`, `"<i8"`, "not supported"}},
		{"no hidden layer", archive(t, dir, "onelayer.npz", entry{"W1", w[0]}, entry{"b1", b[0]}),
			[]string{"onelayer.npz: model 2-4 tanh/softmax/sgd", "at least one hidden layer"}},

		// The "model" entry.
		{"model not JSON", file(desc(`{"hidden":`)), []string{`array "model"`, "not JSON"}},
		{"model not UTF-8", file(desc("{\"hidden\":\"\xff\"}")), []string{`array "model"`, "not UTF-8"}},
		{"model empty", file(desc("")), []string{`array "model"`, "not JSON", "EOF"}},
		{"model not an object", file(desc(`["tanh"]`)), []string{`array "model"`, "starts with [, want an object"}},
		{"model trailing text", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd"} {}`)), []string{`array "model"`, "text after the JSON object"}},
		{"model trailing comma", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd",}`)), []string{`array "model"`, "not JSON"}},
		{"model unknown key", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd","lr":0.1}`)), []string{`array "model"`, `unknown key "lr"`}},
		{"model key twice", file(desc(`{"hidden":"tanh","hidden":"relu","output":"sigmoid","optimizer":"sgd"}`)), []string{`array "model"`, `key "hidden" given twice`}},
		{"model key missing", file(desc(`{"hidden":"tanh","optimizer":"sgd"}`)), []string{`array "model"`, `key "output" missing`}},
		{"model null", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd","beta1":null}`)), []string{`array "model"`, `key "beta1" is null`}},
		{"model kind not a string", file(desc(`{"hidden":1,"output":"sigmoid","optimizer":"sgd"}`)), []string{`array "model"`, `key "hidden": 1 is not a string`}},
		{"model number a string", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd","l2":"0"}`)), []string{`key "l2": "0" is not a number`}},
		{"unknown activation", file(desc(`{"hidden":"sigmoid","output":"sigmoid","optimizer":"sgd"}`)), []string{`array "model"`, `hidden activation "sigmoid": want tanh, relu`}},
		{"unknown output", file(desc(`{"hidden":"tanh","output":"linear","optimizer":"sgd"}`)), []string{`array "model"`, `output "linear"`}},
		{"unknown optimizer", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"rmsprop"}`)), []string{`array "model"`, `optimizer "rmsprop"`}},
		{"steps negative", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd","steps":-1}`)), []string{`array "model"`, "steps -1, want 0 or more"}},
		{"steps fractional", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd","steps":1.5}`)), []string{`array "model"`, `key "steps": 1.5 is not a whole number`}},
		{"steps too large", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd","steps":1e30}`)), []string{`key "steps"`, "not a whole number"}},
		{"sigmoid of 3 units", archive(t, dir, "sig3.npz", append(layers("", network(2, 3, 3)), desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd"}`))...),
			[]string{"sig3.npz: model 2-3-3 tanh/sigmoid/sgd", "the sigmoid output has 1 unit, not 3"}},
		{"softmax of 1 unit", file(desc(`{"hidden":"tanh","output":"softmax","optimizer":"sgd"}`)), []string{"model 2-4-1 tanh/softmax/sgd", "at least 2 classes"}},
		{"beta1 out of range", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"adam","beta1":1.5}`)), []string{"model 2-4-1 tanh/sigmoid/adam", "Beta1 1.5", "[0, 1)"}},
		{"l2 negative", file(desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd","l2":-1}`)), []string{"L2 -1"}},
		{"model as float64", file(entry{"model", b[1]}), []string{`array "model"`, "shape (1, 1)", "want (n,)"}},
		{"model as int8", raw("i1.npz", append(slices.Clone(rawNet), npztest.Entry{Key: "model", Descr: "|i1", Shape: "(2,)", Payload: []byte("{}")})...),
			[]string{"i1.npz", `array "model"`, `dtype "|i1", want uint8`}},
		{"model as float", raw("f8.npz", append(slices.Clone(rawNet), npztest.Entry{Key: "model", Descr: "<f8", Shape: "(1,)", Payload: npztest.Float64s(1)})...),
			[]string{"f8.npz", `array "model"`, `dtype "<f8", want uint8`}},
		{"model too long", raw("long.npz", append(slices.Clone(rawNet), npztest.Entry{Key: "model", Descr: "|u1", Shape: "(100000,)", Payload: make([]byte, 100000)})...),
			[]string{"long.npz", `array "model"`, "100000 bytes, more than the limit of 65536"}},

		// The optimizer's state.
		{"state of another optimizer", file(append([]entry{desc(momJSON)}, adamState...)...),
			[]string{`array "adam_m_W1" is state of the adam optimizer, but array "model" names the momentum optimizer`}},
		{"state without a model", file(layers("velocity_", v)...),
			[]string{`array "velocity_W1" is state of the momentum optimizer`, `no "model" array`, "sgd"}},
		{"state of sgd", file(append([]entry{desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"sgd","steps":3}`)}, layers("velocity_", v)...)...),
			[]string{`array "velocity_W1" is state of the momentum optimizer, but array "model" names the sgd optimizer`}},
		{"state at step 0", file(append([]entry{desc(`{"hidden":"tanh","output":"sigmoid","optimizer":"momentum"}`)}, layers("velocity_", v)...)...),
			[]string{`array "velocity_W1" is optimizer state, but array "model" says steps 0`}},
		{"no state after steps", file(desc(momJSON)), []string{`array "velocity_W1" missing`, "momentum optimizer after 3 steps"}},
		{"partial state", file(append([]entry{desc(adamJSON)}, withoutKey(adamState, "adam_v_b2")...)...),
			[]string{`array "adam_v_b2" missing`, "adam optimizer after 3 steps", "adam_v_W1, adam_v_b1"}},
		{"state of a layer beyond", file(append(append([]entry{desc(momJSON)}, layers("velocity_", v)...), entry{"velocity_W3", w[0]})...),
			[]string{`array "velocity_W3" is state of layer 3, but the checkpoint has 2 layers`}},
		{"state misshaped", file(append([]entry{desc(momJSON)}, replaced(layers("velocity_", v), "velocity_W2", w[0])...)...),
			[]string{`array "velocity_W2": shape (4, 2), want (1, 4) as W2`}},
		{"state bias misshaped", file(append([]entry{desc(adamJSON)}, replaced(adamState, "adam_m_b1", w[0])...)...),
			[]string{`array "adam_m_b1": shape (4, 2), want (4, 1) as b1`}},
		{"state not finite", file(append([]entry{desc(adamJSON)}, replaced(adamState, "adam_v_W2", nan)...)...),
			[]string{`array "adam_v_W2": element (0, 2) is NaN, not finite`}},
		{"state rank 1", raw("rank1.npz", append(slices.Clone(rawNet),
			npztest.Entry{Key: "model", Descr: "|u1", Shape: fmt.Sprintf("(%d,)", len(momJSON)), Payload: []byte(momJSON)},
			named("velocity_W1", f64(w[0])), named("velocity_b1", npztest.Entry{Descr: "<f8", Shape: "(4,)", Payload: npztest.Float64s(b[0].RawMatrix().Data...)}),
			named("velocity_W2", f64(w[1])), named("velocity_b2", f64(b[1])))...),
			[]string{"rank1.npz", `array "velocity_b1"`, "(4,)", "rank 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, p, err := Load(tc.path)
			if err == nil {
				t.Fatalf("no error; loaded %v", m)
			}
			t.Log(err)
			if m.Sizes != nil || p.W != nil {
				t.Errorf("failed Load returned %v with %d layers", m, len(p.W))
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the file %s", err, tc.path)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestLoadLimit(t *testing.T) {
	old := MaxArrayBytes
	t.Cleanup(func() { MaxArrayBytes = old })
	MaxArrayBytes = 100
	_, _, err := Load("testdata/numpy_f64.npz")
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit of 100 bytes") {
		t.Errorf("got %v", err)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSaveRejectsBadInput(t *testing.T) {
	p := network(2, 4, 1)
	w, b := p.W, p.B
	nan := mat.DenseCopyOf(b[1])
	nan.Set(0, 0, math.Inf(1))
	tanh := engine.NewModel(2, 4)
	mom := model(engine.Tanh, engine.Sigmoid, engine.Momentum, 2, 4, 1)
	adam := model(engine.Tanh, engine.Sigmoid, engine.Adam, 2, 4, 1)
	params := func(w, b []*mat.Dense) engine.Params { return engine.Params{W: w, B: b} }
	badHyper := adam
	badHyper.Hyper.Eps = 0
	nanHyper := tanh
	nanHyper.Hyper.Beta2 = math.NaN() // not used by SGD, so Validate lets it pass
	nonZero := p.Clone()
	nonZero.Opt.Slots = []engine.Params{scaled(p, 0.5)}
	nanState := withState(p, engine.Momentum, 2)
	nanState.Opt.Slots[0].W[1].Set(0, 1, math.NaN())
	tests := []struct {
		name  string
		model engine.Model
		p     engine.Params
		want  string
	}{
		{"no layers", tanh, params(nil, nil), "no layers"},
		{"count mismatch", tanh, params(w, b[:1]), "2 weight matrices but 1 bias"},
		{"nil weight", tanh, params([]*mat.Dense{nil}, b[:1]), "W1 is empty"},
		{"empty bias", tanh, params(w[:1], []*mat.Dense{{}}), "b1 is empty"},
		{"chain", tanh, params([]*mat.Dense{w[0], w[0]}, []*mat.Dense{b[0], b[0]}), "W2 is 4x2 but W1 has 4 rows"},
		{"bias rows", tanh, params(w, []*mat.Dense{b[1], b[1]}), "b1 is 1x1, want 4x1"},
		{"bias cols", tanh, params(w[:1], []*mat.Dense{mat.NewDense(4, 2, nil)}), "b1 is 4x2"},
		{"not finite", tanh, params(w, []*mat.Dense{b[0], nan}), "b2(0, 0) is +Inf"},
		{"sizes differ", engine.NewModel(2, 5), p, "parameters of layers [2 4 1], the model has [2 5 1]"},
		{"no sizes", engine.Model{}, p, "need the features"},
		{"invalid model", model(engine.Tanh, engine.Softmax, engine.SGD, 2, 4, 1), p, "at least 2 classes"},
		{"hyper out of range", badHyper, p, "Eps 0"},
		{"unused hyper NaN", nanHyper, p, "NaN"},
		{"state of another optimizer", mom, withState(p, engine.Adam, 2), "optimizer state of 2 tensors per parameter, the momentum optimizer keeps 1"},
		{"state of sgd", tanh, withState(p, engine.Momentum, 2), "the sgd optimizer keeps 0"},
		{"state missing after steps", adam, withState(p, engine.SGD, 4), "the adam optimizer has taken 4 steps but its state is missing"},
		{"non-zero state at step 0", mom, nonZero, "optimizer state 1 holds non-zero values at step 0"},
		{"state not finite", mom, nanState, "non-finite"},
		{"negative steps", tanh, withState(p, engine.SGD, -1), "step -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "m.npz")
			err := Save(path, tc.model, tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("error %v, want one starting with the path and containing %q", err, tc.want)
			}
			if names := dirEntries(t, dir); len(names) != 0 {
				t.Errorf("failed save left %v behind", names)
			}
		})
	}
}

func TestFailedSaveLeavesNothing(t *testing.T) {
	m, p := engine.NewModel(2, 3), network(2, 3, 1)

	// The final rename fails because a folder sits at the target path: the
	// archive has been fully written to the temporary file by then.
	dir := t.TempDir()
	target := filepath.Join(dir, "model.npz")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(target, m, p); err == nil {
		t.Error("saving over a folder succeeded")
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"model.npz"}) {
		t.Errorf("folder holds %v after the failed save", names)
	}
	if inner := dirEntries(t, target); len(inner) != 0 {
		t.Errorf("target folder holds %v", inner)
	}

	// The folder does not exist.
	missing := filepath.Join(t.TempDir(), "no", "such", "m.npz")
	if err := Save(missing, m, p); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing folder: %v", err)
	}

	// A read-only folder (meaningless for root, who may write anyway).
	if os.Geteuid() != 0 {
		ro := t.TempDir()
		if err := os.Chmod(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(ro, 0o755) })
		if err := Save(filepath.Join(ro, "m.npz"), m, p); err == nil {
			t.Error("saving into a read-only folder succeeded")
		}
		if names := dirEntries(t, ro); len(names) != 0 {
			t.Errorf("read-only folder holds %v", names)
		}
	}
}

// bigNetwork returns a 1024-4096-1 network, the first layer of 4096×1024
// weights.
func bigNetwork() (engine.Model, engine.Params) {
	w := mat.NewDense(4096, 1024, nil)
	raw := w.RawMatrix().Data
	for i := range raw {
		raw[i] = float64(i%977) / 977
	}
	p := engine.Params{
		W: []*mat.Dense{w, mat.NewDense(1, 4096, nil)},
		B: []*mat.Dense{mat.NewDense(4096, 1, nil), mat.NewDense(1, 1, nil)},
	}
	return engine.NewModel(1024, 4096), p
}

func BenchmarkSave4096x1024(b *testing.B) {
	m, p := bigNetwork()
	path := filepath.Join(b.TempDir(), "big.npz")
	b.SetBytes(int64(8 * (4096*1024 + 3*4096 + 1)))
	for b.Loop() {
		if err := Save(path, m, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad4096x1024(b *testing.B) {
	m, p := bigNetwork()
	path := filepath.Join(b.TempDir(), "big.npz")
	if err := Save(path, m, p); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleSave() {
	dir, err := os.MkdirTemp("", "checkpoint")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.npz")
	m := engine.Model{Sizes: []int{2, 3, 4}, Hidden: engine.ReLU, Output: engine.Softmax, Optimizer: engine.Momentum, Hyper: engine.DefaultHyper}
	p := engine.Params{
		W: []*mat.Dense{mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6}), mat.NewDense(4, 3, nil)},
		B: []*mat.Dense{mat.NewDense(3, 1, nil), mat.NewDense(4, 1, []float64{0.5, 0, 0, 0})},
	}
	// After 10 updates, with the velocity of each parameter.
	p.Opt = engine.OptState{Steps: 10, Slots: []engine.Params{p.Clone()}}
	if err := Save(path, m, p); err != nil {
		fmt.Println(err)
		return
	}
	m2, p2, err := Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m2, "at step", p2.Opt.Steps)
	fmt.Println(mat.Equal(p2.W[0], p.W[0]), p2.B[1].At(0, 0), len(p2.Opt.Slots))
	// Output:
	// 2-3-4 relu/softmax/momentum at step 10
	// true 0.5 1
}
