// Package fake is what the tests and benchmarks share: made-up people who
// pass every local check, distinct for distinct numbers, so a list of any
// size can be generated without real personal data; readers of verify's
// outputs; and a simulator served for the length of one test.
package fake

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/reader"
)

// Person is the i-th made-up customer: valid by every local check of SPEC
// section 4, and distinct for distinct i (below 10^11).
func Person(i int) batch.Fields {
	first17 := fmt.Sprintf("110105%04d%02d%02d%03d", 1950+i%50, 1+i%12, 1+i%28, i%1000)
	return batch.Fields{
		Name:     fmt.Sprintf("客户%c", rune(0x4e00+i%20000)),
		BankCard: fmt.Sprintf("62220210%011d", i),
		Phone:    fmt.Sprintf("138%08d", i),
		IDCard:   first17 + string(reader.IDCheckChar(first17)),
	}
}

// Ref is the Ref column of row i of a list: "R00042".
func Ref(i int) string { return fmt.Sprintf("R%05d", i) }

// WriteList writes a CSV list of n rows (header Ref, Name, BankCard, Phone,
// IdCard) in which every fifth row repeats the person of the row before it
// (a duplicate). It returns the number of distinct people: the calls a
// clean run makes.
func WriteList(w io.Writer, n int) (distinct int, err error) {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"Ref", "Name", "BankCard", "Phone", "IdCard"}); err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		if i%5 != 4 {
			distinct++
		}
		f := Person(distinct)
		if err := cw.Write([]string{Ref(i), f.Name, f.BankCard, f.Phone, f.IDCard}); err != nil {
			return 0, err
		}
	}
	cw.Flush()
	return distinct, cw.Error()
}
