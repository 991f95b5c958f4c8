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

// How a run that is not on a terminal logs its progress: a first line
// within firstLog of the start (so a cron log shows the run is moving),
// then one every logEvery.
const (
	firstLog = 5 * time.Second
	logEvery = 30 * time.Second
	// logTick is how often the log goroutine looks at the clock.
	logTick = time.Second
	// cutBurst: pace cuts closer together than this are one burst, said
	// once on the console.
	cutBurst = 10 * time.Second
)

// progress shows how a run goes on the console: a bar when w is a
// terminal, log lines otherwise, nothing when quiet. It never shows row
// data: everything it prints comes from batch.Progress, counts only.
type progress struct {
	w     io.Writer
	quiet bool
	tty   bool
	first time.Duration    // before the first log line; firstLog
	every time.Duration    // between log lines; logEvery
	tick  time.Duration    // how often the log goroutine checks; logTick (tests shorten it)
	now   func() time.Time // time.Now; tests inject a clock
	total int              // rows in the input, for the percent and ETA; 0: unknown
	stop  func()           // ends what start began

	mu      sync.Mutex // guards what follows and every write to w
	last    batch.Progress
	started time.Time
	logged  time.Time // the last log line; zero: none yet
	cuts    int       // PaceCuts already accounted for
	cutSaid time.Time // when the console last said the pace was cut
	bar     *progressbar.ProgressBar
}

// NewProgress is the console's Progress for a run writing to w (stderr).
func NewProgress(w io.Writer, quiet bool) Progress { return newProgress(w, quiet) }

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet, first: firstLog, every: logEvery, tick: logTick, now: time.Now}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

// Update is the batch.Config.Progress callback: after every answer, in
// any order, so the bar moves with Answered, not only with rows written.
func (p *progress) Update(s batch.Progress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = s
	p.sayCut(s, p.now())
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("charged %d, possibly %d, errors %d", s.Charged, s.PossiblyCharged, s.Errors))
		_ = p.bar.Set(s.Answered)
	}
}

// sayCut says once per burst of pace cuts that the service throttled the
// run and the pace it now holds. p.mu is held.
func (p *progress) sayCut(s batch.Progress, now time.Time) {
	if s.PaceCuts <= p.cuts {
		return
	}
	p.cuts = s.PaceCuts
	if !p.cutSaid.IsZero() && now.Sub(p.cutSaid) < cutBurst {
		return
	}
	p.cutSaid = now
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.w, "throttled by the service: pace cut to %.1f/s\n", float64(s.PaceMilli)/1000)
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
	p.mu.Lock()
	p.started = p.now()
	if p.tty {
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
		return func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			_ = p.bar.Finish()
		}
	}
	p.mu.Unlock()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.tick)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.logDue(p.now())
			}
		}
	}()
	return func() { close(stop); <-done }
}

// logDue writes a log line when one is due at now: the first once
// p.first has passed since the start, then one every p.every.
func (p *progress) logDue(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.logged.IsZero() {
		if now.Sub(p.started) < p.first {
			return
		}
	} else if now.Sub(p.logged) < p.every {
		return
	}
	p.logged = now
	fmt.Fprintln(p.w, p.logLine(now))
}

// logLine is one log line: the time, rows answered of the total with the
// percent, the rate, the ETA and the charges. p.mu is held.
func (p *progress) logLine(now time.Time) string {
	s := p.last
	elapsed := now.Sub(p.started)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(s.Answered) / elapsed.Seconds()
	}
	of, pct, eta := "", "", "ETA unknown"
	if p.total > 0 {
		of = fmt.Sprintf("/%d", p.total)
		pct = fmt.Sprintf(" (%.1f%%)", 100*float64(s.Answered)/float64(p.total))
		if left := p.total - s.Answered; left <= 0 {
			eta = "ETA 0s"
		} else if rate > 0 {
			eta = "ETA " + time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second).String()
		}
	}
	return fmt.Sprintf("%s progress: %d%s rows done%s, %.1f/s, %s, charged %d, possibly charged %d, errors %d, %d in flight",
		now.UTC().Format(time.RFC3339), s.Answered, of, pct, rate, eta, s.Charged, s.PossiblyCharged, s.Errors, s.InFlight)
}
