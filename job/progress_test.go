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
var progressLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ progress: \d+ rows done, \d+ calls \(\d+\.\d/s\), \d+ in flight, charged \d+, possibly charged \d+, errors \d+$`)

// Issue 6.1, the log lines a run off a terminal writes every 30 s: they
// hold a time and counts only, and batch.Progress, all they are made from,
// has no field that could carry row data.
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
	p.every = time.Millisecond
	stop := p.start()
	p.Update(batch.Progress{Done: 12, Calls: 15, Charged: 9, PossiblyCharged: 1, Errors: 2, InFlight: 3, Elapsed: 1500 * time.Millisecond})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "12 rows done") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	stop()
	text := out.String()
	if !strings.Contains(text, "12 rows done, 15 calls (10.0/s), 3 in flight, charged 9, possibly charged 1, errors 2") {
		t.Fatalf("no progress line with the counts:\n%s", text)
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !progressLine.MatchString(line) {
			t.Errorf("progress line %q holds more than a time and counts", line)
		}
	}
}
