package redistest

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

// roundTrip sends one inline command and returns the first reply line.
func roundTrip(t *testing.T, s *Server, cmd string) (string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return "", err
	}
	if s.TLSConfig != nil {
		c = tls.Client(c, s.TLSConfig)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func TestStartStopRestart(t *testing.T) {
	s := Start(t, Options{})
	if got, err := roundTrip(t, s, "PING"); err != nil || got != "+PONG\r\n" {
		t.Fatalf("PING = %q, %v; want +PONG", got, err)
	}
	// No persistence: nothing is saved, so a restart comes back empty.
	if got, _ := roundTrip(t, s, "CONFIG GET save"); !strings.HasPrefix(got, "*2") {
		t.Errorf("CONFIG GET save = %q", got)
	}
	if got, _ := roundTrip(t, s, "SET k v"); got != "+OK\r\n" {
		t.Fatalf("SET = %q", got)
	}
	s.Stop()
	if s.Running() {
		t.Error("Running after Stop")
	}
	if _, err := roundTrip(t, s, "PING"); err == nil {
		t.Error("PING answered after Stop")
	}
	s.Restart()
	if got, err := roundTrip(t, s, "EXISTS k"); err != nil || got != ":0\r\n" {
		t.Errorf("EXISTS k after Restart = %q, %v; want :0 (no persistence)", got, err)
	}
}

func TestPasswordAndTLS(t *testing.T) {
	s := Start(t, Options{Password: "pw-1", TLS: true})
	if !strings.HasPrefix(s.URL(2), "rediss://:pw-1@127.0.0.1:") || !strings.HasSuffix(s.URL(2), "/2") {
		t.Errorf("URL = %q", s.URL(2))
	}
	if got, err := roundTrip(t, s, "GET x"); err != nil || !strings.HasPrefix(got, "-NOAUTH") {
		t.Errorf("GET without AUTH = %q, %v; want -NOAUTH", got, err)
	}
	if got, err := roundTrip(t, s, "AUTH pw-1"); err != nil || got != "+OK\r\n" {
		t.Errorf("AUTH = %q, %v", got, err)
	}
}

func TestBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	// With no redis-server on PATH it still finds the Debian path, or
	// says how to install it.
	p, err := Binary()
	if err != nil && !strings.Contains(err.Error(), "apt-get install -y redis-server") {
		t.Errorf("Binary() error %q does not say how to install it", err)
	}
	if err == nil && p == "" {
		t.Error("Binary() returned no path and no error")
	}
}
