package writer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
)

// templateHeader is the header row of the template: names the reader
// recognises (SPEC section 3).
var templateHeader = []string{"姓名", "银行卡号", "手机号", "身份证号"}

// templateTextFormat is Excel's built-in number format 49, "@": Text.
const templateTextFormat = 49

// WriteTemplate writes an empty input workbook to path, which must not
// exist: the four columns formatted as Text, so that Excel keeps every
// digit typed into them, under a frozen header the reader recognises.
func WriteTemplate(path string) (err error) {
	if !strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return fmt.Errorf("write template %q: the file name must end in .xlsx", path)
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Customers"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("write template %q: %w", path, err)
	}
	if err := templateSheet(f, sheet); err != nil {
		return fmt.Errorf("write template %q: %w", path, err)
	}
	// O_EXCL: never overwrite a list someone already filled in.
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("write template %q: the file exists; choose another name", path)
		}
		return fmt.Errorf("write template %q: %w", path, err)
	}
	defer func() {
		if e := out.Close(); err == nil && e != nil {
			err = fmt.Errorf("write template %q: %w", path, e)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err := f.WriteTo(out); err != nil {
		return fmt.Errorf("write template %q: %w", path, err)
	}
	return nil
}

// templateSheet formats columns A:D as Text, writes the header and freezes it.
func templateSheet(f *excelize.File, sheet string) error {
	text, err := f.NewStyle(&excelize.Style{NumFmt: templateTextFormat})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{NumFmt: templateTextFormat, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(templateHeader))
	if err := f.SetColStyle(sheet, "A:"+last, text); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "A", last, 24); err != nil {
		return err
	}
	row := make([]any, len(templateHeader))
	for i, h := range templateHeader {
		row[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &row); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", last+"1", head); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}
