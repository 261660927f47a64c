package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/cltrain/cltrain/device"
)

func runDevices(e *env, args []string) int {
	fs := newFlags(e, "devices", "[--json]", "Lists every OpenCL device of every platform, numbered as --device takes them.")
	asJSON := fs.Bool("json", false, "print the devices as a JSON array")
	if code, stop := parse(e, fs, args); stop {
		return code
	}
	devs, err := device.Devices()
	if err != nil {
		return fail(e, "devices", err)
	}
	// The default as every command picks it; a bad $CLTRAIN_DEVICE leaves
	// none marked and is reported below the list.
	def, defErr := device.Select(device.Auto)
	if defErr != nil {
		def.Index = -1
	}
	if *asJSON {
		type listed struct {
			device.Info
			Default bool `json:"default"` // the device commands use without --device
		}
		out := make([]listed, len(devs))
		for i, d := range devs {
			out[i] = listed{d.Info, d.Index == def.Index}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		if defErr != nil {
			return fail(e, "devices", fmt.Errorf("no default device: %w", defErr))
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tTYPE\tNAME\tPLATFORM\tCUs\tMAX WG\tLOCAL\tGLOBAL\tMAX ALLOC\tFP64\tOPENCL C\tDRIVER")
	for _, d := range devs {
		mark := ""
		if d.Index == def.Index {
			mark = "*"
		}
		fmt.Fprintf(tw, "%d%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%v\t%s\t%s\n", d.Index, mark, d.Type, d.Name, d.Platform,
			d.ComputeUnits, d.MaxWorkGroupSize, size(d.LocalMemBytes), size(d.GlobalMemBytes), size(d.MaxAllocBytes),
			yesNo(d.FP64), d.OpenCLCVersion, d.DriverVersion)
	}
	tw.Flush()
	if defErr != nil {
		return fail(e, "devices", fmt.Errorf("no default device: %w", defErr))
	}
	fmt.Fprintln(e.stdout, "* the default device (--device N or $CLTRAIN_DEVICE picks another)")
	return exitOK
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
