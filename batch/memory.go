package batch

import (
	"context"
	"time"
)

// MemoryKey names a row's four elements (or a bank card alone) in the
// memory of earlier answers: an HMAC-SHA256 under the memory's secret key,
// never the elements themselves and never a plain hash of them.
type MemoryKey [32]byte

// Remembered is one final answer of the service, as the memory keeps it.
// It holds no personal data.
type Remembered struct {
	Result      string
	Description string // service text, already scrubbed of long digit runs
	Charged     Charged
	RequestID   string
	AnsweredAt  time.Time // when the service answered (UTC)
	Endpoint    string    // the service's scheme://host:port; answers of another endpoint are not reused
}

// CardReservation is the card guard's answer to one ReserveCard call.
type CardReservation struct {
	OK bool // the call may be sent: it was counted
	// ID names the counted call, for ReleaseCard; meaningful when OK.
	ID string
	// Next, when !OK, is when the oldest counted call leaves the 24-hour
	// window, so the card may be checked again.
	Next time.Time
}

// Memory remembers the service's answers across runs and lists (SPEC
// section 11), and counts calls per bank card for the card guard.
//
// Every method blocks on the store's I/O, returns ctx's error when ctx is
// done first, and is safe for concurrent use by many goroutines; the
// implementations are also safe for many processes (and, for a shared
// store, many hosts) using one store at once.
type Memory interface {
	// RowKey is the key of f's normalised four elements and cert type
	// ("" and "0" are the same). Equal fields give equal keys under one
	// memory secret.
	RowKey(f Fields) MemoryKey
	// CardKey is the key of a normalised bank card number alone, for the
	// card guard. It never equals a RowKey.
	CardKey(bankCard string) MemoryKey

	// Lookup returns the newest answer recorded for key from endpoint
	// whose AnsweredAt is at or after since; ok is false when there is none.
	Lookup(ctx context.Context, key MemoryKey, endpoint string, since time.Time) (r Remembered, ok bool, err error)
	// Record stores a final answer for key. The run never records -18 or
	// -19 answers or lost calls: they are not reusable.
	//
	// Record also ends every claim on key for r.Endpoint, whoever holds
	// it (Record is not told the holder): once the answer is stored there
	// is nothing left to wait for, and a run that claims the row later
	// finds the answer by the Lookup it makes after claiming. The answer
	// is visible to Lookup no later than the claim is gone.
	Record(ctx context.Context, key MemoryKey, r Remembered) error

	// Claim takes, or renews, key's claim for endpoint on behalf of
	// holder, so that concurrent runs sharing the store do not pay twice
	// for one row (SPEC sections 1 and 11): a run claims a row it did not
	// find before sending it, looks it up once more, and sends only when
	// the claim is its own and the row is still not answered.
	//
	// Atomically, across every process (and, for a shared store, every
	// host) using the store: when no claim is held for key and endpoint,
	// or the claim is holder's own, or another holder's claim has expired
	// (its end is at or before now), the claim becomes holder's until
	// now+lease and Claim returns ok true and that time. Otherwise
	// nothing changes and Claim returns ok false and the end of the other
	// holder's claim. A store on one host judges expiry with now; a store
	// shared by hosts may judge it with its own clock, keeping lease as
	// the claim's length (heldUntil is then now plus what is left). A
	// holder that crashes leaves a claim that simply expires.
	//
	// holder is an opaque run ID (random, no personal data), at most 64
	// bytes. lease must be positive.
	Claim(ctx context.Context, key MemoryKey, endpoint, holder string, now time.Time, lease time.Duration) (ok bool, heldUntil time.Time, err error)
	// Unclaim ends holder's claim on key for endpoint when it is still
	// holder's (compare and delete, atomically): another holder's claim,
	// or none, is left as it is and is no error. The run unclaims a row
	// that ends without an answer to record (an error, -18 or -19, a stop,
	// an abort, a deferral).
	Unclaim(ctx context.Context, key MemoryKey, endpoint, holder string) error

	// ReserveCard counts one call for card at now when fewer than max
	// calls were counted for it in the 24 hours before now, atomically
	// across every process sharing the store. max <= 0 always succeeds
	// without counting.
	ReserveCard(ctx context.Context, card MemoryKey, now time.Time, max int) (CardReservation, error)
	// ReleaseCard uncounts a reserved call that cannot have reached the
	// card's bank (throttled, 5xx, never sent).
	ReleaseCard(ctx context.Context, card MemoryKey, id string) error

	// Prune deletes the answers and card counts older than before and
	// returns how many answers it deleted.
	Prune(ctx context.Context, before time.Time) (int, error)
	// Close releases the store. The Memory must not be used after.
	Close() error
}

// LookupClaimer is a Memory that can look a row up and claim it in one
// step, saving the run two calls a row it sends: Lookup, then Claim when
// the answer is not reused, then Lookup again.
type LookupClaimer interface {
	Memory
	// LookupOrClaim looks key up as Lookup does and, when it finds an
	// answer that reuse accepts, returns it (found true) and changes
	// nothing. Otherwise it claims key as Claim does (claimed, heldUntil),
	// atomically with the look: no answer can be recorded between them.
	// reuse may be called more than once, and must not call the Memory.
	LookupOrClaim(ctx context.Context, key MemoryKey, endpoint string, since time.Time, reuse func(Remembered) bool,
		holder string, now time.Time, lease time.Duration) (r Remembered, found, claimed bool, heldUntil time.Time, err error)
}

// CardClaimer is a LookupClaimer that also counts the row's call for the
// card guard, in the same step, when it claims the row: a row that is
// sent then costs one call of the memory before its attempt, not two.
type CardClaimer interface {
	LookupClaimer
	// LookupOrClaimCard is LookupOrClaim and, when it claims the row
	// (claimed true), ReserveCard(card, now, max) atomically with the look
	// and the claim, returning its answer as res. When the row is found
	// or held by another run nothing is counted and res is zero.
	LookupOrClaimCard(ctx context.Context, key MemoryKey, endpoint string, since time.Time, reuse func(Remembered) bool,
		holder string, now time.Time, lease time.Duration, card MemoryKey, max int) (r Remembered, found, claimed bool, heldUntil time.Time, res CardReservation, err error)
}
