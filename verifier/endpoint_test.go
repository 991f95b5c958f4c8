package verifier

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		raw     string
		want    string // the URL returned; "" when refused
		errWord string // in the error when refused
	}{
		{"https://faceid.intl.tencentcloudapi.com", "https://faceid.intl.tencentcloudapi.com/", ""},
		{"https://faceid.tencentcloudapi.com/", "https://faceid.tencentcloudapi.com/", ""},
		{"https://FaceID.TencentCloudAPI.com:443", "https://faceid.tencentcloudapi.com:443/", ""},
		{"https://10.0.0.1:8443", "https://10.0.0.1:8443/", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", ""},
		{"http://127.3.4.5:8080/", "http://127.3.4.5:8080/", ""},
		{"http://[::1]:8080", "http://[::1]:8080/", ""},
		{"http://localhost:8080", "http://localhost:8080/", ""},
		{"http://LOCALHOST:8080", "http://localhost:8080/", ""},
		{"http://example.com", "", "https is required"},
		{"http://10.0.0.1", "", "https is required"},
		{"http://192.168.1.1:8080", "", "https is required"},
		{"http://localhost.example.com", "", "https is required"},
		{"http://[::2]:80", "", "https is required"},
		{"ftp://faceid.tencentcloudapi.com", "", "https is required"},
		{"faceid.tencentcloudapi.com", "", "want a URL"},
		{"https://faceid.tencentcloudapi.com/path", "", "no path"},
		{"https://faceid.tencentcloudapi.com/?a=b", "", "no path"},
		{"https://faceid.tencentcloudapi.com/#x", "", "no path"},
		{"https://user:pw@faceid.tencentcloudapi.com", "", "user info"},
		{"", "", "want a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := CheckEndpoint(tt.raw)
			if tt.want != "" {
				if err != nil {
					t.Fatalf("CheckEndpoint(%q): %v", tt.raw, err)
				}
				if u.String() != tt.want {
					t.Errorf("CheckEndpoint(%q) = %q, want %q", tt.raw, u, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckEndpoint(%q) = %v, want an error", tt.raw, u)
			}
			if !strings.Contains(err.Error(), tt.errWord) {
				t.Errorf("CheckEndpoint(%q) error %q does not say %q", tt.raw, err, tt.errWord)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error shows the password: %q", err)
			}
		})
	}
}

// countingTransport records every request it is asked to send.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, http.ErrNotSupported
}

// TestNewRefusesBeforeSending proves a refused endpoint stops in New: no
// request ever reaches the transport.
func TestNewRefusesBeforeSending(t *testing.T) {
	for _, ep := range []string{"http://example.com", "http://10.0.0.1:80", "http://faceid.tencentcloudapi.com"} {
		t.Run(ep, func(t *testing.T) {
			rt := &countingTransport{}
			c, err := New(Config{Endpoint: ep, Credential: testCred, Transport: rt})
			if err == nil {
				c.Verify(t.Context(), sampleFields)
				t.Fatalf("New(%q) succeeded", ep)
			}
			if !strings.Contains(err.Error(), "https is required") {
				t.Errorf("error %q does not say https is required", err)
			}
			if n := rt.n.Load(); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"language", Config{Endpoint: "https://x.example", Credential: testCred, Language: "fr-FR"}, "want en-US or zh-CN"},
		{"no key", Config{Endpoint: "https://x.example", Credential: Credential{SecretID: "AKIDx"}}, "SecretKey"},
		{"no id", Config{Endpoint: "https://x.example", Credential: Credential{SecretKey: "k"}}, "SecretId"},
		{"newline", Config{Endpoint: "https://x.example", Credential: Credential{SecretID: "a\nb", SecretKey: "k"}}, "header"},
		{"timeout", Config{Endpoint: "https://x.example", Credential: testCred, Timeout: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error saying %q", err, tt.want)
			}
		})
	}
	for _, l := range []string{"", "en-US", "zh-CN", "zh-cn"} {
		if _, err := New(Config{Endpoint: "https://x.example", Credential: testCred, Language: l}); err != nil {
			t.Errorf("language %q: %v", l, err)
		}
	}
}
