package journal

import "fmt"

// Group commit. Callers append a record to j.buf under j.mu; durable callers
// then wait until j.durable covers their record. The first waiter that finds
// no flush running becomes the flusher: it takes the whole buffer, drops
// j.mu, writes and syncs, and wakes everyone. While it syncs, other callers
// append to a fresh buffer: one of them flushes that batch next.
//
// Before it takes the buffer, the flusher gathers: it lets the goroutines
// that are about to append (workers just woken together, by the memory's
// commit or by answers arriving at once) do so, yielding the processor
// again while the buffer grows, up to gatherRounds times. One sync then
// covers what would otherwise be several syncs run back to back, each for
// a record or two. A caller alone yields once, to nobody, and flushes at
// once: gathering waits for no time and no count, only for goroutines
// that can run now.

// usable reports why no record may be appended. Call with j.mu held.
func (j *Journal) usable() error {
	if j.err != nil {
		return j.err
	}
	if j.closed {
		return fmt.Errorf("journal %q: %w", j.path, ErrClosed)
	}
	return nil
}

// add appends one encoded record and, if durable, waits for it.
func (j *Journal) add(rec []byte, durable bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.usable(); err != nil {
		return err
	}
	j.buf = append(j.buf, rec...)
	j.appended++
	if !durable {
		return nil
	}
	return j.waitDurable(j.appended)
}

// waitDurable returns once the first target records are on disk, or a
// write failed. Call with j.mu held; it is released while waiting and
// while flushing.
func (j *Journal) waitDurable(target uint64) error {
	for j.durable < target {
		if j.err != nil {
			return j.err
		}
		if j.flushing {
			j.cond.Wait()
			continue
		}
		j.flush()
	}
	return nil
}

// gatherRounds bounds how many times the flusher yields before it writes.
const gatherRounds = 8

// gather yields the processor, with j.mu released, while other callers
// append records, up to gatherRounds times. Call with j.mu held and
// j.flushing set (so that no caller starts another flush meanwhile).
func (j *Journal) gather() {
	for range gatherRounds {
		n := j.appended
		j.mu.Unlock()
		j.yield()
		j.mu.Lock()
		if j.appended == n {
			return
		}
	}
}

// flush writes and syncs everything appended so far. Call with j.mu held
// and no flush running; j.mu is released while it gathers, writes and
// syncs.
func (j *Journal) flush() {
	j.flushing = true
	j.gather()
	buf, upto := j.buf, j.appended
	j.buf = j.spare[:0]
	j.spare = nil
	j.mu.Unlock()

	_, err := j.f.Write(buf)
	if err != nil {
		err = fmt.Errorf("write journal %q: %w", j.path, err)
	} else if err = j.sync(j.f); err != nil {
		err = fmt.Errorf("sync journal %q: %w", j.path, err)
	}

	j.mu.Lock()
	j.flushing = false
	if cap(buf) <= 1<<20 {
		j.spare = buf[:0]
	}
	if err != nil {
		// The file may now end in a partial record: append nothing more.
		j.err = err
	} else {
		j.durable = upto
	}
	j.cond.Broadcast()
}
