package keeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// collateralVerifier is what a hardware verifier offers for checking
// collateral when governance sets it. Each kind takes its own collateral
// type, so the keeper asserts per kind rather than through one interface.
type (
	// intelCollateralChecker: TDX and SGX (attest.TDXCollateral and
	// attest.SGXCollateral are one type).
	intelCollateralChecker interface {
		CheckCollateral(attest.IntelCollateral, time.Time) (attest.CollateralInfo, error)
	}
	snpCollateralChecker interface {
		CheckCollateral(attest.SNPCollateral, time.Time) (attest.CollateralInfo, error)
	}
)

// chainCollateral is the attest.Collateral of one transaction: it reads
// the Collaterals store and the params in ctx. Lookups are point reads,
// never iterations.
type chainCollateral struct {
	ctx      context.Context
	k        *Keeper
	accepted []string
}

var _ attest.Collateral = chainCollateral{}

func (c chainCollateral) get(kind, id string) (types.Collateral, error) {
	v, err := c.k.Collaterals.Get(c.ctx, collections.Join(kind, id))
	if errors.Is(err, collections.ErrNotFound) {
		return types.Collateral{}, fmt.Errorf("%w: %s platform %s", attest.ErrNoCollateral, kind, id)
	}
	return v, err
}

func (c chainCollateral) TDX(fmspc string) (attest.TDXCollateral, error) {
	v, err := c.get(attest.KindTDX, fmspc)
	if err != nil {
		return attest.TDXCollateral{}, err
	}
	if v.Tdx == nil {
		return attest.TDXCollateral{}, fmt.Errorf("%w: stored tdx collateral %s has no payload", attest.ErrInvalidCollateral, fmspc)
	}
	return v.Tdx.ToAttest(), nil
}

func (c chainCollateral) SGX(fmspc string) (attest.SGXCollateral, error) {
	v, err := c.get(attest.KindSGX, fmspc)
	if err != nil {
		return attest.SGXCollateral{}, err
	}
	if v.Sgx == nil {
		return attest.SGXCollateral{}, fmt.Errorf("%w: stored sgx collateral %s has no payload", attest.ErrInvalidCollateral, fmspc)
	}
	return v.Sgx.ToAttest(), nil
}

func (c chainCollateral) SNP(productLine string) (attest.SNPCollateral, error) {
	v, err := c.get(attest.KindSEVSNP, productLine)
	if err != nil {
		return attest.SNPCollateral{}, err
	}
	if v.Snp == nil {
		return attest.SNPCollateral{}, fmt.Errorf("%w: stored sev-snp collateral %s has no payload", attest.ErrInvalidCollateral, productLine)
	}
	return v.Snp.ToAttest(), nil
}

func (c chainCollateral) AcceptedAdvisories() []string { return c.accepted }

// SetCollateral verifies collateral at block time and stores it under the
// platform it names.
func (k *Keeper) SetCollateral(ctx context.Context, msg *types.MsgSetCollateral) (types.Collateral, error) {
	if err := k.checkAuthority(msg.Authority); err != nil {
		return types.Collateral{}, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	now := sdkCtx.BlockTime()
	var (
		kind string
		info attest.CollateralInfo
		err  error
	)
	switch {
	case msg.Tdx != nil && msg.Snp == nil && msg.Sgx == nil:
		kind = attest.KindTDX
		v, ok := k.verifiers[kind].(intelCollateralChecker)
		if !ok {
			return types.Collateral{}, unknownKind(kind)
		}
		info, err = v.CheckCollateral(msg.Tdx.ToAttest(), now)
	case msg.Sgx != nil && msg.Tdx == nil && msg.Snp == nil:
		kind = attest.KindSGX
		v, ok := k.verifiers[kind].(intelCollateralChecker)
		if !ok {
			return types.Collateral{}, unknownKind(kind)
		}
		info, err = v.CheckCollateral(msg.Sgx.ToAttest(), now)
	case msg.Snp != nil && msg.Tdx == nil && msg.Sgx == nil:
		kind = attest.KindSEVSNP
		v, ok := k.verifiers[kind].(snpCollateralChecker)
		if !ok {
			return types.Collateral{}, unknownKind(kind)
		}
		info, err = v.CheckCollateral(msg.Snp.ToAttest(), now)
	default:
		return types.Collateral{}, errorsmod.Wrap(types.ErrInvalidCollateral, "set exactly one of tdx, snp and sgx")
	}
	if err != nil {
		return types.Collateral{}, attestError(err)
	}
	c := types.Collateral{TeeKind: kind, PlatformId: info.PlatformID, Tdx: msg.Tdx, Snp: msg.Snp, Sgx: msg.Sgx,
		SetHeight: sdkCtx.BlockHeight(), NotAfterUnix: info.NotAfter.Unix()}
	if err := types.ValidateCollateralShape(c.TeeKind, c.PlatformId, c.Tdx, c.Snp, c.Sgx); err != nil {
		return types.Collateral{}, err
	}
	if err := k.Collaterals.Set(ctx, collections.Join(kind, info.PlatformID), c); err != nil {
		return types.Collateral{}, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventCollateralSet,
		sdk.NewAttribute(types.AttributeTEEKind, kind), sdk.NewAttribute(types.AttributePlatformID, info.PlatformID),
		sdk.NewAttribute(types.AttributeNotAfter, info.NotAfter.UTC().Format(time.RFC3339))))
	return c, nil
}

// RemoveCollateral deletes stored collateral.
func (k *Keeper) RemoveCollateral(ctx context.Context, msg *types.MsgRemoveCollateral) error {
	if err := k.checkAuthority(msg.Authority); err != nil {
		return err
	}
	key := collections.Join(msg.TeeKind, msg.PlatformId)
	if has, err := k.Collaterals.Has(ctx, key); err != nil {
		return err
	} else if !has {
		return errorsmod.Wrapf(types.ErrNoCollateral, "%.32q/%.32q", msg.TeeKind, msg.PlatformId)
	}
	if err := k.Collaterals.Remove(ctx, key); err != nil {
		return err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventCollateralRemoved,
		sdk.NewAttribute(types.AttributeTEEKind, msg.TeeKind), sdk.NewAttribute(types.AttributePlatformID, msg.PlatformId)))
	return nil
}

// attestError maps a verifier error to the registered error naming its
// cause; the verifier's message is kept as detail.
func attestError(err error) error {
	for _, m := range []struct {
		sentinel, registered error
	}{
		{attest.ErrMalformedQuote, types.ErrMalformedAttestation},
		{attest.ErrNoCollateral, types.ErrNoCollateral},
		{attest.ErrCollateralExpired, types.ErrCollateralExpired},
		{attest.ErrInvalidCollateral, types.ErrInvalidCollateral},
		{attest.ErrCertificateRevoked, types.ErrCertificateRevoked},
		{attest.ErrCertificateChain, types.ErrCertificateChain},
		{attest.ErrTCBNotAccepted, types.ErrTCBNotAccepted},
		{attest.ErrPlatformMismatch, types.ErrPlatformMismatch},
	} {
		if errors.Is(err, m.sentinel) {
			return errorsmod.Wrap(m.registered, err.Error())
		}
	}
	return errorsmod.Wrap(types.ErrInvalidAttestation, err.Error())
}
