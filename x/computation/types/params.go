package types

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// Defaults of the chain's own params.
const (
	DefaultCooldownBlocks = 100
	DefaultUnitsPerToken  = 1_000_000
	DefaultDenom          = "stake"
	// MaxCooldownBlocks bounds cooldown_blocks (a year of 1 s blocks).
	MaxCooldownBlocks = 31_536_000
)

// DefaultParams are tokenomics.DefaultParams (DESIGN.md §8) with the chain
// defaults above.
func DefaultParams() Params {
	return FromEngineParams(tokenomics.DefaultParams(), DefaultCooldownBlocks, DefaultUnitsPerToken, DefaultDenom)
}

// FromEngineParams returns Params holding e and the chain settings.
func FromEngineParams(e tokenomics.Params, cooldownBlocks, unitsPerToken uint64, denom string) Params {
	return Params{
		Rho:                        e.Rho.String(),
		SlashRate:                  e.SlashRate.String(),
		BudgetPerBlock:             e.BudgetPerBlock.String(),
		VMax:                       e.VMax.String(),
		CostK:                      e.CostK.String(),
		CostB:                      e.CostB.String(),
		TreasuryRatio:              e.TreasuryRatio.String(),
		HeartbeatWindow:            e.HeartbeatWindow,
		RigK:                       e.RigK.String(),
		RigB:                       e.RigB.String(),
		Re:                         e.Re.String(),
		K:                          e.K.String(),
		MinInitP:                   e.MinInitP,
		ExpectedHeartbeatCount:     e.ExpectedHeartbeatCount,
		MaxHeartbeatsPerWorkerHour: e.MaxHeartbeatsPerWorkerHour,
		BlockTimeMs:                e.BlockTimeMs,
		CooldownBlocks:             cooldownBlocks,
		UnitsPerToken:              unitsPerToken,
		Denom:                      denom,
	}
}

// Engine returns the tokenomic params, parsed (tokenomics.Parse) and
// validated (tokenomics.Params.Validate). Errors wrap ErrInvalidParams and
// name the field.
func (p Params) Engine() (tokenomics.Params, error) {
	var e tokenomics.Params
	for _, f := range []struct {
		name string
		src  string
		dst  *tokenomics.Fixed
	}{
		{"rho", p.Rho, &e.Rho}, {"slash_rate", p.SlashRate, &e.SlashRate},
		{"budget_per_block", p.BudgetPerBlock, &e.BudgetPerBlock}, {"v_max", p.VMax, &e.VMax},
		{"cost_k", p.CostK, &e.CostK}, {"cost_b", p.CostB, &e.CostB},
		{"treasury_ratio", p.TreasuryRatio, &e.TreasuryRatio}, {"rig_k", p.RigK, &e.RigK},
		{"rig_b", p.RigB, &e.RigB}, {"re", p.Re, &e.Re}, {"k", p.K, &e.K},
	} {
		v, err := tokenomics.Parse(f.src)
		if err != nil {
			return tokenomics.Params{}, fmt.Errorf("%w: %s: %w", ErrInvalidParams, f.name, err)
		}
		*f.dst = v
	}
	e.HeartbeatWindow = p.HeartbeatWindow
	e.MinInitP = p.MinInitP
	e.ExpectedHeartbeatCount = p.ExpectedHeartbeatCount
	e.MaxHeartbeatsPerWorkerHour = p.MaxHeartbeatsPerWorkerHour
	e.BlockTimeMs = p.BlockTimeMs
	if err := e.Validate(); err != nil {
		return tokenomics.Params{}, fmt.Errorf("%w: %w", ErrInvalidParams, err)
	}
	return e, nil
}

// Validate checks the tokenomic params (Engine) and the chain settings.
func (p Params) Validate() error {
	if _, err := p.Engine(); err != nil {
		return err
	}
	switch {
	case p.CooldownBlocks == 0 || p.CooldownBlocks > MaxCooldownBlocks:
		return fmt.Errorf("%w: cooldown_blocks %d, want 1-%d", ErrInvalidParams, p.CooldownBlocks, MaxCooldownBlocks)
	case p.UnitsPerToken == 0:
		return fmt.Errorf("%w: units_per_token must be positive", ErrInvalidParams)
	}
	if err := sdk.ValidateDenom(p.Denom); err != nil {
		return fmt.Errorf("%w: denom: %w", ErrInvalidParams, err)
	}
	return nil
}
