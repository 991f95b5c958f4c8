package journal

import "fmt"

// Group commit. Callers append a record to j.buf under j.mu; durable callers
// then wait until j.durable covers their record. The first waiter that finds
// no flush running becomes the flusher: it takes the whole buffer, drops
// j.mu, writes and syncs, and wakes everyone. While it syncs, other callers
// append to a fresh buffer: one of them flushes that batch next.

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

// flush writes and syncs everything appended so far. Call with j.mu held
// and no flush running; j.mu is released during the write and the sync.
func (j *Journal) flush() {
	j.flushing = true
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
