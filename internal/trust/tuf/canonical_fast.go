package tuf

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The fast path of CanonicalJSON: one pass over the raw bytes that writes the canonical
// form directly, for the inputs where that form is unambiguous. Everything it is not
// sure about (numbers other than small canonical integers, duplicate member names, deep
// nesting, any syntax error) makes it give up, and the decoding slow path decides,
// errors included. FuzzCanonicalFast checks it against the slow path and cjson.

// maxFastDepth bounds the nesting of arrays and objects the fast path follows (and so
// its recursion); metadata files nest about five levels deep.
const maxFastDepth = 64

// maxFastDigits is the longest integer the fast path copies: every integer of at most
// 15 digits is exact in a float64, so notary's float64 round trip and cjson's literal
// agree on it. Longer ones, which notary rounds, go to the slow path.
const maxFastDigits = 15

// plain marks the bytes a string copies unchanged: printable ASCII except `"` and `\`.
// It has 256 entries so that a byte indexes it without a bounds check.
var plain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

var literals = [][]byte{[]byte("true"), []byte("false"), []byte("null")}

// member is an object member being canonicalised: its decoded name in canon.names and
// its `"name":value` bytes in canon.out.
type member struct {
	name, nameEnd int
	start, end    int
}

// canon is the state of one fast-path run. Its stacks are shared by all nesting levels:
// an object pushes its members and names and pops them when it is done.
type canon struct {
	in      []byte
	pos     int
	out     []byte
	names   []byte
	members []member
	scratch []byte // an unsorted object's members while they are reordered
}

var canonPool = sync.Pool{New: func() any { return new(canon) }}

// appendCanonicalFast appends the canonical form of raw to dst, or reports false when
// raw is not in the fast path's subset; dst's contents are kept either way.
func appendCanonicalFast(dst, raw []byte) ([]byte, bool) {
	c := getCanon(raw, 0, dst)
	defer putCanon(c)
	c.space()
	if !c.value(0) {
		return dst, false
	}
	c.space()
	if c.pos != len(c.in) {
		return dst, false
	}
	return c.out, true
}

// parseEnvelopeFast is ParseEnvelope and appendCanonicalFast of its "signed" in one pass,
// for a file laid out as notary and MarshalFile write it: {"signed":…,"signatures":…}
// without whitespace before the end. env.Signed is part of data. It reports false
// for any other layout or a "signed" the fast path leaves to the slow one; the result is
// the one of ParseEnvelope (FuzzParseEnvelopeFast).
func parseEnvelopeFast(dst, data []byte) (env *Envelope, canonical []byte, ok bool) {
	const head, mid = `{"signed":`, `,"signatures":`
	data = bytes.TrimRight(data, " \t\r\n") // JSON whitespace, e.g. a final newline
	if len(data) <= len(head) || string(data[:len(head)]) != head || data[len(head)] != '{' || data[len(data)-1] != '}' {
		return nil, dst, false
	}
	c := getCanon(data, len(head), dst)
	defer putCanon(c)
	if !c.value(0) || !bytes.HasPrefix(data[c.pos:], []byte(mid)) {
		return nil, dst, false
	}
	// The final '}' is not part of mid, so the signatures cannot start past it.
	var sigs []Signature
	if json.Unmarshal(data[c.pos+len(mid):len(data)-1], &sigs) != nil {
		return nil, dst, false
	}
	return &Envelope{Signed: data[len(head):c.pos], Signatures: sigs}, c.out, true
}

func getCanon(in []byte, pos int, dst []byte) *canon {
	c := canonPool.Get().(*canon)
	c.in, c.pos, c.out = in, pos, dst
	return c
}

func putCanon(c *canon) {
	c.in, c.out = nil, nil // do not keep the caller's memory alive
	c.names, c.members = c.names[:0], c.members[:0]
	canonPool.Put(c)
}

// space skips JSON whitespace.
func (c *canon) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// next skips whitespace and returns the next byte, 0 at the end (never valid there).
func (c *canon) next() byte {
	c.space()
	if c.pos == len(c.in) {
		return 0
	}
	return c.in[c.pos]
}

func (c *canon) value(depth int) bool {
	if c.pos == len(c.in) {
		return false
	}
	switch b := c.in[c.pos]; {
	case b == '{':
		return depth < maxFastDepth && c.object(depth+1)
	case b == '[':
		return depth < maxFastDepth && c.array(depth+1)
	case b == '"':
		var ok bool
		c.out, ok = c.str(c.out, true)
		return ok
	case b == '-' || '0' <= b && b <= '9':
		return c.integer()
	}
	for _, lit := range literals {
		if bytes.HasPrefix(c.in[c.pos:], lit) {
			c.pos += len(lit)
			c.out = append(c.out, lit...)
			return true
		}
	}
	return false
}

func (c *canon) object(depth int) bool {
	c.pos++
	start := len(c.out)
	c.out = append(c.out, '{')
	base, namesBase := len(c.members), len(c.names)
	sorted := true
	if c.next() != '}' {
		for {
			if c.next() != '"' {
				return false
			}
			m := member{name: len(c.names), start: len(c.out)}
			if end := c.plainEnd(); end > 0 {
				// The usual name, plain bytes only, reads the same decoded and canonical.
				c.names = append(c.names, c.in[c.pos+1:end]...)
				c.out = append(c.out, c.in[c.pos:end+1]...)
				c.pos = end + 1
			} else {
				var ok bool
				if c.names, ok = c.str(c.names, false); !ok {
					return false
				}
				c.out = appendQuoted(c.out, c.names[m.name:])
			}
			m.nameEnd = len(c.names)
			// Strictly increasing names are sorted and free of duplicates.
			if n := len(c.members); n > base && bytes.Compare(c.names[c.members[n-1].name:c.members[n-1].nameEnd], c.names[m.name:m.nameEnd]) >= 0 {
				sorted = false
			}
			if c.next() != ':' {
				return false
			}
			c.pos++
			c.out = append(c.out, ':')
			c.space()
			if !c.value(depth) {
				return false
			}
			m.end = len(c.out)
			c.members = append(c.members, m)
			if c.next() != ',' {
				break
			}
			c.pos++
			c.out = append(c.out, ',')
		}
	}
	if c.next() != '}' {
		return false
	}
	c.pos++
	if !sorted && !c.sort(start+1, c.members[base:]) {
		return false
	}
	c.out = append(c.out, '}')
	c.members, c.names = c.members[:base], c.names[:namesBase]
	return true
}

// sort rewrites the members written from c.out[from:] in the order of their names. A
// duplicate name fails: decoders keep one of them, which one is the slow path's call.
func (c *canon) sort(from int, ms []member) bool {
	slices.SortFunc(ms, func(a, b member) int {
		return bytes.Compare(c.names[a.name:a.nameEnd], c.names[b.name:b.nameEnd])
	})
	for i := 1; i < len(ms); i++ {
		if bytes.Equal(c.names[ms[i-1].name:ms[i-1].nameEnd], c.names[ms[i].name:ms[i].nameEnd]) {
			return false
		}
	}
	c.scratch = append(c.scratch[:0], c.out[from:]...)
	c.out = c.out[:from]
	for i, m := range ms {
		if i > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, c.scratch[m.start-from:m.end-from]...)
	}
	return true
}

func (c *canon) array(depth int) bool {
	c.pos++
	c.out = append(c.out, '[')
	if c.next() != ']' {
		for {
			c.space()
			if !c.value(depth) {
				return false
			}
			if c.next() != ',' {
				break
			}
			c.pos++
			c.out = append(c.out, ',')
		}
	}
	if c.next() != ']' {
		return false
	}
	c.pos++
	c.out = append(c.out, ']')
	return true
}

// integer copies an integer literal that is already canonical: no sign but a minus, no
// leading zero, no -0, no fraction or exponent, at most maxFastDigits digits.
func (c *canon) integer() bool {
	start := c.pos
	if c.in[c.pos] == '-' {
		c.pos++
	}
	digits := c.pos
	for c.pos < len(c.in) && '0' <= c.in[c.pos] && c.in[c.pos] <= '9' {
		c.pos++
	}
	n := c.pos - digits
	if n == 0 || n > maxFastDigits || c.in[digits] == '0' && (n > 1 || digits > start) {
		return false
	}
	if c.pos < len(c.in) && (c.in[c.pos] == '.' || c.in[c.pos] == 'e' || c.in[c.pos] == 'E') {
		return false
	}
	c.out = append(c.out, c.in[start:c.pos]...)
	return true
}

// plainEnd returns the position of the closing quote of the string at c.pos when it has
// only plain bytes, 0 otherwise.
func (c *canon) plainEnd() int {
	i := c.pos + 1
	for i < len(c.in) && plain[c.in[i]] {
		i++
	}
	if i < len(c.in) && c.in[i] == '"' {
		return i
	}
	return 0
}

// str decodes the string at c.pos and appends it to dst the way encoding/json decodes
// it (every escape resolved, invalid UTF-8 and unpaired surrogates each replaced by
// U+FFFD), with `"` and `\` escaped when quote is set (the canonical form) and raw
// otherwise (a member name to compare).
func (c *canon) str(dst []byte, quote bool) ([]byte, bool) {
	in, i := c.in, c.pos+1
	if quote {
		dst = append(dst, '"')
	}
	for {
		run := i
		for i < len(in) && plain[in[i]] {
			i++
		}
		dst = append(dst, in[run:i]...)
		if i == len(in) {
			return dst, false
		}
		switch b := in[i]; {
		case b == '"':
			c.pos = i + 1
			if quote {
				dst = append(dst, '"')
			}
			return dst, true
		case b == '\\':
			if i+1 == len(in) {
				return dst, false
			}
			var r rune
			switch e := in[i+1]; e {
			case '"', '\\', '/':
				r = rune(e)
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			case 'u':
				if r = hex4(in[i:]); r < 0 {
					return dst, false
				}
				// encoding/json pairs a surrogate with the escape right after it when
				// the two make a valid pair; otherwise the surrogate alone becomes
				// U+FFFD and the next escape is decoded on its own.
				if utf16.IsSurrogate(r) {
					if r = utf16.DecodeRune(r, hex4(in[i+6:])); r != unicode.ReplacementChar {
						i += 6
					}
				}
				i += 4
			default:
				return dst, false
			}
			i += 2
			if quote && (r == '"' || r == '\\') {
				dst = append(dst, '\\')
			}
			dst = utf8.AppendRune(dst, r)
		case b < ' ':
			return dst, false
		default:
			// An invalid byte decodes as U+FFFD of size 1; valid UTF-8 re-encodes as is.
			r, size := utf8.DecodeRune(in[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
		}
	}
}

// hex4 decodes the escape `\uXXXX` at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, b := range s[2:6] {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b -= 'a' - 10
		case 'A' <= b && b <= 'F':
			b -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(b)
	}
	return r
}

// appendQuoted appends s as a canonical string: quoted, only `"` and `\` escaped.
func appendQuoted(dst, s []byte) []byte {
	dst = append(dst, '"')
	for {
		i := bytes.IndexAny(s, `"\`)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, '\\', s[i])
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

// decodeTargetsCanonical decodes into the zero *t the canonical bytes appendCanonicalFast
// made of a targets file's "signed" object: the "targets" map, nearly all of a large
// file, by hand; the other members with encoding/json. It reports false for anything
// beyond the shapes notary writes (unknown or "custom" members, whose raw bytes or
// case-insensitive names encoding/json treats its own way, nulls, control characters,
// bad base64): decoding the file's bytes with encoding/json then gives the result or the
// error. When it succeeds, the result is the one encoding/json gives for the file's
// bytes (FuzzDecodeTargetsCanonical), and the data decoded is the data signed.
//
// With lazy set, the "targets" map is not built: every entry is checked to decode as
// above, and t keeps canonical with an index of the entries (see Targets.Get). It
// reports false for the same inputs, so that a file is indexed exactly when it would
// have been decoded here, to the same entries (FuzzLazyTargets).
func decodeTargetsCanonical(canonical []byte, t *Targets, lazy bool) bool {
	d := cdec{in: canonical}
	if !d.eat('{') || lazy && len(canonical) > math.MaxInt32 {
		return false
	}
	var out Targets
	rest := []byte{'{'} // the members other than "targets", for encoding/json
	for first := true; !d.eat('}'); first = false {
		if !first && !d.eat(',') {
			return false
		}
		start := d.pos
		name, ok := d.str()
		if !ok || !d.eat(':') {
			return false
		}
		switch string(name) {
		case "targets":
			if lazy {
				out.index, ok = d.index()
			} else {
				out.Targets, ok = d.targets()
			}
			if !ok {
				return false
			}
			continue
		case "_type", "delegations", "expires", "version":
			d.skip()
		default:
			return false
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		rest = append(rest, canonical[start:d.pos]...)
	}
	// No name in rest matches "targets", so encoding/json keeps out.Targets.
	if d.pos != len(canonical) || json.Unmarshal(append(rest, '}'), &out) != nil {
		return false
	}
	*t = out
	return true
}

// cdec reads canonical bytes as appendCanonicalFast writes them: valid JSON but for
// control characters, no whitespace, names sorted and unique, strings escaping only `"`
// and `\`, integers of at most maxFastDigits digits.
type cdec struct {
	in  []byte
	pos int
}

func (d *cdec) eat(b byte) bool {
	if d.pos < len(d.in) && d.in[d.pos] == b {
		d.pos++
		return true
	}
	return false
}

// str decodes a string; it is part of d.in when it has no escapes. A control character
// fails: encoding/json refuses it in the file, where it was escaped.
func (d *cdec) str() ([]byte, bool) {
	if !d.eat('"') {
		return nil, false
	}
	start, escaped := d.pos, false
	for {
		for d.pos < len(d.in) && verbatim[d.in[d.pos]] {
			d.pos++
		}
		if d.pos >= len(d.in) {
			return nil, false
		}
		switch d.in[d.pos] {
		case '"':
			s := d.in[start:d.pos]
			d.pos++
			if escaped {
				s = unescape(s)
			}
			return s, true
		case '\\':
			escaped = true
			d.pos += 2
		default:
			return nil, false
		}
	}
}

// verbatim marks the bytes a canonical string holds as they are: all but control
// characters, `"` and `\`.
var verbatim = func() (t [256]bool) {
	for c := ' '; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// unescape removes the backslashes of a canonical string: every one escapes the byte
// after it.
func unescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
		}
		out = append(out, s[i])
	}
	return out
}

// skip moves past the value at d.pos. The bytes come from the fast path, so brackets
// balance and a value ends at the first ',', '}' or ']' outside strings and brackets.
func (d *cdec) skip() {
	depth := 0
	for d.pos < len(d.in) {
		switch d.in[d.pos] {
		case '"':
			for d.pos++; d.pos < len(d.in) && d.in[d.pos] != '"'; d.pos++ {
				if d.in[d.pos] == '\\' {
					d.pos++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return
			}
			depth--
		case ',':
			if depth == 0 {
				return
			}
		}
		d.pos++
	}
}

// targets decodes the "targets" map.
func (d *cdec) targets() (map[string]FileMeta, bool) {
	if !d.eat('{') {
		return nil, false
	}
	m := make(map[string]FileMeta)
	for first := true; !d.eat('}'); first = false {
		if !first && !d.eat(',') {
			return nil, false
		}
		name, ok := d.str()
		if !ok || !d.eat(':') {
			return nil, false
		}
		var fm FileMeta
		if !d.fileMeta(&fm) {
			return nil, false
		}
		m[string(name)] = fm
	}
	return m, true
}

// index checks every entry of the "targets" map the way targets decodes it, without
// building FileMetas, and records where each entry's name starts.
func (d *cdec) index() (*targetsIndex, bool) {
	if !d.eat('{') {
		return nil, false
	}
	scratch := indexBufs.Get().(*[]int32)
	defer indexBufs.Put(scratch)
	members := (*scratch)[:0]
	var prev []byte
	for first := true; !d.eat('}'); first = false {
		if !first && !d.eat(',') {
			return nil, false
		}
		start := d.pos
		name, ok := d.str()
		// Lookups search the names: they must be strictly increasing, which the fast
		// path's canonical form guarantees (sorted, duplicates refused).
		if !ok || !first && bytes.Compare(prev, name) >= 0 || !d.eat(':') || !d.fileMeta(nil) {
			return nil, false
		}
		prev = name
		members = append(members, int32(start))
	}
	*scratch = members
	return &targetsIndex{canonical: d.in, members: slices.Clone(members)}, true
}

// indexBufs holds the buffers index collects offsets in, so that the index kept is one
// allocation of the right size.
var indexBufs = sync.Pool{New: func() any { return new([]int32) }}

// fileMeta decodes the meta of a target into fm; with fm nil, it only checks that the
// meta decodes, and allocates nothing.
func (d *cdec) fileMeta(fm *FileMeta) bool {
	if !d.eat('{') {
		return false
	}
	var m FileMeta
	for first := true; !d.eat('}'); first = false {
		if !first && !d.eat(',') {
			return false
		}
		// A name has one canonical spelling: the two known ones are recognised by
		// their bytes, any other name fails.
		ok := false
		switch {
		case d.lit(`"hashes":`):
			m.Hashes, ok = d.hashes(fm != nil)
		case d.lit(`"length":`):
			m.Length, ok = d.integer()
		}
		if !ok {
			return false
		}
	}
	if fm != nil {
		*fm = m
	}
	return true
}

// lit moves past s when the bytes at d.pos are s.
func (d *cdec) lit(s string) bool {
	if len(d.in)-d.pos >= len(s) && string(d.in[d.pos:d.pos+len(s)]) == s {
		d.pos += len(s)
		return true
	}
	return false
}

// hashes decodes digests the way encoding/json decodes a []byte: standard base64. Without
// keep it only checks them, and returns nil.
func (d *cdec) hashes(keep bool) (Hashes, bool) {
	if !d.eat('{') {
		return nil, false
	}
	var h Hashes
	if keep {
		h = make(Hashes)
	}
	for first := true; !d.eat('}'); first = false {
		if !first && !d.eat(',') {
			return nil, false
		}
		alg, ok := d.str()
		if !ok || !d.eat(':') {
			return nil, false
		}
		if !keep {
			if !d.base64() {
				return nil, false
			}
			continue
		}
		b64, ok := d.str()
		if !ok {
			return nil, false
		}
		digest := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
		n, err := base64.StdEncoding.Decode(digest, b64)
		if err != nil {
			return nil, false
		}
		h[algName(alg)] = digest[:n]
	}
	return h, true
}

// base64 moves past a string that str and base64.StdEncoding.Decode accept, without
// decoding it: characters of the standard alphabet, then at most two "=", a multiple of
// four in all. Those are the strings Decode accepts but for the newlines it skips,
// which str refuses; they need no escape, so they are the string's bytes.
func (d *cdec) base64() bool {
	if !d.eat('"') {
		return false
	}
	start := d.pos
	for d.pos < len(d.in) && base64Alphabet[d.in[d.pos]] {
		d.pos++
	}
	if d.eat('=') {
		d.eat('=')
	}
	return (d.pos-start)%4 == 0 && d.eat('"')
}

// base64Alphabet marks the characters of standard base64.
var base64Alphabet = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = true
	}
	return t
}()

// algName spares a string per digest for the usual algorithms.
func algName(alg []byte) string {
	switch string(alg) {
	case HashSHA256:
		return HashSHA256
	case HashSHA512:
		return HashSHA512
	}
	return string(alg)
}

// integer decodes an integer; the fast path let through only canonical ones of at most
// maxFastDigits digits, which cannot overflow.
func (d *cdec) integer() (int64, bool) {
	neg := d.eat('-')
	start := d.pos
	var n int64
	for ; d.pos < len(d.in) && '0' <= d.in[d.pos] && d.in[d.pos] <= '9'; d.pos++ {
		n = n*10 + int64(d.in[d.pos]-'0')
	}
	if digits := d.pos - start; digits == 0 || digits > maxFastDigits {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}
