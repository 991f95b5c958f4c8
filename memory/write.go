package memory

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
)

// Writes (SPEC sections 10 and 11). Every change to the database — a
// claim, a card count, an answer, their releases, a prune, a forget — and
// every lookup is an op handed to one writer goroutine, which runs all the
// ops that arrived while it committed the previous ones in one BEGIN
// IMMEDIATE transaction (BEGIN DEFERRED when all are lookups) on its own
// connection, with statements prepared once: a group commit. Lookups go
// there too because that connection's page cache stays valid across its
// own commits, where any other connection's is dropped at each commit and
// read again from the files. The transaction is what made each op atomic before (the
// look at a claim or a card's count and the change after it happen under
// SQLite's write lock, so no other process sees between them); it now
// covers a batch of ops run one after another, so each sees the ones
// before it, as it would have serially. A batch costs one commit — its
// WAL frames and locks — however many rows it holds.
//
// An op that fails rolls its batch back, and the batch's ops then run
// again one transaction each, so that one op's failure is its own and
// never another's.

// maxBatch bounds the ops of one transaction, so that other processes
// waiting for the write lock wait for one short transaction at most.
const maxBatch = 512

// queueLen is how many ops may wait for the writer before their callers
// wait to hand them over.
const queueLen = 1024

// errClosed is what an op given to a closed store returns.
var errClosed = errors.New("closed")

// The states of an op: waiting in the queue, run by the writer, or given
// up by its caller (whose context ended) before the writer came to it.
const (
	opQueued int32 = iota
	opStarted
	opAbandoned
)

// op is one write. run runs it inside the writer's open transaction; it
// must set all of its results each time it runs, since a failed batch
// runs it again.
type op struct {
	run   func(w *writeConn) error
	read  bool // a lookup: changes nothing
	state atomic.Int32
	done  chan error // buffered: the writer never waits for the caller
}

// writeConn is the writer's connection and the statements prepared on it.
type writeConn struct {
	conn                  *sql.Conn
	begin, commit, rollbk *sql.Stmt
	beginRead             *sql.Stmt // a read transaction, for a batch of lookups only
	lookup                *sql.Stmt
	claimTake, claimHeld  *sql.Stmt
	unclaim               *sql.Stmt
	cardCount, cardAdd    *sql.Stmt
	cardRelease, cardOld  *sql.Stmt
	record, recordUnclaim *sql.Stmt
	stmts                 []*sql.Stmt // all of the above, to close

	// latest is the latest now a ReserveCard was given (Unix ns); expired
	// is the latest at which counts that left the window were deleted.
	latest, expired int64
}

// The statements of the writer. A claim is taken or renewed in one
// conditional upsert: it changes the row only when the claim is the
// holder's own or has ended, and reports whether it did.
const (
	claimTakeSQL = `INSERT INTO claims (key, endpoint, holder, until) VALUES (?1, ?2, ?3, ?4)
	ON CONFLICT (key, endpoint) DO UPDATE SET holder = excluded.holder, until = excluded.until
	WHERE claims.holder = excluded.holder OR claims.until <= ?5`
	claimHeldSQL     = `SELECT until FROM claims WHERE key = ? AND endpoint = ?`
	unclaimSQL       = `DELETE FROM claims WHERE key = ? AND endpoint = ? AND holder = ?`
	cardCountSQL     = `SELECT count(*), min(at) FROM cards WHERE card = ? AND at > ?`
	cardAddSQL       = `INSERT INTO cards (id, card, at) VALUES (?, ?, ?)`
	cardReleaseSQL   = `DELETE FROM cards WHERE id = ? AND card = ?`
	cardOldSQL       = `DELETE FROM cards WHERE at <= ?`
	recordUnclaimSQL = `DELETE FROM claims WHERE key = ? AND endpoint = ?`
)

// openWriter takes a connection of db for the writer and prepares its
// statements on it.
func openWriter(ctx context.Context, db *sql.DB) (*writeConn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writeConn{conn: conn}
	// The writer's own page cache, 16 MB against SQLite's default of 2 MB:
	// the pages of the trees it looks up and changes stay in it between
	// its transactions.
	// And no checkpoint on the write path (checkpoints): it would make the
	// ops waiting for the writer wait for the copy into the database file
	// and its fsync; past walLimit pages the writer tries one itself.
	for _, pragma := range []string{"PRAGMA cache_size = -16384", "PRAGMA wal_autocheckpoint = " + strconv.Itoa(walLimit)} {
		if _, err := conn.ExecContext(ctx, pragma); err != nil {
			conn.Close()
			return nil, err
		}
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.begin, "BEGIN IMMEDIATE"}, {&w.beginRead, "BEGIN DEFERRED"}, {&w.commit, "COMMIT"}, {&w.rollbk, "ROLLBACK"},
		{&w.lookup, lookupSQL},
		{&w.claimTake, claimTakeSQL}, {&w.claimHeld, claimHeldSQL}, {&w.unclaim, unclaimSQL},
		{&w.cardCount, cardCountSQL}, {&w.cardAdd, cardAddSQL},
		{&w.cardRelease, cardReleaseSQL}, {&w.cardOld, cardOldSQL},
		{&w.record, recordSQL}, {&w.recordUnclaim, recordUnclaimSQL},
	} {
		if *p.stmt, err = conn.PrepareContext(ctx, p.sql); err != nil {
			w.close()
			return nil, err
		}
		w.stmts = append(w.stmts, *p.stmt)
	}
	return w, nil
}

func (w *writeConn) close() {
	for _, s := range w.stmts {
		s.Close()
	}
	w.conn.Close()
}

// exec runs one of the writer's statements. The writer's statements run
// without the callers' contexts: an op, once started, finishes with its
// batch (its caller waits for it).
func (w *writeConn) exec(s *sql.Stmt, args ...any) (sql.Result, error) {
	return s.ExecContext(context.Background(), args...)
}

// writer is the queue of ops and the goroutine that runs them.
type writer struct {
	w       *writeConn
	ops     chan *op
	mu      sync.RWMutex // held to read closed and send; locked to close ops
	closed  bool
	stopped chan struct{} // closed when the goroutine has run every op and ended
	live    []*op         // the ops of the batch being run that started
	commits atomic.Int64  // transactions committed: batches, and ops run alone
	frames  atomic.Int64  // pages the writer has written to the WAL, for checkpoints
}

func newWriter(w *writeConn) *writer {
	q := &writer{w: w, ops: make(chan *op, queueLen), stopped: make(chan struct{}), live: make([]*op, 0, maxBatch)}
	go q.loop()
	return q
}

// do runs f as one op that may change the database, and returns its
// error: ctx's error, without running it, when ctx ends before the writer
// comes to it; once the writer has begun it, do waits for its batch to
// commit.
func (q *writer) do(ctx context.Context, f func(w *writeConn) error) error {
	return q.submit(ctx, &op{run: f})
}

// read runs f, which only reads, as do does.
func (q *writer) read(ctx context.Context, f func(w *writeConn) error) error {
	return q.submit(ctx, &op{run: f, read: true})
}

func (q *writer) submit(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.done = make(chan error, 1)
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return errClosed
	}
	select {
	case q.ops <- o:
	case <-ctx.Done():
		q.mu.RUnlock()
		return ctx.Err()
	}
	q.mu.RUnlock()
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		if o.state.CompareAndSwap(opQueued, opAbandoned) {
			return ctx.Err()
		}
		return <-o.done
	}
}

// close ends the queue once every op given to it has run, and closes the
// writer's connection. Closing it again does nothing.
func (q *writer) close() {
	q.mu.Lock()
	first := !q.closed
	if first {
		q.closed = true
		close(q.ops)
	}
	q.mu.Unlock()
	<-q.stopped
	if first {
		q.w.close()
	}
}

// gatherRounds bounds how many times gather yields before a batch.
const gatherRounds = 8

// gather lets the goroutines that are about to hand the writer an op do
// so before it begins a batch: it yields the processor, again while the
// queue grows, up to gatherRounds times. One batch then holds what would
// otherwise be several, each paying for its own commit.
func (q *writer) gather() {
	for range gatherRounds {
		n := len(q.ops)
		runtime.Gosched()
		if len(q.ops) == n {
			return
		}
	}
}

func (q *writer) loop() {
	defer close(q.stopped)
	batch := make([]*op, 0, maxBatch)
	for o := range q.ops {
		batch = append(batch[:0], o)
		q.gather()
	more:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-q.ops:
				if !ok {
					break more
				}
				batch = append(batch, o)
			default:
				break more
			}
		}
		q.runBatch(batch)
	}
}

// runBatch runs the ops of batch that their callers still wait for in one
// transaction; when one fails, it rolls back and runs each alone.
func (q *writer) runBatch(batch []*op) {
	w := q.w
	begin := w.beginRead // a batch of lookups takes no write lock
	for _, o := range batch {
		if !o.read {
			begin = w.begin
			break
		}
	}
	if _, err := w.exec(begin); err != nil {
		for _, o := range batch {
			o.done <- err
		}
		return
	}
	live := q.live[:0]
	var err error
	opFailed := false // err is the last live op's own
	for _, o := range batch {
		if !o.state.CompareAndSwap(opQueued, opStarted) {
			continue // its caller gave up: it never runs
		}
		live = append(live, o)
		if err = o.run(w); err != nil {
			opFailed = true
			break
		}
	}
	if err == nil {
		if _, err = w.exec(w.commit); err == nil {
			q.committed()
			for _, o := range live {
				o.done <- nil
			}
			q.expireCards()
			return
		}
	}
	w.exec(w.rollbk) // after a failed COMMIT SQLite may have rolled back already
	if len(live) == 1 && opFailed {
		live[0].done <- err // its own failure: running it again alone would fail again
	} else {
		for _, o := range live {
			o.done <- q.alone(o)
		}
	}
	// The ops after the failing one, never started, are run alone too.
	for _, o := range batch {
		if o.state.CompareAndSwap(opQueued, opStarted) {
			o.done <- q.alone(o)
		}
	}
}

// committed counts a commit and the pages it wrote to the WAL.
func (q *writer) committed() {
	q.commits.Add(1)
	q.frames.Add(q.w.pagesWritten())
}

// pagesWritten is how many pages the writer's connection has written (to
// the WAL) since the last call: SQLite's own count, no system call.
func (w *writeConn) pagesWritten() int64 {
	var n int
	w.conn.Raw(func(dc any) error {
		if st, ok := dc.(sqlite.DBStatus); ok {
			n, _, _ = st.Status(sqlite.DBStatusCacheWrite, true)
		}
		return nil
	})
	return int64(n)
}

// alone runs o in a transaction of its own.
func (q *writer) alone(o *op) error {
	w := q.w
	begin := w.begin
	if o.read {
		begin = w.beginRead
	}
	if _, err := w.exec(begin); err != nil {
		return err
	}
	err := o.run(w)
	if err == nil {
		if _, err = w.exec(w.commit); err == nil {
			q.committed()
			return nil
		}
	}
	w.exec(w.rollbk)
	return err
}

// expireCards deletes, at most once a minute of the card guard's clock,
// the card counts that left the window before the latest now a
// ReserveCard was given: no count would count them again. (A count is
// judged by its time, not by being deleted, so this only keeps the table
// small.)
//
// It runs after a batch has committed, in a transaction of its own, so
// that its failure is no op's: a count that stays is still judged by its
// time, and the next batch tries again.
func (q *writer) expireCards() {
	const every = 60e9 // a minute, in ns
	w := q.w
	if w.latest-w.expired < every {
		return
	}
	if _, err := w.exec(w.begin); err != nil {
		return
	}
	if _, err := w.exec(w.cardOld, w.latest-int64(Window)); err != nil {
		w.exec(w.rollbk)
		return
	}
	if _, err := w.exec(w.commit); err != nil {
		w.exec(w.rollbk)
		return
	}
	q.committed()
	w.expired = w.latest
}

// walLimit is the WAL's size, in pages, past which the writer checkpoints
// itself (SQLite's default is 1,000): only when checkpoints cannot keep
// up, since it makes the writer's ops wait.
const walLimit = 16384

// checkpointEvery is how often checkpoints looks at the WAL.
const checkpointEvery = 250 * time.Millisecond

// checkpointPages is how many pages the writer writes to the WAL, while
// it keeps writing, before checkpoints copies them into the database file:
// a quarter of walLimit. A page the writer changes again and again (the
// end of an index by time, the claims) is in the WAL many times but copied
// once, so the less often a busy writer is checkpointed, the less it
// copies; random pages are copied once whatever the interval.
const checkpointPages = walLimit / 4

// checkpoints copies the WAL into the database file beside the writer (a
// PASSIVE checkpoint takes no lock the writer needs), until stop is
// closed; done is closed when it has ended. Every checkpointEvery it looks
// at frames, the pages the writer has written to the WAL so far, and
// checkpoints when checkpointPages were written since the last
// checkpoint, or when the writer wrote some and then nothing since the
// last look: a busy writer is checkpointed by the WAL's size, an idle one
// at once.
func checkpoints(db *sql.DB, frames *atomic.Int64, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var copied, seen int64 // frames at the last checkpoint and at the last look
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			n := frames.Load()
			due := checkpointDue(n, copied, seen)
			seen = n
			if !due {
				continue
			}
			// A checkpoint that fails (another process holds the
			// checkpoint lock, a reader needs the frames) is tried again
			// at the next look. Past walLimit pages the writer tries one
			// itself; a reader in another process that holds old frames can
			// still keep the WAL growing until it lets go.
			if checkpoint(db) {
				copied = n
			}
		}
	}
}

// checkpointDue says whether to checkpoint now that the writer has written
// n frames: copied at the last checkpoint, seen at the last look.
func checkpointDue(n, copied, seen int64) bool {
	if n == copied {
		return false // nothing new
	}
	busy := n != seen
	return !busy || n-copied >= checkpointPages
}

// checkpoint runs a PASSIVE checkpoint and reports whether it copied every
// frame of the WAL.
func checkpoint(db *sql.DB) bool {
	var busy, log, done int
	err := db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
	return err == nil && busy == 0 && done == log
}
