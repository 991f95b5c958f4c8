package simulator

import (
	"testing"
	"time"
)

// start builds and starts a Simulator on a free loopback port; it is
// closed when the test ends.
func start(t *testing.T, cfg Config) (*Simulator, string) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

// shifted is a Now running d ahead of the real clock.
func shifted(d time.Duration) func() time.Time {
	return func() time.Time { return time.Now().Add(d) }
}
