package tokenomics_test

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

var two64 = new(big.Int).Lsh(big.NewInt(1), 64)

// raw returns x's 128-bit representation as a big.Int.
func raw(x tk.Fixed) *big.Int {
	hi, lo := x.Bits()
	r := new(big.Int).SetUint64(hi)
	r.Lsh(r, 64)
	return r.Or(r, new(big.Int).SetUint64(lo))
}

func fromRaw(t testing.TB, r *big.Int) tk.Fixed {
	t.Helper()
	if r.Sign() < 0 || r.BitLen() > 128 {
		t.Fatalf("raw %v out of range", r)
	}
	lo := new(big.Int).And(r, new(big.Int).Sub(two64, big.NewInt(1))).Uint64()
	hi := new(big.Int).Rsh(r, 64).Uint64()
	return tk.FromBits(hi, lo)
}

// randFixed draws values of every magnitude: each limb is zero, small or full.
func randFixed(r *rand.Rand) tk.Fixed {
	limb := func() uint64 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return r.Uint64() >> r.UintN(64)
		default:
			return r.Uint64()
		}
	}
	return tk.FromBits(limb()>>r.UintN(64), limb())
}

func TestFixedKnownValues(t *testing.T) {
	t.Parallel()
	sqrt2 := tk.FromBits(1, 0x6A09E667F3BCC908) // floor(√2·2^64)
	tests := []struct {
		name string
		got  tk.Fixed
		want tk.Fixed
	}{
		{"1+1", tk.One.Add(tk.One), tk.FromInt(2)},
		{"0.5*0.5", tk.MustParse("0.5").Mul(tk.MustParse("0.5")), tk.MustParse("0.25")},
		{"3/4", tk.FromInt(3).Div(tk.FromInt(4)), tk.MustParse("0.75")},
		{"1/3 floor", tk.One.Div(tk.FromInt(3)), tk.FromBits(0, 0x5555555555555555)},
		{"ratio 1/3", mustRatio(1, 3), tk.FromBits(0, 0x5555555555555555)},
		{"sqrt 4", tk.FromInt(4).Sqrt(), tk.FromInt(2)},
		{"sqrt 2", tk.FromInt(2).Sqrt(), sqrt2},
		{"sqrt 0.25", tk.MustParse("0.25").Sqrt(), tk.MustParse("0.5")},
		{"sqrt 0", tk.Zero.Sqrt(), tk.Zero},
		{"sqrt eps", tk.Epsilon.Sqrt(), tk.FromBits(0, 1<<32)},
		{"sqrt max", tk.MaxFixed.Sqrt(), tk.FromBits(0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)},
		{"0.2 nearest", tk.MustParse("0.2"), tk.FromBits(0, 0x3333333333333333)},
		{"0.8 nearest", tk.MustParse("0.8"), tk.FromBits(0, 0xCCCCCCCCCCCCCCCD)},
		{"mulint", tk.MustParse("0.3").MulInt(10), tk.FromBits(3, 2)}, // 0.3 rounds up
		{"min", tk.One.Min(tk.Epsilon), tk.Epsilon},
		{"max", tk.One.Max(tk.Epsilon), tk.One},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Fatalf("got %s (%v), want %s (%v)", tc.got, raw(tc.got), tc.want, raw(tc.want))
			}
		})
	}
}

func mustRatio(n, d uint64) tk.Fixed {
	f, err := tk.FromRatio(n, d)
	if err != nil {
		panic(err)
	}
	return f
}

func TestFixedOverflowUnderflow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		op      func() (tk.Fixed, error)
		sat     tk.Fixed // the saturating operation's result
		satOp   func() tk.Fixed
		wantErr error
	}{
		{"add", func() (tk.Fixed, error) { return tk.MaxFixed.AddChecked(tk.Epsilon) }, tk.MaxFixed, func() tk.Fixed { return tk.MaxFixed.Add(tk.Epsilon) }, tk.ErrOverflow},
		{"sub", func() (tk.Fixed, error) { return tk.Epsilon.SubChecked(tk.One) }, tk.Zero, func() tk.Fixed { return tk.Epsilon.Sub(tk.One) }, tk.ErrUnderflow},
		{"mul", func() (tk.Fixed, error) { return tk.FromInt(1 << 32).MulChecked(tk.FromInt(1 << 32)) }, tk.MaxFixed, func() tk.Fixed { return tk.FromInt(1 << 32).Mul(tk.FromInt(1 << 32)) }, tk.ErrOverflow},
		{"div small", func() (tk.Fixed, error) { return tk.FromInt(2).DivChecked(tk.Epsilon) }, tk.MaxFixed, func() tk.Fixed { return tk.FromInt(2).Div(tk.Epsilon) }, tk.ErrOverflow},
		{"div zero", func() (tk.Fixed, error) { return tk.One.DivChecked(tk.Zero) }, tk.MaxFixed, func() tk.Fixed { return tk.One.Div(tk.Zero) }, tk.ErrDivByZero},
		{"ratio zero", func() (tk.Fixed, error) { return tk.FromRatio(1, 0) }, tk.Zero, func() tk.Fixed { return tk.Zero }, tk.ErrDivByZero},
		{"parse int", func() (tk.Fixed, error) { return tk.Parse("18446744073709551616") }, tk.Zero, func() tk.Fixed { return tk.Zero }, tk.ErrOverflow},
		{"parse round up", func() (tk.Fixed, error) { return tk.Parse("18446744073709551615.99999999999999999999999") }, tk.Zero, func() tk.Fixed { return tk.Zero }, tk.ErrOverflow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tc.op(); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if got := tc.satOp(); got != tc.sat {
				t.Fatalf("saturating: got %s, want %s", got, tc.sat)
			}
		})
	}
	// Largest values that still fit.
	if _, err := tk.Parse("18446744073709551615.9999999999999999999"); err != nil {
		t.Fatal(err)
	}
	if v, err := tk.FromInt(1<<32 - 1).MulChecked(tk.FromInt(1<<32 + 1)); err != nil || v != tk.FromInt(1<<64-1) {
		t.Fatalf("mul at the edge: %s %v", v, err)
	}
}

func TestFixedArithmeticAgainstBig(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	maxRaw := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
	for i := range 200_000 {
		x, y := randFixed(r), randFixed(r)
		bx, by := raw(x), raw(y)
		// Add
		want := new(big.Int).Add(bx, by)
		got, err := x.AddChecked(y)
		check(t, i, "add", x, y, got, err, want, maxRaw)
		// Sub
		want = new(big.Int).Sub(bx, by)
		got, err = x.SubChecked(y)
		if want.Sign() < 0 {
			if !errors.Is(err, tk.ErrUnderflow) {
				t.Fatalf("%d: sub %s-%s: err %v", i, x, y, err)
			}
		} else {
			check(t, i, "sub", x, y, got, err, want, maxRaw)
		}
		// Mul: floor(X·Y / 2^64)
		want = new(big.Int).Mul(bx, by)
		want.Rsh(want, 64)
		got, err = x.MulChecked(y)
		check(t, i, "mul", x, y, got, err, want, maxRaw)
		// Div: floor(X·2^64 / Y)
		if !y.IsZero() {
			want = new(big.Int).Lsh(bx, 64)
			want.Quo(want, by)
			got, err = x.DivChecked(y)
			check(t, i, "div", x, y, got, err, want, maxRaw)
		}
		// MulInt
		n := y.Floor()
		want = new(big.Int).Mul(bx, new(big.Int).SetUint64(n))
		if gotI := x.MulInt(n); want.Cmp(maxRaw) <= 0 && raw(gotI).Cmp(want) != 0 {
			t.Fatalf("%d: mulint %s×%d = %s, want %v", i, x, n, gotI, want)
		}
	}
}

func check(t *testing.T, i int, op string, x, y, got tk.Fixed, err error, want, maxRaw *big.Int) {
	t.Helper()
	if want.Cmp(maxRaw) > 0 {
		if !errors.Is(err, tk.ErrOverflow) {
			t.Fatalf("%d: %s(%v, %v): err %v, want overflow", i, op, raw(x), raw(y), err)
		}
		return
	}
	if err != nil || raw(got).Cmp(want) != 0 {
		t.Fatalf("%d: %s(%v, %v) = %v (%v), want %v", i, op, raw(x), raw(y), raw(got), err, want)
	}
}

// TestSqrtExact checks floor(√x) exactly: r² ≤ X·2^64 < (r+1)² in raw units.
func TestSqrtExact(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	xs := []tk.Fixed{tk.Zero, tk.Epsilon, tk.One, tk.MaxFixed, tk.FromBits(1, 0), tk.FromBits(0, 1<<63),
		tk.FromBits(0xFFFFFFFFFFFFFFFE, 0), tk.FromBits(0xFFFFFFFFFFFFFFFE, 1), tk.FromBits(0, 0xFFFFFFFFFFFFFFFF)}
	for range 300_000 {
		xs = append(xs, randFixed(r))
	}
	// Perfect squares and their neighbours.
	for range 20_000 {
		s := randFixed(r)
		hi, lo := s.Bits()
		s = tk.FromBits(hi>>32, lo)
		sq := s.Mul(s)
		xs = append(xs, sq, sq.Add(tk.Epsilon), sq.Sub(tk.Epsilon))
	}
	for _, x := range xs {
		root := raw(x.Sqrt())
		n := new(big.Int).Lsh(raw(x), 64)
		want := new(big.Int).Sqrt(n)
		if root.Cmp(want) != 0 {
			t.Fatalf("sqrt(%v) = %v, want %v", raw(x), root, want)
		}
	}
}

// bigNearest returns the raw value nearest to the decimal s, ties to even.
func bigNearest(s string) *big.Int {
	q, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	q.Mul(q, new(big.Rat).SetInt(two64))
	num, den := q.Num(), q.Denom()
	quo, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	c := new(big.Int).Lsh(rem, 1).Cmp(den)
	if c > 0 || (c == 0 && quo.Bit(0) == 1) {
		quo.Add(quo, big.NewInt(1))
	}
	return quo
}

func TestParse(t *testing.T) {
	t.Parallel()
	tie := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 65)) // 2^-65: a tie
	tests := []struct {
		in      string
		want    tk.Fixed
		wantErr error
	}{
		{"0", tk.Zero, nil},
		{"007", tk.FromInt(7), nil},
		{"1.5", tk.FromBits(1, 1<<63), nil},
		{"30000", tk.FromInt(30000), nil},
		{tie.FloatString(65), tk.Zero, nil}, // tie → even (0)
		{new(big.Rat).Mul(tie, big.NewRat(3, 1)).FloatString(65), tk.FromBits(0, 2), nil}, // 1.5 ulp → 2
		{new(big.Rat).Mul(tie, big.NewRat(5, 1)).FloatString(65), tk.FromBits(0, 2), nil}, // 2.5 ulp → 2
		{"", tk.Zero, tk.ErrSyntax},
		{".5", tk.Zero, tk.ErrSyntax},
		{"5.", tk.Zero, tk.ErrSyntax},
		{"-1", tk.Zero, tk.ErrSyntax},
		{"+1", tk.Zero, tk.ErrSyntax},
		{"1e3", tk.Zero, tk.ErrSyntax},
		{"1.2.3", tk.Zero, tk.ErrSyntax},
		{" 1", tk.Zero, tk.ErrSyntax},
		{"1_000", tk.Zero, tk.ErrSyntax},
		{"0x10", tk.Zero, tk.ErrSyntax},
		{"1." + strings.Repeat("0", tk.MaxDecimalLen), tk.Zero, tk.ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := tk.Parse(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Fatalf("got %v, want %v", raw(got), raw(tc.want))
			}
		})
	}
}

func TestParseNearestAgainstBig(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for range 20_000 {
		var sb strings.Builder
		fmt.Fprint(&sb, r.Uint64()>>r.UintN(64))
		if r.IntN(8) != 0 {
			sb.WriteByte('.')
			for range 1 + r.IntN(70) {
				sb.WriteByte(byte('0' + r.IntN(10)))
			}
		}
		s := sb.String()
		got, err := tk.Parse(s)
		want := bigNearest(s)
		if want.BitLen() > 128 {
			if !errors.Is(err, tk.ErrOverflow) {
				t.Fatalf("%s: err %v, want overflow", s, err)
			}
			continue
		}
		if err != nil || raw(got).Cmp(want) != 0 {
			t.Fatalf("Parse(%s) = %v (%v), want %v", s, raw(got), err, want)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	for range 50_000 {
		x := randFixed(r)
		s := x.String()
		back, err := tk.Parse(s)
		if err != nil || back != x {
			t.Fatalf("%v → %q → %v (%v)", raw(x), s, raw(back), err)
		}
		if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 20 {
			t.Fatalf("%q: more than 20 fraction digits", s)
		}
	}
	// Decimals with up to 19 fraction digits print back unchanged.
	for _, s := range []string{"0", "1", "0.2", "0.7", "1.000000666600231", "88.59375", "30000", "0.0000000000000000001", "18446744073709551615.9999999999999999999"} {
		if got := tk.MustParse(s).String(); got != s {
			t.Fatalf("String(Parse(%q)) = %q", s, got)
		}
	}
	for range 20_000 {
		var sb strings.Builder
		fmt.Fprint(&sb, r.Uint64()>>r.UintN(64))
		sb.WriteByte('.')
		n := 1 + r.IntN(19)
		for i := range n {
			d := byte('0' + r.IntN(10))
			if i == n-1 && d == '0' {
				d = '1'
			}
			sb.WriteByte(d)
		}
		s := sb.String()
		if got := tk.MustParse(s).String(); got != s {
			t.Fatalf("String(Parse(%q)) = %q", s, got)
		}
	}
}

func TestFixedEncoding(t *testing.T) {
	t.Parallel()
	x := tk.FromBits(0x0102030405060708, 0x090A0B0C0D0E0F10)
	b, _ := x.MarshalBinary()
	if fmt.Sprintf("%x", b) != "0102030405060708090a0b0c0d0e0f10" {
		t.Fatalf("encoding %x", b)
	}
	var y tk.Fixed
	if err := y.UnmarshalBinary(b); err != nil || y != x {
		t.Fatalf("round trip %v %v", y, err)
	}
	if err := y.UnmarshalBinary(b[:15]); !errors.Is(err, tk.ErrMalformed) {
		t.Fatalf("short: %v", err)
	}
	j, _ := tk.MustParse("0.2").MarshalText()
	if string(j) != "0.2" {
		t.Fatalf("text %s", j)
	}
}

func TestUnits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		x       tk.Fixed
		scale   uint64
		want    uint64
		wantErr error
	}{
		{tk.MustParse("80.123456789"), 1_000_000, 80_123_456, nil},
		{tk.MustParse("0.2"), 10, 1, nil}, // 0.2 is just below 1/5: floor(1.999…) = 1
		{tk.FromInt(5), 1, 5, nil},
		{tk.MaxFixed, 2, 0, tk.ErrOverflow},
	}
	for _, tc := range tests {
		got, err := tc.x.Units(tc.scale)
		if !errors.Is(err, tc.wantErr) || got != tc.want {
			t.Errorf("%s.Units(%d) = %d, %v; want %d, %v", tc.x, tc.scale, got, err, tc.want, tc.wantErr)
		}
	}
}
