package reader

import "fmt"

// sstChunk is the size of the blocks that hold the shared strings' text. A
// string may straddle two blocks; the table never copies what it holds, so
// it costs its text and four bytes a string.
const sstChunk = 4 << 20

// sst is the shared string table: the text of every string one after the
// other in fixed blocks (allocated outside the Go heap where the platform
// allows, see sst_unix.go, so that its size does not raise the garbage
// collector's heap goal), and the end offset of each string.
type sst struct {
	chunks [][]byte
	size   int // bytes held
	ends   []uint32
}

func (s *sst) reserve(n int) { s.ends = make([]uint32, 0, n) }

func (s *sst) count() int { return len(s.ends) }

// add appends one string.
func (s *sst) add(b []byte) error {
	if s.size+len(b) > maxSSTBytes {
		return fmt.Errorf("the shared strings hold more than %d MiB of text", maxSSTBytes>>20)
	}
	for len(b) > 0 {
		off := s.size % sstChunk
		if off == 0 && s.size/sstChunk == len(s.chunks) {
			s.chunks = append(s.chunks, allocChunk(sstChunk))
		}
		n := copy(s.chunks[s.size/sstChunk][off:], b)
		b = b[n:]
		s.size += n
	}
	s.ends = append(s.ends, uint32(s.size))
	return nil
}

func (s *sst) get(i int) (string, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", false
	}
	start := 0
	if i > 0 {
		start = int(s.ends[i-1])
	}
	end := int(s.ends[i])
	if end == start {
		return "", true
	}
	c, off := start/sstChunk, start%sstChunk
	if off+end-start <= sstChunk {
		return string(s.chunks[c][off : off+end-start]), true
	}
	b := make([]byte, 0, end-start)
	for p := start; p < end; {
		c, off := p/sstChunk, p%sstChunk
		n := min(sstChunk-off, end-p)
		b = append(b, s.chunks[c][off:off+n]...)
		p += n
	}
	return string(b), true
}

// free releases the blocks.
func (s *sst) free() {
	for _, c := range s.chunks {
		freeChunk(c)
	}
	s.chunks, s.ends, s.size = nil, nil, 0
}
