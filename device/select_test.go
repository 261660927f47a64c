package device_test

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cltrain/cltrain/device"
	"github.com/cltrain/cltrain/internal/cltest"
)

// defaultDevice is what Select(device.Auto) gives without $CLTRAIN_DEVICE:
// the first GPU, else the first device.
func defaultDevice(devs []device.Device) int {
	for _, d := range devs {
		if d.Type == device.GPU {
			return d.Index
		}
	}
	return 0
}

// TestSelectIndex checks that only device.Auto means the default and every
// other negative index is refused with one line naming it.
func TestSelectIndex(t *testing.T) {
	cltest.Device(t)
	devs, err := device.Devices()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(device.EnvDevice, "")
	os.Unsetenv(device.EnvDevice)
	n := len(devs)
	cases := []struct {
		index   int
		want    int    // device index, when no error
		wantErr string // the whole error text
	}{
		{index: device.Auto, want: defaultDevice(devs)},
		{index: 0, want: 0},
		{index: n - 1, want: n - 1},
		{index: -5, wantErr: fmt.Sprintf("--device -5: not a device index: numbered 0 to %d (see cltrain devices)", n-1)},
		{index: -2, wantErr: fmt.Sprintf("--device -2: not a device index: numbered 0 to %d (see cltrain devices)", n-1)},
		{index: math.MinInt, wantErr: fmt.Sprintf("--device %d: not a device index: numbered 0 to %d (see cltrain devices)", math.MinInt, n-1)},
		{index: n, wantErr: fmt.Sprintf("--device %d out of range: %d device(s), numbered 0 to %d (see cltrain devices)", n, n, n-1)},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.index), func(t *testing.T) {
			d, err := device.Select(tc.index)
			switch {
			case tc.wantErr != "":
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("Select(%d) = device %d, %v; want the error %q", tc.index, d.Index, err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("Select(%d): %v", tc.index, err)
			case d.Index != tc.want:
				t.Errorf("Select(%d) = device %d, want %d", tc.index, d.Index, tc.want)
			}
		})
	}
}

// TestSelectEnv checks that $CLTRAIN_DEVICE must be a non-negative integer
// and that anything else is refused naming the variable and its value.
func TestSelectEnv(t *testing.T) {
	cltest.Device(t)
	devs, err := device.Devices()
	if err != nil {
		t.Fatal(err)
	}
	n := len(devs)
	cases := []struct {
		env     string
		index   int    // passed to Select
		want    int    // device index, when no error
		wantErr string // in the error text, besides the variable and value
	}{
		{env: "0", index: device.Auto, want: 0},
		{env: " 0 ", index: device.Auto, want: 0},
		{env: fmt.Sprint(n - 1), index: device.Auto, want: n - 1},
		{env: "", index: device.Auto, want: defaultDevice(devs)},
		{env: "  ", index: device.Auto, want: defaultDevice(devs)},
		{env: "x", index: 0, want: 0}, // an explicit index wins
		{env: "-5", index: device.Auto, wantErr: "not a device index"},
		{env: "-1", index: device.Auto, wantErr: "not a device index"},
		{env: "x", index: device.Auto, wantErr: "not a device index"},
		{env: "1.5", index: device.Auto, wantErr: "not a device index"},
		{env: "0,1", index: device.Auto, wantErr: "not a device index"},
		{env: "+1", index: device.Auto, wantErr: "not a device index"},
		{env: "99999999999999999999999", index: device.Auto, wantErr: "not a device index"},
		{env: fmt.Sprint(n), index: device.Auto, wantErr: "out of range"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q/%d", tc.env, tc.index), func(t *testing.T) {
			t.Setenv(device.EnvDevice, tc.env)
			d, err := device.Select(tc.index)
			if tc.wantErr == "" {
				if err != nil || d.Index != tc.want {
					t.Errorf("Select(%d) with %s=%q = device %d, %v; want device %d", tc.index, device.EnvDevice, tc.env, d.Index, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Select(%d) with %s=%q = device %d, want an error", tc.index, device.EnvDevice, tc.env, d.Index)
			}
			msg := err.Error()
			naming := fmt.Sprintf("%s=%q", device.EnvDevice, tc.env)
			if tc.wantErr == "out of range" {
				naming = fmt.Sprintf("%s=%s", device.EnvDevice, tc.env)
			}
			if !strings.Contains(msg, naming) || !strings.Contains(msg, tc.wantErr) || strings.Contains(msg, "\n") {
				t.Errorf("Select with %s=%q: error %q, want one line naming %s and saying %q", device.EnvDevice, tc.env, msg, naming, tc.wantErr)
			}
		})
	}
}

// TestParseList checks the spellings --device accepts and refuses.
func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		want    []int
		all     bool
		wantErr string
	}{
		{"", []int{device.Auto}, false, ""},
		{"-1", []int{device.Auto}, false, ""},
		{"all", nil, true, ""},
		{"0", []int{0}, false, ""},
		{"1,0", []int{1, 0}, false, ""},
		{" 0 , 2 ", []int{0, 2}, false, ""},
		{"0,0", nil, false, "device 0 given twice"},
		{"0,x", nil, false, `"x" is not a device index`},
		{"0,", nil, false, `"" is not a device index`},
		{"-5", nil, false, `"-5" is not a device index`},
		{"0,-1", nil, false, `"-1" is not a device index`},
	} {
		got, all, err := device.ParseList(tc.spec)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseList(%q) = %v, %v; want an error naming %q", tc.spec, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || all != tc.all || !slices.Equal(got, tc.want) {
			t.Errorf("ParseList(%q) = %v, all=%v, %v; want %v, all=%v", tc.spec, got, all, err, tc.want, tc.all)
		}
	}
}
