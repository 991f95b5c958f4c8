package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// service is a simulator being served and a client for it.
type service struct {
	sim      *simulator.Simulator
	client   *verifier.Client
	endpoint string // the URL the client signs for
	close    func()
}

// startService serves sim over tcp (loopback, sim.Start) or pipe
// (in-memory connections), and builds a client with the simulator's local
// credential for it.
func startService(sim *simulator.Simulator, transport string) (*service, error) {
	cfg := verifier.Config{
		Credential: verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey, Source: "the simulator's local pair"},
	}
	closeAll := func() { sim.Close() }
	switch transport {
	case "tcp":
		url, err := sim.Start("127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		cfg.Endpoint = url
	case "pipe":
		l := newPipeListener()
		srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(l) //nolint:errcheck // ErrServerClosed at close
		closeAll = func() { sim.Close(); srv.Close() }
		// The URL only names the host the requests are signed for; every
		// connection is a pipe to the server above.
		cfg.Endpoint = "http://127.0.0.1:1"
		t := verifier.NewTransport()
		t.Proxy = nil
		t.DialContext = l.DialContext
		cfg.Transport = t
	default:
		return nil, fmt.Errorf("transport %q: want tcp or pipe", transport)
	}
	c, err := verifier.New(cfg)
	if err != nil {
		closeAll()
		return nil, err
	}
	return &service{sim: sim, client: c, endpoint: cfg.Endpoint, close: func() { c.CloseIdleConnections(); closeAll() }}, nil
}

// pipeListener is a net.Listener whose connections are made by its own
// DialContext: each dial is one net.Pipe, one end for the caller and the
// other for Accept. HTTP runs over it unchanged, with no kernel socket.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// DialContext connects to the listener.
func (l *pipeListener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Accept waits for the next dial.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and DialContext.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is a placeholder address.
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// serve makes a simulator of cfg and serves it over transport, as
// startService does.
func serve(cfg simulator.Config, transport string) (*service, error) {
	sim, err := simulator.New(cfg)
	if err != nil {
		return nil, err
	}
	return startService(sim, transport)
}

// unthrottled is a simulator with no rate limit and no latency, served over
// transport: the service of the own-cost benchmarks.
func unthrottled(transport string) (*simulator.Simulator, *service, error) {
	svc, err := serve(simulator.Config{}, transport)
	if err != nil {
		return nil, nil, err
	}
	return svc.sim, svc, nil
}
