package tokenomics

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// Fixed is an unsigned 64.64 fixed-point number: 64 integer bits and 64
// fraction bits, the value (Int·2^64 + Frac) / 2^64. It is the Go counterpart
// of Rust's fixed::types::U64F64, which the reference's Gemini model uses for
// every quantity, so that V, shares and payouts can be compared with the
// reference's 128-bit "bits" representation one to one.
//
// Arithmetic is integer-only (math/bits) and exact where the result is
// representable. Where it is not:
//
//   - Mul, Div and Sqrt truncate toward zero (floor: every operand is
//     non-negative). Floor is what the reference's fixed crate does for
//     multiplication and division of unsigned fixed-point numbers and the
//     only rounding that is trivially identical on every machine.
//   - Add and Mul saturate at MaxFixed, Sub saturates at zero, and Div by
//     zero returns MaxFixed. The engine never relies on saturation (Params
//     bounds keep every intermediate far from 2^64); the Checked variants
//     return ErrOverflow, ErrUnderflow or ErrDivByZero for callers that
//     must know.
//
// The zero value is 0. Fixed is comparable with == and usable as a map key.
type Fixed struct {
	hi uint64 // integer part
	lo uint64 // fraction, in units of 2^-64
}

// Common values.
var (
	Zero     = Fixed{}
	One      = Fixed{hi: 1}
	MaxFixed = Fixed{hi: math.MaxUint64, lo: math.MaxUint64}
	// Epsilon is the smallest positive value, 2^-64.
	Epsilon = Fixed{lo: 1}
)

// FixedLen is the length of the canonical binary encoding of a Fixed.
const FixedLen = 16

// FromInt returns n as a Fixed. Every uint64 is representable.
func FromInt(n uint64) Fixed { return Fixed{hi: n} }

// FromBits returns the Fixed whose 128-bit representation is hi·2^64 + lo,
// i.e. U64F64::from_bits of the same u128.
func FromBits(hi, lo uint64) Fixed { return Fixed{hi: hi, lo: lo} }

// Bits returns the 128-bit representation: x = (hi·2^64 + lo) / 2^64.
func (x Fixed) Bits() (hi, lo uint64) { return x.hi, x.lo }

// FromRatio returns num/den rounded toward zero; it equals
// FromInt(num).Div(FromInt(den)). den = 0 is ErrDivByZero.
func FromRatio(num, den uint64) (Fixed, error) {
	if den == 0 {
		return Zero, fmt.Errorf("tokenomics: ratio %d/0: %w", num, ErrDivByZero)
	}
	q, r := num/den, num%den
	f, _ := bits.Div64(r, 0, den)
	return Fixed{hi: q, lo: f}, nil
}

// IsZero reports whether x == 0.
func (x Fixed) IsZero() bool { return x.hi == 0 && x.lo == 0 }

// Cmp returns -1, 0 or +1 as x <, ==, > y.
func (x Fixed) Cmp(y Fixed) int {
	switch {
	case x.hi < y.hi:
		return -1
	case x.hi > y.hi:
		return 1
	case x.lo < y.lo:
		return -1
	case x.lo > y.lo:
		return 1
	}
	return 0
}

// Less reports x < y.
func (x Fixed) Less(y Fixed) bool { return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo) }

// Min returns the smaller of x and y.
func (x Fixed) Min(y Fixed) Fixed {
	if y.Less(x) {
		return y
	}
	return x
}

// Max returns the larger of x and y.
func (x Fixed) Max(y Fixed) Fixed {
	if x.Less(y) {
		return y
	}
	return x
}

// Add returns x + y, saturating at MaxFixed.
func (x Fixed) Add(y Fixed) Fixed {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi, c := bits.Add64(x.hi, y.hi, c)
	if c != 0 {
		return MaxFixed
	}
	return Fixed{hi: hi, lo: lo}
}

// AddChecked returns x + y or ErrOverflow.
func (x Fixed) AddChecked(y Fixed) (Fixed, error) {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi, c := bits.Add64(x.hi, y.hi, c)
	if c != 0 {
		return MaxFixed, ErrOverflow
	}
	return Fixed{hi: hi, lo: lo}, nil
}

// Sub returns x − y, saturating at zero when y > x.
func (x Fixed) Sub(y Fixed) Fixed {
	lo, b := bits.Sub64(x.lo, y.lo, 0)
	hi, b := bits.Sub64(x.hi, y.hi, b)
	if b != 0 {
		return Zero
	}
	return Fixed{hi: hi, lo: lo}
}

// SubChecked returns x − y or ErrUnderflow when y > x.
func (x Fixed) SubChecked(y Fixed) (Fixed, error) {
	lo, b := bits.Sub64(x.lo, y.lo, 0)
	hi, b := bits.Sub64(x.hi, y.hi, b)
	if b != 0 {
		return Zero, ErrUnderflow
	}
	return Fixed{hi: hi, lo: lo}, nil
}

// mulFixed returns floor(x·y) and whether it overflowed.
func mulFixed(x, y Fixed) (Fixed, bool) {
	if x.hi == 0 && y.hi == 0 {
		h, _ := bits.Mul64(x.lo, y.lo)
		return Fixed{lo: h}, false
	}
	// The 256-bit product [p3 p2 p1 p0]; the result is [p2 p1].
	x1, _ := bits.Mul64(x.lo, y.lo)
	y1, y0 := bits.Mul64(x.lo, y.hi)
	z1, z0 := bits.Mul64(x.hi, y.lo)
	w1, w0 := bits.Mul64(x.hi, y.hi)
	p1, c1 := bits.Add64(x1, y0, 0)
	p1, c2 := bits.Add64(p1, z0, 0)
	p2, c3 := bits.Add64(y1, z1, c1)
	p2, c4 := bits.Add64(p2, w0, c2)
	if w1 != 0 || c3 != 0 || c4 != 0 {
		return MaxFixed, true
	}
	return Fixed{hi: p2, lo: p1}, false
}

// Mul returns x·y rounded toward zero, saturating at MaxFixed.
func (x Fixed) Mul(y Fixed) Fixed {
	r, _ := mulFixed(x, y)
	return r
}

// MulChecked returns x·y rounded toward zero, or ErrOverflow.
func (x Fixed) MulChecked(y Fixed) (Fixed, error) {
	r, o := mulFixed(x, y)
	if o {
		return MaxFixed, ErrOverflow
	}
	return r, nil
}

// MulInt returns x·n rounded toward zero, saturating at MaxFixed.
func (x Fixed) MulInt(n uint64) Fixed {
	h1, l := bits.Mul64(x.lo, n)
	h2, m := bits.Mul64(x.hi, n)
	hi, c := bits.Add64(m, h1, 0)
	if h2 != 0 || c != 0 {
		return MaxFixed
	}
	return Fixed{hi: hi, lo: l}
}

// divFixed returns floor(x/y), or MaxFixed with ErrDivByZero or ErrOverflow.
func divFixed(x, y Fixed) (Fixed, error) {
	if y.IsZero() {
		return MaxFixed, ErrDivByZero
	}
	if y.hi == 0 {
		// [x.hi x.lo 0] / y.lo: the quotient's top limb must be zero.
		if x.hi >= y.lo {
			return MaxFixed, ErrOverflow
		}
		q1, r := bits.Div64(x.hi, x.lo, y.lo)
		q0, _ := bits.Div64(r, 0, y.lo)
		return Fixed{hi: q1, lo: q0}, nil
	}
	// y ≥ 1, so the quotient is below 2^128: Knuth's algorithm D with a
	// two-limb divisor and a two-limb quotient.
	s := uint(bits.LeadingZeros64(y.hi))
	d1, d0 := y.hi, y.lo
	var u3, u2, u1 uint64
	if s == 0 {
		u3, u2, u1 = 0, x.hi, x.lo
	} else {
		d1 = d1<<s | d0>>(64-s)
		d0 <<= s
		u3 = x.hi >> (64 - s)
		u2 = x.hi<<s | x.lo>>(64-s)
		u1 = x.lo << s
	}
	q1, r1, r0 := div3by2(u3, u2, u1, d1, d0)
	q0, _, _ := div3by2(r1, r0, 0, d1, d0)
	return Fixed{hi: q1, lo: q0}, nil
}

// div3by2 divides [u2 u1 u0] by the normalized [d1 d0] (d1 ≥ 2^63), given
// [u2 u1] < [d1 d0], returning the one-limb quotient and two-limb remainder.
func div3by2(u2, u1, u0, d1, d0 uint64) (q, r1, r0 uint64) {
	if u2 >= d1 {
		q = math.MaxUint64
	} else {
		q, _ = bits.Div64(u2, u1, d1)
	}
	// p = q·d as three limbs; q is at most two too large (Knuth, Theorem B).
	ph, pl := bits.Mul64(q, d0)
	qh, ql := bits.Mul64(q, d1)
	p1, c := bits.Add64(ql, ph, 0)
	p2 := qh + c
	p0 := pl
	for p2 > u2 || (p2 == u2 && (p1 > u1 || (p1 == u1 && p0 > u0))) {
		q--
		var b uint64
		p0, b = bits.Sub64(p0, d0, 0)
		p1, b = bits.Sub64(p1, d1, b)
		p2 -= b
	}
	var b uint64
	r0, b = bits.Sub64(u0, p0, 0)
	r1, _ = bits.Sub64(u1, p1, b)
	return q, r1, r0
}

// Div returns x/y rounded toward zero; it saturates at MaxFixed on overflow
// and on y == 0.
func (x Fixed) Div(y Fixed) Fixed {
	r, _ := divFixed(x, y)
	return r
}

// DivChecked returns x/y rounded toward zero, or ErrDivByZero / ErrOverflow.
func (x Fixed) DivChecked(y Fixed) (Fixed, error) {
	return divFixed(x, y)
}

// Sqrt returns floor(√x) exactly: the largest Fixed r with r·r ≤ x in exact
// arithmetic. It never overflows (√MaxFixed < 2^32).
func (x Fixed) Sqrt() Fixed {
	// In raw units the answer is isqrt(X·2^64), X = x's 128-bit bits.
	if x.hi == 0 {
		return Fixed{lo: isqrt128(x.lo, 0)}
	}
	// X ≥ 2^64: s = isqrt(X) ≥ 2^32, rem = X − s² ≤ 2s. With R = s·2^32 the
	// answer is R + t for the largest t with 2Rt + t² ≤ rem·2^64, and
	// t0 = floor(rem·2^31/s) overestimates t by at most one because
	// t²/(2R) < 1 for t ≤ 2^32+1 and R ≥ 2^64.
	s := isqrt128(x.hi, x.lo)
	sh, sl := bits.Mul64(s, s)
	remLo, b := bits.Sub64(x.lo, sl, 0)
	remHi, _ := bits.Sub64(x.hi, sh, b)
	nh := remHi<<31 | remLo>>33
	nl := remLo << 31
	// nh = rem>>33 ≤ s>>32 < s, so the quotient t0 ≤ 2^32 fits one limb.
	t, _ := bits.Div64(nh, nl, s)
	rl, c := bits.Add64(s<<32, t, 0)
	rh := s>>32 + c
	for sqGreater(rh, rl, x.hi, x.lo) {
		rl, b = bits.Sub64(rl, 1, 0)
		rh -= b
	}
	return Fixed{hi: rh, lo: rl}
}

// sqGreater reports (rh·2^64 + rl)² > (xh·2^64 + xl)·2^64, for rh ≤ 2^32.
func sqGreater(rh, rl, xh, xl uint64) bool {
	// (rh·B + rl)² = rh²·B² + 2·rh·rl·B + rl², B = 2^64.
	a1, a0 := bits.Mul64(rl, rl)
	m1, m0 := bits.Mul64(rh, rl)
	// 2·m, m < 2^97, fits in two limbs.
	m1 = m1<<1 | m0>>63
	m0 <<= 1
	hh1, hh := bits.Mul64(rh, rh)
	p1, c := bits.Add64(a1, m0, 0)
	p2, c2 := bits.Add64(m1, hh, c)
	if hh1 != 0 || c2 != 0 {
		return true
	}
	// compare [p2 p1 a0] with [xh xl 0]
	switch {
	case p2 != xh:
		return p2 > xh
	case p1 != xl:
		return p1 > xl
	}
	return a0 > 0
}

// isqrt128 returns floor(√(hi·2^64 + lo)).
func isqrt128(hi, lo uint64) uint64 {
	if hi == 0 {
		return isqrt64(lo)
	}
	// (2^64−1)² = [2^64−2, 1]; at or above it the root is 2^64−1.
	if hi > math.MaxUint64-1 || (hi == math.MaxUint64-1 && lo >= 1) {
		return math.MaxUint64
	}
	// Start just above the root using the top 64 bits: with N's bit length
	// n = 64 + len(hi), take e even so that N>>e has 63 or 64 bits, then
	// r0 = (isqrt64(N>>e) + 1)·2^(e/2) > √N with relative error < 2^-31,
	// from which Newton's iteration needs one or two steps.
	n := 128 - bits.LeadingZeros64(hi)
	e := uint(n - 63)
	e += e & 1
	var top uint64
	if e >= 64 {
		top = hi >> (e - 64)
	} else {
		top = hi<<(64-e) | lo>>e
	}
	g := isqrt64(top) + 1
	r := uint64(math.MaxUint64)
	if bits.Len64(g)+int(e/2) <= 64 {
		r = g << (e / 2)
	}
	for {
		// N/r ≥ 2^64 > r means r is already the floor root.
		if hi >= r {
			return r
		}
		q, _ := bits.Div64(hi, lo, r)
		nr := r>>1 + q>>1 + (r & q & 1)
		if nr >= r {
			return r
		}
		r = nr
	}
}

// isqrt64 returns floor(√n).
func isqrt64(n uint64) uint64 {
	if n < 2 {
		return n
	}
	// Newton from above; a start within a factor √2 converges in ≤ 6 steps.
	r := uint64(1) << ((bits.Len64(n) + 1) / 2)
	for {
		nr := (r + n/r) >> 1
		if nr >= r {
			return r
		}
		r = nr
	}
}

// Floor returns the integer part of x.
func (x Fixed) Floor() uint64 { return x.hi }

// Frac returns the fraction part of x, in units of 2^-64.
func (x Fixed) Frac() uint64 { return x.lo }

// Units returns floor(x·scale), the amount in base units of a token with
// scale base units per whole token (10^6 for a 6-decimal denom), or
// ErrOverflow when it does not fit in a uint64.
func (x Fixed) Units(scale uint64) (uint64, error) {
	hh, hl := bits.Mul64(x.hi, scale)
	fh, _ := bits.Mul64(x.lo, scale)
	v, c := bits.Add64(hl, fh, 0)
	if hh != 0 || c != 0 {
		return 0, fmt.Errorf("tokenomics: %s × %d: %w", x, scale, ErrOverflow)
	}
	return v, nil
}

// AppendBinary appends the canonical encoding: the 128-bit representation,
// big-endian (16 bytes).
func (x Fixed) AppendBinary(b []byte) ([]byte, error) {
	return appendFixed(b, x), nil
}

// appendFixed appends x's 16-byte big-endian encoding (integer part, then
// fraction) to b.
func appendFixed(b []byte, x Fixed) []byte {
	b = binary.BigEndian.AppendUint64(b, x.hi)
	return binary.BigEndian.AppendUint64(b, x.lo)
}

// MarshalBinary returns the canonical 16-byte encoding.
func (x Fixed) MarshalBinary() ([]byte, error) { return appendFixed(make([]byte, 0, FixedLen), x), nil }

// UnmarshalBinary decodes exactly FixedLen bytes.
func (x *Fixed) UnmarshalBinary(b []byte) error {
	if len(b) != FixedLen {
		return fmt.Errorf("%w: fixed: %d bytes, want %d", ErrMalformed, len(b), FixedLen)
	}
	*x = fixedFrom(b)
	return nil
}

func fixedFrom(b []byte) Fixed {
	return Fixed{hi: binary.BigEndian.Uint64(b), lo: binary.BigEndian.Uint64(b[8:])}
}
