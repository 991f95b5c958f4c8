package job

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/memory"
	"github.com/bankcard4e/bankcard4e/shared"
)

// MemoryPlan is how a run uses the memory of earlier answers (SPEC
// section 11) and the shared Redis (section 12).
type MemoryPlan struct {
	Off         bool          // --no-memory (or a --simulate run without --memory): neither read nor write
	Path        string        // --memory database file (the CLI fills the default); "" and no Shared: no memory
	KeyPath     string        // --memory-key; "" → memory.DefaultKeyPath(Path), made on first use (SQLite only)
	Retain      time.Duration // --retain: answers older than this are pruned at the start; 0: not pruned
	ReuseWithin time.Duration // --reuse-within; 0: always pay (answers are still recorded)
	MaxPerCard  int           // --max-per-card; 0: off
	MaxCharged  int           // --max-charged; 0: no budget
	Endpoint    string        // the service as the memory keys it: memory.Endpoint(--endpoint), or a stable name for a simulator

	Shared   string // --shared redis:// or rediss:// URL, raw; "" → none. Never printed raw.
	SecretID string // the credential's SecretId: names the shared budget (--shared)
}

// on reports whether the run uses a memory: the zero MemoryPlan has none.
func (m *MemoryPlan) on() bool { return !m.Off && (m.Path != "" || m.Shared != "") }

// active reports whether a rerun of a finished list is answered by the
// memory: it is read and answers are reused.
func (m *MemoryPlan) active() bool { return m.on() && m.ReuseWithin > 0 }

// validateMemory checks the memory options that need no file.
func validateMemory(m *MemoryPlan) error {
	switch {
	case m.MaxPerCard < 0:
		return fmt.Errorf("--max-per-card %d: want 0 (off) or more", m.MaxPerCard)
	case m.MaxCharged < 0:
		return fmt.Errorf("--max-charged %d: want a positive count", m.MaxCharged)
	case !m.on():
		return nil
	case m.Retain > 0 && m.Retain < m.ReuseWithin:
		return fmt.Errorf("--retain %v is shorter than --reuse-within %v: answers would be deleted before they could be reused", m.Retain, m.ReuseWithin)
	case m.Shared != "" && m.KeyPath == "":
		return errors.New("--shared needs --memory-key FILE, the same 32-byte key on every host (or --no-memory to share only the rate limit); no call was sent")
	case m.Endpoint == "":
		return errors.New("memory: no endpoint to key answers by")
	}
	return nil
}

// openMemory opens the memory (SQLite, or Redis with --shared) and the
// shared gate, and prunes the old answers: all before the first call, so
// that any failure exits 1 with nothing sent.
func (j *job) openMemory(ctx context.Context, qps float64) error {
	// Not interruptible: an interrupt this early is the run's to report
	// (exit 130 with nothing sent), and every step is bounded by the
	// Redis timeouts and SQLite's busy timeout.
	ctx = context.WithoutCancel(ctx)
	m := &j.p.Memory
	var u *shared.URL
	if m.Shared != "" {
		var err error
		if u, err = shared.ParseURL(m.Shared); err != nil {
			return fmt.Errorf("--shared: %w; no call was sent", err)
		}
		if j.gate, err = shared.OpenGate(ctx, u, m.SecretID, qps, shared.Options{}); err != nil {
			return fmt.Errorf("%w; no call was sent", err)
		}
	}
	if !m.on() {
		return nil
	}
	if u != nil {
		secret, err := memory.LoadKey(m.KeyPath)
		if err != nil {
			return fmt.Errorf("%w; no call was sent", err)
		}
		mem, err := shared.OpenMemory(ctx, u, shared.MemoryOptions{Secret: secret, Retain: m.Retain})
		if err != nil {
			return fmt.Errorf("%w; no call was sent", err)
		}
		j.mem = mem
	} else {
		mem, err := memory.Open(m.Path, m.KeyPath, memory.Options{})
		if err != nil {
			return fmt.Errorf("%w; no call was sent", err)
		}
		j.mem = mem
	}
	if m.Retain > 0 {
		if _, err := j.mem.Prune(ctx, j.p.Now().Add(-m.Retain)); err != nil {
			return fmt.Errorf("memory: prune entries older than %v: %w; no call was sent", m.Retain, err)
		}
	}
	return nil
}

// memoryConfig sets the batch's memory, card guard, budget and gate.
func (j *job) memoryConfig(cfg *batch.Config) {
	m := &j.p.Memory
	cfg.MaxCharged = m.MaxCharged
	if j.gate != nil {
		cfg.Gate = j.gate
	}
	if j.mem == nil {
		return
	}
	cfg.Memory, cfg.Endpoint = j.mem, m.Endpoint
	cfg.ReuseWithin, cfg.MaxPerCard = m.ReuseWithin, m.MaxPerCard
}

// closeMemory closes what openMemory opened.
func (j *job) closeMemory() {
	if j.mem != nil {
		j.mem.Close()
		j.mem = nil
	}
	if j.gate != nil {
		j.gate.Close()
		j.gate = nil
	}
}

// CheckMemory is the memory check counts against: the --memory options of
// check. The zero value (or Off) counts no answers.
type CheckMemory struct {
	Off         bool
	Path        string // SQLite database; never created by check
	KeyPath     string // "" → beside Path
	Shared      string // --shared URL, raw
	ReuseWithin time.Duration
	Endpoint    string // as MemoryPlan.Endpoint
}

// checkLookup opens the memory for check without creating it: nil (and
// the reason to print) when there is none. The caller closes it.
func openCheckMemory(ctx context.Context, m CheckMemory) (batch.Memory, string, error) {
	switch {
	case m.Off:
		return nil, "off (--no-memory)", nil
	case m.ReuseWithin <= 0:
		return nil, "not read (--reuse-within 0)", nil
	case m.Shared != "":
		u, err := shared.ParseURL(m.Shared)
		if err != nil {
			return nil, "", fmt.Errorf("--shared: %w", err)
		}
		if m.KeyPath == "" {
			return nil, "", errors.New("--shared needs --memory-key FILE")
		}
		secret, err := memory.LoadKey(m.KeyPath)
		if err != nil {
			return nil, "", err
		}
		mem, err := shared.OpenMemory(ctx, u, shared.MemoryOptions{Secret: secret})
		if err != nil {
			return nil, "", err
		}
		return mem, u.Redacted(), nil
	}
	if _, err := os.Stat(m.Path); errors.Is(err, fs.ErrNotExist) {
		return nil, "none at " + m.Path, nil
	}
	s, err := memory.Open(m.Path, m.KeyPath, memory.Options{NoCreate: true})
	if err != nil {
		return nil, "", err
	}
	return s, m.Path, nil
}
