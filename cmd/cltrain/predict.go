package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/cltrain/cltrain/checkpoint"
	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/internal/atomicfile"
)

func runPredict(e *env, args []string) int {
	fs := newFlags(e, "predict", "--model PATH.npz [--data PATH] [--out PATH.csv] [--json]",
		"Predicts the class (A2 > 0.5) of every example of --data with the parameters saved by\n"+
			"'cltrain train --save', in float64 on the CPU, and reports the accuracy when the data has labels\n"+
			"(a CSV row of n_x features without a label, or an .npz without Y, has none).")
	model := fs.String("model", "", "parameters saved by cltrain train --save (.npz)")
	data := fs.String("data", "", "examples, with or without labels, as cltrain train reads them (.csv or .npz); default the flower data")
	seed := fs.Int64("seed", 1, "seed of the flower data, when --data is not given")
	out := fs.String("out", "", "write one row per example (prediction,probability) to this .csv")
	asJSON := fs.Bool("json", false, `print {"n": …, "accuracy": …} on stdout (accuracy null without labels)`)
	if code, stop := parse(e, fs, args); stop {
		return code
	}
	usage := func(err error) int {
		fmt.Fprintf(e.stderr, "cltrain predict: %v\n", err)
		return exitUsage
	}
	if *model == "" {
		fmt.Fprintln(e.stderr, "cltrain predict: --model is required")
		fs.Usage()
		return exitUsage
	}
	if *out != "" && !strings.EqualFold(filepath.Ext(*out), ".csv") {
		return usage(fmt.Errorf("--out %q: the file must end in .csv", *out))
	}
	if err := checkOutputs([]output{{"--out", *out}}, []output{{"--model", *model}, {"--data", *data}}); err != nil {
		return usage(err)
	}
	fail := func(err error) int { return fail(e, "predict", err) }
	w, b, err := checkpoint.Load(*model)
	if err != nil {
		return fail(err)
	}
	params := engine.Params{W: w, B: b}
	if err := params.Validate(); err != nil {
		return fail(fmt.Errorf("%s: %w", *model, err))
	}
	set, name := dataset.Flower(*seed), fmt.Sprintf("flower (seed %d)", *seed)
	if *data != "" {
		if set, err = dataset.LoadUnlabelled(*data, params.Sizes()[0]); err != nil {
			return fail(err)
		}
		name = *data
	}
	pred, err := engine.Classify(params, set.X, set.Y)
	if err != nil {
		return fail(fmt.Errorf("%s on %s: %w", *model, name, err))
	}
	var rows strings.Builder
	rows.WriteString("prediction,probability\n")
	for j, p := range pred.Probs {
		fmt.Fprintf(&rows, "%d,%.9g\n", pred.Classes[j], p)
	}
	if *out != "" {
		if err := atomicfile.WriteBytes(*out, []byte(rows.String())); err != nil {
			return fail(fmt.Errorf("write %s: %w", *out, err))
		}
	}
	var acc *float64
	if !math.IsNaN(pred.Accuracy) {
		acc = &pred.Accuracy
	}
	if *asJSON {
		json.NewEncoder(e.stdout).Encode(struct {
			N        int      `json:"n"`
			Accuracy *float64 `json:"accuracy"`
		}{len(pred.Probs), acc})
		return exitOK
	}
	if acc == nil {
		fmt.Fprintf(e.stdout, "%d examples predicted (no labels, no accuracy)\n", len(pred.Probs))
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%d examples, accuracy %.2f%%\n", len(pred.Probs), 100**acc)
	return exitOK
}
