package main

import (
	"encoding/json"
	"errors"
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
	fs := newFlags(e, "predict", "--model PATH.npz [--data PATH] [--out PATH.csv [--proba]] [--json]",
		"Predicts the class of every example of --data (sigmoid output: probability > 0.5; softmax: the most\n"+
			"probable class) with the network saved by 'cltrain train --save', in float64 on the CPU, and reports\n"+
			"the accuracy when the data has labels (a CSV row of n_x features without a label, or an .npz without\n"+
			"Y, has none).")
	model := fs.String("model", "", "parameters saved by cltrain train --save (.npz)")
	data := fs.String("data", "", "examples, with or without labels, as cltrain train reads them (.csv or .npz); default the flower data")
	seed := fs.Int64("seed", 1, "seed of the flower data, when --data is not given")
	out := fs.String("out", "", "write one row per example to this .csv: prediction,probability (of class 1 for a sigmoid output, of the\n"+
		"predicted class for a softmax)")
	proba := fs.Bool("proba", false, "with --out: write every class's probability instead, as prediction,p0,p1,…")
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
	if *proba && *out == "" {
		return usage(errors.New("--proba: the probabilities are written to --out FILE.csv; give one"))
	}
	if *out != "" && !strings.EqualFold(filepath.Ext(*out), ".csv") {
		return usage(fmt.Errorf("--out %q: the file must end in .csv", *out))
	}
	if err := checkOutputs([]output{{"--out", *out}}, []output{{"--model", *model}, {"--data", *data}}); err != nil {
		return usage(err)
	}
	fail := func(err error) int { return fail(e, "predict", err) }
	net, params, err := checkpoint.Load(*model)
	if err != nil {
		return fail(err)
	}
	set, name := dataset.Flower(*seed), fmt.Sprintf("flower (seed %d)", *seed)
	if *data != "" {
		if set, err = dataset.LoadUnlabelled(*data, params.Sizes()[0]); err != nil {
			return fail(err)
		}
		name = *data
	}
	if set.Y != nil {
		// The labels must be classes the network knows.
		if _, err := labelsFor(net, set, name); err != nil {
			return fail(err)
		}
	}
	pred, err := engine.Classify(net, params, set.X, set.Y)
	if err != nil {
		return fail(fmt.Errorf("%s on %s: %w", *model, name, err))
	}
	k, n := pred.Probs.Dims()
	var rows strings.Builder
	if *proba {
		rows.WriteString("prediction")
		for c := range max(k, 2) {
			fmt.Fprintf(&rows, ",p%d", c)
		}
		rows.WriteString("\n")
	} else {
		rows.WriteString("prediction,probability\n")
	}
	for j := range n {
		c := pred.Classes[j]
		fmt.Fprintf(&rows, "%d", c)
		switch {
		case *proba && k == 1:
			p := pred.Probs.At(0, j)
			fmt.Fprintf(&rows, ",%.9g,%.9g", 1-p, p)
		case *proba:
			for i := range k {
				fmt.Fprintf(&rows, ",%.9g", pred.Probs.At(i, j))
			}
		case k == 1:
			fmt.Fprintf(&rows, ",%.9g", pred.Probs.At(0, j))
		default:
			fmt.Fprintf(&rows, ",%.9g", pred.Probs.At(c, j))
		}
		rows.WriteString("\n")
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
		}{n, acc})
		return exitOK
	}
	if acc == nil {
		fmt.Fprintf(e.stdout, "%d examples predicted (no labels, no accuracy)\n", n)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%d examples, accuracy %.2f%%\n", n, 100**acc)
	return exitOK
}
