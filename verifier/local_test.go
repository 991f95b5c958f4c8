package verifier

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
)

// A failure that is local and will not mend by retrying aborts at the
// first attempt with a Code naming it and a Message naming the fix.
func assertLocalAbort(t *testing.T, a batch.Answer, code, fix string) {
	t.Helper()
	if a.Class != batch.ClassAbort || a.Code != code {
		t.Errorf("answer %v %q (%s), want abort %q", a.Class, a.Code, a.Message, code)
	}
	if !strings.Contains(a.Message, fix) {
		t.Errorf("message %q does not name the fix %q", a.Message, fix)
	}
	if !IsLocalFailure(a.Code) {
		t.Errorf("IsLocalFailure(%q) = false", a.Code)
	}
	assertNoPersonalData(t, a.Message)
	t.Logf("%s: %s", a.Code, a.Message)
}

func TestUntrustedCertificateAborts(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	c := newClient(t, Config{Endpoint: srv.URL}) // the default transport: verification on
	a := c.Verify(t.Context(), sampleFields)
	assertLocalAbort(t, a, CodeCertificate, "SSL_CERT_FILE")
	if hits.Load() != 0 {
		t.Errorf("the request reached the server")
	}
	// With the certificate trusted, the same server is called.
	tr := NewTransport()
	tr.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	if a := newClient(t, Config{Endpoint: srv.URL, Transport: tr}).Verify(t.Context(), sampleFields); a.Class == batch.ClassAbort {
		t.Errorf("trusted certificate: answer %v %q", a.Class, a.Code)
	}
}

// fakeProxy listens on loopback and answers every CONNECT with status;
// it returns its URL and the number of CONNECTs it saw.
func fakeProxy(t *testing.T, status string) (*url.URL, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				if req.Method == http.MethodConnect {
					n.Add(1)
				}
				conn.Write([]byte("HTTP/1.1 " + status + "\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n"))
			}()
		}
	}()
	return &url.URL{Scheme: "http", Host: l.Addr().String()}, &n
}

// The endpoint name is never resolved here: the proxy would, and it is a
// loopback fake. .invalid never resolves anyway.
const proxiedEndpoint = "https://faceid.bankcard4e-test.invalid"

func TestProxy407Aborts(t *testing.T) {
	proxy, connects := fakeProxy(t, "407 Proxy Authentication Required")
	tr := NewTransport()
	tr.Proxy = http.ProxyURL(proxy)
	a := newClient(t, Config{Endpoint: proxiedEndpoint, Transport: tr}).Verify(t.Context(), sampleFields)
	assertLocalAbort(t, a, CodeProxy, "HTTPS_PROXY")
	if connects.Load() != 1 {
		t.Errorf("proxy saw %d CONNECTs, want 1", connects.Load())
	}
}

func TestProxyUnreachableAborts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	tr := NewTransport()
	tr.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: addr})
	a := newClient(t, Config{Endpoint: proxiedEndpoint, Transport: tr}).Verify(t.Context(), sampleFields)
	assertLocalAbort(t, a, CodeProxy, "HTTPS_PROXY")
}

// A proxy's 502 (its upstream failing) is not local: it is retried.
func TestProxy502Retries(t *testing.T) {
	proxy, _ := fakeProxy(t, "502 Bad Gateway")
	tr := NewTransport()
	tr.Proxy = http.ProxyURL(proxy)
	a := newClient(t, Config{Endpoint: proxiedEndpoint, Transport: tr}).Verify(t.Context(), sampleFields)
	if a.Class != batch.ClassRetry {
		t.Errorf("answer %v %q, want retry", a.Class, a.Code)
	}
}

// The default transport honours HTTPS_PROXY as net/http does. net/http
// reads the environment once per process, so the check runs in a child.
func TestHTTPSProxyFromEnvironment(t *testing.T) {
	if os.Getenv("BANKCARD4E_PROXY_CHILD") != "" {
		a := newClient(t, Config{Endpoint: proxiedEndpoint}).Verify(t.Context(), sampleFields)
		assertLocalAbort(t, a, CodeProxy, "HTTPS_PROXY")
		return
	}
	proxy, connects := fakeProxy(t, "407 Proxy Authentication Required")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHTTPSProxyFromEnvironment$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BANKCARD4E_PROXY_CHILD=1", "HTTPS_PROXY="+proxy.String(), "NO_PROXY=", "no_proxy=", "https_proxy="+proxy.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if connects.Load() != 1 {
		t.Errorf("the proxy of HTTPS_PROXY saw %d CONNECTs, want 1\n%s", connects.Load(), out)
	}
}

// fakeDNS answers every query on a loopback UDP port with NXDOMAIN and
// returns a Resolver that asks only it: no query leaves the machine.
func fakeDNS(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			resp := append([]byte(nil), buf[:n]...)
			resp[2] |= 0x80                   // QR: a response
			resp[3] = resp[3]&0x70 | 0x80 | 3 // RA, RCODE 3: NXDOMAIN
			pc.WriteTo(resp, from)
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func TestUnresolvableNameAborts(t *testing.T) {
	tr := NewTransport()
	tr.Proxy = nil
	tr.DialContext = (&net.Dialer{Resolver: fakeDNS(t)}).DialContext
	a := newClient(t, Config{Endpoint: "https://faceid.bankcard4e-test.invalid", Transport: tr}).Verify(t.Context(), sampleFields)
	assertLocalAbort(t, a, CodeDNS, "--endpoint")
	if !strings.Contains(a.Message, "faceid.bankcard4e-test.invalid") {
		t.Errorf("message %q does not name the host", a.Message)
	}
}

// A refused connection (nothing listening) is not local in this sense:
// the service may come back; it stays a retry.
func TestConnectionRefusedStillRetries(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	a := newClient(t, Config{Endpoint: "http://" + addr}).Verify(t.Context(), sampleFields)
	if a.Class != batch.ClassRetry || IsLocalFailure(a.Code) {
		t.Errorf("answer %v %q, want a retry", a.Class, a.Code)
	}
}
