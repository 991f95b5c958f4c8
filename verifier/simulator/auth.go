package simulator

import (
	"crypto/hmac"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bankcard4e/bankcard4e/verifier"
)

// The API the simulator serves.
const (
	service = "faceid"
	action  = "BankCard4EVerification"
	version = "2018-03-01"
)

// maxSkew is how far X-TC-Timestamp may be from the service clock.
const maxSkew = 5 * time.Minute

// authorization is a parsed TC3-HMAC-SHA256 Authorization header.
type authorization struct {
	secretID, date, service string
	signedHeaders           []string // lower case, as listed
	signature               string
}

// parseAuthorization parses
// "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX".
func parseAuthorization(h string) (authorization, bool) {
	var a authorization
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != verifier.Algorithm {
		return a, false
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return a, false
		}
		parts[k] = v
	}
	cred := strings.Split(parts["Credential"], "/")
	if len(cred) != 4 || cred[0] == "" || cred[3] != "tc3_request" {
		return a, false
	}
	a.secretID, a.date, a.service = cred[0], cred[1], cred[2]
	if parts["SignedHeaders"] == "" || parts["Signature"] == "" {
		return a, false
	}
	a.signedHeaders = strings.Split(parts["SignedHeaders"], ";")
	a.signature = parts["Signature"]
	return a, true
}

// checkRequest runs the checks the service makes before it looks at the
// body, in its order: action, version, Authorization, SecretId, timestamp,
// signature. authFault makes every known SecretId fail as not found.
func (s *Simulator) checkRequest(r *http.Request, body []byte, authFault bool) *apiError {
	if r.Header.Get("X-TC-Action") != action {
		return newAPIError("InvalidAction", "")
	}
	if r.Header.Get("X-TC-Version") != version {
		return newAPIError("NoSuchVersion", "")
	}
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return newAPIError("AuthFailure.InvalidAuthorization", "")
	}
	if a.secretID != s.cfg.SecretID || authFault {
		return newAPIError("AuthFailure.SecretIdNotFound", "")
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return newAPIError("AuthFailure.SignatureExpire", "X-TC-Timestamp is missing or not a number.")
	}
	if d := s.now().Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return newAPIError("AuthFailure.SignatureExpire", "")
	}
	if !slices.Contains(a.signedHeaders, "content-type") || !slices.Contains(a.signedHeaders, "host") ||
		a.service != service || a.date != time.Unix(ts, 0).UTC().Format("2006-01-02") {
		return newAPIError("AuthFailure.SignatureFailure", "")
	}
	headers := make(map[string]string, len(a.signedHeaders))
	for _, name := range a.signedHeaders {
		if name != strings.ToLower(name) {
			return newAPIError("AuthFailure.SignatureFailure", "")
		}
		v := r.Header.Get(name)
		if name == "host" {
			v = r.Host
		}
		// The service canonicalises header values in lower case.
		headers[name] = strings.ToLower(v)
	}
	want := verifier.Sign(a.secretID, s.cfg.SecretKey, service, headers, body, ts)
	if !hmac.Equal([]byte(want.Signature), []byte(a.signature)) {
		return newAPIError("AuthFailure.SignatureFailure", "")
	}
	return nil
}
