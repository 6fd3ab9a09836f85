package chainsync

import (
	"fmt"
	"math"
	"time"
)

// Options are the light-client parameters. They are configuration, not
// state: the same Options must be passed to every call.
type Options struct {
	// TrustingPeriod is how long, in header time, a verified validator set
	// is trusted to contain less than 1/3 faulty power. It must be shorter
	// than the chain's unbonding period, so that validators who sign a
	// conflicting header inside it can still be slashed.
	TrustingPeriod time.Duration
	// MaxClockDrift is how far a header's time may lie after "now". Because
	// chainsync takes now from the header being verified (see the package
	// documentation), the bound always holds; it must still be positive, and
	// it is kept so that Options mirror the CometBFT light client's
	// parameters and the bound applies unchanged if a trusted time source is
	// ever passed in.
	MaxClockDrift time.Duration
	// TrustLevel is the fraction of the trusted validator set's power that
	// must have signed a non-adjacent header for skipping verification, in
	// [1/3, 1]. 1/3 guarantees that at least one correct validator signed.
	TrustLevel Fraction
}

// Fraction is a fraction Numerator/Denominator, as CometBFT's light client
// takes its trust level.
type Fraction struct {
	Numerator   uint64
	Denominator uint64
}

// DefaultOptions returns a 14-day trusting period (two thirds of the Cosmos
// SDK's default 21-day unbonding period), 10 s clock drift and trust level 1/3.
func DefaultOptions() Options {
	return Options{
		TrustingPeriod: 14 * 24 * time.Hour,
		MaxClockDrift:  10 * time.Second,
		TrustLevel:     Fraction{Numerator: 1, Denominator: 3},
	}
}

// Validate checks every field's range; errors name the field.
func (o Options) Validate() error {
	tl := o.TrustLevel
	switch {
	case o.TrustingPeriod <= 0:
		return fmt.Errorf("%w: TrustingPeriod %v, want > 0", ErrInvalidOptions, o.TrustingPeriod)
	case o.MaxClockDrift <= 0:
		return fmt.Errorf("%w: MaxClockDrift %v, want > 0", ErrInvalidOptions, o.MaxClockDrift)
	// The denominator bound keeps 3*Numerator and the power arithmetic in
	// CometBFT's commit verification from overflowing.
	case tl.Denominator == 0 || tl.Denominator > math.MaxUint32 ||
		tl.Numerator > tl.Denominator || 3*tl.Numerator < tl.Denominator:
		return fmt.Errorf("%w: TrustLevel %d/%d, want within [1/3, 1]", ErrInvalidOptions, tl.Numerator, tl.Denominator)
	}
	return nil
}
