package writer

import (
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// testHeader is an input header with columns before, between and after the
// four fields, to show they are copied in place.
func testHeader() batch.Header {
	return batch.Header{
		Cells:    []string{"客户编号", "姓名", "银行卡号", "手机号", "身份证号", "备注"},
		Name:     1,
		BankCard: 2,
		Phone:    3,
		IDCard:   4,
		CertType: -1,
	}
}

// testResults holds one row of every status and billing class, identifiers
// that look like numbers, and a remark with a comma, a quote and a newline.
func testResults() []*batch.Result {
	row := func(i int, cells ...string) batch.Row {
		return batch.Row{Index: i, Line: i + 2, Cells: cells}
	}
	return []*batch.Result{
		{Row: row(0, "00123", "张三", "6222021234567891234", "13800138000", "110101199003071234", ""),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "0", Description: "认证通过", Charged: batch.ChargedYes, RequestID: "req-0001", Calls: 1}},
		{Row: row(1, "00124", "Wang", "6222 0212 3456 7890", "+86 139 1234 5678", "11010119900307123X", "VIP, \"gold\""),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-1", Description: "认证未通过", Charged: batch.ChargedYes, RequestID: "req-0002", Calls: 1}},
		{Row: row(2, "00125", "欧阳娜娜", "6217000010001234567", "13700137000", "110101199003071234", "line one\nline two"),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-4", Description: "银行卡号不正确", Charged: batch.ChargedNo, RequestID: "req-0003", Calls: 1}},
		{Row: row(3, "00126", "李四", "6222021234567890000", "13600136000", "110101199003071250", ""),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-99", Description: "unlisted", Charged: batch.ChargedUnknown, RequestID: "req-0004", Calls: 1}},
		{Row: row(4, "00127", "张三", "6222021234567891234", "13800138000", "110101199003071234", "copy of 00123"),
			Outcome: batch.Outcome{Status: batch.StatusDuplicate, Result: "0", Description: "认证通过", Charged: batch.ChargedNo, RequestID: "req-0001", Duplicate: 0}},
		{Row: row(5, "00128", "王五", "1234", "12345", "110101199003071235", ""),
			Outcome: batch.Outcome{Status: batch.StatusInvalid, Charged: batch.ChargedNo, Error: "bankcard: 4 digits, want 12 to 19"}},
		{Row: row(6, "00129", "赵六", "6222021234567899999", "13500135000", "110101199003071234", ""),
			Outcome: batch.Outcome{Status: batch.StatusError, Charged: batch.ChargedNo, Error: "InternalError: internal error", Calls: 5}},
		{Row: row(7, "00130", "钱七", "6222021234567898888", "13400134000", "110101199003071234"), // short row: padded
			Outcome: batch.Outcome{Status: batch.StatusNotAttempted}},
	}
}

// testReport is the report of the run in testResults, with fixed times.
func testReport() *batch.Report {
	price := 0.3
	start := time.Date(2026, 3, 1, 1, 2, 3, 0, time.FixedZone("CST", 8*3600))
	return &batch.Report{
		Input:           "customers.xlsx",
		InputSHA256:     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Output:          "customers.results.xlsx",
		Rows:            8,
		Blank:           2,
		Verified:        4,
		Duplicates:      1,
		Invalid:         1,
		Errors:          1,
		NotAttempted:    1,
		Calls:           9,
		Charged:         2,
		Free:            1,
		UnknownResults:  1,
		PossiblyCharged: 2,
		ByResult:        map[string]int{"0": 1, "-1": 1, "-4": 1, "-99": 1},
		ByError:         map[string]int{"InternalError": 1, "RequestLimitExceeded": 3},
		Tally: []batch.TallyEntry{
			{Code: "0", Description: "认证通过", Class: "charged", Count: 1},
			{Code: "-1", Description: "认证未通过", Class: "charged", Count: 1},
			{Code: "-4", Description: "银行卡号不正确", Class: "free", Count: 1},
			{Code: "-99", Description: "unlisted", Class: "unknown", Count: 1},
		},
		Price:           &price,
		StartedAt:       start,
		FinishedAt:      start.Add(83500 * time.Millisecond),
		DurationSeconds: 83.5,
		Endpoint:        "http://127.0.0.1:8080",
		QPS:             20,
		Version:         "0.1.0-test",
		Aborted:         true,
		AbortReason:     "AuthFailure.SecretIdNotFound",
		ExitCode:        3,
	}
}
