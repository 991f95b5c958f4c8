package simulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier"
)

// rawReq describes one hand-made request; zero fields take good values.
type rawReq struct {
	method, action, version, secretID, secretKey, auth, service string
	ts                                                          int64
	body                                                        string
	signHeaders                                                 map[string]string // extra headers, signed
}

// answer is a decoded simulator response.
type answer struct {
	status                        int
	result, code, requestID, desc string
}

// send makes and sends r to base, signed with verifier.Sign unless auth is set.
func send(t *testing.T, base string, r rawReq) answer {
	t.Helper()
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&r.method, http.MethodPost)
	def(&r.action, action)
	def(&r.version, version)
	def(&r.secretID, LocalSecretID)
	def(&r.secretKey, LocalSecretKey)
	def(&r.service, "faceid")
	if r.body == "" {
		b, _ := json.Marshal(map[string]string{"Name": "Test X", "BankCard": "6222020000000001", "Phone": "13800000001", "IdCard": withCheck("11010119800101001")})
		r.body = string(b)
	}
	if r.ts == 0 {
		r.ts = time.Now().Unix()
	}
	u, _ := url.Parse(base)
	headers := map[string]string{"content-type": "application/json", "host": u.Host}
	for k, v := range r.signHeaders {
		headers[k] = v
	}
	signed := verifier.Sign(r.secretID, r.secretKey, r.service, headers, []byte(r.body), r.ts)
	def(&r.auth, signed.Authorization)
	req, err := http.NewRequest(r.method, base+"/", strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k != "host" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("Authorization", r.auth)
	req.Header.Set("X-TC-Action", r.action)
	req.Header.Set("X-TC-Version", r.version)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(r.ts, 10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{code: "transport: " + err.Error()}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var body struct {
		Response struct {
			Result, Description, RequestId string
			Error                          struct{ Code, Message string }
		}
	}
	json.Unmarshal(data, &body)
	return answer{status: resp.StatusCode, result: body.Response.Result, code: body.Response.Error.Code,
		requestID: body.Response.RequestId, desc: body.Response.Description}
}

// The checks before the body, in the service's order, and the body checks.
func TestRequestChecks(t *testing.T) {
	_, base := start(t, Config{})
	good := `{"Name":"Test X","BankCard":"6222020000000001","Phone":"13800000001","IdCard":"` + withCheck("11010119800101001") + `"`
	tests := []struct {
		name string
		req  rawReq
		want string // error code, or "result:" + Result
	}{
		{"good", rawReq{}, "result:"},
		{"wrong action", rawReq{action: "DescribeInstances"}, "InvalidAction"},
		{"wrong version", rawReq{version: "2017-03-12"}, "NoSuchVersion"},
		{"action checked before version and signature", rawReq{action: "X", version: "Y", auth: "junk"}, "InvalidAction"},
		{"authorization junk", rawReq{auth: "Bearer abc"}, "AuthFailure.InvalidAuthorization"},
		{"authorization without signature", rawReq{auth: "TC3-HMAC-SHA256 Credential=" + LocalSecretID + "/2026-01-01/faceid/tc3_request, SignedHeaders=content-type;host"}, "AuthFailure.InvalidAuthorization"},
		{"unknown secret id", rawReq{secretID: "AKIDunknown"}, "AuthFailure.SecretIdNotFound"},
		{"timestamp 6 minutes old", rawReq{ts: time.Now().Add(-6 * time.Minute).Unix()}, "AuthFailure.SignatureExpire"},
		{"timestamp 6 minutes ahead", rawReq{ts: time.Now().Add(6 * time.Minute).Unix()}, "AuthFailure.SignatureExpire"},
		{"wrong key", rawReq{secretKey: "notTheKey"}, "AuthFailure.SignatureFailure"},
		{"extra signed header", rawReq{signHeaders: map[string]string{"x-tc-action": strings.ToLower(action)}}, "result:"},
		{"signed header value in mixed case", rawReq{signHeaders: map[string]string{"x-tc-action": action}}, "AuthFailure.SignatureFailure"},
		{"signed for another service", rawReq{service: "cvm"}, "AuthFailure.SignatureFailure"},
		{"body not json", rawReq{body: "Name=x"}, "InvalidParameter"},
		{"body missing IdCard", rawReq{body: `{"Name":"Test X","BankCard":"6222020000000001","Phone":"13800000001"}`}, "InvalidParameter"},
		{"body number for phone", rawReq{body: `{"Name":"Test X","BankCard":"6222020000000001","Phone":13800000001,"IdCard":"x"}`}, "InvalidParameterValue"},
		{"CertType 0", rawReq{body: good + `,"CertType":0}`}, "result:"},
		{"CertType 1", rawReq{body: good + `,"CertType":1}`}, "InvalidParameterValue"},
		{"encryption of three fields", rawReq{body: good + `,"Encryption":{"CiphertextBlob":"","EncryptList":["Name","BankCard","Phone"],"Iv":"","Algorithm":"AES-256-CBC"}}`}, "InvalidParameter.UnsupportEncryptField"},
		{"encryption garbage", rawReq{body: good + `,"Encryption":{"CiphertextBlob":"AAAA","EncryptList":["Name","BankCard","Phone","IdCard"],"Iv":"AAAAAAAAAAAAAAAAAAAAAA==","Algorithm":"AES-256-CBC"}}`}, "FailedOperation.DecryptSystemError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, base, tt.req)
			if a.status != http.StatusOK {
				t.Fatalf("status %d %s, want 200", a.status, a.code)
			}
			if a.requestID == "" {
				t.Error("no RequestId")
			}
			if r, ok := strings.CutPrefix(tt.want, "result:"); ok {
				if a.code != "" || a.result == "" || (r != "" && a.result != r) {
					t.Errorf("got result %q error %q, want a result %s", a.result, a.code, r)
				}
				return
			}
			if a.code != tt.want {
				t.Errorf("got result %q error %q, want error %s", a.result, a.code, tt.want)
			}
		})
	}
}

// Only POST / is served.
func TestMethodAndPath(t *testing.T) {
	sim, base := start(t, Config{})
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("GET / answered 200")
	}
	if st := sim.Stats(); st.Requests != 1 || st.HTTPErrors != 1 {
		t.Errorf("stats %+v, want one request, one HTTP error", st)
	}
}

// Each fault at probability 1, through the client's eyes and the stats.
func TestFaults(t *testing.T) {
	customer := Registry()[0]
	tests := []struct {
		name    string
		faults  Faults
		class   batch.Class
		code    string
		charged int
	}{
		{"none", Faults{}, batch.ClassCharged, "", 1},
		{"5xx", Faults{HTTP5xx: 1}, batch.ClassRetry, "HTTP 50", 0},
		{"drop before", Faults{DropBefore: 1}, batch.ClassLost, "", 0},
		{"drop after", Faults{DropAfter: 1}, batch.ClassLost, "", 1},
		{"throttle", Faults{Throttle: 1}, batch.ClassThrottle, "RequestLimitExceeded", 0},
		{"internal", Faults{InternalError: 1}, batch.ClassRetry, "InternalError", 0},
		{"busy", Faults{Busy: 1}, batch.ClassBusy, "", 0},
		{"auth failure", Faults{AuthFailure: true}, batch.ClassAbort, "AuthFailure.SecretIdNotFound", 0},
		{"arrears after 0 calls is never", Faults{ArrearsAfter: 0}, batch.ClassCharged, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, base := start(t, Config{Faults: tt.faults})
			a := client(t, base, nil).Verify(context.Background(), customer)
			if a.Class != tt.class || !strings.HasPrefix(a.Code, tt.code) {
				t.Errorf("answer %v %q, want %v %q", a.Class, a.Code, tt.class, tt.code)
			}
			if st := sim.Stats(); st.Charged != tt.charged {
				t.Errorf("charged %d, want %d", st.Charged, tt.charged)
			}
		})
	}
}

// ArrearsAfter N: N charged calls, then every request gets
// UnauthorizedOperation.Arrears, until the fault is turned off.
func TestArrears(t *testing.T) {
	sim, base := start(t, Config{Faults: Faults{ArrearsAfter: 2}})
	c := client(t, base, nil)
	var got []string
	for i := range 4 {
		a := c.Verify(context.Background(), Registry()[i])
		got = append(got, a.Result+a.Code)
	}
	sim.SetFaults(Faults{})
	got = append(got, c.Verify(context.Background(), Registry()[4]).Result)
	want := []string{"0", "0", "UnauthorizedOperation.Arrears", "UnauthorizedOperation.Arrears", "0"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("answers %v, want %v", got, want)
	}
	if st := sim.Stats(); st.Charged != 3 || st.ByError["UnauthorizedOperation.Arrears"] != 2 {
		t.Errorf("charged %d arrears %d, want 3 and 2", st.Charged, st.ByError["UnauthorizedOperation.Arrears"])
	}
}

// Fault draws are reproducible for a seed, request by request.
func TestSeedReproducible(t *testing.T) {
	run := func(seed int64) string {
		_, base := start(t, Config{Seed: seed, Faults: Faults{Throttle: 0.3, InternalError: 0.3}})
		var b strings.Builder
		for range 30 {
			a := send(t, base, rawReq{})
			b.WriteString(a.result + a.code + ",")
		}
		return b.String()
	}
	first, again, other := run(7), run(7), run(8)
	if first != again {
		t.Errorf("seed 7 gave\n%s\nthen\n%s", first, again)
	}
	if first == other {
		t.Errorf("seeds 7 and 8 gave the same faults: %s", first)
	}
	if !strings.Contains(first, "InternalError") || !strings.Contains(first, "RequestLimitExceeded") {
		t.Errorf("no fault fired in 30 requests: %s", first)
	}
}

// A client that gives up during the latency wait is not charged.
func TestLatencyRespectsClient(t *testing.T) {
	sim, base := start(t, Config{LatencyMin: time.Minute})
	c := client(t, base, func(cfg *verifier.Config) { cfg.Timeout = 50 * time.Millisecond })
	a := c.Verify(context.Background(), Registry()[0])
	if a.Class != batch.ClassLost {
		t.Errorf("answer %v %q, want lost", a.Class, a.Code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for sim.Stats().Cancelled == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := sim.Stats(); st.Cancelled != 1 || st.Charged != 0 {
		t.Errorf("cancelled %d charged %d, want 1 and 0", st.Cancelled, st.Charged)
	}
}

// The window slides: after a second the places free up again.
func TestWindowSlides(t *testing.T) {
	w := newWindow(2)
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {100 * time.Millisecond, true}, {500 * time.Millisecond, false},
		{1000 * time.Millisecond, true}, {1050 * time.Millisecond, false}, {1100 * time.Millisecond, true},
	}
	for _, s := range steps {
		if ok, _, _ := w.admit(t0.Add(s.at)); ok != s.want {
			t.Errorf("at %v: admitted %v, want %v", s.at, ok, s.want)
		}
	}
	slow := newWindow(0.5) // one request per two seconds
	for _, s := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {1500 * time.Millisecond, false}, {2001 * time.Millisecond, true}} {
		if ok, _, _ := slow.admit(t0.Add(s.at)); ok != s.want {
			t.Errorf("qps 0.5 at %v: admitted %v, want %v", s.at, ok, s.want)
		}
	}
}

func TestParseLatency(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi time.Duration
		bad    bool
	}{
		{"", 0, 0, false},
		{"100ms", 100 * time.Millisecond, 100 * time.Millisecond, false},
		{"50ms-2s", 50 * time.Millisecond, 2 * time.Second, false},
		{"2s-50ms", 0, 0, true},
		{"fast", 0, 0, true},
		{"50ms-", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			lo, hi, err := ParseLatency(tt.in)
			if (err != nil) != tt.bad || lo != tt.lo || hi != tt.hi {
				t.Errorf("ParseLatency(%q) = %v, %v, %v", tt.in, lo, hi, err)
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0": true, "localhost:8080": true, "[::1]:80": true, "127.0.0.2:1": true,
		":8080": false, "0.0.0.0:8080": false, "192.168.1.2:80": false, "example.com:80": false, "127.0.0.1": false,
	} {
		if err := CheckLoopback(addr); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok %v", addr, err, ok)
		}
	}
	s, _ := New(Config{})
	if _, err := s.Start("0.0.0.0:0"); err == nil {
		s.Close()
		t.Error("Start on 0.0.0.0 succeeded")
	}
}
