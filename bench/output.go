package bench

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// groupTitles head the table's sections.
var groupTitles = map[string]string{
	GroupGemm: "GEMM: C = op(A)·op(B), 2·M·N·K flops; the square sweep, then the hidden layer's products of " +
		"each step configuration",
	GroupElementwise: "Elementwise ops and reductions: GB/s counts the bytes read + written; %peak is of the copy bandwidth",
	GroupStep: "Training step: engine Backend.Step(full batch, eval=true): forward, cost, backward, update; " +
		"GFLOP/s counts the GEMM flops of forward + backward",
	GroupFlower: "Flower run: engine.Train, full batch, lr 1.2, cost evaluated every 1000 iterations, as cltrain train runs it",
}

// WriteTable writes the report as aligned text: the device, peak and
// backends, then a table per case group, then the crossover.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	d := r.Device
	fmt.Fprintf(&b, "device %d: %s (%s, %s, %d compute units); host: %d logical CPUs\n", d.Index, d.Name, d.Platform, d.Type, d.ComputeUnits, r.CPUs)
	fmt.Fprintf(&b, "peak: %.1f GFLOP/s (independent FMA chains on float%d), copy %.1f GB/s (%s device-to-device, read + written)\n",
		r.Peak.GFLOPS, r.Peak.VectorWidth, r.Peak.CopyGBps, mib(r.Peak.CopyBytes))
	if h := r.Peak.Hardware; h.GFLOPS > 0 {
		fmt.Fprintf(&b, "hardware FMA peak: %.1f GFLOP/s (%s, %d threads at once, Go assembly; %%HW is of it)\n", h.GFLOPS, h.ISA, h.Threads)
	}
	fmt.Fprintf(&b, "runs: up to %d timed per backend and case after %d warm-up, interleaved, runs under %v timed after %v of untimed ones; times are the median and the min–max\n", r.Runs, r.Warmup, primeUnder, primeUnder)
	b.WriteString("backends:\n")
	for _, be := range r.Backends {
		fmt.Fprintf(&b, "  %-15s %s\n", be.ID, be.Name)
	}
	if k := r.OpenBLAS; k != nil {
		fmt.Fprintf(&b, "openblas: kernel set %s", cmp.Or(k.Name, "unknown"))
		if k.CPUBest != "" {
			fmt.Fprintf(&b, " (this CPU's best: %s)", k.CPUBest)
		}
		if k.CoreType != "" {
			fmt.Fprintf(&b, ", set by OPENBLAS_CORETYPE=%s", k.CoreType)
		}
		b.WriteString("\n")
		if k.Warning != "" {
			fmt.Fprintf(&b, "warning: %s\n", k.Warning)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, g := range Groups {
		var rows [][]string
		unit := ""
		hw := g == GroupGemm && r.Peak.Hardware.GFLOPS > 0
		for _, row := range r.Rows {
			if row.Group == g {
				rows = append(rows, row.cells(hw))
				unit = row.Unit
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", groupTitles[g])
		header := []string{"CASE", "BACKEND", "RUNS", "MEDIAN ms", "MIN–MAX ms", "KERNEL ms", unit, "KERNEL " + unit, "×CPU32", "%PEAK"}
		if hw {
			header = append(header, "%HW")
		}
		align(&b, append([][]string{header}, rows...), 2)
		if g == GroupStep {
			for _, c := range r.Crossovers {
				b.WriteString(c.sentence() + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cells returns the row's table cells, with the fraction of the hardware
// peak when hw; errors follow in the last cell.
func (row Row) cells(hw bool) []string {
	c := []string{row.Case, row.Backend, strconv.Itoa(row.Runs), "-", "-", "-", "-", "-", "-", "-"}
	if hw {
		c = append(c, "-")
	}
	if row.Runs > 0 {
		c[3] = num(row.Wall.Median)
		c[4] = num(row.Wall.Min) + "–" + num(row.Wall.Max)
		if row.Kernel != nil {
			c[5], c[7] = num(row.Kernel.Median), num(row.KernelRate)
		}
		c[6] = num(row.Rate)
		if row.VsCPU32 > 0 {
			c[8] = num(row.VsCPU32) + "×"
		}
		if row.OfPeak > 0 {
			c[9] = fmt.Sprintf("%.0f%%", 100*row.OfPeak)
		}
		if hw && row.OfHardware > 0 {
			c[10] = fmt.Sprintf("%.0f%%", 100*row.OfHardware)
		}
	}
	if row.Comm != nil && row.Runs > 0 {
		c[len(c)-1] += fmt.Sprintf("  comm %s ms", num(row.Comm.Median))
	}
	if row.Error != "" {
		c[len(c)-1] += "  error: " + row.Error
	}
	return c
}

// sentence says the crossover in words.
func (c Crossover) sentence() string {
	if !c.Found {
		return fmt.Sprintf("crossover against %s: none, OpenCL is not faster at the largest configuration measured", c.Against)
	}
	return fmt.Sprintf("crossover against %s: OpenCL is faster from %s up (at it and at every larger configuration measured)", c.Against, c.Config)
}

// num formats a figure with three significant digits or more.
func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

// align writes rows as columns two spaces apart, the first left columns
// aligned left, the others right; the last cell of a row may overflow.
func align(b *strings.Builder, rows [][]string, left int) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			if i < len(r)-1 || !strings.Contains(c, "error:") {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", max(width[i]-utf8.RuneCountInString(c), 0))
			if i > 0 {
				line.WriteString("  ")
			}
			if i < left {
				line.WriteString(c + pad)
			} else {
				line.WriteString(pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// CSVHeader are the columns WriteCSV writes, one row per Row.
var CSVHeader = []string{"group", "case", "op", "shape", "backend", "runs",
	"wall_median_ms", "wall_min_ms", "wall_max_ms", "kernel_median_ms", "kernel_min_ms", "kernel_max_ms",
	"flops", "bytes", "unit", "rate", "kernel_rate", "vs_cpu32", "of_peak", "of_hardware_peak", "error"}

// WriteCSV writes the rows as CSV under CSVHeader; figures a row lacks are
// empty.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f := func(v float64, ok bool) string {
		if !ok {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for _, row := range r.Rows {
		shape := make([]string, len(row.Shape))
		for i, s := range row.Shape {
			shape[i] = strconv.Itoa(s)
		}
		ran, k := row.Runs > 0, row.Kernel != nil
		var ks Summary
		if k {
			ks = *row.Kernel
		}
		rec := []string{row.Group, row.Case, row.Op, strings.Join(shape, "x"), row.Backend, strconv.Itoa(row.Runs),
			f(row.Wall.Median, ran), f(row.Wall.Min, ran), f(row.Wall.Max, ran), f(ks.Median, k), f(ks.Min, k), f(ks.Max, k),
			f(row.Flops, row.Flops > 0), f(row.Bytes, row.Bytes > 0), row.Unit, f(row.Rate, ran), f(row.KernelRate, k),
			f(row.VsCPU32, row.VsCPU32 > 0), f(row.OfPeak, row.OfPeak > 0), f(row.OfHardware, row.OfHardware > 0), row.Error}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
