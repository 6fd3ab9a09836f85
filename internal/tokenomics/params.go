package tokenomics

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Params are the tokenomic parameters, changeable by governance. Every
// per-block quantity (rho, slash_rate, budget_per_block, cost_k, cost_b)
// assumes blocks of BlockTimeMs: a chain with another block time must scale
// them (Phala's genesis values below assume 12 s).
type Params struct {
	// Rho is V's growth factor per idle block (V grows by (rho−1)·V).
	Rho Fixed `json:"rho"`
	// SlashRate is the fraction of V an unresponsive worker loses per block.
	SlashRate Fixed `json:"slash_rate"`
	// BudgetPerBlock is the reward (payout + treasury) per block, in tokens.
	BudgetPerBlock Fixed `json:"budget_per_block"`
	// VMax caps V.
	VMax Fixed `json:"v_max"`
	// CostK and CostB give an idle worker's running cost per block,
	// cost_k·p_bench + cost_b, added to V.
	CostK Fixed `json:"cost_k"`
	CostB Fixed `json:"cost_b"`
	// TreasuryRatio is the treasury's part of a budget.
	TreasuryRatio Fixed `json:"treasury_ratio"`
	// HeartbeatWindow is how many blocks a challenged worker has to answer.
	HeartbeatWindow uint32 `json:"heartbeat_window"`
	// RigK, RigB and Re set the initial V: ((re−1)·conf_f + 1)·(stake + rig_k·p + rig_b).
	RigK Fixed `json:"rig_k"`
	RigB Fixed `json:"rig_b"`
	Re   Fixed `json:"re"`
	// K sets the minimum stake, k·√p.
	K Fixed `json:"k"`
	// MinInitP is the minimum performance score to start computing.
	MinInitP uint32 `json:"min_init_p"`
	// ExpectedHeartbeatCount is the number of heartbeats wanted per block
	// over the whole network (the reference's ExpectedHeartbeatCount, 20),
	// and MaxHeartbeatsPerWorkerHour caps each worker's rate (the reference
	// hard-codes 2 per hour): see OnlineTarget.
	ExpectedHeartbeatCount     uint32 `json:"expected_heartbeat_count"`
	MaxHeartbeatsPerWorkerHour uint32 `json:"max_heartbeats_per_worker_hour"`
	// BlockTimeMs is the block time the per-block values assume.
	BlockTimeMs uint32 `json:"block_time_ms"`
}

// Bounds checked by Validate. They keep every intermediate value of the
// model far below 2^64 (V² < 2^62, (2·p)² < 2^62), so no computation the
// engine does ever saturates.
const (
	MaxVMax                 = 1 << 31
	MaxBudgetPerBlock       = 1 << 32
	MaxHeartbeatWindow      = 14_400  // two days of 12 s blocks
	MaxP                    = 1 << 30 // performance scores
	MaxBlockTimeMs          = 3_600_000
	maxRe                   = 16
	maxRigK                 = 1 << 20
	paramsVersion      byte = 1
)

// ParamsLen is the length of the canonical binary encoding of Params.
const ParamsLen = 1 + 11*FixedLen + 5*4

// DefaultParams returns Phala's genesis values (DESIGN.md §8) for 12 s
// blocks. Ratios such as 0.001·12/3600 are exact rationals rounded toward
// zero (FromRatio); decimals are rounded to nearest (Parse).
func DefaultParams() Params {
	ratio := func(n, d uint64) Fixed { f, _ := FromRatio(n, d); return f }
	return Params{
		Rho:                        MustParse("1.000000666600231"),
		SlashRate:                  ratio(12, 3_600_000),                  // 0.001·12/3600
		BudgetPerBlock:             FromInt(100),                          //
		VMax:                       FromInt(30_000),                       //
		CostK:                      ratio(4_987_500, 315_360_000_000_000), // 0.0415625·12/31536000
		CostB:                      ratio(1_063_125, 31_536_000_000),      // 88.59375·12/31536000
		TreasuryRatio:              MustParse("0.2"),                      //
		HeartbeatWindow:            10,
		RigK:                       MustParse("0.3"),
		RigB:                       Zero,
		Re:                         MustParse("1.3"),
		K:                          FromInt(100),
		MinInitP:                   50,
		ExpectedHeartbeatCount:     20,
		MaxHeartbeatsPerWorkerHour: 2,
		BlockTimeMs:                12_000,
	}
}

// Validate checks every field against the bounds above; the error wraps
// ErrInvalidParams and names the field.
func (p Params) Validate() error {
	bad := func(field, why string, v any) error {
		return fmt.Errorf("%w: %s %v %s", ErrInvalidParams, field, v, why)
	}
	switch {
	case p.Rho.Less(One) || !p.Rho.Less(FromInt(2)):
		return bad("rho", "must be in [1, 2)", p.Rho)
	case !p.SlashRate.Less(One):
		return bad("slash_rate", "must be below 1", p.SlashRate)
	case FromInt(MaxBudgetPerBlock).Less(p.BudgetPerBlock):
		return bad("budget_per_block", fmt.Sprintf("must be at most %d", MaxBudgetPerBlock), p.BudgetPerBlock)
	case p.VMax.IsZero() || FromInt(MaxVMax).Less(p.VMax):
		return bad("v_max", fmt.Sprintf("must be in (0, %d]", MaxVMax), p.VMax)
	case One.Less(p.CostK):
		return bad("cost_k", "must be at most 1", p.CostK)
	case p.VMax.Less(p.CostB):
		return bad("cost_b", "must be at most v_max", p.CostB)
	case One.Less(p.TreasuryRatio):
		return bad("treasury_ratio", "must be at most 1", p.TreasuryRatio)
	case p.HeartbeatWindow == 0 || p.HeartbeatWindow > MaxHeartbeatWindow:
		return bad("heartbeat_window", fmt.Sprintf("must be in [1, %d]", MaxHeartbeatWindow), p.HeartbeatWindow)
	case FromInt(maxRigK).Less(p.RigK):
		return bad("rig_k", fmt.Sprintf("must be at most %d", maxRigK), p.RigK)
	case p.VMax.Less(p.RigB):
		return bad("rig_b", "must be at most v_max", p.RigB)
	case p.Re.Less(One) || FromInt(maxRe).Less(p.Re):
		return bad("re", fmt.Sprintf("must be in [1, %d]", maxRe), p.Re)
	case FromInt(MaxVMax).Less(p.K):
		return bad("k", fmt.Sprintf("must be at most %d", MaxVMax), p.K)
	case p.MinInitP == 0 || p.MinInitP > MaxP:
		return bad("min_init_p", fmt.Sprintf("must be in [1, %d]", MaxP), p.MinInitP)
	case p.ExpectedHeartbeatCount == 0:
		return bad("expected_heartbeat_count", "must be positive", p.ExpectedHeartbeatCount)
	case p.MaxHeartbeatsPerWorkerHour == 0:
		return bad("max_heartbeats_per_worker_hour", "must be positive", p.MaxHeartbeatsPerWorkerHour)
	case p.BlockTimeMs == 0 || p.BlockTimeMs > MaxBlockTimeMs:
		return bad("block_time_ms", fmt.Sprintf("must be in [1, %d]", MaxBlockTimeMs), p.BlockTimeMs)
	}
	return nil
}

func (p *Params) fixedFields() []*Fixed {
	return []*Fixed{&p.Rho, &p.SlashRate, &p.BudgetPerBlock, &p.VMax, &p.CostK, &p.CostB,
		&p.TreasuryRatio, &p.RigK, &p.RigB, &p.Re, &p.K}
}

func (p *Params) intFields() []*uint32 {
	return []*uint32{&p.HeartbeatWindow, &p.MinInitP, &p.ExpectedHeartbeatCount,
		&p.MaxHeartbeatsPerWorkerHour, &p.BlockTimeMs}
}

// MarshalBinary returns the canonical encoding: version 1, then rho,
// slash_rate, budget_per_block, v_max, cost_k, cost_b, treasury_ratio,
// rig_k, rig_b, re, k as 16-byte Fixed, then heartbeat_window, min_init_p,
// expected_heartbeat_count, max_heartbeats_per_worker_hour, block_time_ms as
// big-endian uint32 (ParamsLen bytes). Equal params have equal bytes.
func (p Params) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, ParamsLen)
	b = append(b, paramsVersion)
	for _, f := range p.fixedFields() {
		b = appendFixed(b, *f)
	}
	for _, n := range p.intFields() {
		b = binary.BigEndian.AppendUint32(b, *n)
	}
	return b, nil
}

// UnmarshalBinary decodes the canonical encoding strictly (exact length,
// known version) and validates the result.
func (p *Params) UnmarshalBinary(b []byte) error {
	if len(b) != ParamsLen {
		return fmt.Errorf("%w: params: %d bytes, want %d", ErrMalformed, len(b), ParamsLen)
	}
	if b[0] != paramsVersion {
		return fmt.Errorf("%w: params: version %d, want %d", ErrMalformed, b[0], paramsVersion)
	}
	var q Params
	off := 1
	for _, f := range q.fixedFields() {
		*f = fixedFrom(b[off:])
		off += FixedLen
	}
	for _, n := range q.intFields() {
		*n = binary.BigEndian.Uint32(b[off:])
		off += 4
	}
	if err := q.Validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// Hash is SHA-256 of the canonical encoding, for gatekeepers to compare
// the params they apply.
func (p Params) Hash() [32]byte {
	b, _ := p.MarshalBinary()
	return sha256.Sum256(b)
}

// ParseParamsJSON reads the governance JSON form: an object with every field
// (Fixed fields as decimal strings, the rest as numbers), no unknown or
// missing field, then Validate.
func ParseParamsJSON(b []byte) (Params, error) {
	var raw struct {
		Rho                        *Fixed  `json:"rho"`
		SlashRate                  *Fixed  `json:"slash_rate"`
		BudgetPerBlock             *Fixed  `json:"budget_per_block"`
		VMax                       *Fixed  `json:"v_max"`
		CostK                      *Fixed  `json:"cost_k"`
		CostB                      *Fixed  `json:"cost_b"`
		TreasuryRatio              *Fixed  `json:"treasury_ratio"`
		HeartbeatWindow            *uint32 `json:"heartbeat_window"`
		RigK                       *Fixed  `json:"rig_k"`
		RigB                       *Fixed  `json:"rig_b"`
		Re                         *Fixed  `json:"re"`
		K                          *Fixed  `json:"k"`
		MinInitP                   *uint32 `json:"min_init_p"`
		ExpectedHeartbeatCount     *uint32 `json:"expected_heartbeat_count"`
		MaxHeartbeatsPerWorkerHour *uint32 `json:"max_heartbeats_per_worker_hour"`
		BlockTimeMs                *uint32 `json:"block_time_ms"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Params{}, fmt.Errorf("%w: params json: %w", ErrMalformed, err)
	}
	if dec.More() {
		return Params{}, fmt.Errorf("%w: params json: trailing data", ErrMalformed)
	}
	var p Params
	fixed := []struct {
		name string
		src  *Fixed
		dst  *Fixed
	}{
		{"rho", raw.Rho, &p.Rho}, {"slash_rate", raw.SlashRate, &p.SlashRate},
		{"budget_per_block", raw.BudgetPerBlock, &p.BudgetPerBlock}, {"v_max", raw.VMax, &p.VMax},
		{"cost_k", raw.CostK, &p.CostK}, {"cost_b", raw.CostB, &p.CostB},
		{"treasury_ratio", raw.TreasuryRatio, &p.TreasuryRatio}, {"rig_k", raw.RigK, &p.RigK},
		{"rig_b", raw.RigB, &p.RigB}, {"re", raw.Re, &p.Re}, {"k", raw.K, &p.K},
	}
	for _, f := range fixed {
		if f.src == nil {
			return Params{}, fmt.Errorf("%w: params json: missing %s", ErrMalformed, f.name)
		}
		*f.dst = *f.src
	}
	ints := []struct {
		name string
		src  *uint32
		dst  *uint32
	}{
		{"heartbeat_window", raw.HeartbeatWindow, &p.HeartbeatWindow}, {"min_init_p", raw.MinInitP, &p.MinInitP},
		{"expected_heartbeat_count", raw.ExpectedHeartbeatCount, &p.ExpectedHeartbeatCount},
		{"max_heartbeats_per_worker_hour", raw.MaxHeartbeatsPerWorkerHour, &p.MaxHeartbeatsPerWorkerHour},
		{"block_time_ms", raw.BlockTimeMs, &p.BlockTimeMs},
	}
	for _, f := range ints {
		if f.src == nil {
			return Params{}, fmt.Errorf("%w: params json: missing %s", ErrMalformed, f.name)
		}
		*f.dst = *f.src
	}
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}
