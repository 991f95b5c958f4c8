package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
)

// lockedBuffer is a bytes.Buffer safe to write from the command's goroutine
// while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// simulateRun runs "bankcard4e simulate args..." in the background. It
// returns the base URL the command printed, its output so far, and a stop
// function that cancels the command and returns its error and full stdout.
func simulateRun(t *testing.T, args ...string) (base string, stop func() (string, error)) {
	t.Helper()
	pr, pw := io.Pipe()
	stdout := &lockedBuffer{}
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := newApp(io.MultiWriter(stdout, pw), stderr).RunContext(ctx, append([]string{"bankcard4e", "simulate"}, args...))
		pw.Close()
		done <- err
	}()
	urlRE := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+)$`)
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr) // keep the command's writes flowing
	if base == "" {
		cancel()
		err := <-done
		t.Fatalf("no listening line; err %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	stopped := false
	stop = func() (string, error) {
		if !stopped {
			stopped = true
			cancel()
			select {
			case err := <-done:
				return stdout.String(), err
			case <-time.After(30 * time.Second):
				t.Fatal("simulate did not stop after cancel")
			}
		}
		return stdout.String(), nil
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

// simulate prints its address and the local pair, answers a signed
// request, and stops with its stats when the context is cancelled.
func TestSimulateCommand(t *testing.T) {
	t.Setenv("TENCENTCLOUD_SECRET_ID", "")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "")
	base, stop := simulateRun(t, "--listen", "127.0.0.1:0", "--qps", "20")
	c, err := verifier.New(verifier.Config{
		Endpoint:   base,
		Credential: verifier.Credential{SecretID: simulator.LocalSecretID, SecretKey: simulator.LocalSecretKey},
		Timeout:    10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Verify(context.Background(), simulator.Registry()[0])
	if a.Class != batch.ClassCharged || a.Result != "0" {
		t.Errorf("answer %v %q %q, want charged 0", a.Class, a.Result, a.Code)
	}
	out, err := stop()
	if err != nil {
		t.Errorf("simulate returned %v after cancel, want nil", err)
	}
	for _, want := range []string{
		"export TENCENTCLOUD_SECRET_ID=" + simulator.LocalSecretID,
		"export TENCENTCLOUD_SECRET_KEY=" + simulator.LocalSecretKey,
		"bankcard4e verify --endpoint " + base,
		"1 requests, 1 answered; charged 1,",
		"by result: 0=1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if a := c.Verify(context.Background(), simulator.Registry()[0]); a.Class == batch.ClassCharged {
		t.Error("the simulator still answers after the command stopped")
	}
}

// With the credential in the environment, simulate accepts it, refuses the
// local pair, and never prints the key.
func TestSimulateEnvironmentCredential(t *testing.T) {
	const id, key = "AKIDtestEnvironmentCredential0000000", "envSecretKeyThatMustNotBePrinted"
	t.Setenv("TENCENTCLOUD_SECRET_ID", id)
	t.Setenv("TENCENTCLOUD_SECRET_KEY", key)
	base, stop := simulateRun(t, "--listen", "127.0.0.1:0")
	verify := func(id, key string) batch.Answer {
		c, err := verifier.New(verifier.Config{Endpoint: base, Credential: verifier.Credential{SecretID: id, SecretKey: key}})
		if err != nil {
			t.Fatal(err)
		}
		return c.Verify(context.Background(), simulator.Registry()[0])
	}
	if a := verify(id, key); a.Result != "0" {
		t.Errorf("environment credential: answer %v %q %q, want 0", a.Class, a.Result, a.Code)
	}
	if a := verify(simulator.LocalSecretID, simulator.LocalSecretKey); a.Code != "AuthFailure.SecretIdNotFound" {
		t.Errorf("local pair: answer %v %q %q, want AuthFailure.SecretIdNotFound", a.Class, a.Result, a.Code)
	}
	out, _ := stop()
	if strings.Contains(out, key) || strings.Contains(out, simulator.LocalSecretKey) {
		t.Errorf("output shows a secret key:\n%s", out)
	}
}

// Bad options are refused before anything is served.
func TestSimulateRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"all interfaces", []string{"--listen", ":0"}},
		{"public address", []string{"--listen", "0.0.0.0:0"}},
		{"bad latency", []string{"--listen", "127.0.0.1:0", "--latency", "2s-1s"}},
		{"probability above 1", []string{"--listen", "127.0.0.1:0", "--fault-5xx", "1.5"}},
		{"an argument", []string{"--listen", "127.0.0.1:0", "extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := newApp(&stdout, &stderr).RunContext(ctx, append([]string{"bankcard4e", "simulate"}, tt.args...))
			if exitCode(err) != exitFatal {
				t.Errorf("exit %d (%v), want %d", exitCode(err), err, exitFatal)
			}
			if strings.Contains(stdout.String(), "listening on") {
				t.Errorf("it listened: %s", stdout.String())
			}
		})
	}
}
