package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/internal/atomicfile"
	"github.com/cltrain/cltrain/internal/npz"
)

// MaxArrayBytes bounds the uncompressed size of each array entry Load
// accepts. The size every entry declares is checked before anything is
// decompressed, and reads never go past it.
var MaxArrayBytes int64 = 4 << 30

// MaxModelBytes bounds the length of the JSON text of the "model" entry
// Load accepts, checked against the shape the entry declares before it is
// read.
const MaxModelBytes = 64 << 10

// modelKey is the entry holding the model description as UTF-8 JSON bytes.
const modelKey = "model"

// stateKind is one kind of optimizer state entry: the optimizer keeping it,
// the slot of engine.OptState.Slots it fills and the prefix of its keys.
type stateKind struct {
	opt    engine.Optimizer
	slot   int
	prefix string
}

// stateKinds lists every optimizer state entry kind, in the order Save
// writes them.
var stateKinds = []stateKind{
	{engine.Momentum, 0, "velocity_"},
	{engine.Adam, 0, "adam_m_"},
	{engine.Adam, 1, "adam_v_"},
}

// statePrefix returns the key prefix of slot k of optimizer o.
func statePrefix(o engine.Optimizer, k int) string {
	for _, sk := range stateKinds {
		if sk.opt == o && sk.slot == k {
			return sk.prefix
		}
	}
	return ""
}

// modelJSON is the content of the "model" entry. Save writes every field;
// Load requires hidden, output and optimizer and takes the others'
// defaults (engine.DefaultHyper, no L2, step 0) when absent.
type modelJSON struct {
	Hidden    string  `json:"hidden"`
	Output    string  `json:"output"`
	Optimizer string  `json:"optimizer"`
	Momentum  float64 `json:"momentum"`
	Beta1     float64 `json:"beta1"`
	Beta2     float64 `json:"beta2"`
	Eps       float64 `json:"eps"`
	L2        float64 `json:"l2"`
	Steps     int     `json:"steps"`
}

// Save writes the parameters p of model m, with the optimizer's state, to
// path as an .npz archive (uncompressed, npy format 1.0 headers as numpy
// writes them) holding:
//
//   - W1, b1, ..., WL, bL: the weights and biases, '<f8' 2-D arrays, W_l of
//     shape (n_l, n_{l-1}) and b_l of (n_l, 1);
//   - "model": the model's kinds, optimizer parameters, L2 and the number of
//     updates done, as UTF-8 JSON in a 1-D '|u1' array, such as
//     {"hidden":"relu","output":"softmax","optimizer":"adam","momentum":0.9,
//     "beta1":0.9,"beta2":0.999,"eps":1e-08,"l2":0,"steps":100}; numpy reads
//     it with json.loads(bytes(f["model"]));
//   - the optimizer's state, once it has run (steps > 0): velocity_W1,
//     velocity_b1, ... for Momentum; adam_m_W1, adam_m_b1, ... and
//     adam_v_W1, adam_v_b1, ... for Adam; '<f8', shaped as the parameters.
//     SGD keeps none.
//
// m must be valid (engine.Model.Validate) and p its parameters
// (engine.Model.Check), every value finite. The state must agree with the
// step count, as Load requires: a Momentum or Adam run that has taken
// steps must carry its state (an Adam run resumed without its moments
// would not continue where it stopped), and at step 0 the state is zeros,
// which Save leaves out (non-zero state at step 0 is refused).
//
// The write is atomic: the archive goes to a temporary file in the same folder,
// which is synced and then renamed over path; on any error the temporary file
// is removed and path is left as it was. A new file gets mode 0644; an
// existing one keeps its mode.
func Save(path string, m engine.Model, p engine.Params) error {
	desc, slots, err := prepare(m, p)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := writeAtomic(path, m.Optimizer, p, desc, slots); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// prepare checks what Save is given and returns the "model" entry's JSON
// and the state slots to write.
func prepare(m engine.Model, p engine.Params) ([]byte, []engine.Params, error) {
	if err := validate(p.W, p.B); err != nil {
		return nil, nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, nil, err
	}
	if err := m.Check(p); err != nil {
		return nil, nil, fmt.Errorf("model %v: %w", m, err)
	}
	slots := p.Opt.Slots
	switch st := p.Opt; {
	case st.Steps == 0 && len(slots) > 0:
		for k, s := range slots {
			for _, x := range slices.Concat(s.W, s.B) {
				if slices.ContainsFunc(x.RawMatrix().Data, func(v float64) bool { return v != 0 }) {
					return nil, nil, fmt.Errorf("optimizer state %d holds non-zero values at step 0, where a fresh %v optimizer has zeros", k+1, m.Optimizer)
				}
			}
		}
		slots = nil
	case st.Steps > 0 && len(slots) == 0 && m.Optimizer.Slots() > 0:
		return nil, nil, fmt.Errorf("the %v optimizer has taken %d steps but its state is missing; a checkpoint without it could not resume the run", m.Optimizer, st.Steps)
	}
	desc, err := json.Marshal(modelJSON{
		Hidden:    m.Hidden.String(),
		Output:    m.Output.String(),
		Optimizer: m.Optimizer.String(),
		Momentum:  m.Hyper.Momentum,
		Beta1:     m.Hyper.Beta1,
		Beta2:     m.Hyper.Beta2,
		Eps:       m.Hyper.Eps,
		L2:        m.L2,
		Steps:     p.Opt.Steps,
	})
	if err != nil {
		// Only a non-finite parameter of an optimizer m does not use
		// gets here; Validate checks the others.
		return nil, nil, fmt.Errorf("model %v: %w", m, err)
	}
	return desc, slots, nil
}

// validate checks the layer count, shapes and values of the parameters,
// before engine's checks, which need non-nil matrices.
func validate(w, b []*mat.Dense) error {
	if len(w) == 0 {
		return errors.New("no layers to save")
	}
	if len(w) != len(b) {
		return fmt.Errorf("%d weight matrices but %d bias vectors", len(w), len(b))
	}
	for l := range w {
		wn, bn := "W"+strconv.Itoa(l+1), "b"+strconv.Itoa(l+1)
		if w[l] == nil || w[l].IsEmpty() {
			return fmt.Errorf("%s is empty", wn)
		}
		if b[l] == nil || b[l].IsEmpty() {
			return fmt.Errorf("%s is empty", bn)
		}
		rows, cols := w[l].Dims()
		if l > 0 {
			if prev, _ := w[l-1].Dims(); cols != prev {
				return fmt.Errorf("%s is %dx%d but W%d has %d rows; the columns of %s must match them", wn, rows, cols, l, prev, wn)
			}
		}
		if br, bc := b[l].Dims(); br != rows || bc != 1 {
			return fmt.Errorf("%s is %dx%d, want %dx1 to match %s", bn, br, bc, rows, wn)
		}
		if err := finite(wn, w[l]); err != nil {
			return err
		}
		if err := finite(bn, b[l]); err != nil {
			return err
		}
	}
	return nil
}

// finite reports the first element of m that is NaN or infinite.
func finite(name string, m *mat.Dense) error {
	rows, cols := m.Dims()
	for i := range rows {
		for j := range cols {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s(%d, %d) is %v, not finite", name, i, j, v)
			}
		}
	}
	return nil
}

// writeAtomic writes the archive to a temporary file next to path and renames
// it into place, removing the temporary file on any failure.
func writeAtomic(path string, o engine.Optimizer, p engine.Params, desc []byte, slots []engine.Params) error {
	return atomicfile.Write(path, func(out io.Writer) error {
		zw := npz.NewWriter(out)
		if err := writeLayers(zw, "", p); err != nil {
			return err
		}
		if err := zw.WriteUint8(modelKey, []int{len(desc)}, desc); err != nil {
			return err
		}
		for k, s := range slots {
			if err := writeLayers(zw, statePrefix(o, k), s); err != nil {
				return err
			}
		}
		return zw.Close()
	})
}

// writeLayers writes prefix+"W1", prefix+"b1", ... for the layers of p.
func writeLayers(zw *npz.Writer, prefix string, p engine.Params) error {
	for l := range p.W {
		if err := writeMatrix(zw, prefix+"W"+strconv.Itoa(l+1), p.W[l]); err != nil {
			return err
		}
		if err := writeMatrix(zw, prefix+"b"+strconv.Itoa(l+1), p.B[l]); err != nil {
			return err
		}
	}
	return nil
}

// writeMatrix writes m as a 2-D array, copying it only when its rows are not
// contiguous.
func writeMatrix(zw *npz.Writer, key string, m *mat.Dense) error {
	raw := m.RawMatrix()
	data := raw.Data[:raw.Rows*raw.Cols]
	if raw.Stride != raw.Cols {
		data = make([]float64, 0, raw.Rows*raw.Cols)
		for i := range raw.Rows {
			data = append(data, raw.Data[i*raw.Stride:i*raw.Stride+raw.Cols]...)
		}
	}
	return zw.WriteArray(key, []int{raw.Rows, raw.Cols}, data)
}

// stateEntry is an optimizer state entry found in an archive.
type stateEntry struct {
	key   string
	kind  stateKind
	layer int
}

// Load reads a checkpoint written by Save, or by numpy's savez or
// savez_compressed with the same entries (W and b, and the state entries,
// as float64 or float32), and returns the model and its parameters with
// the optimizer's state. The model's Sizes come from the weights.
//
// A checkpoint without a "model" entry (written before Save had one, or
// by numpy holding only W and b) is a network of tanh hidden layers, plain
// SGD with engine.DefaultHyper and no L2, at step 0, whose output is
// sigmoid when its last layer has one unit and softmax when it has K ≥ 2.
// In a "model" entry, hidden, output and optimizer are required; momentum,
// beta1, beta2 and eps default to engine.DefaultHyper's, l2 to 0 and steps
// to 0; any other key, a key given twice, and null are refused.
//
// The optimizer state must agree with the model: no state entries of
// another optimizer than "model" names (none at all without a "model"
// entry), none at step 0 (a fresh start), and for Momentum or Adam after
// steps > 0 every entry of its state for every W and b, each of its
// parameter's shape. Load requires W1, b1 to WL, bL without gaps, shapes
// that chain as Save describes, finite values, and a model that
// engine.Model.Validate accepts. Every error is one line naming the file
// and, where there is one, the entry.
func Load(path string) (engine.Model, engine.Params, error) {
	r, err := npz.Open(path, MaxArrayBytes)
	if err != nil {
		return engine.Model{}, engine.Params{}, err
	}
	defer r.Close()
	m, p, err := load(path, r)
	if err != nil {
		return engine.Model{}, engine.Params{}, err
	}
	return m, p, nil
}

// load reads the checkpoint held by r; path names it in errors.
func load(path string, r *npz.Reader) (engine.Model, engine.Params, error) {
	var (
		m      engine.Model
		p      engine.Params
		layers int
		state  []stateEntry
		hasDsc bool
	)
	for _, key := range r.Keys() {
		if key == modelKey {
			hasDsc = true
			continue
		}
		if l, ok := layerOf(key); ok {
			layers = max(layers, l)
			continue
		}
		if e, ok := stateOf(key); ok {
			state = append(state, e)
			continue
		}
		return m, p, fmt.Errorf("%s: unexpected array %q (a checkpoint holds W1, b1, ..., WL, bL, %q and the optimizer's state)", path, key, modelKey)
	}
	if layers == 0 {
		return m, p, fmt.Errorf("%s: no layers (want arrays W1, b1, ..., WL, bL)", path)
	}
	m = engine.Model{Hyper: engine.DefaultHyper}
	if hasDsc {
		var err error
		if m, p.Opt.Steps, err = readModel(path, r); err != nil {
			return m, p, err
		}
	}
	// Every key is a W or b, or a state entry, so this stops at a gap
	// within the first len(keys)/2 + 1 layers, however large the largest
	// layer number.
	for l := 1; l <= layers; l++ {
		for _, key := range []string{"W" + strconv.Itoa(l), "b" + strconv.Itoa(l)} {
			if !r.Has(key) {
				return m, p, fmt.Errorf("%s: array %q missing (layers must run W1, b1 to W%d, b%d without gaps)", path, key, layers, layers)
			}
		}
	}
	for l := 1; l <= layers; l++ {
		wn, bn := "W"+strconv.Itoa(l), "b"+strconv.Itoa(l)
		wm, err := readMatrix(path, r, wn)
		if err != nil {
			return m, p, err
		}
		rows, cols := wm.Dims()
		if l > 1 {
			if prev, _ := p.W[l-2].Dims(); cols != prev {
				return m, p, fmt.Errorf("%s: array %q: shape (%d, %d) does not follow W%d, which has %d rows", path, wn, rows, cols, l-1, prev)
			}
		}
		bm, err := readMatrix(path, r, bn)
		if err != nil {
			return m, p, err
		}
		if br, bc := bm.Dims(); br != rows || bc != 1 {
			return m, p, fmt.Errorf("%s: array %q: shape (%d, %d), want (%d, 1) to match %s", path, bn, br, bc, rows, wn)
		}
		p.W = append(p.W, wm)
		p.B = append(p.B, bm)
	}
	m.Sizes = p.Sizes()
	if !hasDsc && m.Sizes[len(m.Sizes)-1] >= 2 {
		m.Output = engine.Softmax
	}
	if err := m.Validate(); err != nil {
		return m, p, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkStateEntries(path, m, p.Opt.Steps, hasDsc, layers, state); err != nil {
		return m, p, err
	}
	if p.Opt.Steps > 0 {
		for k := range m.Optimizer.Slots() {
			slot, err := readState(path, r, statePrefix(m.Optimizer, k), m, p)
			if err != nil {
				return m, p, err
			}
			p.Opt.Slots = append(p.Opt.Slots, slot)
		}
	}
	if err := m.Check(p); err != nil {
		return m, p, fmt.Errorf("%s: %w", path, err)
	}
	return m, p, nil
}

// checkStateEntries refuses state entries that the model, at the given
// step, does not keep.
func checkStateEntries(path string, m engine.Model, steps int, hasDsc bool, layers int, state []stateEntry) error {
	for _, e := range state {
		switch {
		case e.kind.opt != m.Optimizer && !hasDsc:
			return fmt.Errorf("%s: array %q is state of the %v optimizer, but the checkpoint has no %q array to name it (without one the optimizer is %v)", path, e.key, e.kind.opt, modelKey, m.Optimizer)
		case e.kind.opt != m.Optimizer:
			return fmt.Errorf("%s: array %q is state of the %v optimizer, but array %q names the %v optimizer", path, e.key, e.kind.opt, modelKey, m.Optimizer)
		case e.layer > layers:
			return fmt.Errorf("%s: array %q is state of layer %d, but the checkpoint has %d layers", path, e.key, e.layer, layers)
		case steps == 0:
			return fmt.Errorf("%s: array %q is optimizer state, but array %q says steps 0, a fresh start, which has none", path, e.key, modelKey)
		}
	}
	return nil
}

// readState reads the state entries prefix+"W1", prefix+"b1", ... of
// model m, each shaped as its parameter in p.
func readState(path string, r *npz.Reader, prefix string, m engine.Model, p engine.Params) (engine.Params, error) {
	var slot engine.Params
	for l := range p.W {
		for _, param := range []struct {
			name string
			m    *mat.Dense
			dst  *[]*mat.Dense
		}{{"W" + strconv.Itoa(l+1), p.W[l], &slot.W}, {"b" + strconv.Itoa(l+1), p.B[l], &slot.B}} {
			key := prefix + param.name
			if !r.Has(key) {
				return slot, fmt.Errorf("%s: array %q missing (the %v optimizer after %d steps keeps %sW1, %sb1, ... for every layer)", path, key, m.Optimizer, p.Opt.Steps, prefix, prefix)
			}
			s, err := readMatrix(path, r, key)
			if err != nil {
				return slot, err
			}
			sr, sc := s.Dims()
			if pr, pc := param.m.Dims(); sr != pr || sc != pc {
				return slot, fmt.Errorf("%s: array %q: shape (%d, %d), want (%d, %d) as %s", path, key, sr, sc, pr, pc, param.name)
			}
			*param.dst = append(*param.dst, s)
		}
	}
	return slot, nil
}

// readModel reads and parses the "model" entry of r; path names it in
// errors.
func readModel(path string, r *npz.Reader) (engine.Model, int, error) {
	fail := func(format string, args ...any) (engine.Model, int, error) {
		return engine.Model{}, 0, fmt.Errorf("%s: array %q: %s", path, modelKey, fmt.Sprintf(format, args...))
	}
	shape, err := r.Shape(modelKey)
	if err != nil {
		return engine.Model{}, 0, err
	}
	if len(shape) != 1 {
		return fail("shape %s, want (n,): the bytes of a JSON text", npz.FormatShape(shape))
	}
	if shape[0] > MaxModelBytes {
		return fail("%d bytes, more than the limit of %d (MaxModelBytes)", shape[0], MaxModelBytes)
	}
	a, err := r.ReadNumeric(modelKey)
	if err != nil {
		return engine.Model{}, 0, err
	}
	if len(a.Descr) != 3 || a.Descr[1:] != "u1" {
		return fail("dtype %q, want uint8 (\"|u1\"): the bytes of a JSON text", a.Descr)
	}
	if len(a.Shape) != 1 {
		return fail("shape %s changed to %s while being read", npz.FormatShape(shape), npz.FormatShape(a.Shape))
	}
	text := make([]byte, len(a.Data))
	for i, v := range a.Data {
		text[i] = byte(v)
	}
	m, steps, err := parseModel(text)
	if err != nil {
		return engine.Model{}, 0, fmt.Errorf("%s: array %q: %w", path, modelKey, err)
	}
	return m, steps, nil
}

// parseModel parses the JSON text of a "model" entry into a Model without
// sizes and the step count.
func parseModel(text []byte) (engine.Model, int, error) {
	m := engine.Model{Hyper: engine.DefaultHyper}
	if !utf8.Valid(text) {
		return m, 0, errors.New("not UTF-8 text")
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	if tok, err := dec.Token(); err != nil {
		return m, 0, fmt.Errorf("not JSON: %w", err)
	} else if tok != json.Delim('{') {
		return m, 0, fmt.Errorf("the JSON text starts with %v, want an object {...}", tok)
	}
	h := engine.DefaultHyper
	d := modelJSON{Momentum: h.Momentum, Beta1: h.Beta1, Beta2: h.Beta2, Eps: h.Eps}
	fields := map[string]any{"hidden": &d.Hidden, "output": &d.Output, "optimizer": &d.Optimizer,
		"momentum": &d.Momentum, "beta1": &d.Beta1, "beta2": &d.Beta2, "eps": &d.Eps, "l2": &d.L2, "steps": &d.Steps}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return m, 0, fmt.Errorf("not JSON: %w", err)
		}
		key, _ := tok.(string) // a key is always a string
		if seen[key] {
			return m, 0, fmt.Errorf("key %q given twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return m, 0, fmt.Errorf("key %q: not JSON: %w", key, err)
		}
		dst, ok := fields[key]
		if !ok {
			return m, 0, fmt.Errorf("unknown key %q (want hidden, output, optimizer, momentum, beta1, beta2, eps, l2, steps)", key)
		}
		if string(raw) == "null" {
			return m, 0, fmt.Errorf("key %q is null", key)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return m, 0, fmt.Errorf("key %q: %s is not %s", key, clip(string(raw)), kindOf(dst))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return m, 0, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return m, 0, errors.New("text after the JSON object")
	}
	for _, k := range []string{"hidden", "output", "optimizer"} {
		if !seen[k] {
			return m, 0, fmt.Errorf("key %q missing", k)
		}
	}
	var err error
	if m.Hidden, err = engine.ParseActivation(d.Hidden); err != nil {
		return m, 0, err
	}
	if m.Output, err = engine.ParseOutput(d.Output); err != nil {
		return m, 0, err
	}
	if m.Optimizer, err = engine.ParseOptimizer(d.Optimizer); err != nil {
		return m, 0, err
	}
	m.Hyper = engine.Hyper{Momentum: d.Momentum, Beta1: d.Beta1, Beta2: d.Beta2, Eps: d.Eps}
	m.L2 = d.L2
	if d.Steps < 0 {
		return m, 0, fmt.Errorf("steps %d, want 0 or more", d.Steps)
	}
	return m, d.Steps, nil
}

// kindOf names the JSON value a field of modelJSON takes.
func kindOf(dst any) string {
	switch dst.(type) {
	case *string:
		return "a string"
	case *int:
		return "a whole number"
	}
	return "a number"
}

// clip shortens a JSON value for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// layerOf parses "W<l>" or "b<l>" with l >= 1 written without leading zeros.
func layerOf(key string) (int, bool) {
	if len(key) < 2 || (key[0] != 'W' && key[0] != 'b') || key[1] == '0' {
		return 0, false
	}
	digits := key[1:]
	if strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	l, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	return l, true
}

// stateOf parses an optimizer state key: a prefix of stateKinds followed by
// a key layerOf accepts.
func stateOf(key string) (stateEntry, bool) {
	for _, sk := range stateKinds {
		if rest, ok := strings.CutPrefix(key, sk.prefix); ok {
			if l, ok := layerOf(rest); ok {
				return stateEntry{key, sk, l}, true
			}
		}
	}
	return stateEntry{}, false
}

// readMatrix reads the array key of r as a non-empty, finite 2-D matrix.
func readMatrix(path string, r *npz.Reader, key string) (*mat.Dense, error) {
	a, err := r.Read(key)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 {
		return nil, fmt.Errorf("%s: array %q: shape %s has rank %d, want 2", path, key, npz.FormatShape(a.Shape), len(a.Shape))
	}
	rows, cols := a.Shape[0], a.Shape[1]
	if rows == 0 || cols == 0 {
		return nil, fmt.Errorf("%s: array %q: shape %s is empty", path, key, npz.FormatShape(a.Shape))
	}
	for i, v := range a.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: array %q: element (%d, %d) is %v, not finite", path, key, i/cols, i%cols, v)
		}
	}
	return mat.NewDense(rows, cols, a.Data), nil
}
