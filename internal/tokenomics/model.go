package tokenomics

import "fmt"

// Confidence factors: nearest U64F64 to 0.8 and 0.7 (as Parse gives).
var (
	conf08 = Fixed{lo: 0xCCCCCCCCCCCCCCCD}
	conf07 = Fixed{lo: 0xB333333333333333}
)

// ConfidenceSimulated is the confidence level of a worker without a real
// attestation (the sim TEE), as internal/attest assigns it.
const ConfidenceSimulated = 128

// ConfFactor returns conf_f for a worker's attestation confidence level:
// 1–3 → 1, 4 → 0.8, 5 → 0.7. Level 128 (simulated TEE) → 1, as in the
// reference (conf_score treats 128 like 1–3); whether simulated workers may
// compute at all is the chain's decision (allow_simulated_tee), not the
// model's. Any other level is ErrConfidenceLevel.
func ConfFactor(level uint32) (Fixed, error) {
	switch level {
	case 1, 2, 3, ConfidenceSimulated:
		return One, nil
	case 4:
		return conf08, nil
	case 5:
		return conf07, nil
	}
	return Zero, fmt.Errorf("%w: %d", ErrConfidenceLevel, level)
}

// MinStake is the minimum stake to start computing with score p: k·√p.
func (p Params) MinStake(score uint32) Fixed {
	return p.K.Mul(FromInt(uint64(score)).Sqrt())
}

// CheckStart returns nil when a worker with score, stake and confidence
// level may start computing: score ≥ min_init_p (and ≤ MaxP), stake ≥ k·√p,
// a known confidence level, and an initial V (InitialV) of at most v_max.
// Errors wrap ErrPerformanceTooLow, ErrStakeTooLow, ErrConfidenceLevel or
// ErrStakeTooHigh.
func (p Params) CheckStart(score uint32, stake Fixed, level uint32) error {
	_, err := p.InitialV(score, stake, level)
	return err
}

// InitialV is a worker's V when it starts computing:
//
//	V_e = ((re − 1)·conf_f + 1)·(stake + rig_k·p + rig_b)
//
// A V_e above v_max is refused (ErrStakeTooHigh), as the reference refuses
// it: capping it would lock stake that earns nothing.
func (p Params) InitialV(score uint32, stake Fixed, level uint32) (Fixed, error) {
	conf, err := ConfFactor(level)
	if err != nil {
		return Zero, err
	}
	if score < p.MinInitP {
		return Zero, fmt.Errorf("%w: p %d < %d", ErrPerformanceTooLow, score, p.MinInitP)
	}
	if score > MaxP {
		return Zero, fmt.Errorf("%w: p %d above %d", ErrPerformanceTooLow, score, MaxP)
	}
	if min := p.MinStake(score); stake.Less(min) {
		return Zero, fmt.Errorf("%w: stake %s < %s", ErrStakeTooLow, stake, min)
	}
	factor := p.Re.Sub(One).Mul(conf).Add(One)
	base := stake.Add(p.RigK.MulInt(uint64(score))).Add(p.RigB)
	v := factor.Mul(base)
	if p.VMax.Less(v) {
		return Zero, fmt.Errorf("%w: stake %s gives V_e %s above v_max %s", ErrStakeTooHigh, stake, v, p.VMax)
	}
	return v, nil
}

// Share is a worker's weight in the budget: √(V² + (2·p·conf_f)²), with p
// the worker's p_instant.
func Share(v, p Fixed, conf Fixed) Fixed {
	q := p.MulInt(2)
	if conf != One {
		q = q.Mul(conf)
	}
	return v.Mul(v).Add(q.Mul(q)).Sqrt()
}

// IdleDelta is what V gains in a block without heartbeat:
//
//	ΔV = (p/p_bench)·((rho − 1)·V + cost_k·p_bench + cost_b)
//
// p is the worker's p_instant and p_bench its score when it started; the
// reference uses 1 for the multiplier when p_bench is 0.
func (p Params) IdleDelta(v, score Fixed, bench uint32) Fixed {
	d := p.Rho.Sub(One).Mul(v).Add(p.CostK.MulInt(uint64(bench))).Add(p.CostB)
	if b := FromInt(uint64(bench)); score != b && bench != 0 {
		// Divide first, as the reference does: (p/p_bench)·(…).
		d = score.Div(b).Mul(d)
	}
	return d
}
