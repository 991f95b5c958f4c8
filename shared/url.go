// Package shared is what several runs on one Tencent Cloud account share
// through Redis (SPEC section 12, --shared): one start budget of --qps per
// SecretId (Gate, a GCRA limiter in Redis) and the memory of earlier
// answers (Memory, the Redis store of SPEC section 11).
//
// Everything here names the Redis by its redacted URL: the password is
// never printed, logged or written.
package shared

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// URL is a parsed --shared URL:
//
//	redis://[user:password@]HOST[:PORT][/DB]
//	rediss://[user:password@]HOST[:PORT][/DB]   (TLS)
//
// PORT defaults to 6379 and DB to 0. A password alone is written
// ":password@" (the default user). Every way of formatting a URL (String,
// %v, %+v, %#v) gives the redacted form.
type URL struct {
	TLS      bool
	Host     string // host name or IP, without brackets
	Port     int
	DB       int
	User     string
	password string
}

// DefaultPort is Redis's port, used when the URL names none.
const DefaultPort = 6379

// redactedPassword stands for the password in every message.
const redactedPassword = "xxxxx"

// ParseURL parses a --shared URL. Its errors show the URL redacted.
func ParseURL(s string) (*URL, error) {
	bad := func(why string) error {
		return fmt.Errorf("--shared %q: %s", redactRaw(s), why)
	}
	if s == "" {
		return nil, errors.New("--shared: empty URL; want redis://[user:password@]HOST:PORT/DB")
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the whole URL, password and all, and its
		// other errors may quote a piece of it: say only what went wrong
		// when there is no user info to leak.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if strings.Contains(s, "@") {
			return nil, bad("not a valid URL (percent-encode any of @ : / ? # % in the user name or password)")
		}
		return nil, bad(fmt.Sprintf("not a valid URL (%v)", err))
	}
	out := &URL{}
	switch u.Scheme {
	case "redis":
	case "rediss":
		out.TLS = true
	default:
		return nil, bad("want redis:// or rediss://")
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, bad("no host; want redis://[user:password@]HOST:PORT/DB")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("options after ? or # are not supported")
	}
	out.Host = u.Hostname()
	if out.Host == "" {
		return nil, bad("no host")
	}
	if strings.Contains(out.Host, ":") && !strings.HasPrefix(u.Host, "[") {
		return nil, bad("not a valid host (write an IPv6 address in brackets: [::1]:6379)")
	}
	out.Port = DefaultPort
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, bad("port must be 1 to 65535")
		}
		out.Port = n
	}
	switch path := strings.TrimPrefix(u.Path, "/"); path {
	case "":
	default:
		n, err := strconv.Atoi(path)
		if err != nil || n < 0 {
			return nil, bad("the path must be a database number, such as /0")
		}
		out.DB = n
	}
	if u.User != nil {
		out.User = u.User.Username()
		out.password, _ = u.User.Password()
	}
	return out, nil
}

// Addr is HOST:PORT, as dialled.
func (u *URL) Addr() string { return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) }

// HasPassword reports whether the URL carries a password.
func (u *URL) HasPassword() bool { return u.password != "" }

// Redacted is the URL with its password replaced by "xxxxx": the form every
// message uses.
func (u URL) Redacted() string {
	var b strings.Builder
	if u.TLS {
		b.WriteString("rediss://")
	} else {
		b.WriteString("redis://")
	}
	if u.User != "" || u.password != "" {
		b.WriteString(url.PathEscape(u.User))
		if u.password != "" {
			b.WriteString(":" + redactedPassword)
		}
		b.WriteString("@")
	}
	b.WriteString(u.Addr())
	fmt.Fprintf(&b, "/%d", u.DB)
	return b.String()
}

// String is Redacted.
func (u URL) String() string { return u.Redacted() }

// GoString is Redacted, so %#v does not show the password either.
func (u URL) GoString() string { return u.Redacted() }

// Format writes Redacted for every verb.
func (u URL) Format(f fmt.State, verb rune) { fmt.Fprint(f, u.Redacted()) }

// tlsConfig is the client's TLS configuration for a rediss:// URL: the
// host's name checked against the system's roots, unless base is given.
func (u *URL) tlsConfig(base *tls.Config) *tls.Config {
	if !u.TLS {
		return nil
	}
	if base != nil {
		return base.Clone()
	}
	return &tls.Config{ServerName: u.Host, MinVersion: tls.VersionTLS12}
}

// redactRaw hides the password of a URL that may not parse: whatever lies
// between the first ':' of the user info and its last '@'.
func redactRaw(s string) string {
	rest := s
	prefix := ""
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	// The user info ends at the last '@' before the path.
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return s
	}
	userinfo := rest[:at]
	if c := strings.Index(userinfo, ":"); c >= 0 {
		userinfo = userinfo[:c] + ":" + redactedPassword
	}
	return prefix + userinfo + rest[at:]
}
