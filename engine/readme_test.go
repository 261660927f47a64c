package engine_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeIsExampleFit checks that the README's "Use it from Go" code is
// the body of ExampleFit, which compiles and runs as a test, line for line.
func TestReadmeIsExampleFit(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Use it from Go")
	_, block, ok2 := strings.Cut(section, "```go\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal(`README.md has no "## Use it from Go" section with a go block`)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "func ExampleFit() {\n")
	body, _, ok2 = strings.Cut(body, "\n}\n")
	if !ok || !ok2 {
		t.Fatal("example_test.go has no ExampleFit")
	}
	lines := func(s string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			out = append(out, strings.TrimSpace(l))
		}
		return out
	}
	got, want := lines(block), lines(body)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README's code differs from ExampleFit's body:\nREADME:\n%s\n\nExampleFit:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
