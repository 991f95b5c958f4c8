package simulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// maxBody bounds the request body read; a real one is a few hundred bytes.
const maxBody = 1 << 20

// draws are one request's fault and latency draws, made in a fixed order.
type draws struct {
	dropBefore, http5xx, throttle, internal, busy, dropAfter float64
	status503                                                bool
	latency                                                  float64 // 0..1 of LatencyMax-LatencyMin
	resultAndError                                           float64 // drawn last, so older seeds keep their faults
}

// draw makes the draws of request n from Config.Seed.
func (s *Simulator) draw(n int) draws {
	r := mrand.New(mrand.NewPCG(uint64(s.cfg.Seed), uint64(n)))
	return draws{
		dropBefore: r.Float64(), http5xx: r.Float64(), throttle: r.Float64(),
		internal: r.Float64(), busy: r.Float64(), dropAfter: r.Float64(),
		status503: r.IntN(2) == 1, latency: r.Float64(),
		resultAndError: r.Float64(),
	}
}

// reply is the decided answer to one request.
type reply struct {
	status    int    // HTTP status; 200 for JSON answers
	result    string // Result code, when an answer
	desc      string
	err       *apiError // error answer
	alsoErr   *apiError // an error sent beside the Result (billed as the Result)
	dropAfter bool      // close instead of sending
}

// ServeHTTP answers one request like the service: POST / only, the header
// and signature checks, the request window, then faults and the answer.
// A drop hijacks the connection and closes it; under a ResponseWriter that
// cannot be hijacked it panics with http.ErrAbortHandler, which net/http
// turns into a closed connection.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.stats.Requests++
	faults := s.faults
	s.mu.Unlock()

	if r.Method != http.MethodPost || r.URL.Path != "/" {
		s.finish(w, reply{status: http.StatusNotFound}, "")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil { // the client went away while sending
		s.mu.Lock()
		s.stats.Cancelled++
		s.mu.Unlock()
		return
	}
	lang := r.Header.Get("X-TC-Language")
	if e := s.checkRequest(r, body, faults.AuthFailure); e != nil {
		s.finish(w, reply{status: http.StatusOK, err: e}, lang)
		return
	}

	s.mu.Lock()
	ok, inWindow, arrivals := s.window.admit(s.now())
	s.stats.MaxInWindow = max(s.stats.MaxInWindow, inWindow)
	s.stats.MaxArrivalsWindow = max(s.stats.MaxArrivalsWindow, arrivals)
	s.mu.Unlock()
	if !ok {
		s.finish(w, reply{status: http.StatusOK, err: newAPIError("RequestLimitExceeded", "")}, lang)
		return
	}

	fields, bodyErr := s.parseBody(body)
	var inj *Injection
	if s.cfg.Inject != nil {
		inj = s.cfg.Inject(fields, n)
	}
	d := s.draw(n)
	if (inj != nil && inj.DropBefore) || (inj == nil && d.dropBefore < faults.DropBefore) {
		s.mu.Lock()
		s.stats.DroppedBefore++
		s.mu.Unlock()
		drop(w)
		return
	}

	delay := s.cfg.LatencyMin + time.Duration(d.latency*float64(s.cfg.LatencyMax-s.cfg.LatencyMin))
	if inj != nil && inj.Delay > 0 {
		delay = inj.Delay
	}
	if !s.sleep(r, delay) {
		s.mu.Lock()
		s.stats.Cancelled++
		s.mu.Unlock()
		return
	}

	// Decide and count under one lock, so that ArrearsAfter and the
	// charged count are exact under concurrency.
	s.mu.Lock()
	rep := s.decide(fields, bodyErr, inj, d, faults, lang)
	if faults.Echo {
		echo(&rep, fields)
	}
	s.count(rep)
	s.mu.Unlock()
	if rep.dropAfter {
		drop(w)
		return
	}
	s.write(w, rep, lang)
}

// decide picks the answer. The caller holds s.mu.
func (s *Simulator) decide(f batch.Fields, bodyErr *apiError, inj *Injection, d draws, faults Faults, lang string) reply {
	if inj != nil {
		rep := reply{status: http.StatusOK, dropAfter: inj.DropAfter}
		switch {
		case inj.HTTPStatus != 0 && inj.HTTPStatus != http.StatusOK:
			return reply{status: inj.HTTPStatus}
		case inj.Error != "":
			rep.err = newAPIError(inj.Error, inj.Message)
		case inj.Result != "":
			rep.result, rep.desc = inj.Result, inj.Description
			if rep.desc == "" {
				rep.desc = description(inj.Result, lang)
			}
		default:
			s.normal(&rep, f, bodyErr, lang)
		}
		if inj.AlsoError != "" && rep.err == nil {
			rep.alsoErr = newAPIError(inj.AlsoError, inj.Message)
		}
		return rep
	}
	switch {
	case d.http5xx < faults.HTTP5xx:
		if d.status503 {
			return reply{status: http.StatusServiceUnavailable}
		}
		return reply{status: http.StatusBadGateway}
	case faults.ArrearsAfter > 0 && s.stats.Charged >= faults.ArrearsAfter:
		return reply{status: http.StatusOK, err: newAPIError("UnauthorizedOperation.Arrears", "")}
	case d.throttle < faults.Throttle:
		return reply{status: http.StatusOK, err: newAPIError("RequestLimitExceeded", "")}
	case d.internal < faults.InternalError:
		return reply{status: http.StatusOK, err: newAPIError("InternalError", "")}
	}
	rep := reply{status: http.StatusOK, dropAfter: d.dropAfter < faults.DropAfter}
	if bodyErr == nil && d.busy < faults.Busy {
		rep.result, rep.desc = "-18", description("-18", lang)
		return rep
	}
	s.normal(&rep, f, bodyErr, lang)
	if rep.err == nil && d.resultAndError < faults.ResultAndError {
		rep.alsoErr = newAPIError("InternalError", "")
	}
	return rep
}

// echo makes the answer's text repeat the request's fields in clear (the
// Echo fault).
func echo(rep *reply, f batch.Fields) {
	e := " (request: Name=" + f.Name + ", BankCard=" + f.BankCard + ", Phone=" + f.Phone + ", IdCard=" + f.IDCard + ")"
	if rep.err != nil {
		rep.err = &apiError{code: rep.err.code, msg: rep.err.msg + e}
	}
	if rep.alsoErr != nil {
		rep.alsoErr = &apiError{code: rep.alsoErr.code, msg: rep.alsoErr.msg + e}
	}
	if rep.result != "" {
		rep.desc += e
	}
}

// normal fills in the answer the service gives for the body.
func (s *Simulator) normal(rep *reply, f batch.Fields, bodyErr *apiError, lang string) {
	if bodyErr != nil {
		rep.err = bodyErr
		return
	}
	rep.result = s.answerFor(f, s.now())
	rep.desc = description(rep.result, lang)
}

// count adds a decided reply to the stats. The caller holds s.mu.
func (s *Simulator) count(rep reply) {
	st := &s.stats
	switch {
	case rep.status != http.StatusOK:
		st.HTTPErrors++
	case rep.err != nil:
		st.ByError[rep.err.code]++
		switch c := rep.err.code; {
		case c == "RequestLimitExceeded" || strings.HasPrefix(c, "RequestLimitExceeded."):
			st.Throttled++
		case strings.HasPrefix(c, "AuthFailure."):
			st.AuthFailures++
		}
	default:
		if rep.alsoErr != nil {
			st.ResultAndError++
		}
		st.ByResult[rep.result]++
		switch results[rep.result].bill {
		case billCharged:
			st.Charged++
		case billFree:
			st.Free++
		default:
			st.Unknown++
		}
	}
	if rep.dropAfter {
		st.DroppedAfter++
	} else {
		st.Answered++
	}
}

// finish counts and writes a reply decided before processing.
func (s *Simulator) finish(w http.ResponseWriter, rep reply, lang string) {
	s.mu.Lock()
	s.count(rep)
	s.mu.Unlock()
	s.write(w, rep, lang)
}

// sleep waits d, or until the client goes away or Close; it reports
// whether the full wait passed.
func (s *Simulator) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection without a response
}

// write sends a reply.
func (s *Simulator) write(w http.ResponseWriter, rep reply, lang string) {
	if rep.status != http.StatusOK {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(rep.status)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", rep.status, http.StatusText(rep.status))
		return
	}
	type errBody struct{ Code, Message string }
	var resp struct {
		Response struct {
			Result      string   `json:",omitempty"`
			Description string   `json:",omitempty"`
			Error       *errBody `json:",omitempty"`
			RequestId   string
		}
	}
	if rep.err != nil {
		resp.Response.Error = &errBody{Code: rep.err.code, Message: rep.err.msg}
	} else {
		resp.Response.Result, resp.Response.Description = rep.result, rep.desc
		if rep.alsoErr != nil {
			resp.Response.Error = &errBody{Code: rep.alsoErr.code, Message: rep.alsoErr.msg}
		}
	}
	resp.Response.RequestId = requestID()
	b, _ := json.Marshal(resp) // cannot fail: strings only
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-TC-RequestId", resp.Response.RequestId)
	w.Write(b) //nolint:errcheck // a client that went away is its own problem
}

// requestID is a random UUID v4 string, like the service's RequestId.
func requestID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
