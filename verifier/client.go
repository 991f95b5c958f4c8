package verifier

import (
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// The API this client calls.
const (
	Service       = "faceid" // the signing service name, whatever the host
	Action        = "BankCard4EVerification"
	Version       = "2018-03-01"
	contentType   = "application/json"
	defaultLang   = "en-US"
	maxAnswerSize = 1 << 20 // a real answer is a few hundred bytes
)

// DefaultTimeout bounds one attempt when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config describes a Client.
type Config struct {
	Endpoint   string            // e.g. "https://faceid.intl.tencentcloudapi.com"; checked by CheckEndpoint
	Region     string            // sent as X-TC-Region when not empty
	Language   string            // X-TC-Language: "en-US" (the default when "") or "zh-CN"
	Credential Credential        // SecretID and SecretKey are required
	Timeout    time.Duration     // one attempt, from sending to the whole answer; 0: DefaultTimeout
	Encrypt    bool              // send the four fields encrypted (SPEC sections 5 and 13)
	Algorithm  string            // for Encrypt: AlgorithmAES ("" too) or AlgorithmSM4GCM
	Key        *EncryptionKey    // for Encrypt: from ParseEncryptionKey; nil: PublicKey, else Tencent's published key for Algorithm
	PublicKey  *rsa.PublicKey    // for Encrypt with AES-256-CBC when Key is nil; nil: PublishedKeyPEM
	Transport  http.RoundTripper // nil: a pooled transport with TLS verification on
	Now        func() time.Time  // nil: time.Now
}

// Client makes signed BankCard4EVerification calls. It implements
// batch.Verifier and is safe for concurrent use.
type Client struct {
	endpoint string // the URL, "https://host/"
	host     string // the Host header, as signed
	region   string
	lang     string
	cred     Credential
	timeout  time.Duration
	key      *EncryptionKey // nil unless encrypting
	http     *http.Client
	now      func() time.Time
}

// New checks cfg and builds a Client. It sends nothing: an endpoint that is
// not allowed (see CheckEndpoint), an unknown language or a missing key is
// refused here, before any request.
func New(cfg Config) (*Client, error) {
	u, err := CheckEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	lang, err := language(cfg.Language)
	if err != nil {
		return nil, err
	}
	if cfg.Credential.SecretID == "" || cfg.Credential.SecretKey == "" {
		return nil, errors.New("credential: SecretId and SecretKey are required")
	}
	if !headerSafe(cfg.Credential.SecretID) || !headerSafe(cfg.Credential.Token) {
		return nil, errors.New("credential: SecretId or token holds characters a header cannot carry")
	}
	if !headerSafe(cfg.Region) || strings.TrimSpace(cfg.Region) != cfg.Region {
		return nil, fmt.Errorf("region %q: not a region name", cfg.Region)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("timeout %v: must not be negative", cfg.Timeout)
	}
	c := &Client{
		endpoint: u.String(),
		host:     u.Host,
		region:   cfg.Region,
		lang:     lang,
		cred:     cfg.Credential,
		timeout:  cfg.Timeout,
		now:      cfg.Now,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	if cfg.Encrypt {
		if c.key, err = encryptionKey(cfg); err != nil {
			return nil, err
		}
	}
	rt := cfg.Transport
	if rt == nil {
		rt = NewTransport()
	}
	c.http = &http.Client{
		Transport: withWireConns(rt),
		// A redirect would send the call again: never follow one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// encryptionKey picks the key of an encrypting Config and refuses one of
// the wrong kind for its algorithm.
func encryptionKey(cfg Config) (*EncryptionKey, error) {
	alg, err := ParseAlgorithm(cfg.Algorithm)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Key != nil:
		if cfg.Key.Algorithm() != alg {
			return nil, fmt.Errorf("encryption key: it is for %s, but the algorithm is %s", cfg.Key.Algorithm(), alg)
		}
		return cfg.Key, nil
	case cfg.PublicKey != nil:
		if alg != AlgorithmAES {
			return nil, fmt.Errorf("encryption key: an RSA key cannot be used with %s, which needs an SM2 public key", alg)
		}
		return NewRSAKey(cfg.PublicKey), nil
	}
	return PublishedKey(alg)
}

// NewTransport returns the transport a Client uses by default: TLS 1.2 or
// later with certificate verification, the proxy from the environment
// (HTTPS_PROXY, NO_PROXY, as net/http reads them),
// bounded dial and handshake times, and as many idle connections per host
// as a run can have workers (batch.MaxWorkers), so every worker's
// connection is kept for its next call instead of redialled (against the
// service, every redial is a TLS handshake). It speaks HTTP/1.1, so every
// call has a connection of its own and a lost answer loses only that call.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        batch.MaxWorkers,
		MaxIdleConnsPerHost: batch.MaxWorkers,
		IdleConnTimeout:     30 * time.Second, // below common server keep-alive limits: a reused connection the server just closed would lose a call
		// A proxy's refusal becomes a *ProxyError: a 407 aborts the run
		// at once instead of being retried as a service failure.
		OnProxyConnectResponse: onProxyConnect,
	}
}

// CloseIdleConnections closes the connections kept for reuse.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// language checks an X-TC-Language value.
func language(l string) (string, error) {
	switch strings.ToLower(l) {
	case "":
		return defaultLang, nil
	case "en-us":
		return "en-US", nil
	case "zh-cn":
		return "zh-CN", nil
	}
	return "", fmt.Errorf("language %q: want en-US or zh-CN", l)
}

// headerSafe reports whether s can be sent as a header value as is.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f {
			return false
		}
	}
	return true
}
