package verifier

import (
	"strings"
	"testing"
)

// The official vectors of SPEC section 5 (Tencent Cloud API 3.0 signing docs).
func TestSignOfficialVectors(t *testing.T) {
	body := []byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`)
	tests := []struct {
		name    string
		key     string
		headers map[string]string
		want    string
	}{
		{
			name: "content-type;host",
			key:  "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
			headers: map[string]string{
				"Content-Type": "application/json; charset=utf-8",
				"Host":         "cvm.tencentcloudapi.com",
			},
			want: "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
		},
		{
			name: "content-type;host;x-tc-action",
			key:  strings.Repeat("*", 32),
			headers: map[string]string{
				"Content-Type": "application/json; charset=utf-8",
				"Host":         "cvm.tencentcloudapi.com",
				"X-TC-Action":  "describeinstances",
			},
			want: "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Sign("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", tt.key, "cvm", tt.headers, body, 1551113065)
			if !strings.HasSuffix(s.CanonicalRequest, "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064") {
				t.Errorf("payload hash: canonical request ends %q", s.CanonicalRequest[len(s.CanonicalRequest)-64:])
			}
			if s.Signature != tt.want {
				t.Errorf("signature = %s, want %s\ncanonical:\n%s\nstring to sign:\n%s", s.Signature, tt.want, s.CanonicalRequest, s.StringToSign)
			}
			if !strings.Contains(s.Authorization, "/2019-02-25/cvm/tc3_request, SignedHeaders="+tt.name+", Signature="+tt.want) {
				t.Errorf("authorization = %s", s.Authorization)
			}
		})
	}
}
