package journal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"

	"github.com/bankcard4e/bankcard4e/batch"
)

// The journal is a text file of lines, each a record followed by a space,
// a CRC-32 (IEEE) in 8 lower-case hex digits, and "\n":
//
//	bankcard4e-journal 2 <id> {"input_sha256":"…","input_size":123,"options":{…}} 1c291ca3
//	R 1767225600 …              a run started (unix seconds)
//	A 17 1 …                    attempt 1 of row 17 is about to be sent
//	N 17 1 …                    attempt 1 of row 17 got an answer that is not final
//	F 17 {"s":"verified",…} …   row 17's final outcome (batch.Outcome as JSON)
//
// <id> is 32 random hex digits drawn when the journal is created. The
// header's CRC covers the header; every later line's CRC covers the
// journal's id followed by the record, so a line copied from another
// journal fails its check here, as a damaged one does.
//
// Only a last line cut short (no "\n": the process died while writing it)
// is expected; it is cut away on resume. Any other line that fails its
// check refuses the resume (DamagedError). Records hold row indexes,
// attempt numbers and outcomes only: no personal data.
const (
	magic         = "bankcard4e-journal"
	formatVersion = "2"
	sumLen        = 1 + 8 // " " + hex CRC-32
	idLen         = 32    // hex digits of the journal id
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

// newID draws a journal id: 16 random bytes in hex.
func newID() (string, error) {
	var b [idLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("journal id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// lineKey is the CRC state that binds a journal's records to its id: the
// CRC-32 of the id, which seal and checked continue over each record.
// The header's key is 0 (its CRC is the plain CRC-32 of the line).
func lineKey(id string) uint32 { return crc32.ChecksumIEEE([]byte(id)) }

// seal appends the checksum of dst[start:], continued from key, and the
// newline.
func seal(dst []byte, start int, key uint32) []byte {
	sum := crc32.Update(key, crc32.IEEETable, dst[start:])
	dst = append(dst, ' ')
	const hex = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, hex[(sum>>uint(shift))&0xf])
	}
	return append(dst, '\n')
}

// appendHeader appends the first line of a journal with id.
func appendHeader(dst []byte, id string, m Meta) ([]byte, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return dst, fmt.Errorf("encode journal header: %w", err)
	}
	start := len(dst)
	dst = append(dst, magic+" "+formatVersion+" "...)
	dst = append(dst, id...)
	dst = append(dst, ' ')
	dst = append(dst, body...)
	return seal(dst, start, 0), nil
}

// appendRun appends an R record.
func appendRun(dst []byte, key uint32, unix int64) []byte {
	start := len(dst)
	dst = append(dst, kindRun, ' ')
	dst = strconv.AppendInt(dst, unix, 10)
	return seal(dst, start, key)
}

// appendAttempt appends an A or N record.
func appendAttempt(dst []byte, key uint32, kind byte, row, n int) []byte {
	start := len(dst)
	dst = append(dst, kind, ' ')
	dst = strconv.AppendInt(dst, int64(row), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return seal(dst, start, key)
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
func appendFinal(dst []byte, key uint32, row int, body []byte) []byte {
	start := len(dst)
	dst = append(dst, kindFinal, ' ')
	dst = strconv.AppendInt(dst, int64(row), 10)
	dst = append(dst, ' ')
	dst = append(dst, body...)
	return seal(dst, start, key)
}

// checked returns the record of a line (without its "\n") whose checksum,
// continued from key, holds, and false for a torn or damaged line or one
// of another journal.
func checked(line []byte, key uint32) ([]byte, bool) {
	if len(line) < sumLen+1 || line[len(line)-sumLen] != ' ' {
		return nil, false
	}
	body := line[:len(line)-sumLen]
	sum, err := strconv.ParseUint(string(line[len(line)-8:]), 16, 32)
	if err != nil || uint32(sum) != crc32.Update(key, crc32.IEEETable, body) {
		return nil, false
	}
	return body, true
}

// errNotJournal says a first line is not a journal header.
var errNotJournal = errors.New("not a bankcard4e journal, or its first line is damaged")

// errFormat says a journal was written in another format.
var errFormat = errors.New("journal format not supported")

// headerID returns the id of a first line (checked or not) that starts
// like a journal header of this format, and false for any other line.
func headerID(line []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(magic+" "+formatVersion+" "))
	if !ok || len(rest) < idLen+1 || rest[idLen] != ' ' {
		return "", false
	}
	id := string(rest[:idLen])
	if _, err := hex.DecodeString(id); err != nil {
		return "", false
	}
	return id, true
}

// parseHeader reads the id and meta from a checked first line.
func parseHeader(body []byte) (string, Meta, error) {
	var m Meta
	rest, ok := bytes.CutPrefix(body, []byte(magic+" "))
	if !ok {
		return "", m, errNotJournal
	}
	version, _, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return "", m, errNotJournal
	}
	if string(version) != formatVersion {
		return "", m, fmt.Errorf("%w: format %q is not read by this version of bankcard4e (it reads format %s); rerun with --fresh to start over (rows already charged will be charged again)", errFormat, version, formatVersion)
	}
	id, ok := headerID(body)
	if !ok {
		return "", m, errNotJournal
	}
	js := body[len(magic)+1+len(formatVersion)+1+idLen+1:]
	if err := json.Unmarshal(js, &m); err != nil {
		return "", m, fmt.Errorf("%w: %w", errNotJournal, err)
	}
	return id, m, nil
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
