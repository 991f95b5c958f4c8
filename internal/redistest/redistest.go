// Package redistest runs a real redis-server for one test: on a free
// loopback port, in its own temporary directory, with no persistence, and
// stopped when the test ends. The tests of the shared limiter and the Redis
// memory (SPEC section 12) use it, never a fake Redis.
//
// The server is the Debian package redis-server. A test that needs it on a
// machine without it fails and says how to install it; it never skips.
package redistest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options change how the server runs. The zero value is a plain server
// with no password.
type Options struct {
	// Password, when set, is required of every client (requirepass): the
	// URL then has ":Password@" in it.
	Password string
	// User and UserPassword, when both set, add an ACL user with every
	// right (the URL then has "User:UserPassword@"); the default user
	// stays as Password makes it.
	User, UserPassword string
	// TLS serves TLS only (the port speaks TLS; URL is rediss://), with a
	// certificate for 127.0.0.1 made for this server: TLSConfig trusts it.
	TLS bool
}

// Server is one running redis-server. Its methods must be called from the
// test's goroutine.
type Server struct {
	t    testing.TB
	opts Options
	bin  string
	dir  string
	port int

	// Addr is the server's host:port on 127.0.0.1.
	Addr string
	// TLSConfig trusts the server's certificate; nil unless Options.TLS.
	TLSConfig *tls.Config

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *lockedWriter // the server's output, for failure messages
}

// InstallHint is what a test says when redis-server is missing.
const InstallHint = "redis-server is not installed: apt-get install -y redis-server (the tests of --shared run a real Redis on loopback)"

// Binary returns the path of redis-server, or an error carrying
// InstallHint.
func Binary() (string, error) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New(InstallHint)
}

// Start runs a redis-server for t and waits until it answers PING; the
// server is stopped when t ends. It fails t (t.Fatal) when redis-server is
// missing or does not come up.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, opts: opts, bin: bin, dir: t.TempDir()}
	if opts.TLS {
		s.makeCert()
	}
	// A free port can be taken by someone else between the probe and the
	// server's bind: try a few.
	var last error
	for range 5 {
		s.port = freePort(t)
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if last = s.start(); last == nil {
			break
		}
	}
	if last != nil {
		t.Fatalf("redistest: %v", last)
	}
	t.Cleanup(s.Stop)
	return s
}

// URL is the redis:// (or rediss://) URL of database db on the server,
// with the password of Options in it.
func (s *Server) URL(db int) string {
	scheme := "redis"
	if s.opts.TLS {
		scheme = "rediss"
	}
	auth := ""
	switch {
	case s.opts.User != "" && s.opts.UserPassword != "":
		auth = s.opts.User + ":" + s.opts.UserPassword + "@"
	case s.opts.Password != "":
		auth = ":" + s.opts.Password + "@"
	}
	return fmt.Sprintf("%s://%s%s/%d", scheme, auth, s.Addr, db)
}

// Stop ends the server (SIGTERM, then SIGKILL after 5 s) and waits for it.
// Its data is gone: the server keeps nothing on disk. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // in case it was frozen
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart starts the server again on the same port, empty, and waits until
// it answers PING.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	for range 50 { // the old socket may linger a moment
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("redistest: restart on %s: %v", s.Addr, err)
}

// Freeze stops the server process (SIGSTOP) without closing its socket:
// clients connect but get no answer, as from a hung or unreachable host,
// until Thaw. Stop and the test's end thaw it first.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server (SIGCONT).
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Running reports whether the server process is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

func (s *Server) args() []string {
	a := []string{
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "",
		"--loglevel", "warning",
		"--databases", "16",
	}
	if s.opts.TLS {
		a = append(a, "--port", "0", "--tls-port", strconv.Itoa(s.port),
			"--tls-cert-file", filepath.Join(s.dir, "cert.pem"),
			"--tls-key-file", filepath.Join(s.dir, "key.pem"),
			"--tls-auth-clients", "no")
	} else {
		a = append(a, "--port", strconv.Itoa(s.port))
	}
	if s.opts.Password != "" {
		a = append(a, "--requirepass", s.opts.Password)
	}
	if s.opts.User != "" && s.opts.UserPassword != "" {
		a = append(a, "--user", s.opts.User, "on", ">"+s.opts.UserPassword, "~*", "&*", "+@all")
	}
	return a
}

// start runs the server and waits for PING; on failure the process is
// ended and the error holds its output.
func (s *Server) start() error {
	log := &lockedWriter{w: new(bytes.Buffer)}
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Dir = s.dir
	cmd.Stdout = log
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.ping()
		if err == nil {
			break
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server on %s exited: %v\n%s", s.Addr, err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on %s does not answer PING after 10 s: %v\n%s", s.Addr, err, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	s.cmd, s.done, s.log = cmd, done, log
	s.mu.Unlock()
	return nil
}

// ping sends PING and accepts any reply, even NOAUTH: the server is up.
func (s *Server) ping() error {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	if s.opts.TLS {
		c = tls.Client(c, s.TLSConfig)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "-") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// makeCert writes a self-signed certificate for 127.0.0.1 and sets
// TLSConfig to trust it.
func (s *Server) makeCert() {
	s.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		s.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redistest"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		s.t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		s.t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	if err := os.WriteFile(filepath.Join(s.dir, "cert.pem"), certPEM, 0o600); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "key.pem"), keyPEM, 0o600); err != nil {
		s.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	s.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Output is what the server printed so far (warnings and errors), for
// failure messages.
func (s *Server) Output() string {
	s.mu.Lock()
	lw := s.log
	s.mu.Unlock()
	if lw == nil {
		return ""
	}
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.String()
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lockedWriter lets the server's output be read while it writes.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
