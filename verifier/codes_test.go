package verifier

import (
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

func TestResultClass(t *testing.T) {
	tests := []struct {
		codes []string
		want  batch.Class
	}{
		{[]string{"0", "-1", "-6", "-7", "-8", "-9", "-10", "-11", "-12", "-13", "-14", "-15", "-16", "-17", "-21"}, batch.ClassCharged},
		{[]string{"-2", "-3", "-4", "-5", "-19", "-20"}, batch.ClassFree},
		{[]string{"-18"}, batch.ClassBusy},
		{[]string{"", "1", "-22", "00", " 0", "-0", "abc"}, batch.ClassUnknown},
	}
	for _, tt := range tests {
		for _, code := range tt.codes {
			t.Run(tt.want.String()+"/"+code, func(t *testing.T) {
				if got := ResultClass(code); got != tt.want {
					t.Errorf("ResultClass(%q) = %v, want %v", code, got, tt.want)
				}
				desc := ResultDescription(code)
				if (tt.want == batch.ClassUnknown) != (desc == "") {
					t.Errorf("ResultDescription(%q) = %q", code, desc)
				}
			})
		}
	}
}

func TestResultDescription(t *testing.T) {
	tests := map[string]string{
		"0":   "Authentication passed",
		"-6":  "Cardholder information is incorrect",
		"-18": "Verification Center Service busy",
		"-20": "The ID number is not currently supported for verification. Currently only support second-generation resident identity card.",
		"-99": "",
	}
	for code, want := range tests {
		if got := ResultDescription(code); got != want {
			t.Errorf("ResultDescription(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestErrorClass(t *testing.T) {
	tests := []struct {
		code string
		want batch.Class
	}{
		{"RequestLimitExceeded", batch.ClassThrottle},
		{"RequestLimitExceeded.UinLimitExceeded", batch.ClassThrottle},
		{"RequestLimitExceeded.GlobalRegionUinLimitExceeded", batch.ClassThrottle},
		{"InternalError", batch.ClassRetry},
		{"InternalError.ServerError", batch.ClassRetry},
		{"ServiceUnavailable", batch.ClassRetry},
		{"ResourceUnavailable", batch.ClassRetry},
		{"ResourceUnavailable.Busy", batch.ClassRetry},
		{"AuthFailure.SignatureFailure", batch.ClassAbort},
		{"AuthFailure.SecretIdNotFound", batch.ClassAbort},
		{"AuthFailure.SignatureExpire", batch.ClassAbort},
		{"UnauthorizedOperation.Arrears", batch.ClassAbort},
		{"UnauthorizedOperation.Nonactivated", batch.ClassAbort},
		{"FailedOperation.StsUnAuthErrError", batch.ClassAbort},
		{"InvalidAction", batch.ClassAbort},
		{"NoSuchVersion", batch.ClassAbort},
		{"UnsupportedRegion", batch.ClassAbort},
		{"InvalidParameter", batch.ClassRowError},
		{"InvalidParameter.UnsupportEncryptField", batch.ClassRowError},
		{"InvalidParameterValue", batch.ClassRowError},
		{"FailedOperation.DecryptSystemError", batch.ClassRowError},
		{"FailedOperation.UnKnown", batch.ClassRowError},
		{"RequestLimitExceededX", batch.ClassRowError}, // not a sub-code
		{"InternalErrors", batch.ClassRowError},
		{"", batch.ClassRowError},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := ErrorClass(tt.code); got != tt.want {
				t.Errorf("ErrorClass(%q) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestCharges(t *testing.T) {
	tests := map[batch.Class]string{
		batch.ClassCharged:  "charged",
		batch.ClassFree:     "free",
		batch.ClassBusy:     "free",
		batch.ClassUnknown:  "possibly charged",
		batch.ClassLost:     "possibly charged",
		batch.ClassRetry:    "not charged",
		batch.ClassThrottle: "not charged",
		batch.ClassRowError: "not charged",
		batch.ClassAbort:    "not charged",
	}
	for c, want := range tests {
		if got := Charges(c); got != want {
			t.Errorf("Charges(%v) = %q, want %q", c, got, want)
		}
	}
}
