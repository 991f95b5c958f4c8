package shared

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/memory"
)

// Memory is the memory of earlier answers (SPEC section 11) in Redis, for
// every host that shares it: the same guarantees as the embedded store.
// It implements batch.Memory.
//
// What Redis holds, under keys that start "bankcard4e:v1:":
//
//	ans:<row key hex>:<endpoint hash> a hash: the answer (Result,
//	                                  Description, Charged, RequestId,
//	                                  answer time, endpoint), expiring
//	                                  Retain after the answer
//	answers                           a sorted set of the answer keys by
//	                                  answer time, for Prune and Stats
//	rows                              the same keys, all scored 0, so a
//	                                  row's answers are found by prefix
//	                                  (ZRANGEBYLEX), for Forget
//	card:<card key hex>               a sorted set of the calls counted
//	                                  for one card, by time; expires 24 h
//	                                  after its newest
//	claim:<row key hex>:<endpoint hash> a row's claim: the holder's run
//	                                  ID (random), expiring at the end of
//	                                  its lease (Redis's clock)
//
// The row and card keys are HMAC-SHA256 under the memory key
// (memory.Keys), so Redis holds no name, ID, card or phone number, nor a
// plain hash of one. Only the newest answer per row and endpoint is kept:
// Lookup wants no other.
type Memory struct {
	k      *conn
	keys   memory.Keys
	retain time.Duration
}

var _ batch.Memory = (*Memory)(nil)

// MemoryOptions open a Memory.
type MemoryOptions struct {
	Options
	// Secret is the memory key: the KeySize bytes of the --memory-key file
	// (memory.LoadKey), the same on every host so all derive the same
	// keys. Required.
	Secret []byte
	// Retain is how long an answer is kept after it was given (--retain):
	// Redis expires it then. 0: DefaultRetain.
	Retain time.Duration
}

// DefaultRetain is how long answers are kept unless MemoryOptions.Retain
// says otherwise (--retain 90d).
const DefaultRetain = 90 * 24 * time.Hour

// CardWindow is the card guard's window: at most max calls per card in
// any CardWindow.
const CardWindow = 24 * time.Hour

// OpenMemory connects to u and returns the memory kept there. It fails,
// with an *Error naming the redacted URL, when Redis does not answer or
// refuses the password: the run must then exit 1 before any call.
func OpenMemory(ctx context.Context, u *URL, o MemoryOptions) (*Memory, error) {
	if o.Secret == nil {
		return nil, errors.New("the shared memory needs --memory-key FILE, the same 32-byte key on every host")
	}
	keys, err := memory.NewKeys(o.Secret)
	if err != nil {
		return nil, err
	}
	if o.Retain <= 0 {
		o.Retain = DefaultRetain
	}
	k, err := dial(ctx, u, o.Options, "shared memory")
	if err != nil {
		return nil, err
	}
	return &Memory{k: k, keys: keys, retain: o.Retain}, nil
}

// Redis key parts.
const (
	answerPrefix = keyPrefix + "ans:"
	answerIndex  = keyPrefix + "answers"
	rowIndex     = keyPrefix + "rows"
	cardPrefix   = keyPrefix + "card:"
	claimPrefix  = keyPrefix + "claim:"
)

// answerID names key's answer from endpoint: the member of the index and,
// after answerPrefix, the Redis key. The endpoint is hashed only to keep
// the key short and plain; the entry holds it in full.
func answerID(key batch.MemoryKey, endpoint string) string {
	h := sha256.Sum256([]byte(endpoint))
	return hex.EncodeToString(key[:]) + ":" + hex.EncodeToString(h[:16])
}

// RowKey is the key of f's four elements and cert type (memory.Keys).
func (m *Memory) RowKey(f batch.Fields) batch.MemoryKey { return m.keys.RowKey(f) }

// CardKey is the key of a bank card number alone (memory.Keys).
func (m *Memory) CardKey(bankCard string) batch.MemoryKey { return m.keys.CardKey(bankCard) }

// Answer fields in Redis.
const (
	fTime     = "t" // AnsweredAt, Unix nanoseconds, 20 digits (so strings compare as numbers)
	fResult   = "r"
	fDesc     = "d"
	fCharged  = "c"
	fRequest  = "q"
	fEndpoint = "e"
)

func nanos(t time.Time) string { return fmt.Sprintf("%020d", t.UnixNano()) }

// Lookup returns the newest answer recorded for key from endpoint at or
// after since.
func (m *Memory) Lookup(ctx context.Context, key batch.MemoryKey, endpoint string, since time.Time) (batch.Remembered, bool, error) {
	vals, err := m.k.c.HMGet(ctx, answerPrefix+answerID(key, endpoint), fTime, fResult, fDesc, fCharged, fRequest, fEndpoint).Result()
	if err != nil {
		return batch.Remembered{}, false, m.k.wrap(ctx, "lookup", err)
	}
	s := make([]string, len(vals))
	for i, v := range vals {
		if v == nil {
			return batch.Remembered{}, false, nil // none (or expired)
		}
		s[i], _ = v.(string)
	}
	ns, err := strconv.ParseInt(s[0], 10, 64)
	if err != nil {
		return batch.Remembered{}, false, m.k.wrap(ctx, "lookup", fmt.Errorf("entry has answer time %q", s[0]))
	}
	r := batch.Remembered{
		Result:      s[1],
		Description: s[2],
		Charged:     batch.Charged(s[3]),
		RequestID:   s[4],
		AnsweredAt:  time.Unix(0, ns).UTC(),
		Endpoint:    s[5],
	}
	if r.Endpoint != endpoint || r.AnsweredAt.Before(since) {
		return batch.Remembered{}, false, nil
	}
	return r, true, nil
}

// recordScript keeps the newer of the stored and the given answer, sets
// its expiry and indexes it by time, in one step.
//
// It also ends the row's claim for the endpoint, whoever holds it.
//
// KEYS[1] the answer, KEYS[2] the time index, KEYS[3] the row index,
// KEYS[4] the claim; ARGV: time (20 digits), expiry (Unix ms), result, description, charged,
// request id, endpoint, index member, time (Unix ms).
var recordScript = redis.NewScript(`
redis.call('DEL', KEYS[4])
local old = redis.call('HGET', KEYS[1], 't')
if old and old > ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 't', ARGV[1], 'r', ARGV[3], 'd', ARGV[4], 'c', ARGV[5], 'q', ARGV[6], 'e', ARGV[7])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[9], ARGV[8])
redis.call('ZADD', KEYS[3], 0, ARGV[8])
return 1
`)

// Record stores a final answer for key, unless one newer from the same
// endpoint is already there, and ends every claim on key for r.Endpoint
// (in the same step, so the answer is there when the claim is gone). It
// expires Retain after r.AnsweredAt; an answer already that old is not
// stored (its claim is still ended).
func (m *Memory) Record(ctx context.Context, key batch.MemoryKey, r batch.Remembered) error {
	at := r.AnsweredAt.UTC()
	expire := at.Add(m.retain)
	id := answerID(key, r.Endpoint)
	if !expire.After(time.Now()) {
		return m.k.wrap(ctx, "record", m.k.c.Del(ctx, claimPrefix+id).Err())
	}
	err := recordScript.Run(ctx, m.k.c, []string{answerPrefix + id, answerIndex, rowIndex, claimPrefix + id},
		nanos(at), expire.UnixMilli(), r.Result, r.Description, string(r.Charged), r.RequestID, r.Endpoint,
		id, at.UnixMilli()).Err()
	return m.k.wrap(ctx, "record", err)
}

// claimScript takes or renews a row's claim: when the key is absent
// (never claimed, ended, or expired) or holds ARGV[1], it is set to
// ARGV[1] for ARGV[2] ms and {1, ARGV[2]} is returned; else {0, the
// other claim's remaining ms}.
//
// KEYS[1] the claim; ARGV: holder, lease (ms).
var claimScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, tonumber(ARGV[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
`)

// Claim takes or renews key's claim for endpoint for holder, for lease,
// unless another holder's claim is unexpired: atomically across every
// host sharing the Redis (one Lua script). Expiry is Redis's own (PX), so
// the hosts' clocks need not agree; now only dates heldUntil (now plus
// what is left of the claim).
func (m *Memory) Claim(ctx context.Context, key batch.MemoryKey, endpoint, holder string, now time.Time, lease time.Duration) (bool, time.Time, error) {
	if holder == "" || len(holder) > 64 || lease <= 0 {
		return false, time.Time{}, fmt.Errorf("claim: a holder of 1 to 64 bytes and a positive lease are needed (lease %v)", lease)
	}
	ms := max(lease.Milliseconds(), 1)
	v, err := claimScript.Run(ctx, m.k.c, []string{claimPrefix + answerID(key, endpoint)}, holder, ms).Int64Slice()
	if err != nil {
		return false, time.Time{}, m.k.wrap(ctx, "claim", err)
	}
	if len(v) != 2 {
		return false, time.Time{}, m.k.wrap(ctx, "claim", fmt.Errorf("unexpected reply %v", v))
	}
	left := time.Duration(max(v[1], 0)) * time.Millisecond
	return v[0] == 1, now.Add(left), nil
}

// unclaimScript deletes KEYS[1] when it holds ARGV[1].
var unclaimScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Unclaim ends holder's claim on key for endpoint when it is still
// holder's (compare and delete, one Lua script).
func (m *Memory) Unclaim(ctx context.Context, key batch.MemoryKey, endpoint, holder string) error {
	err := unclaimScript.Run(ctx, m.k.c, []string{claimPrefix + answerID(key, endpoint)}, holder).Err()
	return m.k.wrap(ctx, "unclaim", err)
}

// reserveScript is the card guard: drop the calls older than the window,
// count the rest, and count one more if under max; the set expires a
// window after its newest call. It returns {1} when counted, else {0,
// time of the oldest counted call in Unix ms}.
//
// KEYS[1] the card; ARGV: now (Unix ms), window (ms), max, call id.
var reserveScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(newest[2]) + win - now))
  return {1}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, oldest[2]}
`)

// ReserveCard counts one call for card at now when fewer than max calls
// were counted for it in the CardWindow before now, atomically across
// every host sharing the Redis (one Lua script). max <= 0 always succeeds
// without counting.
func (m *Memory) ReserveCard(ctx context.Context, card batch.MemoryKey, now time.Time, max int) (batch.CardReservation, error) {
	if max <= 0 {
		return batch.CardReservation{OK: true}, nil
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return batch.CardReservation{}, fmt.Errorf("card guard: %w", err)
	}
	id := hex.EncodeToString(b[:])
	v, err := reserveScript.Run(ctx, m.k.c, []string{cardPrefix + hex.EncodeToString(card[:])},
		now.UnixMilli(), CardWindow.Milliseconds(), max, id).Slice()
	if err != nil {
		return batch.CardReservation{}, m.k.wrap(ctx, "card guard", err)
	}
	if len(v) >= 1 && v[0] == int64(1) {
		return batch.CardReservation{OK: true, ID: id}, nil
	}
	if len(v) == 2 {
		if s, ok := v[1].(string); ok {
			if ms, err := strconv.ParseFloat(s, 64); err == nil {
				return batch.CardReservation{Next: time.UnixMilli(int64(ms)).Add(CardWindow).UTC()}, nil
			}
		}
	}
	return batch.CardReservation{}, m.k.wrap(ctx, "card guard", fmt.Errorf("unexpected reply %v", v))
}

// ReleaseCard uncounts a reserved call that cannot have reached the card's
// bank.
func (m *Memory) ReleaseCard(ctx context.Context, card batch.MemoryKey, id string) error {
	if id == "" {
		return nil
	}
	err := m.k.c.ZRem(ctx, cardPrefix+hex.EncodeToString(card[:]), id).Err()
	return m.k.wrap(ctx, "card release", err)
}

// pruneScript deletes up to ARGV[3] answers indexed before ARGV[1] (Unix
// ms) and returns how many of them were still there (the rest had
// expired).
//
// KEYS[1] the time index, KEYS[2] the row index; ARGV: before (Unix ms),
// answer key prefix, limit.
var pruneScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local n = 0
for _, id in ipairs(ids) do
  n = n + redis.call('DEL', ARGV[2] .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return {#ids, n}
`)

// pruneBatch is how many answers one step of Prune deletes.
const pruneBatch = 1000

// Prune deletes the answers given before before and returns how many it
// deleted. Redis also expires every answer Retain after it was given, and
// every card count a CardWindow after its newest call, so answers older
// than Retain are gone (and not counted) whether Prune runs or not; Prune
// is for a shorter retention than the answers were recorded with (memory
// prune --older-than, a shorter --retain).
func (m *Memory) Prune(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		v, err := pruneScript.Run(ctx, m.k.c, []string{answerIndex, rowIndex}, before.UnixMilli(), answerPrefix, pruneBatch).Int64Slice()
		if err != nil {
			return total, m.k.wrap(ctx, "prune", err)
		}
		if len(v) != 2 {
			return total, m.k.wrap(ctx, "prune", fmt.Errorf("unexpected reply %v", v))
		}
		total += int(v[1])
		if v[0] < pruneBatch {
			return total, nil
		}
	}
}

// forgetScript deletes every answer of one row, from any endpoint, and
// returns how many were still there.
//
// KEYS[1] the time index, KEYS[2] the row index; ARGV: row key hex,
// answer key prefix.
var forgetScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYLEX', KEYS[2], '[' .. ARGV[1] .. ':', '[' .. ARGV[1] .. ';')
local n = 0
for _, id in ipairs(ids) do
  n = n + redis.call('DEL', ARGV[2] .. id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return n
`)

// Forget deletes every answer recorded for key, from any endpoint (memory
// forget: a customer's request to be forgotten), and returns how many it
// deleted. The card counts stay: they expire within 24 hours and hold
// nothing but the card's HMAC.
func (m *Memory) Forget(ctx context.Context, key batch.MemoryKey) (int, error) {
	n, err := forgetScript.Run(ctx, m.k.c, []string{answerIndex, rowIndex}, hex.EncodeToString(key[:]), answerPrefix).Int()
	if err != nil {
		return 0, m.k.wrap(ctx, "forget", err)
	}
	return n, nil
}

// Stats is what memory stats prints: no personal data.
type Stats struct {
	Entries        int
	Oldest, Newest time.Time      // answer times; zero when Entries is 0
	ByResult       map[string]int // entries by Result
}

// Stats counts the answers kept (those not yet expired or pruned), in
// pages of the time index; answers written meanwhile may or may not be
// counted.
func (m *Memory) Stats(ctx context.Context) (Stats, error) {
	const page = 1000
	st := Stats{ByResult: map[string]int{}}
	for start := int64(0); ; start += page {
		zs, err := m.k.c.ZRangeWithScores(ctx, answerIndex, start, start+page-1).Result()
		if err != nil {
			return Stats{}, m.k.wrap(ctx, "stats", err)
		}
		if len(zs) == 0 {
			return st, nil
		}
		pipe := m.k.c.Pipeline()
		cmds := make([]*redis.StringCmd, len(zs))
		for i, z := range zs {
			id, _ := z.Member.(string)
			cmds[i] = pipe.HGet(ctx, answerPrefix+id, fResult)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return Stats{}, m.k.wrap(ctx, "stats", err)
		}
		for i, c := range cmds {
			r, err := c.Result()
			if err != nil { // expired by TTL, not yet pruned
				continue
			}
			at := time.UnixMilli(int64(zs[i].Score)).UTC()
			if st.Entries == 0 || at.Before(st.Oldest) {
				st.Oldest = at
			}
			if at.After(st.Newest) {
				st.Newest = at
			}
			st.Entries++
			st.ByResult[r]++
		}
		if len(zs) < page {
			return st, nil
		}
	}
}

// Close releases the connection to Redis. The Memory must not be used
// after.
func (m *Memory) Close() error { return m.k.close() }
