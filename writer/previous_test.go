package writer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CSVMatch recognises a .csv output that repeats the input row for row
// with the result columns after it, and nothing else.
func TestCSVMatch(t *testing.T) {
	header := []string{"Name", "Card"}
	rows := [][]string{{"a", "1"}, {"b", "2"}}
	result := strings.Join(resultColumns[:], ",")
	pad := strings.Repeat(",", len(resultColumns)-1)
	ours := "\xEF\xBB\xBFName,Card," + result + "\na,1,verified" + pad + "\nb,2,verified" + pad + "\n"
	tests := []struct {
		name, content string
		want          bool
	}{
		{"an earlier output of this input", ours, true},
		{"one row less", "Name,Card," + result + "\na,1,verified" + pad + "\n", false},
		{"one row more", ours + "c,3,verified" + pad + "\n", false},
		{"another cell", "Name,Card," + result + "\na,1,verified" + pad + "\nb,3,verified" + pad + "\n", false},
		{"no result columns", "Name,Card\na,1\nb,2\n", false},
		{"not CSV at all", "my notes\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.csv")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			m := MatchCSV(path, header)
			for _, r := range rows {
				m.Row(r)
			}
			if got := m.Done(); got != tt.want {
				t.Errorf("Done() = %v, want %v", got, tt.want)
			}
		})
	}
	if m := MatchCSV(filepath.Join(t.TempDir(), "none.csv"), header); m.Done() {
		t.Error("a missing file matched")
	}
}
