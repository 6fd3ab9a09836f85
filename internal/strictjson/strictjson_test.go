package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/strictjson"
)

type inner struct {
	Name  string `json:"name"`
	Count int    `json:"count,omitempty"`
}

type Embedded struct {
	Promoted string `json:"promoted"`
}

type target struct {
	Embedded
	AppID   string            `json:"app_id"`
	Path    []string          `json:"path"`
	Inner   *inner            `json:"inner,omitempty"`
	List    []inner           `json:"list,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Any     any               `json:"any,omitempty"`
	Bytes   []byte            `json:"bytes,omitempty"`
	Untaged string
	Skipped string `json:"-"`
	hidden  string //nolint:unused // unexported fields are not JSON fields
}

func TestUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error // nil: accepted
	}{
		{"plain", `{"app_id":"a","path":["x","y"]}`, nil},
		{"whitespace around", " \n{\"app_id\" : \"a\"}\t\n", nil},
		{"empty object", `{}`, nil},
		{"nested struct", `{"inner":{"name":"n","count":2},"list":[{"name":"a"},{"name":"b"}]}`, nil},
		{"promoted field", `{"promoted":"p"}`, nil},
		{"untagged field by Go name", `{"Untaged":"u"}`, nil},
		{"map keys free", `{"labels":{"App_ID":"x","app_id":"y"}}`, nil},
		{"raw message keys free", `{"raw":{"Whatever":[1,{"K":2}]}}`, nil},
		{"any keys free", `{"any":{"A":1,"a":2}}`, nil},
		{"escaped key", `{"app\u005fid":"a"}`, nil},
		{"surrogate pair", `{"app_id":"\ud83d\ude00"}`, nil},
		{"escaped backslash then u", `{"app_id":"\\ud800"}`, nil},
		{"non-ASCII UTF-8", `{"app_id":"héllo ☃"}`, nil},

		{"duplicate key", `{"app_id":"a","app_id":"b"}`, strictjson.ErrDuplicateKey},
		{"duplicate key via escape", `{"app_id":"a","app\u005fid":"b"}`, strictjson.ErrDuplicateKey},
		{"duplicate key nested", `{"inner":{"name":"a","name":"b"}}`, strictjson.ErrDuplicateKey},
		{"duplicate key in array element", `{"list":[{"name":"a"},{"name":"a","name":"b"}]}`, strictjson.ErrDuplicateKey},
		{"duplicate key in map", `{"labels":{"k":"1","k":"2"}}`, strictjson.ErrDuplicateKey},
		{"duplicate key in raw message", `{"raw":{"k":1,"k":2}}`, strictjson.ErrDuplicateKey},
		{"duplicate key in any", `{"any":[{"k":1,"k":2}]}`, strictjson.ErrDuplicateKey},
		{"case variant", `{"App_ID":"a"}`, strictjson.ErrUnknownField},
		{"case variant nested", `{"inner":{"Name":"a"}}`, strictjson.ErrUnknownField},
		{"case variant promoted", `{"Promoted":"a"}`, strictjson.ErrUnknownField},
		{"case variant of Go name", `{"untaged":"u"}`, strictjson.ErrUnknownField},
		{"Go name of a tagged field", `{"AppID":"a"}`, strictjson.ErrUnknownField},
		{"Kelvin sign folds to k", "{\"app_id\":\"a\",\"inner\":{\"name\":\"n\",\"\u212aount\":1}}", strictjson.ErrUnknownField},
		{"unknown field", `{"nope":1}`, strictjson.ErrUnknownField},
		{"skipped field", `{"Skipped":"s"}`, strictjson.ErrUnknownField},
		{"unexported field", `{"hidden":"s"}`, strictjson.ErrUnknownField},
		{"invalid UTF-8 in string", "{\"app_id\":\"a\xffb\"}", strictjson.ErrInvalidUTF8},
		{"invalid UTF-8 in key", "{\"app_id\xc3\":\"a\"}", strictjson.ErrInvalidUTF8},
		{"overlong UTF-8", "{\"app_id\":\"\xc0\xaf\"}", strictjson.ErrInvalidUTF8},
		{"UTF-8 encoded surrogate", "{\"app_id\":\"\xed\xa0\x80\"}", strictjson.ErrInvalidUTF8},
		{"lone high surrogate", `{"app_id":"\ud800"}`, strictjson.ErrInvalidUTF8},
		{"lone high surrogate at end", `{"app_id":"x\uDBFF"}`, strictjson.ErrInvalidUTF8},
		{"high surrogate then other escape", `{"app_id":"\ud800\n"}`, strictjson.ErrInvalidUTF8},
		{"two high surrogates", `{"app_id":"\ud800\ud800"}`, strictjson.ErrInvalidUTF8},
		{"lone low surrogate", `{"app_id":"\udc00"}`, strictjson.ErrInvalidUTF8},
		{"lone surrogate in key", `{"labels":{"\ud800":"x"}}`, strictjson.ErrInvalidUTF8},
		{"lone surrogate in raw message", `{"raw":["\udfff"]}`, strictjson.ErrInvalidUTF8},
		{"trailing value", `{"app_id":"a"} {}`, strictjson.ErrTrailingData},
		{"trailing garbage", `{"app_id":"a"}x`, strictjson.ErrTrailingData},
		{"trailing comma", `{"app_id":"a"},`, strictjson.ErrTrailingData},
		{"truncated", `{"app_id":"a"`, strictjson.ErrSyntax},
		{"empty input", ``, strictjson.ErrSyntax},
		{"missing colon", `{"app_id" "a"}`, strictjson.ErrSyntax},
		{"too deep", `{"any":` + strings.Repeat("[", strictjson.MaxDepth) + strings.Repeat("]", strictjson.MaxDepth) + `}`, strictjson.ErrTooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got target
			err := strictjson.Unmarshal([]byte(tc.in), &got)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("err = %v, want %v", err, tc.want)
			case tc.want != nil && !reflect.DeepEqual(got, target{}):
				t.Fatalf("a rejected document filled the target: %+v", got)
			}
		})
	}
}

// AllowUnknownFields skips keys that match no field, and only those.
func TestAllowUnknownFields(t *testing.T) {
	t.Parallel()
	lenient := strictjson.Options{AllowUnknownFields: true}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"unknown key skipped", `{"app_id":"a","newer":{"x":[1]}}`, nil},
		{"unknown key nested", `{"inner":{"name":"n","newer":true}}`, nil},
		{"case variant still refused", `{"App_ID":"a"}`, strictjson.ErrUnknownField},
		{"case variant beside an unknown key", `{"newer":1,"inner":{"NAME":"n"}}`, strictjson.ErrUnknownField},
		{"duplicate inside an unknown key", `{"newer":{"k":1,"k":2}}`, strictjson.ErrDuplicateKey},
		{"lone surrogate inside an unknown key", `{"newer":"\udfff"}`, strictjson.ErrInvalidUTF8},
		{"duplicate unknown key", `{"newer":1,"newer":2}`, strictjson.ErrDuplicateKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got target
			err := lenient.Unmarshal([]byte(tc.in), &got)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	var got target
	if err := lenient.Unmarshal([]byte(`{"app_id":"a","newer":1}`), &got); err != nil || got.AppID != "a" {
		t.Fatalf("%v %+v", err, got)
	}
}

// What is accepted decodes exactly as encoding/json decodes it.
func TestUnmarshalMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	in := `{"promoted":"p","app_id":"a\u00e9\ud83d\ude00","path":["x"],"inner":{"name":"n","count":3},` +
		`"list":[{"name":"l"}],"labels":{"K":"v"},"raw":{"z":[1,2]},"any":{"n":1.5},"bytes":"AQI=","Untaged":"u"}`
	var strict, std target
	if err := strictjson.Unmarshal([]byte(in), &strict); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(in), &std); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(strict, std) {
		t.Fatalf("strict %+v\nstd    %+v", strict, std)
	}
}

// The depth bound is exact: MaxDepth levels pass, one more does not.
func TestUnmarshalDepth(t *testing.T) {
	t.Parallel()
	var v any
	ok := strings.Repeat("[", strictjson.MaxDepth) + strings.Repeat("]", strictjson.MaxDepth)
	if err := strictjson.Unmarshal([]byte(ok), &v); err != nil {
		t.Fatalf("%d levels: %v", strictjson.MaxDepth, err)
	}
	// Far deeper than any stack would take from a recursive walk without the bound.
	deep := strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20)
	if err := strictjson.Unmarshal([]byte(deep), &v); !errors.Is(err, strictjson.ErrTooDeep) {
		t.Fatalf("2^20 levels: err = %v, want ErrTooDeep", err)
	}
}

func TestUnmarshalNeedsPointer(t *testing.T) {
	t.Parallel()
	var v target
	for _, dst := range []any{v, (*target)(nil), nil} {
		if err := strictjson.Unmarshal([]byte(`{}`), dst); err == nil {
			t.Errorf("Unmarshal into %T accepted", dst)
		}
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestDecodeWrapsReadErrors(t *testing.T) {
	t.Parallel()
	sentinel := errors.New("body too large")
	var v target
	if err := strictjson.Decode(errReader{sentinel}, &v); !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want it to wrap the reader's error", err)
	}
	if err := strictjson.Decode(strings.NewReader(`{"app_id":"a"}`), &v); err != nil || v.AppID != "a" {
		t.Fatalf("Decode: %v, %+v", err, v)
	}
}

// FuzzUnmarshal: no input panics; whatever is accepted is valid UTF-8 and
// JSON, decodes identically with encoding/json, and survives a round trip.
func FuzzUnmarshal(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "seeds", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds in testdata/seeds")
	}
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var lenient, lenientStd target
		if err := (strictjson.Options{AllowUnknownFields: true}).Unmarshal(data, &lenient); err == nil {
			if err := json.Unmarshal(data, &lenientStd); err != nil {
				t.Fatalf("AllowUnknownFields accepted %q, which encoding/json rejects: %v", data, err)
			}
			if !reflect.DeepEqual(lenient, lenientStd) {
				t.Fatalf("%q decodes differently with AllowUnknownFields:\n%+v\n%+v", data, lenient, lenientStd)
			}
		}
		var strict target
		if err := strictjson.Unmarshal(data, &strict); err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		var std target
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&std); err != nil {
			t.Fatalf("accepted %q, which encoding/json rejects: %v", data, err)
		}
		if !reflect.DeepEqual(strict, std) {
			t.Fatalf("%q decodes differently:\nstrict %+v\nstd    %+v", data, strict, std)
		}
		again, err := json.Marshal(strict)
		if err != nil {
			t.Fatal(err)
		}
		var round target
		if err := strictjson.Unmarshal(again, &round); err != nil {
			t.Fatalf("re-encoding %q of an accepted document is rejected: %v", again, err)
		}
		if lenient = (target{}); (strictjson.Options{AllowUnknownFields: true}).Unmarshal(data, &lenient) != nil || !reflect.DeepEqual(lenient, strict) {
			t.Fatalf("%q: strict accepts, AllowUnknownFields refuses or differs", data)
		}
	})
}

type benchEntry struct {
	Index uint64 `json:"index"`
	Entry []byte `json:"entry"`
	Proof []byte `json:"proof"`
}

type benchIngress struct {
	Entries []benchEntry `json:"entries"`
}

func benchDocs(b *testing.B) map[string][]byte {
	b.Helper()
	in := benchIngress{}
	for i := range 256 {
		in.Entries = append(in.Entries, benchEntry{Index: uint64(i), Entry: bytes.Repeat([]byte{byte(i)}, 512), Proof: bytes.Repeat([]byte{1}, 2048)})
	}
	ingress, err := json.Marshal(in)
	if err != nil {
		b.Fatal(err)
	}
	return map[string][]byte{"key request": []byte(`{"app_id":"demo","path":["signing","v1"]}`), "ingress 256 entries": ingress}
}

// BenchmarkUnmarshal: strictjson against its reference, encoding/json with
// DisallowUnknownFields, on a key request and an ingress-sized body; the
// pre-pass costs about one more parse.
func BenchmarkUnmarshal(b *testing.B) {
	for name, doc := range benchDocs(b) {
		b.Run(name+"/strictjson", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				var v benchIngress
				var k target
				var err error
				if name == "key request" {
					err = strictjson.Unmarshal(doc, &k)
				} else {
					err = strictjson.Unmarshal(doc, &v)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/encoding-json", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				var v benchIngress
				var k target
				dec := json.NewDecoder(bytes.NewReader(doc))
				dec.DisallowUnknownFields()
				var err error
				if name == "key request" {
					err = dec.Decode(&k)
				} else {
					err = dec.Decode(&v)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
