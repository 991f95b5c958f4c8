package job

import (
	"fmt"
	"os"
	"time"

	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// ServiceOptions say which service a verify run calls and how: the
// endpoint's options, encryption, and --simulate.
type ServiceOptions struct {
	Endpoint, Region, Language string
	Timeout                    time.Duration
	QPS                        float64 // the in-process simulator's window (--simulate)
	Encrypt                    bool
	Algorithm                  string // verifier.AlgorithmAES or verifier.AlgorithmSM4GCM
	KeyFile                    string // --encryption-key; "" → Tencent's published key, or the simulator's
	Simulate                   bool
	Credential                 verifier.CredentialOptions // where the real credential is read from
}

// Service is the verifier a run calls and how to name and close it.
type Service struct {
	Client    *verifier.Client
	Name      string // the endpoint, as the report names it
	Simulated bool   // an in-process simulator: nothing is charged
	SecretID  string // the credential's SecretId, which names the --shared budget
	closers   []func()
}

// Close stops the simulator, if any, and the client's idle connections.
func (s *Service) Close() {
	for _, f := range s.closers {
		f()
	}
}

// OpenService builds the client for the real endpoint, or for an
// in-process simulator with Simulate. Everything it checks (the key, the
// credential, the endpoint's scheme) is checked before any call.
func OpenService(o ServiceOptions) (*Service, error) {
	s := &Service{Name: o.Endpoint}
	cfg := verifier.Config{Endpoint: o.Endpoint, Region: o.Region, Language: o.Language, Timeout: o.Timeout, Encrypt: o.Encrypt}
	var err error
	if cfg.Encrypt {
		if cfg.Algorithm, err = verifier.ParseAlgorithm(o.Algorithm); err != nil {
			return nil, fmt.Errorf("--encryption-algorithm: %w", err)
		}
		// The key is read and checked against the algorithm before
		// anything else starts: a wrong key sends no call.
		if err = readEncryptionKey(o.KeyFile, &cfg); err != nil {
			return nil, err
		}
	}
	if o.Simulate {
		err = s.startSimulator(o.QPS, &cfg)
	} else {
		cfg.Credential, err = verifier.LoadCredential(o.Credential)
	}
	if err == nil {
		s.SecretID = cfg.Credential.SecretID
		s.Client, err = verifier.New(cfg)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	s.closers = append(s.closers, s.Client.CloseIdleConnections)
	return s, nil
}

// startSimulator serves a simulator on loopback and points cfg at it.
func (s *Service) startSimulator(qps float64, cfg *verifier.Config) error {
	sim, err := simulator.New(simulator.Config{QPS: qps})
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	s.closers = append(s.closers, func() { sim.Close() })
	s.Name, s.Simulated = "simulator (in-process)", true
	cfg.Endpoint = url
	cfg.Credential = verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey, Source: "the simulator's local pair"}
	if cfg.Encrypt && cfg.Key == nil {
		// The simulator's own key for the algorithm: it cannot read
		// fields encrypted under Tencent's.
		pemBytes := sim.PublicKeyPEM()
		if cfg.Algorithm == verifier.AlgorithmSM4GCM {
			pemBytes = sim.SM2PublicKeyPEM()
		}
		if cfg.Key, err = verifier.ParseEncryptionKey(cfg.Algorithm, pemBytes); err != nil {
			return fmt.Errorf("simulator key: %w", err)
		}
	}
	return nil
}

// readEncryptionKey loads --encryption-key into cfg, when given, as a key
// for cfg.Algorithm: a key of the other kind is refused.
func readEncryptionKey(path string, cfg *verifier.Config) error {
	if path == "" {
		return nil
	}
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--encryption-key: %w", err)
	}
	if cfg.Key, err = verifier.ParseEncryptionKey(cfg.Algorithm, pemBytes); err != nil {
		return fmt.Errorf("--encryption-key %q for %s: %w", path, cfg.Algorithm, err)
	}
	return nil
}
