package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the messages for amino JSON signing.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	cdc.RegisterConcrete(&MsgUpdateParams{}, "gatekeeper/x/gatekeeper/MsgUpdateParams", nil)
	cdc.RegisterConcrete(&MsgAddGatekeeper{}, "gatekeeper/x/gatekeeper/MsgAddGatekeeper", nil)
	cdc.RegisterConcrete(&MsgRemoveGatekeeper{}, "gatekeeper/x/gatekeeper/MsgRemoveGatekeeper", nil)
	cdc.RegisterConcrete(&MsgCreateCluster{}, "gatekeeper/x/gatekeeper/MsgCreateCluster", nil)
	cdc.RegisterConcrete(&MsgAddClusterWorker{}, "gatekeeper/x/gatekeeper/MsgAddClusterWorker", nil)
	cdc.RegisterConcrete(&MsgRemoveClusterWorker{}, "gatekeeper/x/gatekeeper/MsgRemoveClusterWorker", nil)
	cdc.RegisterConcrete(&MsgInviteClusterWorker{}, "gatekeeper/x/gatekeeper/MsgInviteClusterWorker", nil)
	cdc.RegisterConcrete(&MsgJoinCluster{}, "gatekeeper/x/gatekeeper/MsgJoinCluster", nil)
	cdc.RegisterConcrete(&MsgCancelClusterInvite{}, "gatekeeper/x/gatekeeper/MsgCancelClusterInvite", nil)
	cdc.RegisterConcrete(&MsgRotateMasterKey{}, "gatekeeper/x/gatekeeper/MsgRotateMasterKey", nil)
	cdc.RegisterConcrete(&MsgScheduleMigration{}, "gatekeeper/x/gatekeeper/MsgScheduleMigration", nil)
}

// RegisterInterfaces registers the messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgUpdateParams{}, &MsgAddGatekeeper{}, &MsgRemoveGatekeeper{}, &MsgCreateCluster{}, &MsgAddClusterWorker{}, &MsgRemoveClusterWorker{}, &MsgInviteClusterWorker{}, &MsgJoinCluster{}, &MsgCancelClusterInvite{}, &MsgRotateMasterKey{}, &MsgScheduleMigration{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
