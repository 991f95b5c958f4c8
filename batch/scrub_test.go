package batch

import "testing"

func TestScrubDigits(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"no digits", "Authentication passed", "Authentication passed"},
		{"short runs stay", "Result -21, HTTP 503, port 41234", "Result -21, HTTP 503, port 41234"},
		{"six digits", "code 123456 end", "code ****** end"},
		{"five digits stay", "12345", "12345"},
		{"ID with check X", "IdCard=11010119900307663X", "IdCard=*****************X"},
		{"phone", "Phone=13800138000.", "Phone=***********."},
		{"card", "6222021234567890123", "*******************"},
		{"full-width card", "卡号６２１７００４０３８８５４２１４３０１有误", "卡号*******************有误"},
		{"mixed widths", "12３４56", "******"},
		{"separated groups stay", "6222 0212 3456", "6222 0212 3456"},
		{"two runs", "a 1234567 b 7654321 c 12", "a ******* b ******* c 12"},
		{"at both ends", "1234567x7654321", "*******x*******"},
		{"chinese text around", "持卡人110101199003076635信息有误", "持卡人******************信息有误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScrubDigits(tt.in); got != tt.want {
				t.Errorf("ScrubDigits(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzScrubDigits(f *testing.F) {
	f.Add("IdCard=11010119900307663X")
	f.Add("６２１７００４０３８８５")
	f.Fuzz(func(t *testing.T, s string) {
		out := ScrubDigits(s)
		if hasLongRun(out) {
			t.Errorf("ScrubDigits(%q) = %q still has a run of %d digits", s, out, scrubMin)
		}
		if ScrubDigits(out) != out {
			t.Errorf("ScrubDigits is not idempotent on %q", s)
		}
	})
}
