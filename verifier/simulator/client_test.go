package simulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier"
)

// client builds a verifier.Client for the simulator at base with the local
// credential.
func client(t testing.TB, base string, mod func(*verifier.Config)) *verifier.Client {
	t.Helper()
	cfg := verifier.Config{
		Endpoint:   base,
		Credential: verifier.Credential{SecretID: LocalSecretID, SecretKey: LocalSecretKey, Source: "test"},
		Timeout:    5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := verifier.New(cfg)
	if err != nil {
		t.Fatalf("verifier.New: %v", err)
	}
	return c
}

// chargedCounts is the part of Stats that says what was billed.
type chargedCounts struct{ Charged, Free, Unknown int }

// Every row of SPEC section 6, forced by Inject and read back through the
// real client: the class the client gives, and what the simulator billed.
// A class the tool calls "possibly charged" must bracket the simulator's
// count; "charged" and "free" must equal it.
func TestSection6ThroughClient(t *testing.T) {
	type row struct {
		name  string
		inj   Injection
		class batch.Class
		bill  chargedCounts
	}
	var rows []row
	for _, c := range []string{"0", "-1", "-6", "-7", "-8", "-9", "-10", "-11", "-12", "-13", "-14", "-15", "-16", "-17", "-21"} {
		rows = append(rows, row{"result " + c, Injection{Result: c}, batch.ClassCharged, chargedCounts{Charged: 1}})
	}
	for _, c := range []string{"-2", "-3", "-4", "-5", "-19", "-20"} {
		rows = append(rows, row{"result " + c, Injection{Result: c}, batch.ClassFree, chargedCounts{Free: 1}})
	}
	rows = append(rows,
		row{"result -18 busy", Injection{Result: "-18"}, batch.ClassBusy, chargedCounts{Free: 1}},
		row{"unknown result", Injection{Result: "-99"}, batch.ClassUnknown, chargedCounts{Unknown: 1}},
		row{"RequestLimitExceeded", Injection{Error: "RequestLimitExceeded"}, batch.ClassThrottle, chargedCounts{}},
		row{"RequestLimitExceeded sub-code", Injection{Error: "RequestLimitExceeded.UinLimitExceeded"}, batch.ClassThrottle, chargedCounts{}},
		row{"InternalError", Injection{Error: "InternalError"}, batch.ClassRetry, chargedCounts{}},
		row{"ServiceUnavailable", Injection{Error: "ServiceUnavailable"}, batch.ClassRetry, chargedCounts{}},
		row{"ResourceUnavailable", Injection{Error: "ResourceUnavailable"}, batch.ClassRetry, chargedCounts{}},
		row{"HTTP 502", Injection{HTTPStatus: 502}, batch.ClassRetry, chargedCounts{}},
		row{"HTTP 503", Injection{HTTPStatus: 503}, batch.ClassRetry, chargedCounts{}},
		row{"drop before processing", Injection{DropBefore: true}, batch.ClassLost, chargedCounts{}},
		row{"drop after processing a charged result", Injection{Result: "0", DropAfter: true}, batch.ClassLost, chargedCounts{Charged: 1}},
		row{"drop after processing a free result", Injection{Result: "-4", DropAfter: true}, batch.ClassLost, chargedCounts{Free: 1}},
	)
	for _, c := range []string{"AuthFailure.SignatureFailure", "AuthFailure.SecretIdNotFound", "AuthFailure.SignatureExpire",
		"UnauthorizedOperation.Arrears", "UnauthorizedOperation.Nonactivated", "FailedOperation.StsUnAuthErrError",
		"InvalidAction", "NoSuchVersion", "UnsupportedRegion"} {
		rows = append(rows, row{c, Injection{Error: c}, batch.ClassAbort, chargedCounts{}})
	}
	for _, c := range []string{"InvalidParameter", "InvalidParameterValue", "FailedOperation.DecryptSystemError", "FailedOperation.UnKnown"} {
		rows = append(rows, row{c, Injection{Error: c}, batch.ClassRowError, chargedCounts{}})
	}

	customer := Registry()[0]
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			inj := tt.inj
			sim, base := start(t, Config{Inject: func(batch.Fields, int) *Injection { return &inj }})
			a := client(t, base, nil).Verify(context.Background(), customer)
			if a.Class != tt.class {
				t.Errorf("class %v (code %q result %q: %s), want %v", a.Class, a.Code, a.Result, a.Message, tt.class)
			}
			st := sim.Stats()
			if got := (chargedCounts{st.Charged, st.Free, st.Unknown}); got != tt.bill {
				t.Errorf("simulator billed %+v, want %+v", got, tt.bill)
			}
			// What the tool will say about the bill must hold the truth.
			switch verifier.Charges(a.Class) {
			case "charged":
				if st.Charged != 1 {
					t.Errorf("tool says charged, simulator charged %d", st.Charged)
				}
			case "free", "not charged":
				if st.Charged+st.Unknown != 0 {
					t.Errorf("tool says %s, simulator charged %d", verifier.Charges(a.Class), st.Charged+st.Unknown)
				}
			case "possibly charged":
				if st.Charged+st.Unknown > 1 {
					t.Errorf("tool says possibly charged once, simulator charged %d", st.Charged+st.Unknown)
				}
			}
			if tt.inj.Result != "" && !tt.inj.DropAfter {
				if a.Result != tt.inj.Result || a.RequestID == "" {
					t.Errorf("answer result %q request id %q, want %q and an id", a.Result, a.RequestID, tt.inj.Result)
				}
			}
			if tt.inj.Error != "" && a.Code != tt.inj.Error {
				t.Errorf("answer code %q, want %q", a.Code, tt.inj.Error)
			}
			if st.Requests != 1 {
				t.Errorf("simulator saw %d requests, want 1", st.Requests)
			}
		})
	}
}

// recorder is a Transport that keeps every request body it sends.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body.Close()
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(b))
	return http.DefaultTransport.RoundTrip(req)
}

// --encrypt round trip: the client encrypts with the simulator's public
// key, the simulator decrypts and answers 0 for a registry customer, and
// nothing on the wire holds a plain value. A client using another key gets
// FailedOperation.DecryptSystemError.
func TestEncryptRoundTrip(t *testing.T) {
	sim, base := start(t, Config{})
	pub, err := verifier.ParsePublicKey(sim.PublicKeyPEM())
	if err != nil {
		t.Fatalf("ParsePublicKey(simulator key): %v", err)
	}
	rec := &recorder{}
	c := client(t, base, func(cfg *verifier.Config) {
		cfg.Encrypt, cfg.PublicKey, cfg.Transport = true, pub, rec
	})
	for _, customer := range Registry()[:3] {
		a := c.Verify(context.Background(), customer)
		if a.Class != batch.ClassCharged || a.Result != "0" {
			t.Errorf("%s***: answer %v %q %s %s, want charged 0", customer.Name[:1], a.Class, a.Result, a.Code, a.Message)
		}
	}
	if len(rec.bodies) != 3 {
		t.Fatalf("recorded %d bodies, want 3", len(rec.bodies))
	}
	for i, b := range rec.bodies {
		customer := Registry()[i]
		if !bytes.Contains(b, []byte(`"Encryption"`)) {
			t.Errorf("body %d has no Encryption parameter", i)
		}
		for _, v := range []string{customer.Name, customer.BankCard, customer.Phone, customer.IDCard} {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("body %d holds a plain value (%d characters)", i, len(v))
			}
		}
	}

	published, err := verifier.ParsePublicKey([]byte(verifier.PublishedKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	other := client(t, base, func(cfg *verifier.Config) { cfg.Encrypt, cfg.PublicKey = true, published })
	a := other.Verify(context.Background(), Registry()[0])
	if a.Class != batch.ClassRowError || a.Code != "FailedOperation.DecryptSystemError" {
		t.Errorf("wrong key: answer %v %q, want row-error FailedOperation.DecryptSystemError", a.Class, a.Code)
	}
	if st := sim.Stats(); st.Charged != 3 {
		t.Errorf("simulator charged %d, want 3", st.Charged)
	}
}

// With QPS 5, ten requests in the same second get five answers and five
// RequestLimitExceeded. The clock is fixed, so "the same second" does not
// depend on how fast the machine is.
func TestQPSWindow(t *testing.T) {
	now := time.Now()
	sim, base := start(t, Config{QPS: 5, Now: func() time.Time { return now }})
	c := client(t, base, func(cfg *verifier.Config) { cfg.Now = func() time.Time { return now } })
	answers := make([]batch.Answer, 10)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = c.Verify(context.Background(), Registry()[i%len(Registry())])
		}()
	}
	wg.Wait()
	var ok, throttled int
	for _, a := range answers {
		switch {
		case a.Class == batch.ClassCharged && a.Result == "0":
			ok++
		case a.Class == batch.ClassThrottle && a.Code == "RequestLimitExceeded":
			throttled++
		default:
			t.Errorf("unexpected answer %v %q %q", a.Class, a.Result, a.Code)
		}
	}
	if ok != 5 || throttled != 5 {
		t.Errorf("%d answered, %d throttled; want 5 and 5", ok, throttled)
	}
	st := sim.Stats()
	if st.Charged != 5 || st.Throttled != 5 || st.MaxInWindow != 5 || st.MaxArrivalsWindow != 10 {
		t.Errorf("stats charged %d throttled %d max in window %d arrivals %d; want 5, 5, 5, 10",
			st.Charged, st.Throttled, st.MaxInWindow, st.MaxArrivalsWindow)
	}
}

// Under concurrency the simulator's counts are exact: they equal what the
// clients were told.
func TestStatsExactUnderConcurrency(t *testing.T) {
	sim, base := start(t, Config{Faults: Faults{Busy: 0.2, Throttle: 0.1, InternalError: 0.1, HTTP5xx: 0.1}, Seed: 3})
	c := client(t, base, nil)
	const n = 200
	answers := verifyAll(c, n)
	var charged, free, other int
	for _, a := range answers {
		switch a.Class {
		case batch.ClassCharged:
			charged++
		case batch.ClassFree, batch.ClassBusy:
			free++
		case batch.ClassThrottle, batch.ClassRetry:
			other++
		default:
			t.Errorf("unexpected answer %v %q", a.Class, a.Code)
		}
	}
	st := sim.Stats()
	if st.Requests != n || st.Answered != n || st.Charged != charged || st.Free != free || st.Throttled+st.HTTPErrors+st.ByError["InternalError"] != other {
		t.Errorf("stats %+v; clients saw %d charged, %d free, %d retryable", st, charged, free, other)
	}
	if charged == 0 || free == 0 || other == 0 {
		t.Errorf("the mix is too thin to test: %d charged, %d free, %d retryable", charged, free, other)
	}
}

// With dropped connections the tool cannot know what was charged, but its
// count must bracket the simulator's: charged <= truth <= charged + lost.
// Every request is counted exactly once, and none is sent twice by the
// transport behind the tool's back.
func TestStatsBracketWithDrops(t *testing.T) {
	sim, base := start(t, Config{Faults: Faults{DropBefore: 0.15, DropAfter: 0.15}, Seed: 5})
	c := client(t, base, nil)
	const n = 200
	answers := verifyAll(c, n)
	var charged, lost int
	for _, a := range answers {
		switch a.Class {
		case batch.ClassCharged:
			charged++
		case batch.ClassLost:
			lost++
		}
	}
	st := sim.Stats()
	if st.Requests != n || st.Answered+st.DroppedBefore+st.DroppedAfter+st.Cancelled != n {
		t.Errorf("requests %d = answered %d + dropped %d + %d + cancelled %d, want %d", st.Requests, st.Answered, st.DroppedBefore, st.DroppedAfter, st.Cancelled, n)
	}
	if lost != st.DroppedBefore+st.DroppedAfter || lost == 0 {
		t.Errorf("client lost %d, simulator dropped %d + %d", lost, st.DroppedBefore, st.DroppedAfter)
	}
	if st.Charged < charged || st.Charged > charged+lost {
		t.Errorf("simulator charged %d, outside the tool's bracket [%d, %d]", st.Charged, charged, charged+lost)
	}
}

// person makes a well-formed customer not in the registry, different for each i.
func person(i int) batch.Fields {
	id := "11010119800101" + pad3(i)
	id += string(checkChar(id))
	return batch.Fields{
		Name:     "Test " + strings.Repeat("X", i%5+1),
		BankCard: "6222020000000" + pad3(i),
		Phone:    "1380000" + "0" + pad3(i),
		IDCard:   id,
	}
}

func pad3(i int) string { return fmt.Sprintf("%03d", i%1000) }

// verifyAll sends person(0) … person(n-1) at once, one goroutine each, and
// returns the answers in that order.
func verifyAll(c batch.Verifier, n int) []batch.Answer {
	answers := make([]batch.Answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = c.Verify(context.Background(), person(i))
		}()
	}
	wg.Wait()
	return answers
}
