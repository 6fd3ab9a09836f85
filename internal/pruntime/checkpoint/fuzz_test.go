package checkpoint_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
)

// FuzzOpenCheckpoint fuzzes the decoder of a checkpoint's unsealed bytes.
// The AEAD stands in front of it, but the decoder must not rely on that: it
// must never panic or allocate from a length field, every failure must wrap
// ErrMalformed, and it must be canonical — whatever it accepts re-encodes to
// exactly the input. Seeds come from testdata/fuzz/FuzzOpenCheckpoint/ and
// from f.Add below.
func FuzzOpenCheckpoint(f *testing.F) {
	f.Add(checkpoint.Encode(7, []byte("pruntime state")))
	f.Add(checkpoint.Encode(0, nil))
	f.Add(checkpoint.Encode(^uint64(0), bytes.Repeat([]byte{0xff}, 300)))
	f.Add([]byte("GKCKPT"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		height, payload, err := checkpoint.Decode(b)
		if err != nil {
			if !errors.Is(err, checkpoint.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if again := checkpoint.Encode(height, payload); !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n  in %x\n out %x", b, again)
		}
	})
}

// TestDecodeKnownAnswer pins the format against an encoding built by hand, so
// that a change to it cannot go unnoticed by round-trip tests alone.
func TestDecodeKnownAnswer(t *testing.T) {
	t.Parallel()
	want := []byte("GKCKPT" +
		"\x00\x01" + // version
		"\x00\x00\x00\x00\x00\x00\x04\xd2" + // height 1234
		"\x00\x00\x00\x02" + // length
		"hi")
	sum := sha256.Sum256(want)
	want = append(want, sum[:]...)
	if got := checkpoint.Encode(1234, []byte("hi")); !bytes.Equal(got, want) {
		t.Fatalf("Encode(1234, hi) =\n %x\nwant\n %x", got, want)
	}
	h, p, err := checkpoint.Decode(want)
	if err != nil || h != 1234 || string(p) != "hi" {
		t.Fatalf("Decode = %d, %q, %v", h, p, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	valid := checkpoint.Encode(1234, []byte("state"))
	// withDigest recomputes the digest so that only the named field is bad.
	withDigest := func(body []byte) []byte {
		sum := sha256.Sum256(body)
		return append(body, sum[:]...)
	}
	body := valid[:len(valid)-32]
	mod := func(i int, v byte) []byte {
		b := bytes.Clone(body)
		b[i] = v
		return withDigest(b)
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, checkpoint.ErrMalformed},
		{"magic only", []byte("GKCKPT"), checkpoint.ErrMalformed},
		{"bad magic", mod(0, 'X'), checkpoint.ErrMalformed},
		{"version 0", mod(7, 0), checkpoint.ErrMalformed},
		{"version 2", mod(7, 2), checkpoint.ErrMalformed},
		{"length too short", mod(19, 4), checkpoint.ErrMalformed},
		{"length too long", mod(19, 6), checkpoint.ErrMalformed},
		{"length over MaxPayload", mod(16, 0xff), checkpoint.ErrTooLarge},
		{"bad digest", append(bytes.Clone(body), make([]byte, 32)...), checkpoint.ErrMalformed},
		{"trailing byte", append(bytes.Clone(valid), 0), checkpoint.ErrMalformed},
		{"truncated", valid[:len(valid)-1], checkpoint.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := checkpoint.Decode(tc.in); !errors.Is(err, tc.want) || !errors.Is(err, checkpoint.ErrMalformed) {
				t.Fatalf("Decode = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestFuzzSeeds checks that the committed seeds are what their names say:
// valid_* decode, invalid_* do not.
func TestFuzzSeeds(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "fuzz", "FuzzOpenCheckpoint")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no seeds")
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lit, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")\n")
		if !ok || !ok2 {
			t.Fatalf("%s: not a one-[]byte corpus file", e.Name())
		}
		b, err := strconv.Unquote(lit)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		_, _, err = checkpoint.Decode([]byte(b))
		if valid := strings.HasPrefix(e.Name(), "valid"); valid != (err == nil) {
			t.Errorf("%s: Decode error %v", e.Name(), err)
		}
	}
}
