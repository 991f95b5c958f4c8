package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/bankcard4e/bankcard4e/batch"
)

// request is the JSON body of one call, fields in the documented order.
type request struct {
	Name       string
	BankCard   string
	Phone      string
	IdCard     string
	CertType   *int        `json:",omitempty"`
	Encryption *Encryption `json:",omitempty"`
}

// answer is the JSON body of a response.
type answer struct {
	Response struct {
		Result      json.RawMessage
		Description string
		RequestId   string
		Error       *struct {
			Code    string
			Message string
		}
	}
}

// The progress of one attempt on the wire, as httptrace reports it.
const (
	wireNone      int32 = iota // no connection yet: nothing sent
	wireGotConn                // a connection, the request maybe partly written
	wireWriteFail              // the request could not be written whole: the service cannot act on it
	wireWritten                // the request was written whole
)

// Verify makes one signed attempt for f and says what the answer means. It
// never retries and never returns a Go error: every failure is an Answer.
//
//   - HTTP 200 with Result: ResultClass; with Error: ErrorClass of the code.
//   - HTTP 5xx, whatever the body: ClassRetry, Code "HTTP 503" and so on.
//   - HTTP 429 without a Tencent error: ClassThrottle, Code "HTTP 429".
//   - Another status with a Tencent error body: ErrorClass of the code; with
//     none: ClassRowError, Code "HTTP 404" and so on (the service did not take
//     the call, and a redirect is never followed).
//   - No connection, or the request not written whole (dial, DNS, TLS, reset
//     while writing): ClassRetry, Code "ConnectError".
//   - The request written but no whole answer (timeout, reset, EOF, a 200
//     whose body is cut or is not an answer): ClassLost, Code "Timeout",
//     "ConnectionLost", "Cancelled" (ctx done) or "BadResponse". When it is
//     unclear whether the request went out, the answer is ClassLost: a call
//     that may have been charged is never reported as not sent.
//   - A CertType that is not an integer: ClassRowError, Code
//     "InvalidCertType", and nothing is sent.
//
// Message holds the service's message or the transport error's text, never
// the request body. Verify is safe for concurrent use.
func (c *Client) Verify(ctx context.Context, f batch.Fields) batch.Answer {
	body, a, ok := c.body(f)
	if !ok {
		return a
	}

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var wire atomic.Int32
	var written *func(time.Time) // the run's: told when the request's bytes reach the connection
	if f := batch.WrittenFunc(ctx); f != nil {
		written = &f
	}
	var disarm atomic.Pointer[func()]
	defer func() {
		if d := disarm.Load(); d != nil {
			(*d)()
		}
	}()
	trace := &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) {
			wire.Store(wireGotConn)
			if written != nil {
				d := armWire(i.Conn, written)
				if old := disarm.Swap(&d); old != nil {
					(*old)() // a connection given up for another
				}
			}
		},
		GotFirstResponseByte: func() {
			if d := disarm.Load(); d != nil {
				(*d)()
			}
		},
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err != nil {
				wire.Store(wireWriteFail)
			} else {
				wire.Store(wireWritten)
			}
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace), http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return batch.Answer{Class: batch.ClassRetry, Code: "RequestError", Message: err.Error()}
	}
	req.Host = c.host

	// The timestamp is taken now, as the attempt is sent, not when the row
	// was queued: the service refuses one more than 5 minutes off.
	ts := c.now().Unix()
	signed := Sign(c.cred.SecretID, c.cred.SecretKey, Service,
		map[string]string{"content-type": contentType, "host": c.host}, body, ts)
	h := req.Header
	h["Content-Type"] = []string{contentType}
	h["Authorization"] = []string{signed.Authorization}
	h["X-Tc-Action"] = []string{Action}
	h["X-Tc-Version"] = []string{Version}
	h["X-Tc-Timestamp"] = []string{strconv.FormatInt(ts, 10)}
	h["X-Tc-Language"] = []string{c.lang}
	h["User-Agent"] = []string{"bankcard4e"}
	if c.region != "" {
		h["X-Tc-Region"] = []string{c.region}
	}
	if c.cred.Token != "" {
		h["X-Tc-Token"] = []string{c.cred.Token}
	}

	resp, err := c.http.Do(req)
	if err != nil {
		a = c.transportAnswer(ctx, actx, err, wire.Load())
	} else {
		a = c.readAnswer(ctx, actx, resp)
	}
	return scrub(a, f)
}

// scrub masks, in the text the service (or a gateway, or the transport)
// put into an answer, every occurrence of the request's own values and
// then every run of six or more digits, so that an answer that echoes the
// request carries no name, ID, card or phone number into the journal,
// report, Summary sheet, metrics or console. It runs after the class is
// decided: classification never reads these texts.
func scrub(a batch.Answer, f batch.Fields) batch.Answer {
	clean := func(s string) string {
		for _, v := range []string{f.Name, f.IDCard, f.BankCard, f.Phone} {
			if utf8.RuneCountInString(v) >= 2 && strings.Contains(s, v) {
				s = strings.ReplaceAll(s, v, "***")
			}
		}
		return batch.ScrubDigits(s)
	}
	// Result and Code are short tokens that tallies group by: only long
	// digit runs are masked there, not the request's values.
	a.Result = batch.ScrubDigits(a.Result)
	a.Code = batch.ScrubDigits(a.Code)
	a.Description = clean(a.Description)
	a.Message = clean(a.Message)
	if !uuidShaped(a.RequestID) {
		a.RequestID = clean(a.RequestID)
	}
	return a
}

// uuidShaped reports whether s looks like the service's RequestId, a UUID
// (8-4-4-4-12 hex digits): it is kept whole, for support requests.
func uuidShaped(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// body encodes the request body. ok is false when the row cannot be sent;
// a is then the answer.
func (c *Client) body(f batch.Fields) (body []byte, a batch.Answer, ok bool) {
	r := request{Name: f.Name, BankCard: f.BankCard, Phone: f.Phone, IdCard: f.IDCard}
	if f.CertType != "" {
		n, err := strconv.Atoi(f.CertType)
		if err != nil {
			return nil, batch.Answer{Class: batch.ClassRowError, Code: "InvalidCertType", Message: "CertType must be an integer (0: ID card)"}, false
		}
		r.CertType = &n
	}
	if c.key != nil {
		var e *Encryption
		var err error
		if c.key.sm2 != nil {
			e, err = encryptSM4GCM(c.key.sm2, &r.Name, &r.BankCard, &r.Phone, &r.IdCard)
		} else {
			e, err = encryptFields(c.key.rsa, &r.Name, &r.BankCard, &r.Phone, &r.IdCard)
		}
		if err != nil {
			return nil, batch.Answer{Class: batch.ClassRetry, Code: "EncryptError", Message: err.Error()}, false
		}
		r.Encryption = e
	}
	body, err := json.Marshal(&r)
	if err != nil { // strings and ints always encode
		return nil, batch.Answer{Class: batch.ClassRowError, Code: "EncodeError", Message: "request could not be encoded"}, false
	}
	return body, batch.Answer{}, true
}

// transportAnswer classifies an attempt that got no response header.
func (c *Client) transportAnswer(ctx, actx context.Context, err error, wire int32) batch.Answer {
	msg := err.Error() // a *url.Error: method, URL and cause, never the body
	if wire == wireNone || wire == wireWriteFail {
		if code, fix, ok := localFailure(err, c.host); ok && ctx.Err() == nil {
			return batch.Answer{Class: batch.ClassAbort, Code: code, Message: fix}
		}
		code := "ConnectError"
		if ctx.Err() != nil {
			code = "Cancelled"
		} else if actx.Err() != nil {
			code = "Timeout"
		}
		return batch.Answer{Class: batch.ClassRetry, Code: code, Message: msg}
	}
	return batch.Answer{Class: batch.ClassLost, Code: lostCode(ctx, actx, err), Message: msg}
}

// lostCode labels an answer lost after the request went out.
func lostCode(ctx, actx context.Context, err error) string {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return "Cancelled"
	case actx.Err() != nil, errors.As(err, &ne) && ne.Timeout():
		return "Timeout"
	}
	return "ConnectionLost"
}

// readAnswer reads and classifies a response.
func (c *Client) readAnswer(ctx, actx context.Context, resp *http.Response) batch.Answer {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize+1))
	status := resp.StatusCode
	statusCode := "HTTP " + strconv.Itoa(status)
	statusText := http.StatusText(status)

	if status >= 500 {
		a := batch.Answer{Class: batch.ClassRetry, Code: statusCode, Message: statusText}
		var ans answer
		if err == nil && json.Unmarshal(data, &ans) == nil {
			a.RequestID = ans.Response.RequestId
		}
		return a
	}
	if err != nil {
		if status == http.StatusOK {
			return batch.Answer{Class: batch.ClassLost, Code: lostCode(ctx, actx, err), Message: "reading the answer: " + err.Error()}
		}
		return batch.Answer{Class: batch.ClassRowError, Code: statusCode, Message: statusText}
	}
	var ans answer
	if len(data) > maxAnswerSize || json.Unmarshal(data, &ans) != nil {
		ans = answer{}
	}
	r := &ans.Response
	if e := r.Error; e != nil && len(r.Result) > 0 && string(r.Result) != "null" {
		// Both a Result and an Error: the service may have billed it.
		return batch.Answer{Class: batch.ClassLost, Code: "ResultAndError", Message: "the answer carries both a Result and an Error (" + e.Code + "): it may have been charged", RequestID: r.RequestId}
	}
	if status == http.StatusProxyAuthRequired {
		// A proxy in front of a plain http:// endpoint asks for a login.
		return batch.Answer{Class: batch.ClassAbort, Code: CodeProxy, Message: "the proxy asks for a login (HTTP 407 Proxy Authentication Required): put its user and password in HTTP_PROXY / HTTPS_PROXY, or check NO_PROXY", RequestID: r.RequestId}
	}
	if e := r.Error; e != nil {
		return batch.Answer{Class: ErrorClass(e.Code), Code: e.Code, Message: e.Message, RequestID: r.RequestId}
	}
	if status != http.StatusOK {
		if status == http.StatusTooManyRequests {
			return batch.Answer{Class: batch.ClassThrottle, Code: statusCode, Message: statusText, RequestID: r.RequestId}
		}
		return batch.Answer{Class: batch.ClassRowError, Code: statusCode, Message: statusText, RequestID: r.RequestId}
	}
	result, ok := resultString(r.Result)
	if !ok {
		return batch.Answer{Class: batch.ClassLost, Code: "BadResponse", Message: "HTTP 200 without a Result or an Error", RequestID: r.RequestId}
	}
	desc := r.Description
	if desc == "" {
		desc = ResultDescription(result)
	}
	return batch.Answer{Class: ResultClass(result), Result: result, Description: desc, RequestID: r.RequestId}
}

// resultString reads Response.Result, a JSON string (or, leniently, a
// number). ok is false when it is absent or null.
func resultString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}
