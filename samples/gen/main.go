// Command gen writes the sample inputs in samples/: customers.csv (UTF-8),
// customers-gbk.csv (GBK, as Chinese Excel saves CSV) and customers.xlsx.
//
// Run it from the repository root with `go run ./samples/gen`. The samples
// mix customers of the simulator's registry (which it answers 0 for), made-up
// customers with valid check characters (the simulator gives them a stable
// mix of codes), every kind of invalid row, duplicates spelled differently,
// and a blank row. The tests in package main count on this content: change
// them together.
package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// id returns an 18-character resident ID: the 17 digits of prefix and their
// ISO 7064 MOD 11-2 check character.
func id(prefix string) string {
	w := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(prefix[i]-'0') * w[i]
	}
	return prefix + string("10X98765432"[sum%11])
}

// wrongCheck returns an ID whose check character is wrong.
func wrongCheck(prefix string) string {
	good := id(prefix)
	bad := byte('0')
	if good[17] == '0' {
		bad = '1'
	}
	return prefix + string(bad)
}

// customersCSV: CustomerRef, Name, BankCard, Phone, IdCard, CertType, Branch.
func customersCSV() [][]string {
	return [][]string{
		{"CustomerRef", "Name", "BankCard", "Phone", "IdCard", "CertType", "Branch"},
		// Registry customers, some spelled the way real lists spell them.
		{"C0001", "张伟", "6222023416721109", "16689915737", "110101198503129492", "", "Beijing"},
		{"C0002", "王芳", "６２１７００４０３８８５４２１４３０１", "19787934188", "310104199007218366", "0", "Shanghai"},
		{"C0003", "李娜", "6228484432445195689", "+86 142-9090-0744", "440305198811052637", "", "Shenzhen"},
		{"C0004", "刘洋", "6214 8374 1840 4947", "19921635620", "510107199202145306", "", "Chengdu"},
		{"C0005", "赵敏", "6212269583510344", "19725132991", "32010219870919640x", "", "Nanjing"},
		{"C0006", "  Wei   Xiaobao ", "4367424917363100027", "17826737583", "110105198305151635", "", "Beijing, Chaoyang"},
		{"C0007", "黄晓明", "6258073152470051458", "134 4661 4880", "440104197711133059", "", "Guangzhou"},
		// Made-up customers with valid check characters.
		{"C0008", "孙丽", "6222021001122334455", "13812345678", id("11010219900307123"), "", "Beijing"},
		{"C0009", "马超", "6217001210034567890", "15987654321", id("61010319881120451"), "", "Xi'an"},
		{"C0010", "朱琳", "6228480402564890018", "18600001111", id("31011519950615002"), "", "Shanghai"},
		{"C0011", "胡军", "6225880137654321", "13700002222", id("42010619780228775"), "", "Wuhan"},
		{"C0012", "郭静", "6214830212345678", "17712345678", id("37010219920909004"), "", "Jinan"},
		{"C0013", "林涛", "6227001234567890123", "18898765432", id("35010219850101331"), "", "Fuzhou"},
		{"C0014", "买买提•艾力", "6228480088776655443", "19912340000", id("65010219900101193"), "", "Urumqi"},
		{"C0015", "高翔", "6216601234567890", "13512349876", id("13010219931212301"), "0", "Shijiazhuang"},
		{"C0016", "罗芳", "6212261234567890555", "14712345678", id("50010319970707462"), "", "Chongqing"},
		{"", "", "", "", "", "", ""},
		// Invalid rows, one of each kind.
		{"C0017", "郑凯", "6222021001122335566", "13812340001", wrongCheck("11010519870412301"), "", "Beijing"},
		{"C0018", "何敏", "6222021001122336677", "13812340002", "110105870412301", "", "Beijing"},
		{"C0019", "谢娟", "6222021001122337788", "13812340003", id("11010519900230302"), "", "Beijing"},
		{"C0020", "韩冰", "6222021001", "13812340004", id("11010519900228302"), "", "Tianjin"},
		{"C0021", "唐磊", "6222021001122338899", "12812340005", id("11010519910101303"), "", "Tianjin"},
		{"C0022", "", "6222021001122339900", "13812340006", id("11010519920202304"), "", "Tianjin"},
		{"C0023", "李4", "6222021001122330011", "13812340007", id("11010519930303305"), "", "Tianjin"},
		{"C0024", "冯雪", "6222021001122331122", "13812340008", id("11010519940404306"), "1", "Harbin"},
		// Duplicates: the same people as C0001 and C0008, spelled differently.
		{"C0025", "张伟", "6222-0234-1672-1109", "0086 166 8991 5737", "110101198503129492", "", "Beijing"},
		{"C0026", "孙丽　", "6222 0210 0112 2334 455", "+86 13812345678", id("11010219900307123"), "0", "Beijing"},
	}
}

// customersGBK: a title row above Chinese headers, as a branch exports it.
func customersGBK() [][]string {
	return [][]string{
		{"2026年11月开户核验名单", "", "", "", ""},
		{"姓名", "银行卡号", "预留手机号", "身份证号", "备注"},
		{"杨磊", "6033674887523163749", "14482070361", "420102199506084561", "老客户"},
		{"陈静", "6225883669467234408", "131 4973 7870", "330106197912304835", "复核"},
		{"周杰", "6227005269149374240", "16742966981", "350203199304019941", ""},
		{"吴秀英", "6216612590507256", "19963663244", "370202196502273813", "网点开户"},
		{"欧阳娜娜", "6221559087935018463", "18315029068", "120101200001024991", ""},
		{"钱进", "6217851234567890123", "13911112222", id("44030419890505211"), "新开户"},
		{"秦岚", "6222611234567890", "15011113333", id("51010419910919662"), ""},
		{"许峰", "6228450123456789012", "18611114444", id("32010519830303153"), "代发工资"},
		{"邓超", "6214850012345678", "13611115555", id("33010319960101751"), ""},
		{"曹颖", "6226091234567890", "15811116666", id("21010219881111482"), ""},
		{"彭宇", "6222601234567891", "13311117777", wrongCheck("43010219900101201"), "身份证号有误"},
		{"曾黎", "622260123", "13311118888", id("43010219920202202"), "卡号不全"},
		{"", "", "", "", ""},
		{"杨磊", "6033 6748 8752 3163 749", "+86 144 8207 0361", "420102199506084561", "重复提交"},
	}
}

func writeCSV(path string, rows [][]string, gbk bool) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = gbk // as Excel on Windows saves it
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	data := buf.Bytes()
	if gbk {
		enc, err := simplifiedchinese.GBK.NewEncoder().Bytes(data)
		if err != nil {
			return err
		}
		data = enc
	}
	return os.WriteFile(path, data, 0o644)
}

// writeXLSX writes a workbook whose first sheet is a note (no header) and
// whose second sheet holds the list below a banner, with IDs and cards as
// text, one ID that Excel stored (and rounded) as a number, and phones as
// numbers.
func writeXLSX(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "说明"); err != nil {
		return err
	}
	f.SetCellValue("说明", "A1", "本名单用于银行卡四要素核验，请勿外传。")
	f.SetCellValue("说明", "A2", "Prepared by the Beijing branch compliance team.")
	const s = "名单"
	if _, err := f.NewSheet(s); err != nil {
		return err
	}
	f.SetCellValue(s, "A1", "客户四要素核验名单 (Customer four-element check list)")
	if err := f.MergeCell(s, "A1", "F1"); err != nil {
		return err
	}
	header := []any{"序号", "客户姓名", "Bank Card", "手机号码", "ID Card", "备注"}
	if err := f.SetSheetRow(s, "A3", &header); err != nil {
		return err
	}
	type row struct {
		name, card string
		phone      any // a number for the rows typed without Text format
		idcard     any
		note       string
	}
	rows := []row{
		{"张伟", "6222023416721109", int64(16689915737), "110101198503129492", "phone typed as a number"},
		{"李娜", "6228484432445195689", "14290900744", "440305198811052637", ""},
		{"赵敏", "6212 2695 8351 0344", "19725132991", "32010219870919640X", ""},
		{"欧阳娜娜", "6221559087935018463", int64(18315029068), "120101200001024991", ""},
		{"孙丽", "6222021001122334455", "13812345678", id("11010219900307123"), ""},
		{"马超", "6217001210034567890", "159-8765-4321", id("61010319881120451"), ""},
		{"Wei Xiaobao", "4367424917363100027", "17826737583", 1.10105198305152e17, "ID typed as a number: Excel rounded it"},
		{"胡军", "6225880137654321", "13700002222", wrongCheck("42010619780228775"), ""},
		{"林涛", "6227001234567890123", "8613700002222", "350102850101331", "first-generation ID"},
		{"郭静", "６２１４８３０２１２３４５６７８", "17712345678", id("37010219920909004"), "full-width card"},
		{"张伟", "6222-0234-1672-1109", "16689915737", "110101198503129492", "duplicate of row 4"},
	}
	r := 4
	for i, x := range rows {
		if i == 6 {
			r++ // a blank row
		}
		vals := []any{i + 1, x.name, x.card, x.phone, x.idcard, x.note}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(s, cell, &vals); err != nil {
			return err
		}
		r++
	}
	return f.SaveAs(path)
}

func main() {
	dir := "samples"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	steps := []struct {
		name string
		fn   func(string) error
	}{
		{"customers.csv", func(p string) error { return writeCSV(p, customersCSV(), false) }},
		{"customers-gbk.csv", func(p string) error { return writeCSV(p, customersGBK(), true) }},
		{"customers.xlsx", writeXLSX},
	}
	for _, s := range steps {
		p := filepath.Join(dir, s.name)
		if err := s.fn(p); err != nil {
			log.Fatalf("write %s: %v", p, err)
		}
		fmt.Println("wrote", p)
	}
}
