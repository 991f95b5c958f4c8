package simulator

import (
	"context"
	"strings"
	"testing"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/verifier"
)

// An answer with both Result and Error is lost to the client (possibly
// charged): the simulator billed it by its Result.
func TestResultAndErrorIsLost(t *testing.T) {
	sim, base := start(t, Config{Inject: func(batch.Fields, int) *Injection {
		return &Injection{Result: "0", AlsoError: "InternalError"}
	}})
	a := client(t, base, nil).Verify(context.Background(), Registry()[0])
	if a.Class != batch.ClassLost || a.Code != "ResultAndError" {
		t.Errorf("answer %v %q (%s), want lost ResultAndError", a.Class, a.Code, a.Message)
	}
	if got := verifier.Charges(a.Class); got != "possibly charged" {
		t.Errorf("tool says %s", got)
	}
	if st := sim.Stats(); st.Charged != 1 || st.ResultAndError != 1 {
		t.Errorf("simulator stats %+v, want 1 charged with Result and Error", st)
	}
}

// With 20% of answers carrying Result and Error, retrying each row until
// a final answer (as the run does), what the simulator charged stays
// within the tool's bracket [charged, charged + possibly charged].
func TestResultAndErrorBracket(t *testing.T) {
	sim, base := start(t, Config{Seed: 7, Faults: Faults{ResultAndError: 0.2}})
	c := client(t, base, nil)
	charged, lost := 0, 0
	const rows = 300
	for i := range rows {
		for attempt := 0; attempt < 10; attempt++ {
			a := c.Verify(context.Background(), person(i))
			if a.Class == batch.ClassLost {
				lost++
				continue
			}
			if a.Class == batch.ClassCharged {
				charged++
			}
			break
		}
	}
	st := sim.Stats()
	if st.ResultAndError == 0 || lost != st.ResultAndError {
		t.Errorf("%d answers with Result and Error, the client counted %d lost", st.ResultAndError, lost)
	}
	if st.Charged < charged || st.Charged > charged+lost {
		t.Errorf("simulator charged %d, outside the tool's bracket [%d, %d]", st.Charged, charged, charged+lost)
	}
}

// In the Echo mode the simulator repeats the request in its answers' text;
// the client masks the request's own values and every run of six or more
// digits before the text goes anywhere, so no name and no full ID, card or
// phone number is in any answer.
func TestEchoIsScrubbed(t *testing.T) {
	customer := Registry()[0]
	// The mode echoes: the raw answer holds the ID in clear.
	_, base := start(t, Config{Faults: Faults{Echo: true}})
	if raw := send(t, base, rawReq{}); !strings.Contains(raw.desc, "IdCard=") {
		t.Fatalf("echo mode: Description %q does not echo the request", raw.desc)
	}
	injections := []*Injection{
		nil,                              // the normal Result and Description
		{Error: "InvalidParameterValue"}, // an error's Message
		{Result: "-6", AlsoError: "InternalError"},
		{Result: "-99"}, // an unknown Result
	}
	for i, inj := range injections {
		_, base := start(t, Config{Faults: Faults{Echo: true}, Inject: func(batch.Fields, int) *Injection { return inj }})
		a := client(t, base, nil).Verify(context.Background(), customer)
		text := strings.Join([]string{a.Result, a.Description, a.Code, a.Message, a.RequestID, a.ErrorText()}, "|")
		if i < 2 && !strings.Contains(text, "request: Name=") {
			t.Errorf("answer %d: %q: the echo did not reach the client", i, text)
		}
		for _, v := range []string{customer.Name, customer.BankCard, customer.Phone, customer.IDCard, customer.IDCard[:17]} {
			if strings.Contains(text, v) {
				t.Errorf("answer %d holds a full number (%d characters): %q", i, len(v), text)
			}
		}
	}
}
