package journal

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Meta identifies the run a journal belongs to. It is written in the
// journal's first line and compared on every later Open.
type Meta struct {
	InputSHA256 string `json:"input_sha256"` // hex SHA-256 of the input file
	InputSize   int64  `json:"input_size"`   // size of the input file in bytes
	// Options that change results (e.g. "no_precheck", "endpoint",
	// "encrypt", "sheet", "columns"), compared key by key: a key missing on
	// one side counts as the empty value.
	Options map[string]string `json:"options,omitempty"`
	Version string            `json:"version,omitempty"` // tool version; informational, not compared
}

// ErrMismatch is wrapped by the error Open returns when the journal was
// written for another input or other options. Match it with errors.Is.
var ErrMismatch = errors.New("journal belongs to another input or options")

// MismatchError is the error Open returns for a journal of another run. It
// says what differs and how to proceed; errors.Is(err, ErrMismatch) holds.
type MismatchError struct {
	Path         string   // the journal
	InputChanged bool     // the input's size or SHA-256 differs
	Diffs        []string // one phrase per difference, e.g. `option "endpoint" changed: "a" → "b"`
}

// Error says what differs and how to proceed.
func (e *MismatchError) Error() string {
	restore := "rerun with the original options"
	if e.InputChanged {
		restore = "restore the original input"
		if len(e.Diffs) > 1 {
			restore = "restore the original input and options"
		}
	}
	return fmt.Sprintf("journal %q was written for another run: %s; rerun with --fresh to start over (rows already charged will be charged again), or %s",
		e.Path, strings.Join(e.Diffs, "; "), restore)
}

// Unwrap makes errors.Is(err, ErrMismatch) true.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// compareMeta returns nil when the journal's meta (old) fits the run (cur),
// else a *MismatchError naming every difference.
func compareMeta(path string, old, cur Meta) error {
	e := &MismatchError{Path: path}
	if old.InputSize != cur.InputSize || !strings.EqualFold(old.InputSHA256, cur.InputSHA256) {
		e.InputChanged = true
		e.Diffs = append(e.Diffs, fmt.Sprintf("the input file changed since the journal was written (size %d → %d bytes, sha256 %s → %s)",
			old.InputSize, cur.InputSize, short(old.InputSHA256), short(cur.InputSHA256)))
	}
	keys := make([]string, 0, len(old.Options)+len(cur.Options))
	for k := range old.Options {
		keys = append(keys, k)
	}
	for k := range cur.Options {
		if _, ok := old.Options[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a, b := old.Options[k], cur.Options[k]; a != b {
			e.Diffs = append(e.Diffs, fmt.Sprintf("option %q changed since the journal was written: %q → %q", k, a, b))
		}
	}
	if len(e.Diffs) == 0 {
		return nil
	}
	return e
}

// short abbreviates a hex digest for messages.
func short(hex string) string {
	if len(hex) > 12 {
		return hex[:12] + "…"
	}
	if hex == "" {
		return `""`
	}
	return hex
}
