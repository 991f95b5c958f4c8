package verifier

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The moment a request goes out. net/http's httptrace reports a request
// "written" when it is in the connection's buffer, before the buffer is
// flushed to the socket; a goroutine preempted between the two sends it
// later than it said. The run's rate guard wants the time the bytes left:
// every connection the client dials is a wireConn, and while an attempt
// holds one, each write to it that ends calls the attempt's
// batch.WrittenFunc with the time.

// wireConn is a net.Conn that calls the function armed on it after each
// write.
type wireConn struct {
	net.Conn
	armed atomic.Pointer[func(time.Time)]
}

// Write writes p and tells the attempt armed when it began (the answer
// may come, and the attempt end, before the goroutine that wrote runs on).
func (c *wireConn) Write(p []byte) (int, error) {
	f := c.armed.Load()
	n, err := c.Conn.Write(p)
	if f != nil && n > 0 {
		(*f)(time.Now())
	}
	return n, err
}

// withWireConns returns rt with every connection it dials made a
// wireConn. A *http.Transport (the default, or the caller's) is cloned and
// its DialContext wrapped; any other RoundTripper, or a transport that
// dials TLS itself or through the old Dial, is returned as it is, and its
// writes are not reported.
func withWireConns(rt http.RoundTripper) http.RoundTripper {
	t, ok := rt.(*http.Transport)
	if !ok || t.DialTLSContext != nil {
		return rt
	}
	//lint:ignore SA1019 a caller's transport that still dials the old way is left as it is
	if t.Dial != nil || t.DialTLS != nil {
		return rt
	}
	t = t.Clone()
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &wireConn{Conn: c}, nil
	}
	return t
}

// wireOf is the wireConn under c (c itself, or under TLS), or nil.
func wireOf(c net.Conn) *wireConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	w, _ := c.(*wireConn)
	return w
}

// armWire arms f on the connection c for as long as the attempt holds it:
// disarm, called when the answer's first byte comes (the request has gone
// out whole) or when the attempt ends, stops it.
func armWire(c net.Conn, f *func(time.Time)) (disarm func()) {
	w := wireOf(c)
	if w == nil || f == nil {
		return func() {}
	}
	w.armed.Store(f)
	return func() { w.armed.CompareAndSwap(f, nil) }
}
