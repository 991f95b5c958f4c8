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

// ListHeader is the header of MessyRow's lists: a reference, the four
// fields under their Chinese names, and a branch.
var ListHeader = []string{"CustomerRef", "姓名", "银行卡号", "手机号", "身份证号", "Branch"}

var messyNames = []string{"张伟", "王芳", "李娜", "Wei Xiaobao", "欧阳娜娜", "买买提·艾力", "刘洋", "陈静"}

// MessyRow is row i of a list as people keep them (ListHeader): mostly
// valid, one in ten with card and phone spelt with spaces and +86, one in
// 50 with a wrong ID check character.
func MessyRow(i int) []string {
	prefix := fmt.Sprintf("110101%04d%02d%02d%03d", 1950+i%60, 1+i%12, 1+i%28, i%1000)
	id := prefix + string(reader.IDCheckChar(prefix))
	if i%50 == 0 {
		id = prefix + "0"
	}
	card := fmt.Sprintf("6222%015d", i)
	phone := fmt.Sprintf("13%09d", i)
	if i%10 == 0 {
		card = card[:4] + " " + card[4:8] + " " + card[8:]
		phone = "+86 " + phone
	}
	return []string{fmt.Sprintf("C%07d", i), messyNames[i%len(messyNames)], card, phone, id, "Beijing"}
}
