package tokenomics

import (
	"fmt"
	"math/bits"
	"strings"
)

// MaxDecimalLen bounds the decimal strings Parse accepts (governance input).
const MaxDecimalLen = 100

// Parse reads a non-negative decimal "123" or "123.456" (ASCII digits, at
// most one '.', digits on both sides of it; no sign, exponent, spaces or
// '_') into the nearest Fixed, ties to even: the fraction is converted
// exactly, digit by digit, so "0.1" is the Fixed nearest to 1/10 whatever the
// number of digits. It fails with ErrSyntax on malformed input and with
// ErrOverflow when the value rounds to 2^64 or more.
func Parse(s string) (Fixed, error) {
	if len(s) == 0 || len(s) > MaxDecimalLen {
		return Zero, fmt.Errorf("%w: decimal of %d bytes, want 1-%d", ErrSyntax, len(s), MaxDecimalLen)
	}
	ip, fp, dot := strings.Cut(s, ".")
	if ip == "" || (dot && fp == "") {
		return Zero, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' {
			return Zero, fmt.Errorf("%w: %q", ErrSyntax, s)
		}
	}
	if strings.Contains(fp, ".") {
		return Zero, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	var n uint64
	for i := 0; i < len(ip); i++ {
		c := ip[i]
		hi, lo := bits.Mul64(n, 10)
		lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if hi != 0 || carry != 0 {
			return Zero, fmt.Errorf("tokenomics: %q: %w", s, ErrOverflow)
		}
		n = lo
	}
	digits := make([]byte, len(fp))
	for i := 0; i < len(fp); i++ {
		digits[i] = fp[i] - '0'
	}
	frac, up := fracFromDigits(digits)
	if up {
		if n == ^uint64(0) {
			return Zero, fmt.Errorf("tokenomics: %q: %w", s, ErrOverflow)
		}
		n++
	}
	return Fixed{hi: n, lo: frac}, nil
}

// MustParse is Parse for constants known to be valid; it panics otherwise.
// Use it only with literals (tests, defaults), never with input.
func MustParse(s string) Fixed {
	x, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return x
}

// fracFromDigits returns round(0.d₀d₁…·2^64) to nearest, ties to even, as a
// 64-bit fraction and whether rounding carried into the integer part. The
// digits slice is consumed (doubled in place).
func fracFromDigits(d []byte) (frac uint64, carryOut bool) {
	// Doubling the decimal fraction shifts its binary expansion left by one:
	// the carry out of the first digit is the next bit.
	for range 64 {
		var c byte
		for i := len(d) - 1; i >= 0; i-- {
			v := d[i]<<1 | c
			c = 0
			if v >= 10 {
				v -= 10
				c = 1
			}
			d[i] = v
		}
		frac = frac<<1 | uint64(c)
	}
	// d now holds the remainder ρ ∈ [0, 1) in units of 2^-64.
	half := 0 // sign of ρ − 1/2
	if len(d) > 0 {
		switch {
		case d[0] > 5:
			half = 1
		case d[0] < 5:
			half = -1
		default:
			for _, v := range d[1:] {
				if v != 0 {
					half = 1
					break
				}
			}
		}
	} else {
		half = -1
	}
	if half > 0 || (half == 0 && frac&1 == 1) {
		frac++
		if frac == 0 {
			return 0, true
		}
	}
	return frac, false
}

// String formats x as the shortest decimal that Parse maps back to x
// ("0", "30000", "0.2", "1.000000666600231"). At most 20 fraction digits
// are ever needed, since 10^-20 is below half of 2^-64.
func (x Fixed) String() string {
	ip := fmt.Sprint(x.hi)
	if x.lo == 0 {
		return ip
	}
	// Exact digits of the fraction (terminates: 2^-64 has 64 decimal places).
	var exact []byte
	for f := x.lo; f != 0; {
		var d uint64
		d, f = bits.Mul64(f, 10)
		exact = append(exact, byte(d))
	}
	for n := 1; n <= len(exact); n++ {
		down := append([]byte(nil), exact[:n]...)
		up, carry := decimalUp(down)
		// Nearest n-digit decimal first, then the other neighbour.
		cands := [][]byte{down, up}
		if n < len(exact) && exact[n] >= 5 {
			cands[0], cands[1] = up, down
		}
		for _, c := range cands {
			// A carry out of the fraction gives an integer, never x.
			if carry && &c[0] == &up[0] {
				continue
			}
			if f, co := fracFromDigits(append([]byte(nil), c...)); !co && f == x.lo {
				return ip + "." + digitString(c)
			}
		}
	}
	return ip + "." + digitString(exact)
}

// decimalUp returns d + 1 in its last place (same length) and whether that
// carried out of the first digit.
func decimalUp(d []byte) ([]byte, bool) {
	u := append([]byte(nil), d...)
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] < 9 {
			u[i]++
			return u, false
		}
		u[i] = 0
	}
	return u, true
}

func digitString(d []byte) string {
	end := len(d)
	for end > 1 && d[end-1] == 0 {
		end--
	}
	b := make([]byte, end)
	for i := range end {
		b[i] = '0' + d[i]
	}
	return string(b)
}

// MarshalText formats x as String does; JSON carries Fixed as a string.
func (x Fixed) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText parses a decimal as Parse does.
func (x *Fixed) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}
