package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the messages for amino JSON signing.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	cdc.RegisterConcrete(&MsgStartComputing{}, "gatekeeper/x/computation/MsgStartComputing", nil)
	cdc.RegisterConcrete(&MsgStopComputing{}, "gatekeeper/x/computation/MsgStopComputing", nil)
	cdc.RegisterConcrete(&MsgUpdateParams{}, "gatekeeper/x/computation/MsgUpdateParams", nil)
}

// RegisterInterfaces registers the messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil), &MsgStartComputing{}, &MsgStopComputing{}, &MsgUpdateParams{})
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
