package job

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// lockedBuffer is a bytes.Buffer safe for the progress goroutine and the
// test at once.
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

// progressLine is the whole of a progress log line: a time and counts.
var progressLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ progress: \d+(/\d+)? rows done( \(\d+\.\d%\))?, \d+\.\d/s, ETA (unknown|[0-9hms.]+), charged \d+, possibly charged \d+, errors \d+, \d+ in flight$`)

// Issue 6.1, the log lines a run off a terminal writes: they hold a time
// and counts only, and batch.Progress, all they are made from, has no field
// that could carry row data.
func TestProgressLogShowsCountsOnly(t *testing.T) {
	typ := reflect.TypeFor[batch.Progress]()
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type.Kind() {
		case reflect.Int, reflect.Int64:
		default:
			t.Errorf("batch.Progress.%s is a %v: a progress line could carry row data", f.Name, f.Type)
		}
	}
	var out lockedBuffer
	p := newProgress(&out, false)
	if p.tty {
		t.Fatal("a buffer is not a terminal")
	}
	p.first, p.tick = 0, time.Millisecond
	p.total = 100
	stop := p.start()
	p.Update(batch.Progress{Done: 10, Answered: 12, Calls: 15, Charged: 9, PossiblyCharged: 1, Errors: 2, InFlight: 3})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "12/100 rows done") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	stop()
	text := out.String()
	if !strings.Contains(text, "12/100 rows done (12.0%)") || !strings.Contains(text, "charged 9, possibly charged 1, errors 2, 3 in flight") {
		t.Fatalf("no progress line with the counts:\n%s", text)
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !progressLine.MatchString(line) {
			t.Errorf("progress line %q holds more than a time and counts", line)
		}
	}
}

// Issue 15: off a terminal the first line comes within 5 s of the start,
// then one every 30 s, each with rows of the total, percent, rate, ETA and
// charged; the clock is injected, so nothing here waits.
func TestProgressLogTimes(t *testing.T) {
	var out lockedBuffer
	p := newProgress(&out, false)
	t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return t0 }
	p.total = 2000
	p.started = t0
	lines := func() []string {
		s := strings.TrimSuffix(out.String(), "\n")
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	p.Update(batch.Progress{Answered: 200, Charged: 150})
	p.logDue(t0.Add(4 * time.Second))
	if n := len(lines()); n != 0 {
		t.Fatalf("a line before 4 s: %q", out.String())
	}
	p.logDue(t0.Add(5 * time.Second))
	got := lines()
	if len(got) != 1 {
		t.Fatalf("want the first line at 5 s, got %q", got)
	}
	want := "2026-12-02T01:00:05Z progress: 200/2000 rows done (10.0%), 40.0/s, ETA 45s, charged 150, possibly charged 0, errors 0, 0 in flight"
	if got[0] != want {
		t.Errorf("first line\n got %q\nwant %q", got[0], want)
	}
	p.Update(batch.Progress{Answered: 1000, Charged: 800})
	p.logDue(t0.Add(34 * time.Second))
	if n := len(lines()); n != 1 {
		t.Fatalf("a second line 29 s after the first: %q", lines())
	}
	p.logDue(t0.Add(35 * time.Second))
	got = lines()
	if len(got) != 2 || !strings.Contains(got[1], "1000/2000 rows done (50.0%)") || !strings.Contains(got[1], "ETA 35s") || !strings.Contains(got[1], "charged 800") {
		t.Errorf("want a second line at 35 s with 50%% and ETA 35s, got %q", got)
	}
	for _, l := range got {
		if !progressLine.MatchString(l) {
			t.Errorf("line %q does not match the log line form", l)
		}
	}
}

// Issue 15: a burst of pace cuts is said once, with the pace, and a cut
// after the burst is said again.
func TestProgressSaysPaceCutOncePerBurst(t *testing.T) {
	var out lockedBuffer
	p := newProgress(&out, false)
	t0 := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	now := t0
	p.now = func() time.Time { return now }
	p.Update(batch.Progress{PaceMilli: 20000})
	for i, pace := range []int{12300, 9000, 7000} {
		now = t0.Add(time.Duration(i) * time.Second)
		p.Update(batch.Progress{PaceCuts: i + 1, PaceMilli: pace})
	}
	now = t0.Add(time.Minute)
	p.Update(batch.Progress{PaceCuts: 3, PaceMilli: 7000}) // no new cut
	p.Update(batch.Progress{PaceCuts: 4, PaceMilli: 5000})
	want := "throttled by the service: pace cut to 12.3/s\nthrottled by the service: pace cut to 5.0/s\n"
	if got := out.String(); got != want {
		t.Errorf("console\n got %q\nwant %q", got, want)
	}
}
