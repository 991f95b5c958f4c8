package reader

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is the small streaming XML tokenizer that reads every part of
// an XLSX package (workbook, relationships, styles, shared strings, sheets).
// It yields start tags with their attributes, end tags and text (entities
// decoded, CDATA as text, line ends normalised to LF); comments, processing
// instructions and DOCTYPE are skipped. No token may be longer than limit
// bytes, so that a part of any size is read in bounded memory: encoding/xml
// would buffer a 4 GB run of white space whole.
//
// It checks no well-formedness beyond what it needs: the parts are written
// by spreadsheet programs, and what matters is that a hostile one cannot
// make it use unbounded memory or time.
type xmlScanner struct {
	br    *bufio.Reader
	limit int

	buf  []byte // raw bytes of the current token
	text []byte // text of a tokText, valid until the next call

	name      []byte    // local name of the current tag
	attrs     []xmlAttr // attributes of the current start tag
	selfClose bool      // the start tag ended in "/>": next yields its end
	pending   bool      // an end token for a self-closing tag is due
	atTag     bool      // a '<' was consumed: a tag comes next
	eof       bool
}

type xmlAttr struct {
	name     []byte // local name
	prefixed bool   // the name had a namespace prefix (r:id, xml:space)
	value    []byte // decoded
}

// Token kinds.
const (
	tokEOF = iota
	tokStart
	tokEnd
	tokText
)

// errTooLarge: a token (a run of text, a tag) is longer than the scanner's
// limit.
var errTooLarge = errors.New("XML token too large")

// errXMLSyntax: the part is not XML the scanner can read.
var errXMLSyntax = errors.New("malformed XML")

func newXMLScanner(r io.Reader, limit int) *xmlScanner {
	return &xmlScanner{br: bufio.NewReaderSize(r, 64<<10), limit: limit}
}

// readUntil appends the input up to and including delim to s.buf.
func (s *xmlScanner) readUntil(delim byte) error {
	for {
		chunk, err := s.br.ReadSlice(delim)
		if len(s.buf)+len(chunk) > s.limit {
			return errTooLarge
		}
		s.buf = append(s.buf, chunk...)
		switch err {
		case nil:
			return nil
		case bufio.ErrBufferFull:
			continue
		default:
			return err
		}
	}
}

// next returns the kind of the next token. Its name, attributes or text are
// valid until the following call.
func (s *xmlScanner) next() (int, error) {
	if s.pending {
		s.pending = false
		return tokEnd, nil
	}
	for {
		if s.eof {
			return tokEOF, nil
		}
		s.buf = s.buf[:0]
		if !s.atTag {
			err := s.readUntil('<')
			switch {
			case err == io.EOF:
				s.eof = true
			case err != nil:
				return tokEOF, err
			default:
				s.buf = s.buf[:len(s.buf)-1]
				s.atTag = true
			}
			if len(s.buf) > 0 {
				s.text = decodeText(s.text[:0], s.buf)
				return tokText, nil
			}
			continue
		}
		s.atTag = false
		if err := s.readUntil('>'); err != nil {
			if err == io.EOF {
				return tokEOF, io.ErrUnexpectedEOF
			}
			return tokEOF, err
		}
		b := s.buf
		switch {
		case bytes.HasPrefix(b, []byte("!--")):
			for !bytes.HasSuffix(s.buf, []byte("-->")) || len(s.buf) < 6 {
				if err := s.readMore(); err != nil {
					return tokEOF, err
				}
			}
			continue
		case bytes.HasPrefix(b, []byte("![CDATA[")):
			for !bytes.HasSuffix(s.buf, []byte("]]>")) || len(s.buf) < 11 {
				if err := s.readMore(); err != nil {
					return tokEOF, err
				}
			}
			s.text = normaliseEOL(s.text[:0], s.buf[8:len(s.buf)-3])
			return tokText, nil
		case len(b) > 0 && b[0] == '?':
			for !bytes.HasSuffix(s.buf, []byte("?>")) || len(s.buf) < 3 {
				if err := s.readMore(); err != nil {
					return tokEOF, err
				}
			}
			continue
		case len(b) > 0 && b[0] == '!':
			continue // DOCTYPE: never written by spreadsheet programs; its entities are not expanded
		case len(b) > 0 && b[0] == '/':
			s.name = localName(bytes.TrimRight(b[1:len(b)-1], " \t\r\n"))
			return tokEnd, nil
		}
		// A start tag: a '>' inside a quoted attribute value does not end it.
		// Only the bytes added are scanned, so a value of many '>' costs
		// linear time.
		var q byte
		for from := 0; ; {
			q = quoteState(q, s.buf[from:])
			if q == 0 {
				break
			}
			from = len(s.buf)
			if err := s.readMore(); err != nil {
				return tokEOF, err
			}
		}
		if err := s.parseStart(); err != nil {
			return tokEOF, err
		}
		if s.selfClose {
			s.pending = true
		}
		return tokStart, nil
	}
}

// readMore appends the input up to the next '>'.
func (s *xmlScanner) readMore() error {
	err := s.readUntil('>')
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// quoteState returns the quote a tag is inside (0 for none) after b, given
// the quote q it was inside before b.
func quoteState(q byte, b []byte) byte {
	for _, c := range b {
		switch {
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case c == q:
			q = 0
		}
	}
	return q
}

// parseStart splits the start tag in s.buf (without '<', with '>') into its
// name and attributes.
func (s *xmlScanner) parseStart() error {
	b := s.buf[:len(s.buf)-1]
	s.selfClose = len(b) > 0 && b[len(b)-1] == '/'
	if s.selfClose {
		b = b[:len(b)-1]
	}
	i := 0
	for i < len(b) && !isXMLSpace(b[i]) {
		i++
	}
	if i == 0 {
		return errXMLSyntax
	}
	s.name = localName(b[:i])
	s.attrs = s.attrs[:0]
	for {
		for i < len(b) && isXMLSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil
		}
		j := i
		for j < len(b) && b[j] != '=' && !isXMLSpace(b[j]) {
			j++
		}
		name := b[i:j]
		for j < len(b) && isXMLSpace(b[j]) {
			j++
		}
		if j >= len(b) || b[j] != '=' {
			return errXMLSyntax
		}
		j++
		for j < len(b) && isXMLSpace(b[j]) {
			j++
		}
		if j >= len(b) || b[j] != '"' && b[j] != '\'' {
			return errXMLSyntax
		}
		q := b[j]
		k := bytes.IndexByte(b[j+1:], q)
		if k < 0 {
			return errXMLSyntax
		}
		raw := b[j+1 : j+1+k]
		local := localName(name)
		a := xmlAttr{name: local, prefixed: len(local) < len(name), value: raw}
		if bytes.IndexByte(raw, '&') >= 0 {
			a.value = decodeText(nil, raw)
		}
		s.attrs = append(s.attrs, a)
		i = j + 1 + k + 1
	}
}

// attr returns the value of the unprefixed attribute named local, or nil.
func (s *xmlScanner) attr(local string) []byte {
	for _, a := range s.attrs {
		if !a.prefixed && string(a.name) == local {
			return a.value
		}
	}
	return nil
}

// prefixedAttr returns the value of a prefixed attribute (r:id), or nil.
func (s *xmlScanner) prefixedAttr(local string) []byte {
	for _, a := range s.attrs {
		if a.prefixed && string(a.name) == local {
			return a.value
		}
	}
	return nil
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// localName drops a namespace prefix, as encoding/xml does: the part after
// the first colon, when there is text on both sides of it.
func localName(b []byte) []byte {
	if i := bytes.IndexByte(b, ':'); i > 0 && i < len(b)-1 {
		return b[i+1:]
	}
	return b
}

// decodeText appends raw XML text to dst with its entity and character
// references decoded and its line ends normalised. An unknown entity is
// kept as written.
func decodeText(dst, raw []byte) []byte {
	if bytes.IndexByte(raw, '&') < 0 {
		return normaliseEOL(dst, raw)
	}
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			return normaliseEOL(dst, raw)
		}
		dst = normaliseEOL(dst, raw[:i])
		raw = raw[i:]
		j := bytes.IndexByte(raw, ';')
		if j < 0 || j > 12 {
			dst = append(dst, '&')
			raw = raw[1:]
			continue
		}
		ent := raw[1:j]
		switch string(ent) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			r, ok := charRef(ent)
			if !ok {
				dst = append(dst, raw[:j+1]...)
			} else {
				dst = utf8.AppendRune(dst, r)
			}
		}
		raw = raw[j+1:]
	}
	return dst
}

// charRef decodes the body of a character reference (#65, #x41).
func charRef(ent []byte) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	base, digits := 10, ent[1:]
	if digits[0] == 'x' || digits[0] == 'X' {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil || n > utf8.MaxRune {
		return 0, false
	}
	return rune(n), true
}

// normaliseEOL appends b to dst with CRLF and lone CR turned into LF, as an
// XML processor must.
func normaliseEOL(dst, b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return append(dst, b...)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		dst = append(dst, c)
	}
	return dst
}

// decodeEscapes decodes the _xHHHH_ escapes Excel writes for characters XML
// cannot hold (_x000D_ for a carriage return); hex digits in either case;
// _x005F_ is a literal underscore, so "_x005F_x000D_" is the text "_x000D_".
// UTF-16 surrogate pairs written as two escapes become one character.
func decodeEscapes(s []byte) []byte {
	if !bytes.Contains(s, []byte("_x")) {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if u, ok := escapeAt(s, i); ok {
			i += 7
			r := rune(u)
			if u >= 0xd800 && u < 0xdc00 {
				if lo, ok := escapeAt(s, i); ok && lo >= 0xdc00 && lo < 0xe000 {
					r = 0x10000 + (rune(u)-0xd800)<<10 + rune(lo) - 0xdc00
					i += 7
				} else {
					r = utf8.RuneError
				}
			} else if u >= 0xdc00 && u < 0xe000 {
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		}
		out = append(out, s[i])
		i++
	}
	return out
}

// escapeAt reports whether s[i:] starts with _xHHHH_ and returns HHHH.
func escapeAt(s []byte, i int) (uint16, bool) {
	if i+7 > len(s) || s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' {
		return 0, false
	}
	var u uint16
	for _, c := range s[i+2 : i+6] {
		switch {
		case c >= '0' && c <= '9':
			u = u<<4 | uint16(c-'0')
		case c >= 'a' && c <= 'f':
			u = u<<4 | uint16(c-'a'+10)
		case c >= 'A' && c <= 'F':
			u = u<<4 | uint16(c-'A'+10)
		default:
			return 0, false
		}
	}
	return u, true
}
