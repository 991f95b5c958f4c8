package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"

	"github.com/bankcard4e/bankcard4e/batch"
)

// The journal is a text file of lines, each a record followed by a space,
// the CRC-32 (IEEE) of the record in 8 lower-case hex digits, and "\n":
//
//	bankcard4e-journal 1 {"input_sha256":"…","input_size":123,"options":{…}} 1c291ca3
//	R 1767225600 …              a run started (unix seconds)
//	A 17 1 …                    attempt 1 of row 17 is about to be sent
//	N 17 1 …                    attempt 1 of row 17 got an answer that is not final
//	F 17 {"s":"verified",…} …   row 17's final outcome (batch.Outcome as JSON)
//
// A line that is cut short or fails its checksum was being written when the
// process died; it is skipped on replay. Records hold row indexes, attempt
// numbers and outcomes only: no personal data.
const (
	magic         = "bankcard4e-journal"
	formatVersion = "1"
	sumLen        = 1 + 8 // " " + hex CRC-32
)

// Record kinds.
const (
	kindRun      = 'R'
	kindAttempt  = 'A'
	kindAnswered = 'N'
	kindFinal    = 'F'
)

// record is one parsed line after the header.
type record struct {
	kind    byte
	row, n  int
	unix    int64
	outcome batch.Outcome
}

// finalJSON is the body of an F record: the outcome plus the Duplicate
// index, which batch.Outcome leaves out of its JSON.
type finalJSON struct {
	batch.Outcome
	Dup int `json:"dup,omitempty"`
}

// seal appends the checksum of dst[start:] and the newline.
func seal(dst []byte, start int) []byte {
	sum := crc32.ChecksumIEEE(dst[start:])
	dst = append(dst, ' ')
	const hex = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, hex[(sum>>uint(shift))&0xf])
	}
	return append(dst, '\n')
}

// appendHeader appends the first line of a journal.
func appendHeader(dst []byte, m Meta) ([]byte, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return dst, fmt.Errorf("encode journal header: %w", err)
	}
	start := len(dst)
	dst = append(dst, magic+" "+formatVersion+" "...)
	dst = append(dst, body...)
	return seal(dst, start), nil
}

// appendRun appends an R record.
func appendRun(dst []byte, unix int64) []byte {
	start := len(dst)
	dst = append(dst, kindRun, ' ')
	dst = strconv.AppendInt(dst, unix, 10)
	return seal(dst, start)
}

// appendAttempt appends an A or N record.
func appendAttempt(dst []byte, kind byte, row, n int) []byte {
	start := len(dst)
	dst = append(dst, kind, ' ')
	dst = strconv.AppendInt(dst, int64(row), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return seal(dst, start)
}

// encodeFinal returns the JSON body of an F record.
func encodeFinal(o batch.Outcome) ([]byte, error) {
	body, err := json.Marshal(finalJSON{Outcome: o, Dup: o.Duplicate})
	if err != nil {
		return nil, fmt.Errorf("encode outcome: %w", err)
	}
	return body, nil
}

// appendFinal appends an F record with an encoded body.
func appendFinal(dst []byte, row int, body []byte) []byte {
	start := len(dst)
	dst = append(dst, kindFinal, ' ')
	dst = strconv.AppendInt(dst, int64(row), 10)
	dst = append(dst, ' ')
	dst = append(dst, body...)
	return seal(dst, start)
}

// checked returns the record of a line (without its "\n") whose checksum
// holds, and false for a torn or damaged line.
func checked(line []byte) ([]byte, bool) {
	if len(line) < sumLen+1 || line[len(line)-sumLen] != ' ' {
		return nil, false
	}
	body := line[:len(line)-sumLen]
	sum, err := strconv.ParseUint(string(line[len(line)-8:]), 16, 32)
	if err != nil || uint32(sum) != crc32.ChecksumIEEE(body) {
		return nil, false
	}
	return body, true
}

// errNotJournal says a first line is not a journal header.
var errNotJournal = errors.New("not a bankcard4e journal, or its first line is damaged")

// parseHeader reads the meta from a checked first line.
func parseHeader(body []byte) (Meta, error) {
	var m Meta
	rest, ok := bytes.CutPrefix(body, []byte(magic+" "))
	if !ok {
		return m, errNotJournal
	}
	version, js, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return m, errNotJournal
	}
	if string(version) != formatVersion {
		return m, fmt.Errorf("journal format %q is not supported by this version of bankcard4e (it reads format %s)", version, formatVersion)
	}
	if err := json.Unmarshal(js, &m); err != nil {
		return m, fmt.Errorf("%w: %w", errNotJournal, err)
	}
	return m, nil
}

// parseRecord parses a checked line after the header.
func parseRecord(body []byte) (record, error) {
	var r record
	if len(body) < 3 || body[1] != ' ' {
		return r, errors.New("malformed record")
	}
	r.kind = body[0]
	rest := body[2:]
	var err error
	switch r.kind {
	case kindRun:
		r.unix, err = strconv.ParseInt(string(rest), 10, 64)
	case kindAttempt, kindAnswered:
		a, b, ok := bytes.Cut(rest, []byte(" "))
		if !ok {
			return r, fmt.Errorf("malformed %c record", r.kind)
		}
		if r.row, err = index(a); err == nil {
			r.n, err = index(b)
			if err == nil && r.n < 1 {
				err = fmt.Errorf("attempt number %d", r.n)
			}
		}
	case kindFinal:
		a, js, ok := bytes.Cut(rest, []byte(" "))
		if !ok {
			return r, errors.New("malformed F record")
		}
		if r.row, err = index(a); err == nil {
			var f finalJSON
			if err = json.Unmarshal(js, &f); err == nil {
				r.outcome = f.Outcome
				r.outcome.Duplicate = f.Dup
			}
		}
	default:
		return r, fmt.Errorf("unknown record kind %q", r.kind)
	}
	if err != nil {
		return r, fmt.Errorf("malformed %c record: %w", r.kind, err)
	}
	return r, nil
}

// index parses a non-negative decimal number.
func index(b []byte) (int, error) {
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("negative number %d", n)
	}
	return n, nil
}
