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

// answered is when the service answered the rows of testResults.
var answered = time.Date(2026, 12, 2, 9, 2, 3, 0, time.FixedZone("CST", 8*3600)) // 01:02:03 UTC

// testResults holds a row of every verdict and every status (verified,
// reused, duplicate, invalid, deferred, error, not attempted), identifiers
// that look like numbers, a remark with a comma, a quote and a newline,
// and remarks a spreadsheet would run as formulas.
func testResults() []*batch.Result {
	row := func(i int, cells ...string) batch.Row {
		return batch.Row{Index: i, Line: i + 2, Cells: cells}
	}
	at := func(d time.Duration) time.Time { return answered.Add(d) }
	return []*batch.Result{
		{Row: row(0, "00123", "张三", "6222021234567891234", "13800138000", "110101199003071234", ""),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "0", Description: "认证通过", Charged: batch.ChargedYes, RequestID: "req-0001", Calls: 1, AnsweredAt: at(0)}},
		{Row: row(1, "00124", "Wang", "6222 0212 3456 7890", "+86 139 1234 5678", "11010119900307123X", "VIP, \"gold\""),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-1", Description: "认证未通过", Charged: batch.ChargedYes, RequestID: "req-0002", Calls: 1, AnsweredAt: at(time.Second)}},
		{Row: row(2, "00125", "欧阳娜娜", "6217000010001234567", "13700137000", "110101199003071234", "line one\nline two"),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-6", Description: "持卡人信息有误", Charged: batch.ChargedYes, RequestID: "req-0003", Calls: 1, AnsweredAt: at(2 * time.Second)}},
		{Row: row(3, "00126", "李四", "6222021234567890000", "13600136000", "110101199003071250", "=HYPERLINK(\"http://x.test\",\"x\")"),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-13", Description: "银行卡已挂失", Charged: batch.ChargedYes, RequestID: "req-0004", Calls: 1, AnsweredAt: at(3 * time.Second)}},
		{Row: row(4, "00127", "王五", "6222021234567890001", "13600136001", "110101199003071269", "+1+1"),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-4", Description: "银行卡号不正确", Charged: batch.ChargedNo, RequestID: "req-0005", Calls: 1, AnsweredAt: at(4 * time.Second)}},
		{Row: row(5, "00128", "赵六", "6222021234567890002", "13600136002", "110101199003071277", "@SUM(1)"),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-18", Description: "验证中心服务繁忙", Charged: batch.ChargedNo, RequestID: "req-0006", Calls: 5, AnsweredAt: at(5 * time.Second)}},
		{Row: row(6, "00129", "钱七", "6222021234567890003", "13600136003", "110101199003071285", "-2+3"),
			Outcome: batch.Outcome{Status: batch.StatusVerified, Result: "-99", Description: "unlisted", Charged: batch.ChargedUnknown, RequestID: "req-0007", Calls: 1, AnsweredAt: at(6 * time.Second)}},
		{Row: row(7, "00130", "孙八", "6222021234567890004", "13600136004", "110101199003071293", "-6"),
			Outcome: batch.Outcome{Status: batch.StatusReused, Result: "0", Description: "认证通过", Charged: batch.ChargedNo, RequestID: "req-0900", AnsweredAt: at(-48 * time.Hour)}},
		{Row: row(8, "00131", "张三", "6222021234567891234", "13800138000", "110101199003071234", "copy of 00123"),
			Outcome: batch.Outcome{Status: batch.StatusDuplicate, Result: "0", Description: "认证通过", Charged: batch.ChargedNo, RequestID: "req-0001", Duplicate: 0, AnsweredAt: at(0)}},
		{Row: row(9, "00132", "周九", "1234", "12345", "110101199003071235", "-1.5"),
			Outcome: batch.Outcome{Status: batch.StatusInvalid, Charged: batch.ChargedNo, Error: "bankcard: 4 digits, want 12 to 19"}},
		{Row: row(10, "00133", "吴十", "6222021234567890005", "13600136005", "110101199003071307", "\tTAB"),
			Outcome: batch.Outcome{Status: batch.StatusDeferred, Charged: batch.ChargedNo, Error: "deferred: card checked 3 times in 24h (--max-per-card)", AnsweredAt: at(24 * time.Hour)}},
		{Row: row(11, "00134", "郑一", "6222021234567899999", "13500135000", "110101199003071315", "\rCR"),
			Outcome: batch.Outcome{Status: batch.StatusError, Charged: batch.ChargedNo, Error: "InternalError: internal error", Calls: 5}},
		{Row: row(12, "00135", "冯二", "6222021234567898888", "13400134000", "110101199003071323"), // short row: padded
			Outcome: batch.Outcome{Status: batch.StatusNotAttempted}},
	}
}

// testReport is the report of the run in testResults, with fixed times.
// Its Verdicts are left nil: the Writer counts them from the rows.
func testReport() *batch.Report {
	price := 0.3
	start := time.Date(2026, 3, 1, 1, 2, 3, 0, time.FixedZone("CST", 8*3600))
	return &batch.Report{
		Input:           "customers.xlsx",
		InputSHA256:     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Output:          "customers.results.xlsx",
		Sheet:           "客户",
		HeaderRow:       2,
		Rows:            13,
		Blank:           2,
		Verified:        7,
		Reused:          1,
		Deferred:        1,
		Duplicates:      1,
		Invalid:         1,
		Errors:          1,
		NotAttempted:    1,
		Calls:           16,
		Charged:         4,
		Free:            2,
		UnknownResults:  1,
		PossiblyCharged: 2,
		ByResult:        map[string]int{"0": 1, "-1": 1, "-6": 1, "-13": 1, "-4": 1, "-18": 1, "-99": 1},
		ByError:         map[string]int{"InternalError": 1},
		Retried:         map[string]int{"HTTP 502": 1, "RequestLimitExceeded": 3, "-18": 4},
		Tally: []batch.TallyEntry{
			{Code: "0", Description: "认证通过", Class: "charged", Count: 1},
			{Code: "-1", Description: "认证未通过", Class: "charged", Count: 1},
			{Code: "-6", Description: "持卡人信息有误", Class: "charged", Count: 1},
			{Code: "-13", Description: "银行卡已挂失", Class: "charged", Count: 1},
			{Code: "-4", Description: "银行卡号不正确", Class: "free", Count: 1},
			{Code: "-18", Description: "验证中心服务繁忙", Class: "free", Count: 1},
			{Code: "-99", Description: "unlisted", Class: "unknown", Count: 1},
		},
		Price:           &price,
		Currency:        "CNY",
		StartedAt:       start,
		FinishedAt:      start.Add(83500 * time.Millisecond),
		DurationSeconds: 83.5,
		Endpoint:        "http://127.0.0.1:8080",
		QPS:             20,
		Version:         "0.1.0-test",
		Aborted:         true,
		AbortReason:     "AuthFailure.SecretIdNotFound",
		AbortCode:       batch.AbortService,
		ExitCode:        3,
	}
}
