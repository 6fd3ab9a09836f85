package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the messages for amino JSON signing.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	cdc.RegisterConcrete(&MsgRegisterWorker{}, "gatekeeper/x/registry/MsgRegisterWorker", nil)
	cdc.RegisterConcrete(&MsgUpdateParams{}, "gatekeeper/x/registry/MsgUpdateParams", nil)
	cdc.RegisterConcrete(&MsgAddMeasurement{}, "gatekeeper/x/registry/MsgAddMeasurement", nil)
	cdc.RegisterConcrete(&MsgRemoveMeasurement{}, "gatekeeper/x/registry/MsgRemoveMeasurement", nil)
	cdc.RegisterConcrete(&MsgSetCollateral{}, "gatekeeper/x/registry/MsgSetCollateral", nil)
	cdc.RegisterConcrete(&MsgRemoveCollateral{}, "gatekeeper/x/registry/MsgRemoveCollateral", nil)
}

// RegisterInterfaces registers the messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRegisterWorker{}, &MsgUpdateParams{}, &MsgAddMeasurement{}, &MsgRemoveMeasurement{}, &MsgSetCollateral{}, &MsgRemoveCollateral{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
