package reader

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bombs: small files that expand to huge parts, or a huge CSV line. Each is
// refused with its cell, string or line after about 1 MiB, whatever its
// size. bomb_rss_test.go measures the peak memory of reading them.

// bombKinds are the bombs, by name: what each builds and what its refusal
// must say.
var bombKinds = []struct {
	name, ext, want string
	build           func(w io.Writer, size int64) error // the bomb's payload of about size bytes
}{
	{"whitespace-in-cell", ".xlsx", `sheet "Data": cell A2 holds more than 1 MiB`, nil},
	{"huge-shared-string", ".xlsx", "shared string 5 is longer than 1 MiB", nil},
	{"many-shared-strings", ".xlsx", "more than 8388608 shared strings", nil},
	{"shared-strings-text", ".xlsx", "the shared strings hold more than 128 MiB of text", nil},
	{"huge-csv-line", ".csv", "line 2: the record is longer than 1 MiB", nil},
	{"quotes-csv-line", ".csv", "line 2: the record is longer than 1 MiB", nil},
}

// repeat writes n bytes of s (repeated) to w.
func repeat(w io.Writer, s string, n int64) error {
	chunk := []byte(strings.Repeat(s, (64<<10)/len(s)+1))
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// writeBomb writes the bomb of kind name with a payload of size bytes at
// path.
func writeBomb(path, name string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if strings.HasSuffix(name, "-csv-line") {
		size = min(size, 1<<30) // on disk: 1 GiB is enough
		w := bufio.NewWriter(f)
		w.WriteString("Name,BankCard,Phone,IdCard\n")
		cells := map[string]string{"huge-csv-line": "a,", "quotes-csv-line": `"",`}[name] // quotes: a quoted empty cell
		if err := repeat(w, cells, size); err != nil {
			return err
		}
		w.WriteString("\n")
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Close()
	}
	z := zip.NewWriter(f)
	z.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	const rels = `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	small := map[string]string{
		"_rels/.rels": rels + `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": rels + `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
	}
	for _, name := range []string{"_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		w, err := z.Create(name)
		if err != nil {
			return err
		}
		io.WriteString(w, small[name])
	}
	w, err := z.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	io.WriteString(w, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+handSST)
	switch name {
	case "huge-shared-string":
		io.WriteString(w, "<si><t>")
		err = repeat(w, "a", size)
		io.WriteString(w, "</t></si>")
	case "many-shared-strings":
		err = repeat(w, "<si><t>x</t></si>", 17*(maxSSTStrings+1))
	case "shared-strings-text":
		s := "<si><t>" + strings.Repeat("b", maxCell-100) + "</t></si>"
		err = repeat(w, s, int64(len(s))*(maxSSTBytes/(maxCell-100)+2))
	}
	if err != nil {
		return err
	}
	io.WriteString(w, `</sst>`)
	w, err = z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+handHeader+`<row r="2"><c r="A2" t="inlineStr"><is><t>`)
	if name == "whitespace-in-cell" {
		if err := repeat(w, " ", size); err != nil {
			return err
		}
	}
	io.WriteString(w, `</t></is></c></row></sheetData></worksheet>`)
	if err := z.Close(); err != nil {
		return err
	}
	return f.Close()
}

// readBomb opens and reads path to its end, and returns the error that
// stopped it.
func readBomb(path string) error {
	r, err := Open(path, Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func TestBombsRefused(t *testing.T) {
	for _, b := range bombKinds {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "many-shared-strings" || b.name == "shared-strings-text" {
				t.Skip("builds 140 MB of XML: make bombs reads it")
			}
			p := filepath.Join(t.TempDir(), "bomb"+b.ext)
			if err := writeBomb(p, b.name, 8<<20); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(p); err == nil && b.ext == ".xlsx" && st.Size() > 1<<20 {
				t.Errorf("bomb is %d bytes on disk, want a few KB", st.Size())
			}
			err := readBomb(p)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), b.want) {
				t.Errorf("read = %v, want ErrTooLarge saying %q", err, b.want)
			}
		})
	}
}
