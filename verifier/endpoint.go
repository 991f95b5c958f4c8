package verifier

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckEndpoint parses the service address and applies the endpoint policy
// of SPEC section 5: https:// for any host, plain http:// only for a loopback
// host (127.0.0.0/8, ::1 or "localhost", where the simulator runs). The
// address is a scheme and a host with an optional port; a path other than
// "/", a query, a fragment or user info is refused. The returned URL has a
// lower-case host and the path "/".
func CheckEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", raw, err)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: want a URL such as https://faceid.intl.tencentcloudapi.com", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("endpoint %q: user info is not allowed in the address", redact(u))
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint %q: want only scheme and host, with no path, query or fragment", raw)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return nil, fmt.Errorf("endpoint %q: no host", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(host) {
			return nil, fmt.Errorf("endpoint %q: https is required; plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost)", raw)
		}
	default:
		return nil, fmt.Errorf("endpoint %q: scheme %q: https is required", raw, u.Scheme)
	}
	out := &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host), Path: "/"}
	return out, nil
}

// isLoopback reports whether host (no port, no brackets) names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redact shows an endpoint without its user info.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
