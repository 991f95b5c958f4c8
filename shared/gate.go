package shared

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/bankcard4e/bankcard4e/batch"
)

// Gate is the start budget that every run on one Redis and one SecretId
// shares: a GCRA limiter in Redis (github.com/go-redis/redis_rate) whose
// emission interval is (1 s + GateMargin) / floor(qps) and whose burst is
// 1, so the starts of all the runs together are evenly spaced and never
// more than qps fall in any second. Redis's clock decides, so the hosts'
// clocks need not agree. It implements batch.StartGate.
//
// Within one process the waiters queue for their turn (first come, first
// served) and only the one at the head asks Redis, sleeping for the
// retry-after Redis reports between asks: one Redis call per start and
// per refused turn, whatever the number of workers.
type Gate struct {
	k     *conn
	lim   *redis_rate.Limiter
	key   string
	limit redis_rate.Limit
	turn  chan struct{} // held by the one waiter asking Redis
}

var _ batch.StartGate = (*Gate)(nil)

// GateMargin is added to each second of the budget, so that the jitter
// between Redis's decision and the request reaching the service (a
// network hop, a busy scheduler) cannot put qps+1 requests into one of the
// service's one-second windows. With burst 1 it costs 1/(1+GateMargin) of
// the rate: 20/s becomes 19.6/s at most.
const GateMargin = 20 * time.Millisecond

// GateKey is the Redis key part that names an account's budget: the
// SHA-256 of the SecretId under a domain separator, in hex. The SecretId
// itself is never sent to Redis.
func GateKey(secretID string) string {
	h := sha256.Sum256([]byte("bankcard4e/gate/v1\x00" + secretID))
	return keyPrefix + "gate:" + hex.EncodeToString(h[:])
}

// OpenGate connects to u and returns the gate for secretID's budget of
// qps starts a second. It fails, with an *Error naming the redacted URL,
// when Redis does not answer or refuses the password: the run must then
// exit 1 before any call. qps must be above 0.
func OpenGate(ctx context.Context, u *URL, secretID string, qps float64, o Options) (*Gate, error) {
	if !(qps > 0) || math.IsInf(qps, 1) {
		return nil, errors.New("--shared needs a --qps above 0: the budget it shares is that rate")
	}
	if secretID == "" {
		return nil, errors.New("shared limiter: no SecretId to name the account's budget")
	}
	k, err := dial(ctx, u, o, "shared limiter")
	if err != nil {
		return nil, err
	}
	return &Gate{
		k:     k,
		lim:   redis_rate.NewLimiter(k.c),
		key:   GateKey(secretID),
		limit: gateLimit(qps),
		turn:  make(chan struct{}, 1),
	}, nil
}

// gateLimit is the GCRA limit for qps: one start every (1 s + GateMargin)
// / floor(qps), or every 1/qps + GateMargin below 1 a second, with no
// burst.
func gateLimit(qps float64) redis_rate.Limit {
	n := int(math.Floor(qps))
	if n < 1 {
		return redis_rate.Limit{Rate: 1, Burst: 1, Period: time.Duration(float64(time.Second)/qps) + GateMargin}
	}
	return redis_rate.Limit{Rate: n, Burst: 1, Period: time.Second + GateMargin}
}

// Interval is the spacing the gate keeps between any two starts.
func (g *Gate) Interval() time.Duration { return g.limit.Period / time.Duration(g.limit.Rate) }

// Wait blocks until one start is allowed by the shared budget, or ctx is
// done (then it returns ctx's error). Any other error, an *Error matching
// ErrRedis, means the gate is lost: Redis is unreachable or timed out
// (within about 4 × Options.Timeout), and the run must stop sending.
func (g *Gate) Wait(ctx context.Context) error {
	select {
	case g.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.turn }()
	for {
		res, err := g.lim.Allow(ctx, g.key, g.limit)
		if err != nil {
			return g.k.wrap(ctx, "wait", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		d := res.RetryAfter
		if d <= 0 {
			d = time.Millisecond
		}
		if err := sleepCtx(ctx, d); err != nil {
			return err
		}
	}
}

// Close releases the connection to Redis. The Gate must not be used after.
func (g *Gate) Close() error { return g.k.close() }

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
