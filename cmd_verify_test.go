package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A CSV with more rows than the .xlsx output holds is refused before any
// call; the same list with a .csv output, or a list that fits, passes.
func TestFitsRows(t *testing.T) {
	dir := t.TempDir()
	input := writeList(t, dir, 30)
	st, err := os.Stat(input)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		out     string
		limit   int
		wantErr bool
	}{
		{"out.xlsx", 10, true},
		{"out.csv", 10, false},
		{"out.xlsx", 30, false},
	}
	for _, tt := range tests {
		t.Run(tt.out+"/"+strings.Repeat("x", tt.limit/10), func(t *testing.T) {
			o := &verifyOptions{input: input, out: filepath.Join(dir, tt.out)}
			err := fitsRows(o, st.Size(), tt.limit)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "out.csv") {
				t.Errorf("the error does not say to write .csv: %v", err)
			}
		})
	}
}
