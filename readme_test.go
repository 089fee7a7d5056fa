package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsTheExamplesAsTheyAre: the README's code of the smallest
// hosts is the example files, whose tests run them, not a copy that could
// drift from them.
func TestREADMEShowsTheExamplesAsTheyAre(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"examples/ginhost/main.go", "examples/nethttp/main.go"} {
		code, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		block := "```go\n" + strings.TrimRight(string(code), "\n") + "\n```\n"
		if !strings.Contains(string(readme), block) {
			t.Errorf("README.md does not show %s as it is: copy the file into its go block", f)
		}
	}
}
