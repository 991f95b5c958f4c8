// Package simulator is a local stand-in for Tencent Cloud faceid
// BankCard4EVerification (SPEC section 9): it checks TC3-HMAC-SHA256
// signatures as the service does, refuses stale timestamps, enforces a
// one-second request window, decrypts Encryption requests with its own key
// pair, answers deterministically, and injects latency and faults on demand.
// It counts what it charged, exactly, so tests can hold the tool's tally
// against it.
//
// It serves loopback only: the fixed local credential it accepts is printed
// for anyone to use.
package simulator

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/emmansun/gmsm/sm2"
)

// The fixed local credential the simulator accepts when Config names none.
// It is not a secret: the simulate command prints it.
const (
	LocalSecretID  = "AKIDbankcard4eLocalSimulator00000000"
	LocalSecretKey = "localSimulatorKeyNotASecret00000"
)

// Faults are the failures the simulator injects. Probabilities are per
// request, from 0 to 1; each request draws them in a fixed order from a
// generator seeded by Config.Seed and the request number, so a run of
// requests sent one at a time sees the same faults for the same seed.
type Faults struct {
	HTTP5xx       float64 // answer HTTP 502 or 503 with an HTML body
	DropBefore    float64 // close the connection before processing: nothing charged
	DropAfter     float64 // process and charge, then close without answering
	Throttle      float64 // RequestLimitExceeded (not charged)
	InternalError float64 // InternalError (not charged)
	Busy          float64 // Result -18, service busy (free)
	ArrearsAfter  int     // after this many charged calls every request gets UnauthorizedOperation.Arrears; 0: never
	AuthFailure   bool    // every request gets AuthFailure.SecretIdNotFound
	// ResultAndError: the answer carries its Result (billed as usual) and
	// an InternalError together, as a confused gateway might.
	ResultAndError float64
	// Echo: every Description and Error.Message repeats the request's
	// four fields in clear, as a gateway or a future service change might.
	Echo bool
}

// Config describes a Simulator.
type Config struct {
	SecretID, SecretKey    string        // the credential accepted; both "": LocalSecretID/LocalSecretKey
	QPS                    float64       // requests accepted in any one-second window; 0: unlimited
	LatencyMin, LatencyMax time.Duration // each answered request waits a uniform time in [min, max]
	Faults                 Faults
	Seed                   int64            // seeds the fault and latency draws
	Now                    func() time.Time // the service clock; nil: time.Now

	// Inject, when set, is called for every request that passed the
	// signature and window checks, with the decoded (and decrypted) fields
	// (zero when the body could not be read) and the request number
	// (1-based, in arrival order). A non-nil Injection forces the answer
	// and replaces the faults; nil means normal behaviour. It is called
	// concurrently.
	Inject func(f batch.Fields, n int) *Injection
}

// Injection forces the answer to one request. The first that applies wins:
// DropBefore; HTTPStatus (not 0 or 200); Error; Result; otherwise the
// normal answer for the request (after Delay). DropAfter applies to an
// Error, Result or normal answer: it is decided and counted, then the
// connection is closed without it.
type Injection struct {
	DropBefore  bool          // close the connection before processing: nothing counted but the drop
	HTTPStatus  int           // answer this HTTP status with a non-JSON body
	Error       string        // answer this error code
	Message     string        // the error message; "" a default one
	Result      string        // answer this Result code (any string, even one not in SPEC section 6)
	Description string        // the Result's description; "" the table's
	AlsoError   string        // with Result (or the normal answer): also carry this error code; billed as the Result
	DropAfter   bool          // decide and count the answer, then close without sending it
	Delay       time.Duration // wait this long instead of the configured latency
}

// Simulator is the fake faceid service. It is an http.Handler and safe for
// concurrent use.
type Simulator struct {
	cfg      Config
	now      func() time.Time
	registry map[string]registered // name + "\x00" + idcard → card and phone
	window   window

	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error

	sm2Once sync.Once
	sm2     *sm2.PrivateKey
	sm2Err  error

	mu     sync.Mutex // guards faults, stats, n, window
	faults Faults
	stats  Stats
	n      int

	srvMu sync.Mutex
	srv   *http.Server
	done  chan struct{} // closed by Close: ends latency waits
	once  sync.Once
}

// New builds a Simulator from cfg. Its RSA key pair (AES-256-CBC) and SM2
// key pair (SM4-GCM) for Encryption are made on first use (PublicKeyPEM,
// SM2PublicKeyPEM or the first encrypted request).
func New(cfg Config) (*Simulator, error) {
	if cfg.SecretID == "" && cfg.SecretKey == "" {
		cfg.SecretID, cfg.SecretKey = LocalSecretID, LocalSecretKey
	}
	if cfg.SecretID == "" || cfg.SecretKey == "" {
		return nil, errors.New("simulator credential: secret id and secret key must both be set")
	}
	if cfg.QPS < 0 {
		return nil, fmt.Errorf("simulator qps %v: must not be negative", cfg.QPS)
	}
	if cfg.LatencyMin < 0 || cfg.LatencyMax < cfg.LatencyMin {
		if cfg.LatencyMax == 0 && cfg.LatencyMin > 0 {
			cfg.LatencyMax = cfg.LatencyMin
		} else {
			return nil, fmt.Errorf("simulator latency %v-%v: want 0 <= min <= max", cfg.LatencyMin, cfg.LatencyMax)
		}
	}
	if err := cfg.Faults.check(); err != nil {
		return nil, err
	}
	reg, err := loadRegistry()
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Simulator{
		cfg:      cfg,
		now:      now,
		registry: reg,
		window:   newWindow(cfg.QPS),
		faults:   cfg.Faults,
		stats:    newStats(),
		done:     make(chan struct{}),
	}, nil
}

// check refuses probabilities outside 0..1 and a negative arrears count.
func (f Faults) check() error {
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"5xx", f.HTTP5xx}, {"drop-before", f.DropBefore}, {"drop-after", f.DropAfter},
		{"throttle", f.Throttle}, {"internal", f.InternalError}, {"busy", f.Busy},
		{"result-and-error", f.ResultAndError},
	} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("fault %s probability %v: want 0 to 1", p.name, p.v)
		}
	}
	if f.ArrearsAfter < 0 {
		return fmt.Errorf("fault arrears-after %d: must not be negative", f.ArrearsAfter)
	}
	return nil
}

// SetFaults replaces the faults for the requests that arrive from now on.
// Probabilities are clamped to 0..1 and a negative ArrearsAfter to 0.
func (s *Simulator) SetFaults(f Faults) {
	for _, p := range []*float64{&f.HTTP5xx, &f.DropBefore, &f.DropAfter, &f.Throttle, &f.InternalError, &f.Busy, &f.ResultAndError} {
		*p = min(max(*p, 0), 1) // NaN stays NaN and never fires
	}
	f.ArrearsAfter = max(f.ArrearsAfter, 0)
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Start listens on addr, which must be a loopback address ("127.0.0.1:0"
// picks a free port), and serves in the background until Close. It returns
// the base URL, such as "http://127.0.0.1:41234".
func (s *Simulator) Start(addr string) (string, error) {
	if err := CheckLoopback(addr); err != nil {
		return "", err
	}
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv != nil {
		return "", errors.New("simulator already started")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("simulator listen %q: %w", addr, err)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(l) //nolint:errcheck // Serve returns ErrServerClosed after Close
	return "http://" + l.Addr().String(), nil
}

// Close stops serving: it ends latency waits, closes the listener and every
// connection. It is safe to call more than once and on a Simulator that was
// never started.
func (s *Simulator) Close() error {
	s.once.Do(func() { close(s.done) })
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Shutdown stops accepting requests and waits, until ctx is done, for the
// ones in flight to be answered; then it closes like Close.
func (s *Simulator) Shutdown(ctx context.Context) error {
	s.srvMu.Lock()
	srv := s.srv
	s.srvMu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}
