package npz

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// magic starts every .npy file.
const magic = "\x93NUMPY"

// maxHeaderLen bounds the npy header dictionary that is read into memory.
const maxHeaderLen = 1 << 20

// header is the parsed dictionary of an npy file.
type header struct {
	descr   string
	fortran bool
	shape   []int
}

// readHeader reads the magic string, version, header length and header
// dictionary of an npy file from r and returns the parsed dictionary.
func readHeader(r io.Reader) (header, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return header{}, fmt.Errorf("npy preamble: %w", truncated(err))
	}
	if string(pre[:6]) != magic {
		return header{}, errors.New("not an npy array (bad magic string)")
	}
	major, minor := pre[6], pre[7]
	var hlen int64
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return header{}, fmt.Errorf("npy header length: %w", truncated(err))
		}
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return header{}, fmt.Errorf("npy header length: %w", truncated(err))
		}
		hlen = int64(binary.LittleEndian.Uint32(l[:]))
	default:
		return header{}, fmt.Errorf("unsupported npy format version %d.%d", major, minor)
	}
	if hlen > maxHeaderLen {
		return header{}, fmt.Errorf("npy header of %d bytes is longer than the %d allowed", hlen, maxHeaderLen)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return header{}, fmt.Errorf("npy header: %w", truncated(err))
	}
	h, err := parseDict(string(buf))
	if err != nil {
		return header{}, fmt.Errorf("npy header %q: %w", clip(string(buf)), err)
	}
	return h, nil
}

// truncated turns the end-of-input errors of io.ReadFull into one message.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// clip shortens s for an error message.
func clip(s string) string {
	s = strings.TrimRight(s, " \n")
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// parseDict parses the npy header dictionary, a Python literal such as
// {'descr': '<f8', 'fortran_order': False, 'shape': (4, 2), }
// followed by padding. Exactly the keys descr, fortran_order and shape are
// accepted, in any order, each once.
func parseDict(s string) (header, error) {
	p := &dictParser{s: s}
	var h header
	seen := map[string]bool{}
	if err := p.expect('{'); err != nil {
		return h, err
	}
	for {
		p.skipSpace()
		if p.peek() == '}' {
			p.i++
			break
		}
		key, err := p.str()
		if err != nil {
			return h, fmt.Errorf("key: %w", err)
		}
		if seen[key] {
			return h, fmt.Errorf("key %q repeated", key)
		}
		seen[key] = true
		if err := p.expect(':'); err != nil {
			return h, err
		}
		switch key {
		case "descr":
			p.skipSpace()
			if c := p.peek(); c == '[' || c == '(' {
				return h, errors.New("structured dtypes are not supported")
			}
			if h.descr, err = p.str(); err != nil {
				return h, fmt.Errorf("descr: %w", err)
			}
		case "fortran_order":
			if h.fortran, err = p.boolean(); err != nil {
				return h, fmt.Errorf("fortran_order: %w", err)
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, fmt.Errorf("shape: %w", err)
			}
		default:
			return h, fmt.Errorf("unexpected key %q", key)
		}
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
		default:
			return h, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
		}
	}
	if rest := strings.TrimSpace(s[p.i:]); rest != "" {
		return h, fmt.Errorf("unexpected %q after the dictionary", clip(rest))
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("key %q missing", k)
		}
	}
	return h, nil
}

// dictParser walks the header dictionary.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *dictParser) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *dictParser) expect(c byte) error {
	p.skipSpace()
	if p.peek() != c {
		return fmt.Errorf("expected %q at offset %d", c, p.i)
	}
	p.i++
	return nil
}

// str reads a quoted string without escapes.
func (p *dictParser) str() (string, error) {
	p.skipSpace()
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("expected a quoted string at offset %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsAny(v, "\\\n") {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

func (p *dictParser) boolean() (bool, error) {
	p.skipSpace()
	for _, c := range []struct {
		lit string
		v   bool
	}{{"True", true}, {"False", false}} {
		if strings.HasPrefix(p.s[p.i:], c.lit) {
			p.i += len(c.lit)
			return c.v, nil
		}
	}
	return false, errors.New("expected True or False")
}

// tuple reads a tuple of non-negative integers, such as (), (3,) or (4, 2).
// A trailing L, as Python 2 wrote long integers, is accepted.
func (p *dictParser) tuple() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	shape := []int{}
	for {
		p.skipSpace()
		if p.peek() == ')' {
			p.i++
			return shape, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, fmt.Errorf("expected a non-negative integer at offset %d", p.i)
		}
		d, err := strconv.Atoi(p.s[start:p.i])
		if err != nil {
			return nil, fmt.Errorf("dimension %s: %w", p.s[start:p.i], err)
		}
		if p.peek() == 'L' {
			p.i++
		}
		shape = append(shape, d)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
		case ')':
		default:
			return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
		}
	}
}

// headerBytes returns a complete npy version 1.0 header for a C-order array of
// the given dtype and shape, laid out exactly as numpy 1.24 writes it: the
// dictionary with its keys sorted, spare spaces for growing the first axis,
// then spaces and a newline up to a multiple of 64 bytes.
func headerBytes(descr string, shape []int) ([]byte, error) {
	var b strings.Builder
	b.WriteString("{'descr': '")
	b.WriteString(descr)
	b.WriteString("', 'fortran_order': False, 'shape': ")
	b.WriteString(FormatShape(shape))
	b.WriteString(", }")
	if len(shape) > 0 {
		const growthDigits = 21
		b.WriteString(strings.Repeat(" ", max(growthDigits-len(strconv.Itoa(shape[0])), 0)))
	}
	dict := b.String()
	hlen := len(dict) + 1
	pad := 64 - (len(magic)+4+hlen)%64
	if hlen+pad > 0xffff {
		return nil, fmt.Errorf("npy header of %d bytes does not fit format version 1.0", hlen+pad)
	}
	out := make([]byte, 0, len(magic)+4+hlen+pad)
	out = append(out, magic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(hlen+pad))
	out = append(out, dict...)
	out = append(out, strings.Repeat(" ", pad)...)
	return append(out, '\n'), nil
}
