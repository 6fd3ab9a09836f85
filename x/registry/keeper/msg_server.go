package keeper

import (
	"context"
	"encoding/hex"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

type msgServer struct {
	k  *Keeper
	gk types.GatekeeperProtocol
}

// NewMsgServerImpl returns the Msg service. gk pairs a registering
// successor in the pending pRuntime migration (x/gatekeeper's keeper).
func NewMsgServerImpl(k *Keeper, gk types.GatekeeperProtocol) types.MsgServer {
	return msgServer{k: k, gk: gk}
}

var _ types.MsgServer = msgServer{}

func (s msgServer) RegisterWorker(ctx context.Context, msg *types.MsgRegisterWorker) (*types.MsgRegisterWorkerResponse, error) {
	_, err := s.k.RegisterWorker(ctx, msg, s.gk)
	if s.k.observeRegistration != nil && sdk.UnwrapSDKContext(ctx).ExecMode() == sdk.ExecModeFinalize {
		s.k.observeRegistration(err)
	}
	if err != nil {
		return nil, err
	}
	return &types.MsgRegisterWorkerResponse{}, nil
}

func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := s.k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, s.k.Params.Set(ctx, msg.Params)
}

func (s msgServer) AddMeasurement(ctx context.Context, msg *types.MsgAddMeasurement) (*types.MsgAddMeasurementResponse, error) {
	if err := s.k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	key, err := s.k.measurementKey(msg.TeeKind, msg.Measurement)
	if err != nil {
		return nil, err
	}
	if has, err := s.k.Measurements.Has(ctx, key); err != nil {
		return nil, err
	} else if has {
		return nil, errorsmod.Wrapf(types.ErrMeasurementExists, "%s %s", msg.TeeKind, msg.Measurement)
	}
	if len(msg.Description) > types.MaxMeasurementDescriptionLen {
		return nil, errorsmod.Wrapf(types.ErrInvalidMeasurement, "description longer than %d bytes", types.MaxMeasurementDescriptionLen)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	m := types.Measurement{TeeKind: msg.TeeKind, Measurement: key.K2(), Description: msg.Description, AddedHeight: sdkCtx.BlockHeight()}
	if err := s.k.Measurements.Set(ctx, key, m); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventMeasurementAdded,
		sdk.NewAttribute(types.AttributeTEEKind, msg.TeeKind), sdk.NewAttribute(types.AttributeMeasurement, hex.EncodeToString(key.K2()))))
	return &types.MsgAddMeasurementResponse{}, nil
}

func (s msgServer) RemoveMeasurement(ctx context.Context, msg *types.MsgRemoveMeasurement) (*types.MsgRemoveMeasurementResponse, error) {
	if err := s.k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	key, err := s.k.measurementKey(msg.TeeKind, msg.Measurement)
	if err != nil {
		return nil, err
	}
	if has, err := s.k.Measurements.Has(ctx, key); err != nil {
		return nil, err
	} else if !has {
		return nil, errorsmod.Wrapf(types.ErrMeasurementNotFound, "%s %s", msg.TeeKind, msg.Measurement)
	}
	if err := s.k.Measurements.Remove(ctx, key); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventMeasurementRemoved,
		sdk.NewAttribute(types.AttributeTEEKind, msg.TeeKind), sdk.NewAttribute(types.AttributeMeasurement, hex.EncodeToString(key.K2()))))
	return &types.MsgRemoveMeasurementResponse{}, nil
}

// measurementKey validates a TEE kind and hex measurement.
func (k *Keeper) measurementKey(kind, measurementHex string) (collections.Pair[string, []byte], error) {
	if _, ok := k.verifiers[kind]; !ok {
		return collections.Pair[string, []byte]{}, unknownKind(kind)
	}
	m, err := types.ParseMeasurement(measurementHex)
	if err != nil {
		return collections.Pair[string, []byte]{}, err
	}
	// SGX policy entries are MRENCLAVE or MRSIGNER || ISVPRODID || ISVSVN.
	if kind == attest.KindSGX && len(m) != sgx.EnclaveMeasurementLen && len(m) != sgx.SignerMeasurementLen {
		return collections.Pair[string, []byte]{}, errorsmod.Wrapf(types.ErrInvalidMeasurement,
			"sgx measurement is %d bytes: want MRENCLAVE (%d) or MRSIGNER || ISVPRODID || ISVSVN (%d)",
			len(m), sgx.EnclaveMeasurementLen, sgx.SignerMeasurementLen)
	}
	return collections.Join(kind, m), nil
}

func (s msgServer) SetCollateral(ctx context.Context, msg *types.MsgSetCollateral) (*types.MsgSetCollateralResponse, error) {
	c, err := s.k.SetCollateral(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgSetCollateralResponse{PlatformId: c.PlatformId, NotAfterUnix: c.NotAfterUnix}, nil
}

func (s msgServer) RemoveCollateral(ctx context.Context, msg *types.MsgRemoveCollateral) (*types.MsgRemoveCollateralResponse, error) {
	if err := s.k.RemoveCollateral(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgRemoveCollateralResponse{}, nil
}
