package verifier

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// stamps collects the times a Verifier reports through batch.WithWritten.
type stamps struct {
	mu sync.Mutex
	ts []time.Time
}

func (s *stamps) add(t time.Time) { s.mu.Lock(); s.ts = append(s.ts, t); s.mu.Unlock() }

func (s *stamps) all() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.ts...)
}

// A request is reported written when its bytes have left, not when they
// are in the connection's buffer: over a pipe whose other end reads only
// after a pause, the last report comes after the pause. (httptrace's
// WroteRequest comes before the buffer is flushed, so it would be early
// here.)
func TestWrittenWhenTheBytesLeave(t *testing.T) {
	const pause = 150 * time.Millisecond
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	go func() {
		time.Sleep(pause)
		br := bufio.NewReader(server)
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Errorf("server: %v", err)
			return
		}
		io.Copy(io.Discard, req.Body)
		body := resultBody("0", "ok", "7c7c7c7c-0000-4000-8000-000000000001")
		io.WriteString(server, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	}()
	tr := NewTransport()
	tr.Proxy = nil
	dials := 0
	tr.DialContext = func(context.Context, string, string) (net.Conn, error) {
		dials++
		return client, nil
	}
	c := newClient(t, Config{Endpoint: "http://127.0.0.1:1", Transport: tr})
	var got stamps
	begin := time.Now()
	a := c.Verify(batch.WithWritten(t.Context(), got.add), sampleFields)
	if a.Class != batch.ClassCharged {
		t.Fatalf("answer %v %q %q, want the canned Result 0", a.Class, a.Code, a.Message)
	}
	for deadline := time.Now().Add(5 * time.Second); len(got.all()) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // the last report may come after the answer
	}
	ts := got.all()
	if len(ts) == 0 {
		t.Fatal("no write was reported")
	}
	if last := ts[len(ts)-1]; last.Sub(begin) < pause {
		t.Errorf("the request was reported written %v after the call began, before the other end read it (%v)", last.Sub(begin), pause)
	}
	if dials != 1 {
		t.Errorf("%d dials through the caller's DialContext, want 1", dials)
	}
}

// Over TLS the writes are reported too, and a connection used again for
// later attempts reports to each its own, never to one that has ended
// (not even when the next attempt has nobody to tell).
func TestWrittenOverTLSAndOnlyToItsAttempt(t *testing.T) {
	srv := httptest.NewTLSServer(jsonAnswer(http.StatusOK, resultBody("0", "ok", "7c7c7c7c-0000-4000-8000-000000000002")))
	t.Cleanup(srv.Close)
	tr := NewTransport()
	tr.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c := newClient(t, Config{Endpoint: srv.URL, Transport: tr})
	var first, second stamps
	if a := c.Verify(batch.WithWritten(t.Context(), first.add), sampleFields); a.Class != batch.ClassCharged {
		t.Fatalf("first: %v %q %q", a.Class, a.Code, a.Message)
	}
	for deadline := time.Now().Add(5 * time.Second); len(first.all()) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	n := len(first.all())
	if n == 0 {
		t.Fatal("no write of the first attempt was reported over TLS")
	}
	// An attempt with nobody to tell, on the same connection, then one more.
	if a := c.Verify(t.Context(), sampleFields); a.Class != batch.ClassCharged {
		t.Fatalf("untold: %v %q %q", a.Class, a.Code, a.Message)
	}
	if a := c.Verify(batch.WithWritten(t.Context(), second.add), sampleFields); a.Class != batch.ClassCharged {
		t.Fatalf("second: %v %q %q", a.Class, a.Code, a.Message)
	}
	// The report of the last write may come after the answer: the
	// goroutine that wrote it may run on after Verify returned.
	for deadline := time.Now().Add(5 * time.Second); len(second.all()) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if len(second.all()) == 0 {
		t.Error("no write of the second attempt was reported")
	}
	if m := len(first.all()); m != n {
		t.Errorf("the first attempt was told of %d more writes after it ended", m-n)
	}
}
