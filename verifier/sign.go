package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the signature algorithm name sent in Authorization.
const Algorithm = "TC3-HMAC-SHA256"

// Credential is a Tencent Cloud API key, with the token of a temporary key.
// Its String method never shows the secret.
type Credential struct {
	SecretID  string
	SecretKey string
	Token     string // session token; sent as X-TC-Token when set
	Source    string // where it was found, for messages: "environment", "tccli profile default", …
}

// String describes the credential without its secret.
func (c Credential) String() string {
	return "credential " + maskID(c.SecretID) + " from " + c.Source
}

// maskID shows the first four characters of a SecretId, enough to tell keys apart.
func maskID(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return id[:4] + "****"
}

// Signed is what TC3-HMAC-SHA256 computes for one request.
type Signed struct {
	CanonicalRequest string
	StringToSign     string
	Signature        string // lower-case hex
	Authorization    string // the Authorization header value
}

// Sign signs a POST / request with TC3-HMAC-SHA256.
//
// service is the product ("faceid"), headers the headers to sign (names in
// any case; values as sent; "content-type" and "host" at least), payload the
// exact body bytes, and timestamp the X-TC-Timestamp value: the time the
// attempt is sent.
func Sign(secretID, secretKey, service string, headers map[string]string, payload []byte, timestamp int64) Signed {
	names := make([]string, 0, len(headers))
	values := make(map[string]string, len(headers))
	for k, v := range headers {
		lk := strings.ToLower(k)
		names = append(names, lk)
		values[lk] = strings.TrimSpace(v)
	}
	sort.Strings(names)
	var canonHeaders strings.Builder
	for _, n := range names {
		canonHeaders.WriteString(n)
		canonHeaders.WriteByte(':')
		canonHeaders.WriteString(values[n])
		canonHeaders.WriteByte('\n')
	}
	signedHeaders := strings.Join(names, ";")
	payloadHash := sha256.Sum256(payload)
	canonical := "POST\n/\n\n" + canonHeaders.String() + "\n" + signedHeaders + "\n" + hex.EncodeToString(payloadHash[:])

	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	canonHash := sha256.Sum256([]byte(canonical))
	stringToSign := Algorithm + "\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + hex.EncodeToString(canonHash[:])

	key := hmacSHA256([]byte("TC3"+secretKey), date)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "tc3_request")
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign))
	return Signed{
		CanonicalRequest: canonical,
		StringToSign:     stringToSign,
		Signature:        sig,
		Authorization: Algorithm + " Credential=" + secretID + "/" + scope +
			", SignedHeaders=" + signedHeaders + ", Signature=" + sig,
	}
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
