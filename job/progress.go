package job

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/bankcard4e/bankcard4e/batch"
)

// logEvery is how often a run that is not on a terminal logs its progress.
const logEvery = 30 * time.Second

// progress shows how a run goes on the console: a bar when w is a
// terminal, a log line every 30 s otherwise, nothing when quiet. It never
// shows row data.
type progress struct {
	w     io.Writer
	quiet bool
	tty   bool
	every time.Duration // between log lines; logEvery (tests shorten it)
	total int           // rows in the input, for the bar's ETA; 0: unknown
	stop  func()        // ends what start began

	mu   sync.Mutex
	last batch.Progress
	bar  *progressbar.ProgressBar
}

// NewProgress is the console's Progress for a run writing to w (stderr).
func NewProgress(w io.Writer, quiet bool) Progress { return newProgress(w, quiet) }

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet, every: logEvery}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

// Update is the batch.Config.Progress callback.
func (p *progress) Update(s batch.Progress) {
	p.mu.Lock()
	p.last = s
	bar := p.bar
	p.mu.Unlock()
	if bar != nil {
		bar.Describe(fmt.Sprintf("charged %d, possibly %d, errors %d", s.Charged, s.PossiblyCharged, s.Errors))
		_ = bar.Set(s.Done)
	}
}

// Start begins showing the progress of a run over total rows.
func (p *progress) Start(total int) {
	p.total = total
	p.stop = p.start()
}

// Stop ends the bar or the log lines.
func (p *progress) Stop() {
	if p.stop != nil {
		p.stop()
	}
}

// start begins showing progress; the returned func stops it.
func (p *progress) start() func() {
	if p.quiet {
		return func() {}
	}
	if p.tty {
		p.mu.Lock()
		total := -1
		if p.total > 0 {
			total = p.total
		}
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		p.mu.Unlock()
		return func() { _ = p.bar.Finish() }
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.mu.Lock()
				s := p.last
				p.mu.Unlock()
				rate := 0.0
				if s.Elapsed > 0 {
					rate = float64(s.Calls) / s.Elapsed.Seconds()
				}
				fmt.Fprintf(p.w, "%s progress: %d rows done, %d calls (%.1f/s), %d in flight, charged %d, possibly charged %d, errors %d\n",
					time.Now().UTC().Format(time.RFC3339), s.Done, s.Calls, rate, s.InFlight, s.Charged, s.PossiblyCharged, s.Errors)
			}
		}
	}()
	return func() { close(stop); <-done }
}
