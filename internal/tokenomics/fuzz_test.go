package tokenomics_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// FuzzFixedParse: Parse never panics, agrees with big.Rat rounding to
// nearest-even, and String round-trips. Seeds in testdata/fuzz.
func FuzzFixedParse(f *testing.F) {
	for _, s := range []string{"0", "1.000000666600231", "0.2", "18446744073709551615.99999999999999999999", "1e5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := tk.Parse(s)
		if err != nil {
			if !errors.Is(err, tk.ErrSyntax) && !errors.Is(err, tk.ErrOverflow) {
				t.Fatalf("Parse(%q): unexpected error %v", s, err)
			}
			if errors.Is(err, tk.ErrOverflow) && bigNearest(s).BitLen() <= 128 {
				t.Fatalf("Parse(%q): overflow for a representable value", s)
			}
			return
		}
		if want := bigNearest(s); raw(x).Cmp(want) != 0 {
			t.Fatalf("Parse(%q) = %v, want %v", s, raw(x), want)
		}
		out := x.String()
		back, err := tk.Parse(out)
		if err != nil || back != x {
			t.Fatalf("%q → %q → %v (%v)", s, out, back, err)
		}
		if strings.HasPrefix(out, ".") || strings.HasSuffix(out, ".") {
			t.Fatalf("String %q", out)
		}
	})
}

// FuzzDecodeOutput: the quorum payload decoder never panics, rejects with
// ErrMalformed, and what it accepts re-encodes to the same bytes.
func FuzzDecodeOutput(f *testing.F) {
	k1, k2 := testKey(1), testKey(2)
	if bytes.Compare(k1[:], k2[:]) > 0 {
		k1, k2 = k2, k1
	}
	f.Add(tk.Output{Height: 7}.Encode())
	f.Add(tk.Output{Height: 9, Offline: []tk.Ref{{Worker: k1, Session: 1}}, Recovered: []tk.Ref{{Worker: k2, Session: 2}},
		Settlements: []tk.Settlement{{Worker: k1, Session: 1, V: tk.FromInt(3000), Payout: tk.MustParse("1.5"), Treasury: tk.MustParse("0.375")},
			{Worker: k2, Session: 2, V: tk.MaxFixed}}}.Encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := tk.DecodeOutput(b)
		if err != nil {
			if !errors.Is(err, tk.ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !bytes.Equal(o.Encode(), b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, o.Encode())
		}
	})
}

// FuzzParamsBinary: the params decoder is strict and canonical.
func FuzzParamsBinary(f *testing.F) {
	b, _ := tk.DefaultParams().MarshalBinary()
	f.Add(b)
	f.Add(b[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		var p tk.Params
		if err := p.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, tk.ErrMalformed) && !errors.Is(err, tk.ErrInvalidParams) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if again, _ := p.MarshalBinary(); !bytes.Equal(again, b) {
			t.Fatal("re-encoding differs")
		}
	})
}

func TestOutputDecodeErrors(t *testing.T) {
	t.Parallel()
	k1, k2 := testKey(1), testKey(2)
	if bytes.Compare(k1[:], k2[:]) > 0 {
		k1, k2 = k2, k1
	}
	good := tk.Output{Height: 3, Settlements: []tk.Settlement{{Worker: k1}, {Worker: k2}}}.Encode()
	swapped := tk.Output{Height: 3, Settlements: []tk.Settlement{{Worker: k2}, {Worker: k1}}}.Encode()
	dup := tk.Output{Height: 3, Offline: []tk.Ref{{Worker: k1}, {Worker: k1}}}.Encode()
	huge := tk.Output{Height: 3}.Encode()
	huge[9], huge[10], huge[11], huge[12] = 0xff, 0xff, 0xff, 0xff
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"version", append([]byte{2}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(append([]byte(nil), good...), 0)},
		{"out of order", swapped},
		{"duplicate", dup},
		{"huge count", huge},
		{"no counts", good[:9]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tk.DecodeOutput(tc.in); !errors.Is(err, tk.ErrMalformed) {
				t.Fatalf("err %v", err)
			}
		})
	}
	o, err := tk.DecodeOutput(good)
	if err != nil || o.Height != 3 || len(o.Settlements) != 2 || o.Settlements[1].Worker != k2 {
		t.Fatalf("good: %+v %v", o, err)
	}
}
