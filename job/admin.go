package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/bankcard4e/bankcard4e/memory"
	"github.com/bankcard4e/bankcard4e/reader"
)

// MemoryAdmin is the memory command's work on the SQLite memory at Path:
// stats, prune and forget. None of them prints personal data, and none
// makes a memory where there is none (it says so and does nothing).
type MemoryAdmin struct {
	Path, KeyPath string
	Out           io.Writer        // what is said
	Now           func() time.Time // nil: time.Now
}

// open opens the memory without creating it: nil, and no error, when
// there is none, after saying so.
func (a MemoryAdmin) open() (*memory.Store, error) {
	if _, err := os.Stat(a.Path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(a.Out, "no memory at %s\n", a.Path)
		return nil, nil
	}
	return memory.Open(a.Path, a.KeyPath, memory.Options{NoCreate: true})
}

func (a MemoryAdmin) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Stats prints the memory's entries, oldest and newest, counts by Result
// and endpoint, and the card guard's counts.
func (a MemoryAdmin) Stats(ctx context.Context) error {
	s, err := a.open()
	if s == nil {
		return err
	}
	defer s.Close()
	st, err := s.Stats(ctx, a.now())
	if err == nil {
		st.Format(a.Out, s.Path())
	}
	return err
}

// Prune deletes the answers and card counts older than olderThan.
func (a MemoryAdmin) Prune(ctx context.Context, olderThan time.Duration) error {
	s, err := a.open()
	if s == nil {
		return err
	}
	defer s.Close()
	before := a.now().Add(-olderThan).UTC()
	n, err := s.Prune(ctx, before)
	if err == nil {
		fmt.Fprintf(a.Out, "pruned %d answers given before %s\n", n, before.Format(time.RFC3339))
	}
	return err
}

// Forget deletes the entries of every row of the list at path (ForgetList).
func (a MemoryAdmin) Forget(ctx context.Context, path string, o reader.Options) error {
	s, err := a.open()
	if s == nil {
		return err
	}
	defer s.Close()
	rows, f, err := ForgetList(ctx, s, path, o)
	if err == nil {
		fmt.Fprintf(a.Out, "forgot %d answers and %d card-guard counts for the %d rows of %s\n", f.Answers, f.CardCalls, rows, path)
	}
	return err
}
