package writer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// openpyxlScript prints what openpyxl, an independent reader, sees of the
// page setup and of a few cells of the workbook given as its argument.
const openpyxlScript = `
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
for ws in wb.worksheets:
    p = ws.page_setup
    print(ws.title, p.orientation, p.fitToWidth, p.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage, ws.print_title_rows, ws.freeze_panes)
ws = wb["Results"]
for ref in ("F5", "F6", "F7", "A2", "C2"):
    c = ws[ref]
    print(ref, c.data_type, c.value)
for ref in ("H2", "H3", "H4", "H6", "H7", "H8"):
    print(ref, ws[ref].value, ws[ref].fill.fgColor.rgb)
# An empty cell that is not written shows its row's style (customFormat).
for ref in ("F2", "N2", "N3"):
    c = ws[ref]
    d = ws.row_dimensions[c.row]
    fill = c.fill if c.has_style or not d.customFormat else d.fill
    print(ref, c.value, fill.fgColor.rgb)
`

// The workbook as openpyxl reads it: landscape, one page wide, print
// titles, formula-like text as string cells, a fill per verdict, on the
// empty cells too (from their row's style).
func TestOpenpyxlReadsWorkbook(t *testing.T) {
	// Debian's python3-openpyxl is for the system python, which may not
	// be the first python3 on the PATH.
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(p); err == nil && exec.Command(p, "-c", "import openpyxl").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no python3 with openpyxl: apt-get install python3-openpyxl (.ci/run installs it)")
		}
		t.Skip("no python3 with openpyxl (apt-get install python3-openpyxl)")
	}
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeAll(t, path, Options{}, testReport(), testResults())
	out, err := exec.Command(python, "-c", openpyxlScript, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, out)
	}
	want := []string{
		"Results landscape 1 0 True $1:$1 A2",
		"Summary landscape 1 1 True None None",
		`F5 s =HYPERLINK("http://x.test","x")`,
		"F6 s +1+1",
		"F7 s @SUM(1)",
		"A2 s 00123",
		"C2 s 6222021234567891234",
		"H2 pass FF009E73",
		"H3 fail FFD55E00",
		"H4 fail FFD55E00",
		"H6 rejected FFCC79A7",
		"H7 retry later FF56B4E9",
		"H8 unknown FFF0E442",
		"F2 None FF009E73",
		"N2 None FF009E73",
		"N3 None FFD55E00",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(string(out)), "\n")); diff != "" {
		t.Errorf("openpyxl sees (-want +got):\n%s", diff)
	}
}
