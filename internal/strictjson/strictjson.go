// Package strictjson decodes JSON that comes from outside the process
// (HTTP request bodies, answers of another process) so that one document has
// exactly one meaning.
//
// encoding/json alone gives a document several readings: it matches object
// keys to struct fields case-insensitively ("App_ID" fills AppID), keeps the
// last of duplicate keys, and replaces invalid UTF-8 and unpaired UTF-16
// surrogate escapes with U+FFFD. Two parsers that disagree on those (a
// proxy, a logger, a client's own check) can then see different requests in
// the same bytes. Unmarshal refuses all of them, before encoding/json fills
// anything:
//
//   - the input must be valid UTF-8, and every \u escape in a string must be
//     a valid code point (a high surrogate followed by a low one, no lone
//     surrogates);
//   - an object may not repeat a key;
//   - an object decoded into a struct may hold only keys that equal one of
//     its fields' JSON names exactly (case included);
//   - after the one JSON value only whitespace may follow;
//   - values nest at most MaxDepth deep.
//
// The check is a pre-pass over json.Decoder tokens guided by the target's
// type; the decoding itself is encoding/json's, with DisallowUnknownFields.
// Options.AllowUnknownFields lets a reader skip keys its struct does not
// know (an answer from a newer peer), while a key that matches a field only
// case-insensitively is still refused.
//
// Objects decoded into maps, interfaces, json.RawMessage or types with their
// own UnmarshalJSON/UnmarshalText have free keys: only duplicates, UTF-8 and
// depth are checked inside them.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of arrays and objects. Our documents nest a
// handful of levels; the bound keeps the pre-pass's recursion (and so its
// stack) small for any input.
const MaxDepth = 64

// Errors Unmarshal wraps; the message adds where and what.
var (
	ErrSyntax       = errors.New("strictjson: invalid JSON")
	ErrInvalidUTF8  = errors.New("strictjson: invalid UTF-8")
	ErrDuplicateKey = errors.New("strictjson: duplicate key")
	ErrUnknownField = errors.New("strictjson: unknown field")
	ErrTrailingData = errors.New("strictjson: trailing data after the JSON value")
	ErrTooDeep      = errors.New("strictjson: nested too deep")
)

// Options relax one check; the zero value is the strictest.
type Options struct {
	// AllowUnknownFields skips object keys that match no field of the
	// struct, in any case, instead of refusing them. A key that equals a
	// field's name only case-insensitively is refused all the same.
	AllowUnknownFields bool
}

// Decode reads all of r and unmarshals it with Unmarshal. Errors of r (such
// as *http.MaxBytesError) are returned wrapped, so callers can tell a body
// over its bound from a bad one.
func Decode(r io.Reader, v any) error { return Options{}.Decode(r, v) }

// Unmarshal decodes data into v (a non-nil pointer) after the checks of the
// package comment. On error v may be partly filled only if the checks passed
// and encoding/json failed (a value of the wrong type).
func Unmarshal(data []byte, v any) error { return Options{}.Unmarshal(data, v) }

// Decode is Decode under o.
func (o Options) Decode(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("strictjson: reading: %w", err)
	}
	return o.Unmarshal(data, v)
}

// Unmarshal is Unmarshal under o.
func (o Options) Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("strictjson: Unmarshal needs a non-nil pointer, got %T", v)
	}
	if !utf8.Valid(data) {
		return fmt.Errorf("%w at byte %d", ErrInvalidUTF8, firstInvalidUTF8(data))
	}
	c := checker{data: data, dec: json.NewDecoder(bytes.NewReader(data)), allowUnknown: o.AllowUnknownFields}
	// Numbers are only stepped over here; their range is the decoding's to check.
	c.dec.UseNumber()
	if err := c.value(rv.Type().Elem(), 0, "$"); err != nil {
		return err
	}
	if _, err := c.dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w (at byte %d)", ErrTrailingData, c.dec.InputOffset())
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if !o.AllowUnknownFields {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("strictjson: %w", err)
	}
	return nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// checker walks one document's tokens.
type checker struct {
	data         []byte
	dec          *json.Decoder
	allowUnknown bool
}

// token returns the next token and the offset where the decoder was before
// it (so data[before:after] holds the token, after separators).
func (c *checker) token() (json.Token, int64, error) {
	before := c.dec.InputOffset()
	tok, err := c.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, before, fmt.Errorf("%w: unexpected end of input", ErrSyntax)
		}
		return nil, before, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return tok, before, nil
}

// value checks the next JSON value, to be decoded into t (nil: free form).
// at names the value for errors: "$", "$.entries[2].proof".
func (c *checker) value(t reflect.Type, depth int, at string) error {
	tok, before, err := c.token()
	if err != nil {
		return err
	}
	return c.after(tok, before, t, depth, at)
}

func (c *checker) after(tok json.Token, before int64, t reflect.Type, depth int, at string) error {
	t = schemaOf(t)
	switch tok := tok.(type) {
	case string:
		return c.checkEscapes(before, at)
	case json.Delim:
		if depth >= MaxDepth {
			return fmt.Errorf("%w at %s: more than %d levels", ErrTooDeep, at, MaxDepth)
		}
		switch tok {
		case '{':
			return c.object(t, depth+1, at)
		case '[':
			return c.array(t, depth+1, at)
		}
		return fmt.Errorf("%w: unexpected %q at %s", ErrSyntax, tok, at)
	}
	return nil // number, bool, null
}

func (c *checker) object(t reflect.Type, depth int, at string) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = fieldsOf(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := map[string]bool{}
	for c.dec.More() {
		tok, before, err := c.token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok { // unreachable: the decoder accepts only strings as keys
			return fmt.Errorf("%w: object key at %s is not a string", ErrSyntax, at)
		}
		if err := c.checkEscapes(before, at); err != nil {
			return err
		}
		if seen[key] {
			return fmt.Errorf("%w %q in the object at %s", ErrDuplicateKey, key, at)
		}
		seen[key] = true
		vt := elem
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				if err := unknownField(key, fields, at); !c.allowUnknown || errors.Is(err, errCaseVariant) {
					return err
				}
			}
			vt = ft // nil for a skipped unknown key: free form
		}
		if err := c.value(vt, depth, at+"."+key); err != nil {
			return err
		}
	}
	_, _, err := c.token() // '}'
	return err
}

func (c *checker) array(t reflect.Type, depth int, at string) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	for i := 0; c.dec.More(); i++ {
		if err := c.value(elem, depth, fmt.Sprintf("%s[%d]", at, i)); err != nil {
			return err
		}
	}
	_, _, err := c.token() // ']'
	return err
}

// errCaseVariant marks an unknown key that encoding/json would match to a
// field case-insensitively (it folds as strings.EqualFold does).
var errCaseVariant = errors.New("field names are case-sensitive")

func unknownField(key string, fields map[string]reflect.Type, at string) error {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Errorf("%w %q in the object at %s (%w: %q)", ErrUnknownField, key, at, errCaseVariant, name)
		}
	}
	return fmt.Errorf("%w %q in the object at %s", ErrUnknownField, key, at)
}

// checkEscapes checks the \u escapes of the string token that ends at the
// decoder's offset and starts after before: encoding/json turns a lone
// surrogate into U+FFFD, so "\ud800" and "\ufffd" would read the same.
func (c *checker) checkEscapes(before int64, at string) error {
	raw := c.data[before:c.dec.InputOffset()]
	start := bytes.IndexByte(raw, '"')
	if start < 0 { // unreachable: a string token holds its quotes
		return fmt.Errorf("%w: string at %s", ErrSyntax, at)
	}
	s := raw[start+1:]
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		i++
		if i >= len(s) || s[i] != 'u' {
			continue // \" \\ \/ \b \f \n \r \t: one character
		}
		r, ok := hex4(s[i+1:])
		if !ok { // unreachable: the decoder checked the escape's form
			return fmt.Errorf("%w: bad \\u escape in the string at %s", ErrSyntax, at)
		}
		i += 4
		switch {
		case 0xDC00 <= r && r <= 0xDFFF:
			return fmt.Errorf("%w: lone low surrogate \\u%04x in the string at %s", ErrInvalidUTF8, r, at)
		case 0xD800 <= r && r <= 0xDBFF:
			var lo rune
			if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				lo, ok = hex4(s[i+3:])
			} else {
				ok = false
			}
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return fmt.Errorf("%w: lone high surrogate \\u%04x in the string at %s", ErrInvalidUTF8, r, at)
			}
			i += 6
		}
	}
	return nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// schemaOf returns the type whose field names and element types constrain
// a JSON value decoded into t, or nil when the value's shape is free: an
// interface, or a type that decodes itself.
func schemaOf(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
			t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf returns the JSON names of t's fields as encoding/json sees them,
// with the type each decodes into: exported fields by tag name or Go name,
// "-" skipped, untagged embedded structs promoted; of equal names the
// shallowest wins, and at the same depth a tagged one, else none (as
// encoding/json does).
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	type cand struct {
		typ    reflect.Type
		depth  int
		tagged bool
		count  int // candidates of this name at this depth and tagging
	}
	best := map[string]*cand{}
	type level struct {
		typ   reflect.Type
		depth int
	}
	queue := []level{{t, 0}}
	visited := map[reflect.Type]bool{}
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		if visited[l.typ] {
			continue
		}
		visited[l.typ] = true
		for i := range l.typ.NumField() {
			sf := l.typ.Field(i)
			ft := sf.Type
			if sf.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !sf.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				queue = append(queue, level{ft, l.depth + 1})
				continue
			}
			tagged := name != ""
			if !tagged {
				name = sf.Name
			}
			c, ok := best[name]
			switch {
			case !ok || l.depth < c.depth:
				best[name] = &cand{typ: sf.Type, depth: l.depth, tagged: tagged, count: 1}
			case l.depth == c.depth && tagged && !c.tagged:
				*c = cand{typ: sf.Type, depth: l.depth, tagged: true, count: 1}
			case l.depth == c.depth && tagged == c.tagged:
				c.count++
			}
		}
	}
	fields := make(map[string]reflect.Type, len(best))
	for name, c := range best {
		if c.count == 1 {
			fields[name] = c.typ
		}
	}
	fieldCache.Store(t, fields)
	return fields
}
