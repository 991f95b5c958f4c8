// Package journal is the resume journal of a verify run (SPEC section 7):
// an append-only file that durably records each attempt before it is sent
// and each row's final outcome, so that a rerun after a crash, kill, abort
// or interrupt sends no row again that already has its answer, and counts
// every attempt that was in flight as possibly charged.
//
// A Journal is safe for concurrent use. The durable calls (Attempt, Final)
// share fsyncs by group commit: a caller appends its record to a shared
// buffer and waits; the first waiter writes the buffer and syncs once for
// everyone queued, while later callers queue the next batch.
//
// The journal holds row indexes, attempt numbers and outcomes: no personal
// data. See record.go for the file format.
package journal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
)

// errLocked says another process holds the journal.
var errLocked = errors.New("the journal is in use by another run of bankcard4e (wait for it to finish, or stop it)")

// ID is the journal's random id, made when it was created and the same in
// every run that resumes it: the job's identity, e.g. as the holder of its
// claims in the memory of earlier answers, so a rerun after a crash takes
// its own claims back at once.
func (j *Journal) ID() string { return j.id }

// ErrClosed is returned by calls on a closed Journal.
var ErrClosed = errors.New("journal is closed")

// Journal is an open journal. Its methods are safe for concurrent use.
type Journal struct {
	path  string
	f     *os.File
	sync  func(*os.File) error
	yield func() // lets other goroutines run while the flusher gathers
	id    string // random, made when the journal is created; kept by every resume
	key   uint32 // binds each record's CRC to this journal's id (see lineKey)

	mu       sync.Mutex
	cond     sync.Cond // signalled when a flush ends
	buf      []byte    // records not yet handed to a flush
	spare    []byte    // the buffer of the last flush, for reuse
	appended uint64    // records appended so far
	durable  uint64    // records written and synced
	flushing bool      // a caller is writing and syncing, without mu
	closed   bool
	err      error // sticky write or sync error
}

// config holds what tests replace.
type config struct {
	sync  func(*os.File) error // makes written data durable
	now   func() time.Time     // time of the run record
	yield func()               // the flusher's yield while it gathers; nil: runtime.Gosched
}

// Open opens the journal at path for a run described by meta.
//
// When the file does not exist, or fresh is set, Open creates it (mode
// 0600) by writing its header to a temporary file and renaming it into
// place, and returns an empty State. Otherwise it checks the header against
// meta (an error wrapping ErrMismatch says what differs), replays every
// record into the State, cuts away a torn last line, and records the start
// of this run. A journal damaged anywhere else (a line that fails its
// check, or one copied from another journal) is refused with a
// *DamagedError, before anything is written to it. A journal held by
// another running process is refused.
func Open(path string, meta Meta, fresh bool) (*Journal, *State, error) {
	return open(path, meta, fresh, config{sync: datasync, now: time.Now})
}

func open(path string, meta Meta, fresh bool, c config) (*Journal, *State, error) {
	if !fresh {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err == nil {
			return resume(path, f, meta, c)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("open journal %q: %w", path, err)
		}
	}
	return create(path, meta, fresh, c)
}

// create writes a new journal and moves it into place.
func create(path string, meta Meta, fresh bool, c config) (*Journal, *State, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if fresh {
		if old, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
			err = lock(old)
			old.Close()
			if err != nil {
				return nil, nil, fmt.Errorf("journal %q: %w", path, err)
			}
		}
	}
	id, err := newID()
	if err != nil {
		return nil, nil, err
	}
	key := lineKey(id)
	head, err := appendHeader(nil, id, meta)
	if err != nil {
		return nil, nil, err
	}
	head = appendRun(head, key, c.now().Unix())

	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return nil, nil, fmt.Errorf("create journal %q: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) (*Journal, *State, error) {
		f.Close()
		os.Remove(tmp)
		return nil, nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(fmt.Errorf("create journal %q: %w", path, err))
	}
	if err := lock(f); err != nil {
		return fail(fmt.Errorf("create journal %q: %w", path, err))
	}
	if _, err := f.Write(head); err != nil {
		return fail(fmt.Errorf("write journal %q: %w", path, err))
	}
	if err := c.sync(f); err != nil {
		return fail(fmt.Errorf("sync journal %q: %w", path, err))
	}
	if err := place(tmp, path, fresh); err != nil {
		return fail(err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("sync directory of journal %q: %w", path, err)
	}
	return newJournal(path, f, c, id), newState(), nil
}

// place moves the new journal tmp to path. Unless fresh, it refuses to
// replace a journal that another run created meanwhile.
func place(tmp, path string, fresh bool) error {
	if !fresh {
		err := os.Link(tmp, path)
		if err == nil {
			os.Remove(tmp)
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("journal %q: %w", path, errLocked)
		}
		// No hard links on this file system: fall back to rename.
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("create journal %q: %w", path, err)
	}
	return nil
}

// resume replays an existing journal and opens it for appending.
func resume(path string, f *os.File, meta Meta, c config) (*Journal, *State, error) {
	fail := func(err error) (*Journal, *State, error) {
		f.Close()
		return nil, nil, err
	}
	if err := lock(f); err != nil {
		return fail(fmt.Errorf("journal %q: %w", path, err))
	}
	st, id, good, end, err := read(path, f, meta)
	if err != nil {
		return fail(err)
	}
	if end > good {
		// A torn or damaged tail: the process died while writing it.
		if err := f.Truncate(good); err != nil {
			return fail(fmt.Errorf("cut torn end of journal %q: %w", path, err))
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		return fail(fmt.Errorf("journal %q: %w", path, err))
	}
	j := newJournal(path, f, c, id)
	if err := j.add(appendRun(nil, j.key, c.now().Unix()), true); err != nil {
		j.Close()
		return nil, nil, err
	}
	return j, st, nil
}

// read checks the header against meta and replays the records. key binds
// the records to the journal; good is the offset after the last sound
// line, end the size read. Only a last line without its "\n" (torn by a
// crash mid-write) may fail its check: any other damage is a
// *DamagedError naming the first damaged line.
func read(path string, f *os.File, meta Meta) (st *State, id string, good, end int64, err error) {
	br := bufio.NewReaderSize(f, 64<<10)
	var long []byte
	// next returns the next line without its "\n"; complete is false for a
	// last line without one.
	next := func() (line []byte, complete bool, err error) {
		line, err = br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		end += int64(len(line))
		switch {
		case err == nil:
			return line[:len(line)-1], true, nil
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, false, nil
		default:
			return nil, false, err
		}
	}

	line, complete, err := next()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", 0, 0, fmt.Errorf("read journal %q: %w", path, err)
	}
	var damaged *DamagedError
	body, ok := checked(line, 0)
	switch {
	case complete && ok:
		var old Meta
		if id, old, err = parseHeader(body); err != nil {
			return nil, "", 0, 0, fmt.Errorf("journal %q: %w", path, err)
		}
		if err := compareMeta(path, old, meta); err != nil {
			return nil, "", 0, 0, err
		}
	default:
		// A first line that still looks like a header of this format is
		// a damaged journal: its records can be counted for the message.
		if id, ok = headerID(line); !ok || !complete {
			return nil, "", 0, 0, fmt.Errorf("journal %q: %w; move it away, or rerun with --fresh to start over", path, errNotJournal)
		}
		damaged = &DamagedError{Path: path, Line: 1, Reason: "the header fails its checksum"}
	}
	key := lineKey(id)
	good = end

	r := newReplay()
	torn := 0
	for n := 2; ; n++ {
		line, complete, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", 0, 0, fmt.Errorf("read journal %q: %w", path, err)
		}
		if !complete {
			// The last line, cut short by a crash mid-write: cut away.
			torn = 1
			break
		}
		body, ok := checked(line, key)
		if !ok {
			if damaged == nil {
				damaged = &DamagedError{Path: path, Line: n, Reason: "the line fails its checksum: changed, overwritten, or copied from another journal"}
			}
			continue
		}
		rec, err := parseRecord(body)
		if err != nil {
			if damaged == nil {
				damaged = &DamagedError{Path: path, Line: n, Reason: err.Error()}
			}
			continue
		}
		r.add(rec)
		good = end
	}
	st = r.state()
	if damaged != nil {
		damaged.cost(st)
		return nil, "", 0, 0, damaged
	}
	st.Damaged = torn
	return st, id, good, end, nil
}

func newJournal(path string, f *os.File, c config, id string) *Journal {
	j := &Journal{path: path, f: f, sync: c.sync, yield: c.yield, id: id, key: lineKey(id)}
	if j.yield == nil {
		j.yield = runtime.Gosched
	}
	j.cond.L = &j.mu
	return j
}

// Attempt records that attempt n (1-based, counted over every run) of row
// is about to be sent. It returns once the record is on disk.
func (j *Journal) Attempt(row, n int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usable(); err != nil {
		return err
	}
	j.buf = appendAttempt(j.buf, j.key, kindAttempt, row, n)
	j.appended++
	return j.waitDurable(j.appended)
}

// Answered records that attempt n of row got an answer that is not final
// (a retryable one): the attempt was not lost. It does not wait for the
// disk: the record goes out with the next durable call or Close.
func (j *Journal) Answered(row, n int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usable(); err != nil {
		return err
	}
	j.buf = appendAttempt(j.buf, j.key, kindAnswered, row, n)
	j.appended++
	return nil
}

// Final records the row's final outcome; o.Calls and o.Lost are cumulative
// over every run. It returns once the record is on disk.
func (j *Journal) Final(row int, o batch.Outcome) error {
	body, err := encodeFinal(o)
	if err != nil {
		return fmt.Errorf("journal %q: row %d: %w", j.path, row, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usable(); err != nil {
		return err
	}
	j.buf = appendFinal(j.buf, j.key, row, body)
	j.appended++
	return j.waitDurable(j.appended)
}

// Close waits for the calls in flight, writes and syncs every record, and
// closes the file, which stays. Closing a closed Journal does nothing.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true // no new records from here on
	err := j.waitDurable(j.appended)
	for j.flushing {
		j.cond.Wait()
	}
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close journal %q: %w", j.path, cerr)
	}
	return err
}

// Remove closes the journal and deletes its file: for a run in which every
// row reached a final outcome.
func (j *Journal) Remove() error {
	err := j.Close()
	if rerr := os.Remove(j.path); rerr != nil {
		return fmt.Errorf("remove journal %q: %w", j.path, rerr)
	}
	if serr := syncDir(filepath.Dir(j.path)); serr != nil && err == nil {
		err = fmt.Errorf("remove journal %q: %w", j.path, serr)
	}
	return err
}
