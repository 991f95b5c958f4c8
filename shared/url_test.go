package shared

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in       string
		want     URL
		redacted string
	}{
		{"redis://127.0.0.1:6379/0", URL{Host: "127.0.0.1", Port: 6379}, "redis://127.0.0.1:6379/0"},
		{"redis://redis.internal:7000/3", URL{Host: "redis.internal", Port: 7000, DB: 3}, "redis://redis.internal:7000/3"},
		{"redis://redis.internal", URL{Host: "redis.internal", Port: 6379}, "redis://redis.internal:6379/0"},
		{"redis://redis.internal/", URL{Host: "redis.internal", Port: 6379}, "redis://redis.internal:6379/0"},
		{"rediss://jobs:s3cr%40t@r.example:6380/2", URL{TLS: true, Host: "r.example", Port: 6380, DB: 2, User: "jobs", password: "s3cr@t"}, "rediss://jobs:xxxxx@r.example:6380/2"},
		{"redis://:onlypw@h:1/0", URL{Host: "h", Port: 1, password: "onlypw"}, "redis://:xxxxx@h:1/0"},
		{"redis://user@h:1/0", URL{Host: "h", Port: 1, User: "user"}, "redis://user@h:1/0"},
		{"redis://[::1]:6379/1", URL{Host: "::1", Port: 6379, DB: 1}, "redis://[::1]:6379/1"},
	} {
		u, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if *u != tc.want {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.in, *u, tc.want)
		}
		if got := u.Redacted(); got != tc.redacted {
			t.Errorf("ParseURL(%q).Redacted() = %q, want %q", tc.in, got, tc.redacted)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	const pw = "Very$ecret9"
	for _, tc := range []struct {
		in, want string
	}{
		{"", "empty URL"},
		{"http://u:" + pw + "@h:1/0", "want redis:// or rediss://"},
		{"redis://u:" + pw + "@h:99999/0", "port must be 1 to 65535"},
		{"redis://u:" + pw + "@h:1/x", "database number"},
		{"redis://u:" + pw + "@h:1/-1", "database number"},
		{"redis://u:" + pw + "@h:1/0?dial_timeout=3s", "not supported"},
		{"redis://u:" + pw + "%zz@h:1/0", "percent-encode"},
		{"redis://u:" + pw + "@h:1:2/0", "not a valid host"},
		{"redis://u:" + pw + "@/0", "no host"},
		{"redis:u:" + pw + "@h", "no host"},
		{"h:6379", "want redis:// or rediss://"},
	} {
		_, err := ParseURL(tc.in)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded, want an error with %q", tc.in, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURL(%q) = %v, want %q in it", tc.in, err, tc.want)
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "ecret9") {
			t.Errorf("ParseURL(%q) error shows the password: %v", tc.in, err)
		}
	}
}

// TestURLNeverPrintsPassword: every way of formatting a URL, value or
// pointer, gives the redacted form.
func TestURLNeverPrintsPassword(t *testing.T) {
	const pw = "hunter2-long"
	u, err := ParseURL("rediss://ops:" + pw + "@r:6380/1")
	if err != nil {
		t.Fatal(err)
	}
	if !u.HasPassword() {
		t.Error("HasPassword false")
	}
	type wrapper struct{ U *URL }
	for _, s := range []string{
		u.String(), u.Redacted(), u.GoString(),
		fmt.Sprint(u), fmt.Sprint(*u),
		fmt.Sprintf("%v %+v %#v %s %q", u, u, u, u, u),
		fmt.Sprintf("%v %+v %#v", *u, *u, *u),
		fmt.Sprintf("%+v %#v", wrapper{u}, wrapper{u}),
	} {
		if strings.Contains(s, pw) {
			t.Errorf("formatted URL shows the password: %s", s)
		}
		if !strings.Contains(s, "ops:xxxxx@r:6380/1") {
			t.Errorf("formatted URL %q is not the redacted URL", s)
		}
	}
}

func TestRedactRaw(t *testing.T) {
	for in, want := range map[string]string{
		"redis://u:p@ss@h:1/0": "redis://u:xxxxx@h:1/0",
		"redis://h:1/a@b":      "redis://h:1/a@b",
		"redis://:pw@h":        "redis://:xxxxx@h",
		"redis://user@h":       "redis://user@h",
		"u:pw@h":               "u:xxxxx@h",
	} {
		if got := redactRaw(in); got != want {
			t.Errorf("redactRaw(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add("redis://u:secretpw@h:1/0")
	f.Add("rediss://:pw@[::1]:6380/15")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			// The error never shows a password of 6 characters or more
			// that the input holds between ':' and '@'.
			if pw := rawPassword(s); len(pw) >= 6 && strings.Contains(err.Error(), pw) {
				t.Errorf("ParseURL(%q) error shows the password: %v", s, err)
			}
			return
		}
		if u.password != "" && len(u.password) >= 6 && strings.Contains(u.Redacted(), u.password) {
			t.Errorf("Redacted %q shows the password", u.Redacted())
		}
		// The redacted form parses back to the same place.
		back, err := ParseURL(u.Redacted())
		if err != nil {
			t.Fatalf("Redacted %q does not parse: %v", u.Redacted(), err)
		}
		if back.Addr() != u.Addr() || back.DB != u.DB || back.TLS != u.TLS || back.User != u.User {
			t.Errorf("Redacted %q parses to %+v, want the place of %+v", u.Redacted(), back, u)
		}
	})
}

// rawPassword is the text between the first ':' after "://" and the last
// '@' before the path.
func rawPassword(s string) string {
	r := redactRaw(s)
	if r == s {
		return ""
	}
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		rest = s[i+3:]
	}
	end := len(rest)
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		end = j
	}
	at := strings.LastIndex(rest[:end], "@")
	c := strings.Index(rest[:at], ":")
	if c < 0 {
		return ""
	}
	return rest[c+1 : at]
}
