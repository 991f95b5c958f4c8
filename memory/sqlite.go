package memory

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite" // the pure-Go SQLite driver: no C toolchain needed

	"github.com/bankcard4e/bankcard4e/batch"
)

// Window is the card guard's window: at most max calls per card in any
// Window.
const Window = 24 * time.Hour

// DefaultBusyTimeout is how long a statement waits for another process's
// write to finish before it fails.
const DefaultBusyTimeout = 30 * time.Second

// maxConns bounds the connections one Store opens: the writer's (every
// lookup and change, write.go) and the others' (checkpoints, Stats).
const maxConns = 3

// ErrWrongKey means the database was made under another secret key than
// the key file given: none of its entries would ever match.
var ErrWrongKey = errors.New("made with another key")

// Options tune Open.
type Options struct {
	// NoCreate makes Open fail, with an error wrapping fs.ErrNotExist,
	// when the database or its key file does not exist yet, instead of
	// making them (for check and the memory commands, which must not
	// create a memory as a side effect).
	NoCreate bool
	// BusyTimeout is how long a statement waits for another process's
	// write; 0 means DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// Store is the SQLite memory: one database file in WAL mode, which many
// goroutines and many processes on one host may use at once. It
// implements batch.Memory.
type Store struct {
	db     *sql.DB
	keys   Keys
	path   string
	writes *writer // every lookup and change goes through it (write.go)

	stopCheckpoints chan struct{}
	checkpointsDone chan struct{}
}

var _ batch.CardClaimer = (*Store)(nil)

// DefaultPath is the database of SPEC section 11:
// $XDG_STATE_HOME/bankcard4e/memory.db, or ~/.local/state/bankcard4e/memory.db
// when XDG_STATE_HOME is unset or not absolute (as the XDG spec asks).
// getenv is os.Getenv in the CLI; home the user's home directory.
func DefaultPath(getenv func(string) string, home string) (string, error) {
	if s := getenv("XDG_STATE_HOME"); s != "" && filepath.IsAbs(s) {
		return filepath.Join(s, "bankcard4e", "memory.db"), nil
	}
	if home == "" {
		return "", errors.New("memory: no home directory to keep it in; give --memory FILE")
	}
	return filepath.Join(home, ".local", "state", "bankcard4e", "memory.db"), nil
}

// DefaultKeyPath is the key file beside the database at dbPath: the same
// name with the extension .key (memory.db → memory.key).
func DefaultKeyPath(dbPath string) string {
	p := strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".key"
	if p == dbPath {
		p += ".key"
	}
	return p
}

// Endpoint is the form of a service URL the memory keys answers by:
// scheme://host:port, lower case, with the scheme's default port filled
// in, so "https://Faceid.tencentcloudapi.com/" and
// "https://faceid.tencentcloudapi.com:443" are one endpoint.
func Endpoint(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("endpoint %q: %w", rawURL, err)
	}
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if scheme == "" || host == "" {
		return "", fmt.Errorf("endpoint %q: want scheme://host[:port]", rawURL)
	}
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		default:
			return "", fmt.Errorf("endpoint %q: no port for scheme %q", rawURL, scheme)
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + port, nil
}

// Open opens the memory at path with the secret key in keyPath ("" for
// DefaultKeyPath(path)), making both (directories 0700, files 0600) unless
// o.NoCreate. It refuses, with ErrWrongKey, a database made under another
// key: its entries would silently never match.
func Open(path, keyPath string, o Options) (*Store, error) {
	if keyPath == "" {
		keyPath = DefaultKeyPath(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("memory %q: %w", path, err)
	}
	if err := checkDatabase(abs); err != nil {
		return nil, fmt.Errorf("memory %q: %w", path, err)
	}
	var secret []byte
	if o.NoCreate {
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("memory %q: %w", path, err)
		}
		secret, err = LoadKey(keyPath)
	} else {
		secret, err = LoadOrCreateKey(keyPath)
	}
	if err != nil {
		return nil, err
	}
	keys, err := NewKeys(secret)
	if err != nil {
		return nil, fmt.Errorf("memory key %q: %w", keyPath, err)
	}
	if err := mkdirPrivate(filepath.Dir(abs)); err != nil {
		return nil, fmt.Errorf("memory %q: %w", path, err)
	}
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("memory %q: %w", path, err)
	}
	busy := o.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate") // every transaction takes the write lock first: no read-then-upgrade deadlock
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("memory %q: %w", path, err)
	}
	// A bounded pool, kept open: each new connection reads the schema
	// and runs the pragmas again.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := &Store{db: db, keys: keys, path: path}
	if err := s.init(keyPath, busy); err != nil {
		db.Close()
		return nil, err
	}
	wc, err := openWriter(context.Background(), db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("memory %q: %w", path, err)
	}
	s.writes = newWriter(wc)
	s.stopCheckpoints, s.checkpointsDone = make(chan struct{}), make(chan struct{})
	go checkpoints(db, &s.writes.frames, s.stopCheckpoints, s.checkpointsDone)
	// SQLite gives the -wal and -shm files the database file's mode; set
	// them anyway in case an older run left them with another.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(abs+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			db.Close()
			return nil, fmt.Errorf("memory %q: %w", path, err)
		}
	}
	return s, nil
}

// mkdirPrivate makes dir and its missing parents with mode 0700. It leaves
// directories that exist alone.
func mkdirPrivate(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := mkdirPrivate(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil // 0700 &^ umask is 0700 under any umask
}

// createPrivate makes the database file with mode 0600 before SQLite
// opens it (SQLite would make it 0644 &^ umask), and brings an existing
// one to 0600.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	err = f.Chmod(0o600)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkDatabase refuses an existing file at path that is neither empty
// nor an SQLite database, so that a mistaken --memory never touches
// another file (nor makes a key beside it).
func checkDatabase(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	n, _ := io.ReadFull(f, head)
	if n > 0 && string(head[:n]) != sqliteMagic {
		return errors.New("not an SQLite database, so not a memory")
	}
	return nil
}

// sqliteMagic begins every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

const schema = `
CREATE TABLE IF NOT EXISTS meta (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS answers (
	key         BLOB NOT NULL,    -- HMAC-SHA256 of the row's four elements
	endpoint    TEXT NOT NULL,    -- scheme://host:port
	answered_at INTEGER NOT NULL, -- Unix nanoseconds, UTC
	result      TEXT NOT NULL,
	description TEXT NOT NULL,
	charged     TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	PRIMARY KEY (key, endpoint)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answers_at ON answers (answered_at);
CREATE TABLE IF NOT EXISTS cards (
	id   TEXT PRIMARY KEY,   -- random, names the counted call for ReleaseCard
	card BLOB NOT NULL,      -- HMAC-SHA256 of the bank card number
	at   INTEGER NOT NULL    -- Unix nanoseconds, UTC
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cards_card ON cards (card, at);
CREATE INDEX IF NOT EXISTS cards_at ON cards (at);
CREATE TABLE IF NOT EXISTS claims (
	key      BLOB NOT NULL,    -- HMAC-SHA256 of the row's four elements
	endpoint TEXT NOT NULL,    -- scheme://host:port
	holder   TEXT NOT NULL,    -- the run holding it: a random id
	until    INTEGER NOT NULL, -- Unix nanoseconds, UTC: the claim's end
	PRIMARY KEY (key, endpoint)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS claims_until ON claims (until);
`

// schemaVersion is stored in meta; a database of a later version is refused.
const schemaVersion = "1"

// keyCheck is a value derived from the secret under its own domain, stored
// in the database so a wrong key file is told rather than silently
// matching nothing. It says nothing about any customer.
func (k Keys) keyCheck() string {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte("bankcard4e/key-check/v1\x00"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// init turns on WAL mode, makes the tables and checks the key. Switching
// a new database to WAL mode can fail with SQLITE_BUSY without waiting
// when another process is opening it too, so init retries while busy.
func (s *Store) init(keyPath string, busy time.Duration) error {
	deadline := time.Now().Add(busy)
	for {
		err := s.initOnce(keyPath)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (or an extended code of it).
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == 5
}

func (s *Store) initOnce(keyPath string) error {
	ctx := context.Background()
	var mode string
	if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode); err != nil {
		return fmt.Errorf("memory %q: WAL mode: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("memory %q: journal mode is %s, want wal", s.path, mode)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("memory %q: %w", s.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(schema); err != nil {
		return fmt.Errorf("memory %q: schema: %w", s.path, err)
	}
	for _, kv := range [][2]string{{"schema", schemaVersion}, {"key_check", s.keys.keyCheck()}} {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)`, kv[0], kv[1]); err != nil {
			return fmt.Errorf("memory %q: %w", s.path, err)
		}
	}
	var version, check string
	if err := tx.QueryRow(`SELECT value FROM meta WHERE name = 'schema'`).Scan(&version); err != nil {
		return fmt.Errorf("memory %q: %w", s.path, err)
	}
	if version != schemaVersion {
		return fmt.Errorf("memory %q: schema version %s, this bankcard4e knows %s", s.path, version, schemaVersion)
	}
	if err := tx.QueryRow(`SELECT value FROM meta WHERE name = 'key_check'`).Scan(&check); err != nil {
		return fmt.Errorf("memory %q: %w", s.path, err)
	}
	if !hmac.Equal([]byte(check), []byte(s.keys.keyCheck())) {
		return fmt.Errorf("memory %q: %w than the key file %q, so none of its entries would match; give the key file it was made with (--memory-key), or move the database away to start afresh", s.path, ErrWrongKey, keyPath)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("memory %q: %w", s.path, err)
	}
	return nil
}

// Path is the database file as given to Open.
func (s *Store) Path() string { return s.path }

// RowKey implements batch.Memory.
func (s *Store) RowKey(f batch.Fields) batch.MemoryKey { return s.keys.RowKey(f) }

// CardKey implements batch.Memory.
func (s *Store) CardKey(bankCard string) batch.MemoryKey { return s.keys.CardKey(bankCard) }

// nanos is t in Unix nanoseconds, clamped to int64 (the zero Time is the
// smallest).
func nanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

const lookupSQL = `SELECT answered_at, result, description, charged, request_id FROM answers
	WHERE key = ? AND endpoint = ? AND answered_at >= ?`

// Lookup implements batch.Memory.
func (s *Store) Lookup(ctx context.Context, key batch.MemoryKey, endpoint string, since time.Time) (batch.Remembered, bool, error) {
	var r batch.Remembered
	var found bool
	// On the writer's connection, whose page cache stays warm across its
	// own commits (another connection's is dropped at each of them).
	err := s.writes.read(ctx, func(w *writeConn) (err error) {
		r, found, err = w.lookupAnswer(key, endpoint, since)
		return err
	})
	if err != nil {
		return batch.Remembered{}, false, fmt.Errorf("memory %q: lookup: %w", s.path, err)
	}
	return r, found, nil
}

// lookupAnswer is Lookup on the writer's connection.
func (w *writeConn) lookupAnswer(key batch.MemoryKey, endpoint string, since time.Time) (batch.Remembered, bool, error) {
	r := batch.Remembered{Endpoint: endpoint}
	var at int64
	var charged string
	err := w.lookup.QueryRowContext(context.Background(), key[:], endpoint, nanos(since)).Scan(&at, &r.Result, &r.Description, &charged, &r.RequestID)
	if errors.Is(err, sql.ErrNoRows) {
		return batch.Remembered{}, false, nil
	}
	if err != nil {
		return batch.Remembered{}, false, err
	}
	r.Charged = batch.Charged(charged)
	r.AnsweredAt = time.Unix(0, at).UTC()
	return r, true, nil
}

const recordSQL = `INSERT INTO answers (key, endpoint, answered_at, result, description, charged, request_id)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (key, endpoint) DO UPDATE SET
	  answered_at = excluded.answered_at, result = excluded.result, description = excluded.description,
	  charged = excluded.charged, request_id = excluded.request_id
	WHERE excluded.answered_at >= answers.answered_at`

// Record implements batch.Memory. The store keeps one answer per key and
// endpoint, the newest: an older answer recorded late does not replace a
// newer one.
func (s *Store) Record(ctx context.Context, key batch.MemoryKey, r batch.Remembered) error {
	// The answer and the end of every claim on it, in one transaction: a
	// run waiting on the claim finds the answer as soon as the claim is gone.
	err := s.writes.do(ctx, func(w *writeConn) error {
		_, err := w.exec(w.record, key[:], r.Endpoint, nanos(r.AnsweredAt), r.Result, r.Description, string(r.Charged), r.RequestID)
		if err == nil {
			_, err = w.exec(w.recordUnclaim, key[:], r.Endpoint)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("memory %q: record: %w", s.path, err)
	}
	return nil
}

// Claim implements batch.Memory: the look at the current claim and the
// take-or-renew are one statement in a BEGIN IMMEDIATE transaction, so
// two processes cannot both hold one row. Expiry is judged by now (the
// run's clock). heldUntil is the claim's end: ours when ok, the other
// holder's when not.
func (s *Store) Claim(ctx context.Context, key batch.MemoryKey, endpoint, holder string, now time.Time, lease time.Duration) (bool, time.Time, error) {
	if err := checkClaim(holder, lease); err != nil {
		return false, time.Time{}, fmt.Errorf("memory %q: claim: %w", s.path, err)
	}
	var ok bool
	var held time.Time
	err := s.writes.do(ctx, func(w *writeConn) (err error) {
		ok, held, err = w.claim(key, endpoint, holder, now, lease)
		return err
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("memory %q: claim: %w", s.path, err)
	}
	return ok, held, nil
}

func checkClaim(holder string, lease time.Duration) error {
	if lease <= 0 || holder == "" || len(holder) > 64 {
		return errors.New("want a positive lease and a holder of 1 to 64 bytes")
	}
	return nil
}

// claim is Claim in the writer's transaction.
func (w *writeConn) claim(key batch.MemoryKey, endpoint, holder string, now time.Time, lease time.Duration) (bool, time.Time, error) {
	until := now.Add(lease)
	res, err := w.exec(w.claimTake, key[:], endpoint, holder, nanos(until), nanos(now))
	if err != nil {
		return false, time.Time{}, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, time.Time{}, err
	}
	if n > 0 {
		return true, until.UTC(), nil
	}
	// Another holder's, not ended: when does it end?
	var other int64
	if err := w.claimHeld.QueryRowContext(context.Background(), key[:], endpoint).Scan(&other); err != nil {
		return false, time.Time{}, err
	}
	return false, time.Unix(0, other).UTC(), nil
}

// LookupOrClaim implements batch.LookupClaimer: the lookup and the claim
// are one op of the writer, in one transaction.
func (s *Store) LookupOrClaim(ctx context.Context, key batch.MemoryKey, endpoint string, since time.Time, reuse func(batch.Remembered) bool,
	holder string, now time.Time, lease time.Duration) (r batch.Remembered, found, claimed bool, heldUntil time.Time, err error) {
	if err := checkClaim(holder, lease); err != nil {
		return batch.Remembered{}, false, false, time.Time{}, fmt.Errorf("memory %q: claim: %w", s.path, err)
	}
	err = s.writes.do(ctx, func(w *writeConn) error {
		r, claimed, heldUntil = batch.Remembered{}, false, time.Time{}
		var err error
		if r, found, err = w.lookupAnswer(key, endpoint, since); err != nil || (found && reuse(r)) {
			return err
		}
		r, found = batch.Remembered{}, false
		claimed, heldUntil, err = w.claim(key, endpoint, holder, now, lease)
		return err
	})
	if err != nil {
		return batch.Remembered{}, false, false, time.Time{}, fmt.Errorf("memory %q: look up or claim: %w", s.path, err)
	}
	return r, found, claimed, heldUntil, nil
}

// Unclaim implements batch.Memory: it deletes the claim only while holder
// holds it.
func (s *Store) Unclaim(ctx context.Context, key batch.MemoryKey, endpoint, holder string) error {
	err := s.writes.do(ctx, func(w *writeConn) error {
		_, err := w.exec(w.unclaim, key[:], endpoint, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("memory %q: unclaim: %w", s.path, err)
	}
	return nil
}

// ReserveCard implements batch.Memory. The count and the insert run in one
// op of the writer, inside its batch's BEGIN IMMEDIATE transaction, which
// holds the database's write lock from its first statement: two processes
// cannot both see a count under max.
// Counts that left the window are not counted, and are deleted now and
// then (writer.expireCards).
func (s *Store) ReserveCard(ctx context.Context, card batch.MemoryKey, now time.Time, limit int) (batch.CardReservation, error) {
	if limit <= 0 {
		return batch.CardReservation{OK: true}, nil
	}
	at := nanos(now)
	id, err := cardID(at)
	if err != nil {
		return batch.CardReservation{}, fmt.Errorf("memory %q: reserve card: %w", s.path, err)
	}
	var res batch.CardReservation
	err = s.writes.do(ctx, func(w *writeConn) (err error) {
		res, err = w.reserveCard(card, at, id, limit)
		return err
	})
	if err != nil {
		return batch.CardReservation{}, fmt.Errorf("memory %q: reserve card: %w", s.path, err)
	}
	return res, nil
}

// reserveCard is ReserveCard in the writer's transaction: the call at at
// (Unix ns), named id, counted unless limit calls were counted in the
// Window before it. limit must be positive.
func (w *writeConn) reserveCard(card batch.MemoryKey, at int64, id string, limit int) (batch.CardReservation, error) {
	w.latest = max(w.latest, at)
	start := nanos(time.Unix(0, at).Add(-Window))
	var n int
	var oldest sql.NullInt64
	if err := w.cardCount.QueryRowContext(context.Background(), card[:], start).Scan(&n, &oldest); err != nil {
		return batch.CardReservation{}, err
	}
	if n >= limit {
		return batch.CardReservation{Next: time.Unix(0, oldest.Int64).Add(Window).UTC()}, nil
	}
	if _, err := w.exec(w.cardAdd, id, card[:], at); err != nil {
		return batch.CardReservation{}, err
	}
	return batch.CardReservation{OK: true, ID: id}, nil
}

// LookupOrClaimCard implements batch.CardClaimer: LookupOrClaim and, when
// the row is claimed, ReserveCard, in one op of the writer (one
// transaction).
func (s *Store) LookupOrClaimCard(ctx context.Context, key batch.MemoryKey, endpoint string, since time.Time, reuse func(batch.Remembered) bool,
	holder string, now time.Time, lease time.Duration, card batch.MemoryKey, limit int) (r batch.Remembered, found, claimed bool, heldUntil time.Time, res batch.CardReservation, err error) {
	if err := checkClaim(holder, lease); err != nil {
		return batch.Remembered{}, false, false, time.Time{}, batch.CardReservation{}, fmt.Errorf("memory %q: claim: %w", s.path, err)
	}
	at := nanos(now)
	id, err := cardID(at)
	if err != nil {
		return batch.Remembered{}, false, false, time.Time{}, batch.CardReservation{}, fmt.Errorf("memory %q: reserve card: %w", s.path, err)
	}
	err = s.writes.do(ctx, func(w *writeConn) error {
		r, found, claimed, heldUntil, res = batch.Remembered{}, false, false, time.Time{}, batch.CardReservation{}
		var err error
		if r, found, err = w.lookupAnswer(key, endpoint, since); err != nil || (found && reuse(r)) {
			return err
		}
		r, found = batch.Remembered{}, false
		if claimed, heldUntil, err = w.claim(key, endpoint, holder, now, lease); err != nil || !claimed {
			return err
		}
		if limit <= 0 {
			res = batch.CardReservation{OK: true}
			return nil
		}
		res, err = w.reserveCard(card, at, id, limit)
		return err
	})
	if err != nil {
		return batch.Remembered{}, false, false, time.Time{}, batch.CardReservation{}, fmt.Errorf("memory %q: look up or claim: %w", s.path, err)
	}
	return r, found, claimed, heldUntil, res, nil
}

// cardID names one counted call: its time, then 8 random bytes. The time
// first keeps the ids of new counts in order, so that they go to the end
// of the table's tree, one page for many, rather than each to a page of
// its own; the random part keeps ids distinct across runs and hosts.
func cardID(at int64) (string, error) {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(at))
	if _, err := rand.Read(b[8:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// ReleaseCard implements batch.Memory. Releasing an unknown or already
// released id does nothing.
func (s *Store) ReleaseCard(ctx context.Context, card batch.MemoryKey, id string) error {
	if id == "" {
		return nil
	}
	err := s.writes.do(ctx, func(w *writeConn) error {
		_, err := w.exec(w.cardRelease, id, card[:])
		return err
	})
	if err != nil {
		return fmt.Errorf("memory %q: release card: %w", s.path, err)
	}
	return nil
}

// Prune implements batch.Memory: it deletes the answers given before
// before and the card counts made before it.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.writes.do(ctx, func(w *writeConn) error {
		bg := context.Background()
		res, err := w.conn.ExecContext(bg, `DELETE FROM answers WHERE answered_at < ?`, nanos(before))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if _, err = w.conn.ExecContext(bg, `DELETE FROM cards WHERE at < ?`, nanos(before)); err != nil {
			return err
		}
		_, err = w.conn.ExecContext(bg, `DELETE FROM claims WHERE until < ?`, nanos(before))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("memory %q: prune: %w", s.path, err)
	}
	return int(n), nil
}

// Forgotten is what Forget deleted.
type Forgotten struct {
	Answers   int // remembered answers
	CardCalls int // card-guard counts
}

// Forget deletes, in one transaction, the answers (of every endpoint) and
// the card-guard counts whose key is in keys: give it the RowKey and the
// CardKey of each row of a customer's erasure request.
func (s *Store) Forget(ctx context.Context, keys []batch.MemoryKey) (Forgotten, error) {
	var f Forgotten
	err := s.writes.do(ctx, func(w *writeConn) error {
		bg := context.Background()
		f = Forgotten{}
		delAnswers, err := w.conn.PrepareContext(bg, `DELETE FROM answers WHERE key = ?`)
		if err != nil {
			return err
		}
		defer delAnswers.Close()
		delCards, err := w.conn.PrepareContext(bg, `DELETE FROM cards WHERE card = ?`)
		if err != nil {
			return err
		}
		defer delCards.Close()
		for _, k := range keys {
			for _, d := range []struct {
				stmt *sql.Stmt
				n    *int
			}{{delAnswers, &f.Answers}, {delCards, &f.CardCalls}} {
				res, err := d.stmt.ExecContext(bg, k[:])
				if err != nil {
					return err
				}
				n, err := res.RowsAffected()
				if err != nil {
					return err
				}
				*d.n += int(n)
			}
		}
		return nil
	})
	if err != nil {
		return Forgotten{}, fmt.Errorf("memory %q: forget: %w", s.path, err)
	}
	return f, nil
}

// Stats describes a memory without any personal data.
type Stats struct {
	Entries    int            // remembered answers
	Oldest     time.Time      // of the oldest answer; zero when none
	Newest     time.Time      // of the newest answer; zero when none
	ByResult   map[string]int // answers by Result
	ByEndpoint map[string]int // answers by endpoint
	CardCalls  int            // calls the card guard counts in the Window before now
}

// Stats counts the memory's entries.
func (s *Store) Stats(ctx context.Context, now time.Time) (Stats, error) {
	st := Stats{ByResult: map[string]int{}, ByEndpoint: map[string]int{}}
	var oldest, newest sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT count(*), min(answered_at), max(answered_at) FROM answers`).Scan(&st.Entries, &oldest, &newest)
	if err == nil && oldest.Valid {
		st.Oldest, st.Newest = time.Unix(0, oldest.Int64).UTC(), time.Unix(0, newest.Int64).UTC()
	}
	if err == nil {
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM cards WHERE at > ?`, nanos(now.Add(-Window))).Scan(&st.CardCalls)
	}
	for _, g := range []struct {
		col string
		m   map[string]int
	}{{"result", st.ByResult}, {"endpoint", st.ByEndpoint}} {
		if err != nil {
			break
		}
		err = s.groupCount(ctx, g.col, g.m)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("memory %q: stats: %w", s.path, err)
	}
	return st, nil
}

func (s *Store) groupCount(ctx context.Context, col string, m map[string]int) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+col+`, count(*) FROM answers GROUP BY `+col)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		m[k] = n
	}
	return rows.Err()
}

// Close implements batch.Memory.
func (s *Store) Close() error {
	s.writes.close()
	select {
	case <-s.stopCheckpoints:
	default:
		close(s.stopCheckpoints)
	}
	<-s.checkpointsDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("memory %q: %w", s.path, err)
	}
	return nil
}

// Format writes st for a person: counts, times and endpoints, never a
// customer.
func (st Stats) Format(w io.Writer, path string) {
	fmt.Fprintf(w, "memory      %s\n", path)
	fmt.Fprintf(w, "entries     %d\n", st.Entries)
	if st.Entries > 0 {
		fmt.Fprintf(w, "oldest      %s\n", st.Oldest.Format(time.RFC3339))
		fmt.Fprintf(w, "newest      %s\n", st.Newest.Format(time.RFC3339))
	}
	for _, k := range slices.Sorted(maps.Keys(st.ByEndpoint)) {
		fmt.Fprintf(w, "endpoint    %s: %d\n", k, st.ByEndpoint[k])
	}
	for _, k := range slices.Sorted(maps.Keys(st.ByResult)) {
		fmt.Fprintf(w, "Result %-4s %d\n", k, st.ByResult[k])
	}
	fmt.Fprintf(w, "card guard  %d calls counted in the last 24 h\n", st.CardCalls)
}
