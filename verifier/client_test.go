package verifier

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

var (
	testCred     = Credential{SecretID: "AKIDtest0001", SecretKey: "clientSecretKey-0009", Source: "test"}
	sampleFields = batch.Fields{Name: "张三", BankCard: "6222021234567890123", Phone: "13800138000", IDCard: "11010119900307663X"}
)

// captured is one request as the test server saw it.
type captured struct {
	header http.Header
	host   string
	body   []byte
}

// newServer starts a loopback server that hands every request to the test
// through the returned channel, then answers with respond.
func newServer(t *testing.T, respond http.HandlerFunc) (*httptest.Server, <-chan captured) {
	t.Helper()
	ch := make(chan captured, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: read body: %v", err)
		}
		select {
		case ch <- captured{header: r.Header.Clone(), host: r.Host, body: body}:
		default:
		}
		respond(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.Credential.SecretID == "" {
		cfg.Credential = testCred
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func jsonAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func resultBody(result, desc, id string) string {
	return `{"Response":{"Result":"` + result + `","Description":"` + desc + `","RequestId":"` + id + `"}}`
}

func errorBody(code, msg, id string) string {
	return `{"Response":{"Error":{"Code":"` + code + `","Message":"` + msg + `"},"RequestId":"` + id + `"}}`
}

func TestVerifyResults(t *testing.T) {
	tests := []struct {
		result string
		want   batch.Class
	}{}
	for _, r := range []string{"0", "-1", "-6", "-7", "-8", "-9", "-10", "-11", "-12", "-13", "-14", "-15", "-16", "-17", "-21"} {
		tests = append(tests, struct {
			result string
			want   batch.Class
		}{r, batch.ClassCharged})
	}
	for _, r := range []string{"-2", "-3", "-4", "-5", "-19", "-20"} {
		tests = append(tests, struct {
			result string
			want   batch.Class
		}{r, batch.ClassFree})
	}
	tests = append(tests, struct {
		result string
		want   batch.Class
	}{"-18", batch.ClassBusy}, struct {
		result string
		want   batch.Class
	}{"-99", batch.ClassUnknown})

	var answer atomic.Value
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, answer.Load().(string))
	})
	c := newClient(t, Config{Endpoint: srv.URL})
	for _, tt := range tests {
		t.Run(tt.result, func(t *testing.T) {
			answer.Store(resultBody(tt.result, "desc "+tt.result, "req-"+tt.result))
			a := c.Verify(t.Context(), sampleFields)
			want := batch.Answer{Class: tt.want, Result: tt.result, Description: "desc " + tt.result, RequestID: "req-" + tt.result}
			if a != want {
				t.Errorf("Verify = %+v, want %+v", a, want)
			}
		})
	}
}

func TestVerifyAnswers(t *testing.T) {
	tests := []struct {
		name    string
		respond http.HandlerFunc
		class   batch.Class
		code    string
		reqID   string
		message string
	}{
		{"throttle", jsonAnswer(200, errorBody("RequestLimitExceeded", "slow down", "r1")), batch.ClassThrottle, "RequestLimitExceeded", "r1", "slow down"},
		{"throttle sub-code", jsonAnswer(200, errorBody("RequestLimitExceeded.UinLimitExceeded", "m", "r2")), batch.ClassThrottle, "RequestLimitExceeded.UinLimitExceeded", "r2", "m"},
		{"internal error", jsonAnswer(200, errorBody("InternalError", "m", "r3")), batch.ClassRetry, "InternalError", "r3", "m"},
		{"service unavailable", jsonAnswer(200, errorBody("ServiceUnavailable", "m", "r4")), batch.ClassRetry, "ServiceUnavailable", "r4", "m"},
		{"resource unavailable", jsonAnswer(200, errorBody("ResourceUnavailable.X", "m", "r5")), batch.ClassRetry, "ResourceUnavailable.X", "r5", "m"},
		{"auth failure", jsonAnswer(200, errorBody("AuthFailure.SignatureFailure", "bad sig", "r6")), batch.ClassAbort, "AuthFailure.SignatureFailure", "r6", "bad sig"},
		{"arrears", jsonAnswer(200, errorBody("UnauthorizedOperation.Arrears", "m", "r7")), batch.ClassAbort, "UnauthorizedOperation.Arrears", "r7", "m"},
		{"sts", jsonAnswer(200, errorBody("FailedOperation.StsUnAuthErrError", "m", "r8")), batch.ClassAbort, "FailedOperation.StsUnAuthErrError", "r8", "m"},
		{"invalid action", jsonAnswer(200, errorBody("InvalidAction", "m", "r9")), batch.ClassAbort, "InvalidAction", "r9", "m"},
		{"no such version", jsonAnswer(200, errorBody("NoSuchVersion", "m", "r10")), batch.ClassAbort, "NoSuchVersion", "r10", "m"},
		{"unsupported region", jsonAnswer(200, errorBody("UnsupportedRegion", "m", "r11")), batch.ClassAbort, "UnsupportedRegion", "r11", "m"},
		{"invalid parameter", jsonAnswer(200, errorBody("InvalidParameter", "bad", "r12")), batch.ClassRowError, "InvalidParameter", "r12", "bad"},
		{"decrypt error", jsonAnswer(200, errorBody("FailedOperation.DecryptSystemError", "m", "r13")), batch.ClassRowError, "FailedOperation.DecryptSystemError", "r13", "m"},
		// The message never decides: a row error that talks about limits stays a row error.
		{"message ignored", jsonAnswer(200, errorBody("InvalidParameterValue", "RequestLimitExceeded AuthFailure", "r14")), batch.ClassRowError, "InvalidParameterValue", "r14", "RequestLimitExceeded AuthFailure"},
		{"HTTP 502", jsonAnswer(502, "<html>bad gateway</html>"), batch.ClassRetry, "HTTP 502", "", "Bad Gateway"},
		{"HTTP 503 with error body", jsonAnswer(503, errorBody("AuthFailure.SignatureFailure", "m", "r15")), batch.ClassRetry, "HTTP 503", "r15", "Service Unavailable"},
		{"HTTP 429", jsonAnswer(429, "too many"), batch.ClassThrottle, "HTTP 429", "", "Too Many Requests"},
		{"HTTP 404", jsonAnswer(404, "not found"), batch.ClassRowError, "HTTP 404", "", "Not Found"},
		{"HTTP 400 with error body", jsonAnswer(400, errorBody("InvalidParameter", "m", "r16")), batch.ClassRowError, "InvalidParameter", "r16", "m"},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		}, batch.ClassRowError, "HTTP 307", "", "Temporary Redirect"},
		{"200 not JSON", jsonAnswer(200, "<html>portal</html>"), batch.ClassLost, "BadResponse", "", ""},
		{"200 without result", jsonAnswer(200, `{"Response":{"RequestId":"r17"}}`), batch.ClassLost, "BadResponse", "r17", ""},
		{"numeric result", jsonAnswer(200, `{"Response":{"Result":-6,"RequestId":"r18"}}`), batch.ClassCharged, "", "r18", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := newServer(t, tt.respond)
			c := newClient(t, Config{Endpoint: srv.URL})
			a := c.Verify(t.Context(), sampleFields)
			if a.Class != tt.class || a.Code != tt.code || a.RequestID != tt.reqID {
				t.Errorf("Verify = %+v, want class %v code %q request id %q", a, tt.class, tt.code, tt.reqID)
			}
			if tt.message != "" && a.Message != tt.message {
				t.Errorf("Message = %q, want %q", a.Message, tt.message)
			}
			if n := len(got); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

func TestVerifyNumericResultDescription(t *testing.T) {
	srv, _ := newServer(t, jsonAnswer(200, `{"Response":{"Result":-6,"RequestId":"r"}}`))
	a := newClient(t, Config{Endpoint: srv.URL}).Verify(t.Context(), sampleFields)
	if a.Result != "-6" || a.Description != "Cardholder information is incorrect" {
		t.Errorf("Verify = %+v, want Result -6 with the documented description", a)
	}
}

// TestVerifyConnectionRefused: nothing listens, nothing was sent: retry.
func TestVerifyConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newClient(t, Config{Endpoint: "http://" + addr})
	a := c.Verify(t.Context(), sampleFields)
	if a.Class != batch.ClassRetry || a.Code != "ConnectError" {
		t.Errorf("Verify = %+v, want retry ConnectError", a)
	}
	assertNoPersonalData(t, a.Message)
}

// TestVerifyHijackClose: the server reads the whole request and hangs up
// without answering: the call may have been charged, so it is lost.
func TestVerifyHijackClose(t *testing.T) {
	srv, got := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	})
	c := newClient(t, Config{Endpoint: srv.URL})
	a := c.Verify(t.Context(), sampleFields)
	if a.Class != batch.ClassLost || a.Code != "ConnectionLost" {
		t.Errorf("Verify = %+v, want lost ConnectionLost", a)
	}
	if len(got) != 1 {
		t.Errorf("server saw %d requests, want 1", len(got))
	}
	assertNoPersonalData(t, a.Message)
}

// TestVerifyTruncatedAnswer: a 200 whose body is cut off is lost.
func TestVerifyTruncatedAnswer(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"Response\":{\"Result\":\"0\"")
		buf.Flush()
		conn.Close()
	})
	a := newClient(t, Config{Endpoint: srv.URL}).Verify(t.Context(), sampleFields)
	if a.Class != batch.ClassLost || a.Code != "ConnectionLost" {
		t.Errorf("Verify = %+v, want lost ConnectionLost", a)
	}
}

// blockingServer holds every request until the test ends, and reports each
// one it received on the returned channel.
func blockingServer(t *testing.T) (*httptest.Server, <-chan struct{}) {
	release := make(chan struct{})
	received := make(chan struct{}, 4)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv, received
}

// TestVerifyTimeout: the server takes the request and does not answer
// within Timeout: lost.
func TestVerifyTimeout(t *testing.T) {
	srv, _ := blockingServer(t)
	c := newClient(t, Config{Endpoint: srv.URL, Timeout: 50 * time.Millisecond})
	a := c.Verify(t.Context(), sampleFields)
	if a.Class != batch.ClassLost || a.Code != "Timeout" {
		t.Errorf("Verify = %+v, want lost Timeout", a)
	}
	assertNoPersonalData(t, a.Message)
}

// TestVerifyCancelled: a context cancelled after the request went out
// loses the answer; one cancelled before anything was sent is a retry.
func TestVerifyCancelled(t *testing.T) {
	t.Run("after sending", func(t *testing.T) {
		srv, received := blockingServer(t)
		c := newClient(t, Config{Endpoint: srv.URL})
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-received
			cancel()
		}()
		a := c.Verify(ctx, sampleFields)
		if a.Class != batch.ClassLost || a.Code != "Cancelled" {
			t.Errorf("Verify = %+v, want lost Cancelled", a)
		}
	})
	t.Run("before sending", func(t *testing.T) {
		srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
		c := newClient(t, Config{Endpoint: srv.URL})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		a := c.Verify(ctx, sampleFields)
		if a.Class != batch.ClassRetry || a.Code != "Cancelled" {
			t.Errorf("Verify = %+v, want retry Cancelled", a)
		}
		if len(got) != 0 {
			t.Errorf("server saw %d requests, want 0", len(got))
		}
	})
}

func TestVerifyInvalidCertTypeSendsNothing(t *testing.T) {
	srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
	f := sampleFields
	f.CertType = "x"
	a := newClient(t, Config{Endpoint: srv.URL}).Verify(t.Context(), f)
	if a.Class != batch.ClassRowError || a.Code != "InvalidCertType" {
		t.Errorf("Verify = %+v, want row error InvalidCertType", a)
	}
	if len(got) != 0 {
		t.Errorf("server saw %d requests, want 0", len(got))
	}
}

func TestVerifyBody(t *testing.T) {
	tests := []struct {
		certType string
		want     string
	}{
		{"", `{"Name":"张三","BankCard":"6222021234567890123","Phone":"13800138000","IdCard":"11010119900307663X"}`},
		{"0", `{"Name":"张三","BankCard":"6222021234567890123","Phone":"13800138000","IdCard":"11010119900307663X","CertType":0}`},
	}
	for _, tt := range tests {
		t.Run("certtype="+tt.certType, func(t *testing.T) {
			srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
			f := sampleFields
			f.CertType = tt.certType
			newClient(t, Config{Endpoint: srv.URL}).Verify(t.Context(), f)
			r := <-got
			if string(r.body) != tt.want {
				t.Errorf("body = %s, want %s", r.body, tt.want)
			}
		})
	}
}

// TestVerifyHeadersAndSignature checks every header of a captured request
// and recomputes its signature from what the server received.
func TestVerifyHeadersAndSignature(t *testing.T) {
	srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
	var clock atomic.Int64
	clock.Store(1_700_000_000)
	cred := Credential{SecretID: "AKIDsig", SecretKey: "sigSecretKey-0010", Token: "sigToken-0010"}
	c := newClient(t, Config{
		Endpoint:   srv.URL,
		Region:     "ap-guangzhou",
		Language:   "zh-CN",
		Credential: cred,
		Now:        func() time.Time { return time.Unix(clock.Load(), 0) },
	})
	// The timestamp must be the time of the attempt, not of New.
	const sendTime = 1_700_000_321
	clock.Store(sendTime)
	if a := c.Verify(t.Context(), sampleFields); a.Class != batch.ClassCharged {
		t.Fatalf("Verify = %+v", a)
	}
	r := <-got
	host := strings.TrimPrefix(srv.URL, "http://")
	want := map[string]string{
		"Content-Type":   "application/json",
		"X-Tc-Action":    "BankCard4EVerification",
		"X-Tc-Version":   "2018-03-01",
		"X-Tc-Timestamp": "1700000321",
		"X-Tc-Region":    "ap-guangzhou",
		"X-Tc-Language":  "zh-CN",
		"X-Tc-Token":     "sigToken-0010",
	}
	for k, v := range want {
		if g := r.header.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
	if r.host != host {
		t.Errorf("Host = %q, want %q", r.host, host)
	}
	auth := r.header.Get("Authorization")
	if !strings.Contains(auth, "SignedHeaders=content-type;host,") {
		t.Errorf("Authorization %q does not sign content-type;host", auth)
	}
	signed := Sign(cred.SecretID, cred.SecretKey, "faceid",
		map[string]string{"content-type": r.header.Get("Content-Type"), "host": r.host}, r.body, sendTime)
	if auth != signed.Authorization {
		t.Errorf("Authorization = %q\nrecomputed      %q", auth, signed.Authorization)
	}
	if !strings.Contains(auth, "Credential=AKIDsig/2023-11-14/faceid/tc3_request") {
		t.Errorf("Authorization %q: wrong credential scope", auth)
	}
}

func TestVerifyOptionalHeaders(t *testing.T) {
	srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
	newClient(t, Config{Endpoint: srv.URL}).Verify(t.Context(), sampleFields)
	r := <-got
	for _, k := range []string{"X-Tc-Region", "X-Tc-Token"} {
		if v, ok := r.header[k]; ok {
			t.Errorf("header %s = %q sent though not configured", k, v)
		}
	}
	if g := r.header.Get("X-Tc-Language"); g != "en-US" {
		t.Errorf("X-TC-Language = %q, want en-US", g)
	}
}

// TestSessionTokenFromEnvironment follows a session token from the
// environment to the X-TC-Token header.
func TestSessionTokenFromEnvironment(t *testing.T) {
	for _, name := range []string{EnvSessionToken, EnvToken} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{EnvSecretID: "AKIDenv", EnvSecretKey: envKey, name: envToken}
			cred, err := LoadCredential(CredentialOptions{Getenv: func(k string) string { return env[k] }, Home: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
			newClient(t, Config{Endpoint: srv.URL, Credential: cred}).Verify(t.Context(), sampleFields)
			r := <-got
			if g := r.header.Get("X-Tc-Token"); g != envToken {
				t.Errorf("X-TC-Token = %q, want the session token", g)
			}
		})
	}
}

func assertNoPersonalData(t *testing.T, s string) {
	t.Helper()
	for _, v := range []string{sampleFields.Name, sampleFields.BankCard, sampleFields.Phone, sampleFields.IDCard} {
		if strings.Contains(s, v) {
			t.Errorf("%q holds personal data %q", s, v)
		}
	}
}

// The body must be JSON the service can read, whatever the fields hold.
func TestVerifyBodyEscapes(t *testing.T) {
	srv, got := newServer(t, jsonAnswer(200, resultBody("0", "ok", "r")))
	f := batch.Fields{Name: `a"b\c<d>`, BankCard: "1", Phone: "2", IDCard: "3"}
	newClient(t, Config{Endpoint: srv.URL}).Verify(t.Context(), f)
	r := <-got
	var back struct{ Name string }
	if err := json.Unmarshal(r.body, &back); err != nil || back.Name != f.Name {
		t.Errorf("body %s: Name = %q, %v", r.body, back.Name, err)
	}
}
