package writer

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/google/go-cmp/cmp"
)

func TestCSV(t *testing.T) {
	for _, tc := range []struct {
		name string
		mask bool
	}{{"plain", false}, {"masked", true}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.CSV")
			writeAll(t, path, Options{Mask: tc.mask}, nil, testResults())
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			body, ok := bytes.CutPrefix(data, []byte(utf8BOM))
			if !ok {
				t.Fatal("no UTF-8 BOM")
			}
			if !bytes.Contains(body, []byte("\"line one\nline two\"")) || !bytes.Contains(body, []byte(`"VIP, ""gold"""`)) {
				t.Errorf("newline or comma/quote not quoted:\n%s", body)
			}
			recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{append(append([]string{}, testHeader().Cells...), resultColumns[:]...)}
			for _, r := range testResults() {
				cells := append([]string{}, r.Row.Cells...)
				for len(cells) < len(testHeader().Cells) {
					cells = append(cells, "")
				}
				if tc.mask {
					cells[1] = Mask(batch.FieldName, cells[1])
					cells[2] = Mask(batch.FieldBankCard, cells[2])
					cells[3] = Mask(batch.FieldPhone, cells[3])
					cells[4] = Mask(batch.FieldIDCard, cells[4])
				}
				o := r.Outcome
				at := ""
				if o.Status == batch.StatusVerified || o.Status == batch.StatusReused || o.Status == batch.StatusDuplicate {
					at = o.AnsweredAt.UTC().Format("2006-01-02 15:04:05")
				}
				cells = append(cells, string(o.Status), string(o.Verdict()), o.Result, o.Description, string(o.Charged), at, o.RequestID, o.Error)
				want = append(want, cells)
			}
			// Read back with the documented un-escaping: the exact values.
			got := make([][]string, len(recs))
			for i, rec := range recs {
				got[i] = make([]string, len(rec))
				for j, c := range rec {
					got[i][j] = UnescapeCSV(c)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records after un-escaping (-want +got):\n%s", diff)
			}
			if tc.mask && strings.Contains(string(body), "6222021234567891234") {
				t.Error("masked CSV holds a full card number")
			}
			// As written: the formula-like remarks (column F) are text a
			// spreadsheet does not run; plain numbers are as they were.
			for rec, want := range map[int]string{
				4: `'=HYPERLINK("http://x.test","x")`, 5: "'+1+1", 6: "'@SUM(1)", 7: "'-2+3",
				8: "-6", 10: "-1.5", 11: "'\tTAB", 12: "'\rCR",
			} {
				if got := recs[rec][5]; got != want {
					t.Errorf("record %d remark written %q, want %q", rec, got, want)
				}
			}
			if got := recs[2][8]; got != "-1" {
				t.Errorf("Result written %q, want -1 as is", got)
			}
			// CSVReader reads the values back as they were.
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cr := NewCSVReader(f)
			var back [][]string
			for {
				rec, err := cr.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				back = append(back, rec)
			}
			if diff := cmp.Diff(want, back); diff != "" {
				t.Errorf("CSVReader records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEscapeCSV(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"", ""},
		{"plain", "plain"},
		{`=HYPERLINK("http://evil.test","x")`, `'=HYPERLINK("http://evil.test","x")`},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(1)", "'@SUM(1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"-", "'-"},
		{"+86 139 1234 5678", "'+86 139 1234 5678"},
		{"-6", "-6"},
		{"-1.5", "-1.5"},
		{"+8613912345678", "+8613912345678"},
		{"0", "0"},
		{"-1.", "'-1."},
		{"-.5", "'-.5"},
		{"'", "'"},
		{"'x", "'x"},
		{"'=x", "''=x"}, // a quote the un-escaping would drop is doubled
		{"''", "'''"},
		{"'-6", "''-6"},
		{"a=b", "a=b"},
	} {
		if got := EscapeCSV(tc.in); got != tc.out {
			t.Errorf("EscapeCSV(%q) = %q, want %q", tc.in, got, tc.out)
		}
		if back := UnescapeCSV(tc.out); back != tc.in {
			t.Errorf("UnescapeCSV(%q) = %q, want %q", tc.out, back, tc.in)
		}
	}
}

// FuzzEscapeCSV: un-escaping recovers every value, and no escaped value
// starts a formula unless it is a plain number.
func FuzzEscapeCSV(f *testing.F) {
	for _, s := range []string{"=1", "'=1", "''", "-6", "+x", "@", "\t", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := EscapeCSV(s)
		if back := UnescapeCSV(e); back != s {
			t.Errorf("UnescapeCSV(EscapeCSV(%q)) = %q", s, back)
		}
		if e != "" && isFormulaStart(e[0]) && !isPlainNumber(e) {
			t.Errorf("EscapeCSV(%q) = %q starts a formula", s, e)
		}
	})
}
