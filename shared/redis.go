package shared

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Options tune the connection to Redis. The zero value is what the CLI
// uses.
type Options struct {
	// Timeout bounds each dial, read and write, so a Redis that is lost
	// turns into an error instead of a hang; 0: DefaultTimeout. A command
	// is tried at most twice, so one fails within about 4 × Timeout.
	Timeout time.Duration
	// TLSConfig replaces the default TLS configuration of a rediss:// URL
	// (the host's certificate checked against the system's roots), e.g.
	// to trust a private CA.
	TLSConfig *tls.Config
}

// DefaultTimeout is Options.Timeout's default.
const DefaultTimeout = 2 * time.Second

// keyPrefix starts every key this package writes; the version changes
// if their layout does.
const keyPrefix = "bankcard4e:v1:"

// ErrRedis is matched (errors.Is) by every failure of the shared Redis:
// unreachable, timed out, refused the password, or answered nonsense.
var ErrRedis = errors.New("shared redis failed")

// Error is a failure of the shared Redis. At the start of a run it means
// exit 1 before any call; during a run the gate or the memory is lost
// (batch.AbortSharedLost). Its text names the Redis by its redacted URL.
type Error struct {
	What string // "shared limiter" or "shared memory"
	URL  string // redacted
	Op   string // what was being done: "connect", "wait", "lookup", "card guard", …
	Err  error
	pw   string // to scrub from Err's text, in case a server or library quotes it
}

func (e *Error) Error() string {
	msg := e.Err.Error()
	if len(e.pw) >= 4 {
		msg = strings.ReplaceAll(msg, e.pw, redactedPassword)
	}
	return fmt.Sprintf("%s %s: %s: %s", e.What, e.URL, e.Op, msg)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is matches ErrRedis.
func (e *Error) Is(target error) bool { return target == ErrRedis }

// conn is one Redis client and how to name its failures.
type conn struct {
	c    *redis.Client
	url  *URL
	what string // "shared limiter" or "shared memory", for messages
}

// quiet silences go-redis's own log, which writes pool failures to
// standard error: the errors returned here say the same, naming the
// redacted URL, and the console belongs to the run. The log is
// process-wide, so it is silenced once, by the first dial.
var quiet sync.Once

// dial makes a client for u and checks, with PING, that Redis answers
// (and accepts the password) within the timeouts.
func dial(ctx context.Context, u *URL, o Options, what string) (*conn, error) {
	if u == nil {
		return nil, errors.New("shared: no Redis URL")
	}
	quiet.Do(logging.Disable)
	t := o.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	c := redis.NewClient(&redis.Options{
		Addr:                  u.Addr(),
		Username:              u.User,
		Password:              u.password,
		DB:                    u.DB,
		TLSConfig:             u.tlsConfig(o.TLSConfig),
		ClientName:            "bankcard4e",
		DialTimeout:           t,
		DialerRetries:         2,
		DialerRetryTimeout:    50 * time.Millisecond,
		ReadTimeout:           t,
		WriteTimeout:          t,
		PoolTimeout:           t,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		DisableIdentity:       true,
		// Redis's cluster-upgrade notices are for managed clusters; a
		// plain server does not send them, and the handshake would only
		// add a round trip.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	k := &conn{c: c, url: u, what: what}
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, k.wrap(ctx, "connect", err)
	}
	return k, nil
}

// wrap names a failure of Redis; a failure because ctx is done is ctx's
// error, so the caller can tell a cancelled run from a lost Redis.
func (k *conn) wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &Error{What: k.what, URL: k.url.Redacted(), Op: op, Err: err, pw: k.url.password}
}

// close closes the client.
func (k *conn) close() error { return k.c.Close() }
