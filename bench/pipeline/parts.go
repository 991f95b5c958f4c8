package main

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/internal/fake"
)

// memSource yields n valid rows, no two alike, made in memory.
type memSource struct{ i, n int }

func (s *memSource) Header() batch.Header {
	return batch.Header{Cells: []string{"name", "bankcard", "phone", "idcard"}, Name: 0, BankCard: 1, Phone: 2, IDCard: 3, CertType: -1}
}

func (s *memSource) Blank() int { return 0 }

func (s *memSource) Next() (batch.Row, error) {
	if s.i >= s.n {
		return batch.Row{}, io.EOF
	}
	i := s.i
	s.i++
	f := person(i)
	return batch.Row{Index: i, Line: i + 2, Cells: []string{f.Name, f.BankCard, f.Phone, f.IDCard}, Fields: f}, nil
}

// person is a valid, distinct customer for row i.
func person(i int) batch.Fields { return fake.Person(i) }

// rowOf is the row number of person(i): i, read back from its bank card.
func rowOf(f batch.Fields) (int, error) {
	return strconv.Atoi(strings.TrimPrefix(f.BankCard, "62220210"))
}

// discard is a sink that keeps nothing.
type discard struct{ rows atomic.Int64 }

func (d *discard) Write(*batch.Result) error { d.rows.Add(1); return nil }

// recorder wraps a verifier and records when each call started.
type recorder struct {
	v      batch.Verifier
	n      atomic.Int64
	starts []int64        // unix nanoseconds, by call number
	latest []atomic.Int64 // unix nanoseconds of each row's latest call, by the row's number in its bank card (memSource rows)
	wrote  []atomic.Int64 // unix nanoseconds when that call's request's last write to the connection ended, when recorded
}

func (r *recorder) Verify(ctx context.Context, f batch.Fields) batch.Answer {
	now := time.Now().UnixNano()
	if i := r.n.Add(1) - 1; int(i) < len(r.starts) {
		r.starts[i] = now
	}
	if i, err := rowOf(f); err == nil && i < len(r.latest) {
		r.latest[i].Store(now) // the last attempt: the one the simulator accepted
		if i < len(r.wrote) {
			// The time the request's last bytes reached the connection, as
			// the verifier tells the run's rate guard.
			next := batch.WrittenFunc(ctx)
			ctx = batch.WithWritten(ctx, func(t time.Time) {
				r.wrote[i].Store(t.UnixNano())
				if next != nil {
					next(t)
				}
			})
		}
	}
	return r.v.Verify(ctx, f)
}

// stealTime is the time the hypervisor has run other guests on this
// machine's CPUs instead of it, summed over the CPUs (the "steal" column of
// /proc/stat's cpu line, in clock ticks of 10 ms); 0 where it is not told.
func stealTime() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	ticks, err := strconv.ParseInt(f[8], 10, 64)
	if err != nil {
		return 0
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// cpuTime is the CPU time, user and system, this process has used.
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// maxRSS is this process's peak resident set size in MB.
func maxRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
