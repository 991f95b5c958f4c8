package verifier

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
)

// The Codes of local failures that retrying cannot mend (SPEC section 6):
// their answers are batch.ClassAbort, and the run stops at the first one
// with a Message that names the fix.
const (
	CodeCertificate = batch.CodeCertificate // the server's TLS certificate is not trusted
	CodeProxy       = batch.CodeProxy       // the proxy refuses (407, 403) or cannot be reached
	CodeDNS         = batch.CodeDNS         // the endpoint's name does not resolve
)

// IsLocalFailure reports whether an answer's Code is one of the local
// failures above, for a run that tells them apart from the service's
// abort codes (batch.AbortLocal).
func IsLocalFailure(code string) bool {
	return batch.IsLocalFailure(code)
}

// ProxyError is a proxy's refusal of the CONNECT to the endpoint.
type ProxyError struct {
	Proxy  string // the proxy's host:port, never its credential
	Status int    // the HTTP status of its answer, e.g. 407
}

func (e *ProxyError) Error() string {
	return fmt.Sprintf("proxy %s answered the CONNECT with HTTP %d %s", e.Proxy, e.Status, http.StatusText(e.Status))
}

// onProxyConnect turns a proxy's refusal into a *ProxyError, so that it
// can be told apart from the service's own failures.
func onProxyConnect(_ context.Context, proxy *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &ProxyError{Proxy: proxy.Host, Status: resp.StatusCode}
}

// localFailure classifies a transport error that retrying cannot mend; ok
// is false for any other error (a refused or reset connection, a timeout,
// a temporary DNS failure), which is retried as before.
func localFailure(err error, endpointHost string) (code, msg string, ok bool) {
	var pe *ProxyError
	if errors.As(err, &pe) {
		switch pe.Status {
		case http.StatusProxyAuthRequired:
			return CodeProxy, fmt.Sprintf("the proxy %s asks for a login (HTTP 407 Proxy Authentication Required): put its user and password in HTTPS_PROXY (http://user:password@host:port), or check HTTPS_PROXY and NO_PROXY", pe.Proxy), true
		case http.StatusForbidden:
			return CodeProxy, fmt.Sprintf("the proxy %s refuses to connect to %s (HTTP 403): ask its administrator to allow the endpoint, or check HTTPS_PROXY and NO_PROXY", pe.Proxy, endpointHost), true
		}
		return "", "", false // 502, 503…: the proxy's upstream may come back
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "proxyconnect" {
		proxy := "the proxy"
		var inner *net.OpError
		if oe.Addr != nil {
			proxy += " " + oe.Addr.String()
		} else if errors.As(oe.Err, &inner) && inner.Addr != nil {
			proxy += " " + inner.Addr.String()
		}
		return CodeProxy, fmt.Sprintf("%s cannot be reached (%s): check HTTPS_PROXY and NO_PROXY", proxy, causeText(oe.Err)), true
	}
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		reason := "not trusted"
		switch {
		case errors.As(err, &he):
			reason = "issued for another name"
		case errors.As(err, &ci):
			reason = "invalid (expired or not valid yet)"
		case errors.As(err, &ua):
			reason = "signed by an unknown authority"
		}
		return CodeCertificate, fmt.Sprintf("the TLS certificate of %s is %s: if a proxy or firewall re-signs TLS, point SSL_CERT_FILE at its CA bundle; otherwise check --endpoint and the system's clock", endpointHost, reason), true
	}
	var de *net.DNSError
	if errors.As(err, &de) && (de.IsNotFound || !de.IsTemporary && !de.IsTimeout) {
		return CodeDNS, fmt.Sprintf("the name %s does not resolve: check the endpoint name (--endpoint) and this machine's DNS settings", de.Name), true
	}
	return "", "", false
}

// causeText is an error's text without the "dial tcp …:" prefixes a
// net.OpError adds, for a short message.
func causeText(err error) string {
	if err == nil {
		return "no answer"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}
