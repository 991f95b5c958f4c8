package simulator

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// CheckLoopback refuses a listen address that is not on a loopback
// interface: the simulator accepts a credential printed for anyone, so it
// must not be reachable from the network. "localhost:8080",
// "127.0.0.1:0" and "[::1]:8080" pass; ":8080" and "0.0.0.0:8080" do not.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q: the simulator serves loopback only (127.0.0.1, ::1 or localhost)", addr)
}

// ParseLatency parses a latency flag: one duration ("100ms", every request
// waits that long) or a range "MIN-MAX" ("50ms-2s", uniform). "" and "0"
// mean no latency.
func ParseLatency(s string) (lo, hi time.Duration, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	lo, err = time.ParseDuration(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Errorf("latency %q: %w", s, err)
	}
	hi = lo
	if isRange {
		hi, err = time.ParseDuration(strings.TrimSpace(b))
		if err != nil {
			return 0, 0, fmt.Errorf("latency %q: %w", s, err)
		}
	}
	if lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("latency %q: want 0 <= min <= max", s)
	}
	return lo, hi, nil
}
