package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/cltrain/cltrain/checkpoint"
	"github.com/cltrain/cltrain/cpuref/openblas"
	"github.com/cltrain/cltrain/dataset"
	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/engine"
	"github.com/cltrain/cltrain/engine/opencl"
	"github.com/cltrain/cltrain/figures"
	"github.com/cltrain/cltrain/internal/atomicfile"
)

// trainFlags are the flags of cltrain train.
type trainFlags struct {
	data      string
	hidden    []int
	hiddenSet bool
	iters     int
	lr        float64
	batch     int
	seed      int64
	backend   string
	cpuBLAS   string
	devices   string
	deviceSet bool
	init      string
	initScale string
	kinds     modelFlags
	val       string
	valSplit  float64
	earlyStop int
	save      string
	logEvery  int
	metrics   string
	plot      string
	json      bool
	quiet     bool
}

// summary is what a run reports at its end; --json prints it as is.
type summary struct {
	Loss        float64       `json:"loss"`
	Accuracy    float64       `json:"accuracy"`
	Iterations  int           `json:"iterations"`
	ItersPerSec float64       `json:"iters_per_sec"`
	WallSeconds float64       `json:"wall_s"`
	Setup       float64       `json:"setup_s"`
	Backend     string        `json:"backend"`
	Device      *device.Info  `json:"device,omitempty"`  // the device, or the first of Devices
	Devices     []device.Info `json:"devices,omitempty"` // with --device lists: every device
	CommSeconds float64       `json:"comm_s,omitempty"`  // with --device lists: summing gradients across devices
	Data        string        `json:"data"`
	Layers      []int         `json:"layers"`
	Model       string        `json:"model"`                  // sizes and kinds, e.g. "64-64-10 relu/softmax/adam"
	ValLoss     *float64      `json:"val_loss,omitempty"`     // with --val or --val-split: the held-out score of the final parameters
	ValAccuracy *float64      `json:"val_accuracy,omitempty"` // (of the best ones with --early-stop)
	BestStep    *int          `json:"best_step,omitempty"`    // with held-out data: the logged step of the lowest held-out loss
	EarlyStop   bool          `json:"stopped_early,omitempty"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Saved       string        `json:"saved,omitempty"`
}

// plotPoints is how many cost samples a loss curve gets at least, when the
// run is long enough: --plot evaluates the cost that often, whatever
// --log-every says.
const plotPoints = 200

func runTrain(e *env, args []string) int {
	var f trainFlags
	fs := newFlags(e, "train", "[flags]",
		"Trains a classifier: hidden layers of tanh or ReLU, a sigmoid output on the binary cross-entropy or a\n"+
			"softmax over K classes on the categorical cross-entropy, with SGD, momentum or Adam and optional L2.\n"+
			"Without --data it trains on the built-in planar flower data set (400 points, 2 features).\n"+
			"On a terminal a progress bar on stderr shows the updates done, their rate, and the loss of the last\n"+
			"evaluated step (every --log-every updates; with --plot, every 1/200 of the run).\n\n"+
			"Examples (the .npz files are in the repository's testdata/sklearn):\n"+
			"  cltrain train --plot flower.png                               the flower network on the default device\n"+
			"  cltrain train --data digits.npz --output softmax --hidden 64  ten classes, softmax\n"+
			"  cltrain train --activation relu --init-scale he --hidden 16   ReLU hidden layers\n"+
			"  cltrain train --optimizer adam --lr 0.01                      Adam (--beta1, --beta2, --eps)\n"+
			"  cltrain train --optimizer momentum --lr 0.2 --momentum 0.9    SGD with momentum\n"+
			"  cltrain train --data digits.npz --output softmax --l2 1        L2 penalty\n"+
			"  cltrain train --data iris.npz --output softmax --val-split 0.2 --early-stop 5 --log-every 50\n"+
			"                                                                held-out scores, early stopping\n"+
			"  cltrain train --init m.npz --iters 1000 --save m.npz.next    resume a saved run exactly")
	fs.StringVar(&f.data, "data", "", "training data: .csv (one example per row, the class last: 0/1, or 0…K−1 with --output softmax) or .npz\n"+
		"(X n_x×m; Y 1×m or (m,) of classes as float, int or bool, or K×m one-hot); default the flower data")
	fs.IntSliceVar(&f.hidden, "hidden", []int{4}, "hidden layer sizes, e.g. 64,32 (with --init: must match the file's)")
	fs.IntVar(&f.iters, "iters", 10000, "parameter updates")
	fs.Float64Var(&f.lr, "lr", 1.2, "learning rate")
	fs.IntVar(&f.batch, "batch", 0, "examples per update, shuffled every epoch (0: the whole set)")
	fs.Int64Var(&f.seed, "seed", 1, "seed: the flower data uses it, the initial weights seed+1, the shuffle seed+2")
	fs.StringVar(&f.backend, "backend", "auto", "auto (OpenCL when a device is there, else CPU), opencl or cpu")
	fs.StringVar(&f.cpuBLAS, "cpu-blas", "gonum", "BLAS of the cpu backend: gonum or openblas")
	fs.StringVar(&f.devices, "device", "", "OpenCL device index from cltrain devices, a list (0,1) or all to train on several at once\n"+
		"(data-parallel: each step's examples split by the devices' speed); default $CLTRAIN_DEVICE, else the\n"+
		"first GPU, else the first device")
	fs.StringVar(&f.init, "init", "", "start from the parameters in this .npz (its layer sizes, kinds and optimizer state are the network's)")
	f.kinds.define(fs)
	fs.StringVar(&f.val, "val", "", "held-out examples (.csv or .npz, as --data): each logged step also reports val_loss and val_accuracy")
	fs.Float64Var(&f.valSplit, "val-split", 0, "hold out this fraction of --data (in (0, 1), a random split seeded by --seed+3) instead of --val")
	fs.IntVar(&f.earlyStop, "early-stop", 0, "stop after this many logged steps without a lower val_loss and keep the best parameters (needs --val or --val-split)")
	fs.StringVar(&f.initScale, "init-scale", "course", "initial weights N(0,1) times: course 0.01 (the course's numbers; small nets), xavier √(1/n_in) (deeper tanh nets), he √(2/n_in)")
	fs.StringVar(&f.save, "save", "", "write the final parameters to this .npz (W1, b1, W2, b2, …, the optimizer's state and the network's\n"+
		"kinds, so that --init resumes exactly), atomically: on an interruption those reached, on a divergence or\n"+
		"a failed device those of the last sound logged step, with --early-stop the best")
	fs.IntVar(&f.logEvery, "log-every", 1000, "evaluate and log the cost every this many updates")
	fs.StringVar(&f.metrics, "metrics", "", "write step,loss,accuracy rows (every --log-every updates; with held-out data also\n"+
		"val_loss,val_accuracy) to this .csv")
	fs.StringVar(&f.plot, "plot", "", "draw the loss curve to this .png (and, for 2 features, the decision boundary beside it)")
	fs.BoolVar(&f.json, "json", false, "print the summary as one JSON object on stdout")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar and no log lines")
	if code, stop := parse(e, fs, args); stop {
		return code
	}
	f.deviceSet = fs.Changed("device")
	f.hiddenSet = fs.Changed("hidden")
	f.kinds.changed = fs.Changed
	if err := f.check(fs); err != nil {
		fmt.Fprintf(e.stderr, "cltrain train: %v\n", err)
		return exitUsage
	}
	return train(e, f)
}

// check refuses nonsense flag values and combinations before any work.
func (f *trainFlags) check(fs *pflag.FlagSet) error {
	for _, h := range f.hidden {
		if h <= 0 {
			return fmt.Errorf("--hidden %v: every size must be positive", f.hidden)
		}
	}
	if len(f.hidden) == 0 && f.init == "" {
		return errors.New("--hidden: give at least one hidden layer size")
	}
	if _, _, err := device.ParseList(f.devices); err != nil {
		return fmt.Errorf("--device: %w", err)
	}
	if err := f.config().Validate(0); err != nil {
		return flagError(err)
	}
	switch {
	case f.backend != "auto" && f.backend != "opencl" && f.backend != "cpu":
		return fmt.Errorf("--backend %q: want auto, opencl or cpu", f.backend)
	case f.cpuBLAS != "gonum" && f.cpuBLAS != "openblas":
		return fmt.Errorf("--cpu-blas %q: want gonum or openblas", f.cpuBLAS)
	case f.backend == "cpu" && f.deviceSet:
		return fmt.Errorf("--device %s: --backend cpu runs on the host, not on an OpenCL device", f.devices)
	case f.backend == "opencl" && fs.Changed("cpu-blas"):
		return fmt.Errorf("--cpu-blas %s: only the cpu backend uses a BLAS, not --backend opencl", f.cpuBLAS)
	case f.init != "" && fs.Changed("init-scale"):
		return fmt.Errorf("--init-scale %s: the parameters come from --init %s", f.initScale, f.init)
	}
	if _, err := engine.ParseScale(f.initScale); err != nil {
		return fmt.Errorf("--init-scale %q: want course, xavier or he", f.initScale)
	}
	if err := f.kinds.check(); err != nil {
		return err
	}
	switch {
	case fs.Changed("val-split") && !(f.valSplit > 0 && f.valSplit < 1):
		return fmt.Errorf("--val-split %v: want a fraction in (0, 1), such as 0.2", f.valSplit)
	case f.val != "" && fs.Changed("val-split"):
		return fmt.Errorf("--val %s and --val-split %v: give one source of held-out data", f.val, f.valSplit)
	case f.earlyStop < 0:
		return fmt.Errorf("--early-stop %d: must not be negative", f.earlyStop)
	case f.earlyStop > 0 && f.val == "" && !fs.Changed("val-split"):
		return fmt.Errorf("--early-stop %d: needs held-out data, --val FILE or --val-split FRACTION", f.earlyStop)
	}
	for _, p := range []struct{ flag, path, ext string }{{"--save", f.save, ".npz"}, {"--metrics", f.metrics, ".csv"}, {"--plot", f.plot, ".png"}} {
		if p.path != "" && !strings.EqualFold(filepath.Ext(p.path), p.ext) {
			return fmt.Errorf("%s %q: the file must end in %s", p.flag, p.path, p.ext)
		}
	}
	return nil
}

// config returns the training schedule the flags ask for.
func (f *trainFlags) config() engine.Config {
	cfg := engine.Config{Iters: f.iters, LR: f.lr, Batch: f.batch, LogEvery: f.logEvery, Shuffle: engine.Seed(f.seed).Shuffle()}
	if f.plot != "" {
		cfg.LogEvery = plotLogEvery(f.iters, f.logEvery)
	}
	return cfg
}

// configFlags names the flag of each engine.Config field.
var configFlags = map[string]string{"Iters": "--iters", "LR": "--lr", "Batch": "--batch", "LogEvery": "--log-every"}

// flagError words an engine.ConfigError with the flag that set the field.
func flagError(err error) error {
	var ce *engine.ConfigError
	if errors.As(err, &ce) {
		if flag, ok := configFlags[ce.Field]; ok {
			return fmt.Errorf("%s %v: %s", flag, ce.Value, ce.Reason)
		}
	}
	return err
}

// outputs lists the files the run will write, by flag.
func (f *trainFlags) outputs() []output {
	outs := []output{{"--save", f.save}, {"--metrics", f.metrics}, {"--plot", f.plot}}
	if f.plot != "" {
		outs = append(outs, output{"--plot", figures.BoundaryPath(f.plot)})
	}
	return outs
}

func train(e *env, f trainFlags) int {
	fail := func(err error) int { return fail(e, "train", err) }
	usage := func(err error) int {
		fmt.Fprintf(e.stderr, "cltrain train: %v\n", err)
		return exitUsage
	}
	if err := checkOutputs(f.outputs(), []output{{"--data", f.data}, {"--init", f.init}, {"--val", f.val}}); err != nil {
		return usage(err)
	}
	set, name, err := loadData(f.data, f.seed)
	if err != nil {
		return fail(err)
	}
	// The classes are those of all the examples, before any are held out.
	classes := set.Classes()
	var valSet *dataset.Set
	switch {
	case f.val != "":
		if valSet, err = dataset.Load(f.val); err != nil {
			return fail(err)
		}
		if valSet.Features() != set.Features() {
			return fail(fmt.Errorf("--val %s has %d features, the training data %d", f.val, valSet.Features(), set.Features()))
		}
	case f.valSplit > 0:
		if set, valSet, err = set.Split(f.valSplit, f.seed+3); err != nil {
			return usage(fmt.Errorf("--val-split: %w", err))
		}
	}
	nx, m := set.X.Dims()
	cfg := f.config()
	if err := cfg.Validate(m); err != nil {
		return usage(flagError(err))
	}
	var p engine.Params
	var model engine.Model
	if f.init == "" {
		model, err = f.kinds.model(nx, f.hidden, classes)
		if err != nil {
			return usage(err)
		}
	} else {
		saved, params, err := checkpoint.Load(f.init)
		if err != nil {
			return fail(err)
		}
		p = params
		like, err := f.kinds.resume(f.init, saved, p)
		if err != nil {
			return usage(err)
		}
		var hidden []int
		if f.hiddenSet {
			hidden = f.hidden
		}
		var mismatch *engine.HiddenMismatch
		model, err = engine.ModelOf(p, nx, hidden, like)
		if errors.As(err, &mismatch) {
			return usage(fmt.Errorf("--hidden %s does not match --init %s, whose hidden layers are %s", joinInts(mismatch.Asked), f.init, joinInts(mismatch.Have)))
		}
		if err != nil {
			return fail(fmt.Errorf("%s on %s: %w", f.init, name, err))
		}
	}
	y, err := labelsFor(model, set, name)
	if err != nil {
		return fail(err)
	}
	if valSet != nil {
		vname := f.val
		if vname == "" {
			vname = fmt.Sprintf("the held-out %g of %s", f.valSplit, name)
		}
		vy, err := labelsFor(model, valSet, vname)
		if err != nil {
			return fail(err)
		}
		if cfg.Val, err = engine.Holdout(model, valSet.X, vy); err != nil {
			return fail(err)
		}
		cfg.EarlyStop = f.earlyStop
	}
	b, err := openBackend(e, f)
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	devs := backendDevices(b)
	var info *device.Info
	if len(devs) > 0 {
		info = &devs[0].Info
	}
	if err := model.CheckFits(m, hostMemory(), info); err != nil {
		return fail(err)
	}
	for _, d := range devs[min(1, len(devs)):] {
		if err := model.CheckFits(m, 0, &d.Info); err != nil {
			return fail(err)
		}
	}
	if info != nil {
		if err := set.CheckFloat32(); err != nil {
			return fail(err)
		}
	}
	if f.init == "" {
		scale, _ := engine.ParseScale(f.initScale)
		if p, err = model.Init(scale, engine.Seed(f.seed).Weights()); err != nil {
			return fail(err)
		}
	}

	ctx, stop := interruptible(e.stderr)
	defer stop()
	var hooks engine.Hooks
	bar := newProgress(e, f)
	if !f.quiet && !f.json {
		hooks.Log = func(r engine.Record) {
			if r.Step%f.logEvery != 0 && r.Step != f.iters {
				return
			}
			if bar != nil {
				bar.Clear()
			}
			fmt.Fprintf(e.stdout, "step %6d  loss %.6f  accuracy %6.2f%%", r.Step, r.Cost, 100*r.Accuracy)
			if r.ValCost != nil {
				fmt.Fprintf(e.stdout, "  val_loss %.6f  val_accuracy %6.2f%%", *r.ValCost, 100**r.ValAccuracy)
			}
			fmt.Fprintln(e.stdout)
		}
	}
	if bar != nil {
		hooks.Progress = func(done int, loss float64) {
			bar.Describe(fmt.Sprintf("loss %.4f", loss))
			bar.Set(done)
		}
	}
	res, err := engine.Fit(ctx, b, model, set.X, y, p, cfg, hooks)
	if bar != nil {
		if !res.Interrupted {
			bar.Finish()
		}
		fmt.Fprintln(e.stderr)
	}
	if err != nil {
		if f.save != "" && len(res.Params.W) > 0 && len(res.Records) > 0 {
			if serr := checkpoint.Save(f.save, model, res.Params); serr == nil {
				err = fmt.Errorf("%w (the parameters of step %d, the last evaluated, are saved to %s)", err, res.Records[len(res.Records)-1].Step, f.save)
			}
		}
		return fail(err)
	}
	if f.metrics != "" {
		if err := writeMetrics(f.metrics, logged(res.Records, f.logEvery, res.Steps), cfg.Val != nil); err != nil {
			return fail(err)
		}
	}
	if f.save != "" {
		if err := checkpoint.Save(f.save, model, res.Params); err != nil {
			return fail(err)
		}
	}
	if res.Diverged {
		saved := ""
		if f.save != "" {
			saved = fmt.Sprintf(" (the last parameters with a sound loss are saved to %s)", f.save)
		}
		what := "became NaN or infinite"
		if finite := !math.IsNaN(res.DivergedCost) && !math.IsInf(res.DivergedCost, 0); finite {
			what = fmt.Sprintf("blew up to %.3g", res.DivergedCost)
		}
		return fail(fmt.Errorf("training diverged: the loss %s at step %d: lower --lr (now %g)%s", what, res.DivergedAt, f.lr, saved))
	}
	if f.plot != "" {
		if err := drawPlots(f.plot, model, res, set); err != nil {
			return fail(err)
		}
	}
	s := summary{
		Loss: res.Final.Cost, Accuracy: res.Final.Accuracy, Iterations: res.Steps,
		ItersPerSec: float64(res.Steps) / res.Elapsed.Seconds(), WallSeconds: res.Elapsed.Seconds(), Setup: res.Setup.Seconds(),
		Backend: b.Name(), Device: info, Data: name, Layers: res.Params.Sizes(), Model: model.String(),
		Interrupted: res.Interrupted, Saved: f.save, EarlyStop: res.StoppedEarly,
	}
	if res.Best != nil {
		final := res.Records[len(res.Records)-1]
		if res.StoppedEarly || cfg.EarlyStop > 0 {
			final = *res.Best
		}
		s.ValLoss, s.ValAccuracy, s.BestStep = final.ValCost, final.ValAccuracy, &res.Best.Step
	}
	if len(devs) > 1 {
		for _, d := range devs {
			s.Devices = append(s.Devices, d.Info)
		}
	}
	if c, ok := b.(interface{ CommTime() time.Duration }); ok {
		s.CommSeconds = c.CommTime().Seconds()
	}
	printSummary(e.stdout, s, f.json)
	if res.Interrupted {
		fmt.Fprintf(e.stderr, "cltrain train: interrupted at step %d of %d\n", res.Steps, f.iters)
		return exitInterrupted
	}
	return exitOK
}

// plotLogEvery returns how often a run with --plot evaluates the cost: as
// --log-every asks, or more often so that the curve gets plotPoints points.
func plotLogEvery(iters, logEvery int) int {
	return min(logEvery, max(1, iters/plotPoints))
}

// logged returns the records of the steps --log-every asks for, step 0 and
// the final step, leaving out those taken only for the plot.
func logged(records []engine.Record, every, last int) []engine.Record {
	var out []engine.Record
	for _, r := range records {
		if r.Step%every == 0 || r.Step == last {
			out = append(out, r)
		}
	}
	return out
}

// joinInts writes sizes as --hidden takes them: 64,32.
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// backendDevices returns the OpenCL devices b runs on, none for the CPU.
func backendDevices(b engine.Backend) []device.Device {
	switch b := b.(type) {
	case interface{ Devices() []device.Device }:
		return b.Devices()
	case interface{ Device() device.Device }:
		return []device.Device{b.Device()}
	}
	return nil
}

// loadData returns the training set and a name for it.
func loadData(path string, seed int64) (*dataset.Set, string, error) {
	if path == "" {
		return dataset.Flower(seed), fmt.Sprintf("flower (seed %d)", seed), nil
	}
	set, err := dataset.Load(path)
	return set, path, err
}

// openBackend returns the backend --backend asks for; auto falls back to the
// CPU with one line on stderr when there is no OpenCL.
func openBackend(e *env, f trainFlags) (engine.Backend, error) {
	if f.cpuBLAS == "openblas" {
		impl, err := openblas.Load()
		if err != nil {
			return nil, err
		}
		blas32.Use(impl)
		blas64.Use(impl)
	}
	if f.backend == "cpu" {
		return engine.NewCPU(), nil
	}
	devs, err := device.SelectList(f.devices)
	if err != nil {
		if f.backend == "auto" && !f.deviceSet && device.IsNoOpenCL(err) {
			fmt.Fprintf(e.stderr, "cltrain train: using the CPU backend: %v\n", err)
			return engine.NewCPU(), nil
		}
		return nil, err
	}
	opts := opencl.Options{OnCompile: compileNotice(e.stderr, devs)}
	if len(devs) == 1 {
		return opencl.New(devs[0], opts)
	}
	return opencl.NewParallel(devs, opts)
}

// compileNotice returns an OnCompile hook that says once, on stderr, that
// kernels are being compiled, which takes seconds on the first run.
func compileNotice(w io.Writer, devs []device.Device) func(string) {
	var once sync.Once
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.Name
	}
	return func(string) {
		once.Do(func() {
			fmt.Fprintf(w, "cltrain: compiling kernels for %s (first run only)…\n", strings.Join(names, ", "))
		})
	}
}

// interruptible returns a context cancelled by the first SIGINT or SIGTERM;
// a second one exits at once with status 130, writing nothing.
func interruptible(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "\ncltrain train: interrupted: finishing the current step and saving (interrupt again to quit at once)")
		cancel()
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "cltrain train: quit without saving")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

func newProgress(e *env, f trainFlags) *progressbar.ProgressBar {
	file, ok := e.stderr.(*os.File)
	if f.quiet || !ok || !term.IsTerminal(int(file.Fd())) {
		return nil
	}
	return progressbar.NewOptions(f.iters,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
	)
}

// writeMetrics writes the step,loss,accuracy rows atomically, with the
// columns val_loss,val_accuracy when val is set.
func writeMetrics(path string, records []engine.Record, val bool) error {
	var b strings.Builder
	b.WriteString("step,loss,accuracy")
	if val {
		b.WriteString(",val_loss,val_accuracy")
	}
	b.WriteString("\n")
	for _, r := range records {
		fmt.Fprintf(&b, "%d,%.9g,%.6g", r.Step, r.Cost, r.Accuracy)
		if val && r.ValCost != nil {
			fmt.Fprintf(&b, ",%.9g,%.6g", *r.ValCost, *r.ValAccuracy)
		}
		b.WriteString("\n")
	}
	if err := atomicfile.WriteBytes(path, []byte(b.String())); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// drawPlots draws the loss curve and, for 2-feature data and a sigmoid
// output, the decision boundary of the final parameters.
func drawPlots(path string, model engine.Model, res engine.Result, set *dataset.Set) error {
	steps := make([]int, len(res.Records))
	loss := make([]float64, len(res.Records))
	acc := make([]float64, len(res.Records))
	for i, r := range res.Records {
		steps[i], loss[i], acc[i] = r.Step, r.Cost, r.Accuracy
	}
	if err := figures.LossCurve(path, steps, loss, acc); err != nil {
		return err
	}
	if nx, _ := set.X.Dims(); nx != 2 || model.Output != engine.Sigmoid {
		return nil
	}
	point := mat.NewDense(2, 1, nil)
	predict := func(x1, x2 float64) float64 {
		point.Set(0, 0, x1)
		point.Set(1, 0, x2)
		a, err := engine.Predict(model, res.Params, point)
		if err != nil {
			return math.NaN()
		}
		return a.At(0, 0)
	}
	return figures.Boundary(figures.BoundaryPath(path), set.X, set.Y, predict)
}

func printSummary(w io.Writer, s summary, asJSON bool) {
	if asJSON {
		json.NewEncoder(w).Encode(s)
		return
	}
	fmt.Fprintf(w, "final loss %.6f, training accuracy %.2f%%, %d iterations in %.3f s (%.0f it/s)",
		s.Loss, 100*s.Accuracy, s.Iterations, s.WallSeconds, s.ItersPerSec)
	if s.Setup >= 0.0005 {
		fmt.Fprintf(w, ", after %.3f s of kernel set-up", s.Setup)
	}
	fmt.Fprintln(w)
	if s.ValLoss != nil {
		which := "final"
		if s.EarlyStop {
			which = fmt.Sprintf("stopped early; best at step %d", *s.BestStep)
		}
		fmt.Fprintf(w, "held-out loss %.6f, held-out accuracy %.2f%% (%s)\n", *s.ValLoss, 100**s.ValAccuracy, which)
	}
	fmt.Fprintf(w, "backend %s, data %s, model %s\n", s.Backend, s.Data, s.Model)
	if s.Saved != "" {
		fmt.Fprintf(w, "parameters saved to %s\n", s.Saved)
	}
}
