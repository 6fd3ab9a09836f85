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
	cdc.RegisterConcrete(&MsgAddGatekeeper{}, "gatekeeper/x/registry/MsgAddGatekeeper", nil)
	cdc.RegisterConcrete(&MsgRemoveGatekeeper{}, "gatekeeper/x/registry/MsgRemoveGatekeeper", nil)
	cdc.RegisterConcrete(&MsgCreateCluster{}, "gatekeeper/x/registry/MsgCreateCluster", nil)
	cdc.RegisterConcrete(&MsgAddClusterWorker{}, "gatekeeper/x/registry/MsgAddClusterWorker", nil)
	cdc.RegisterConcrete(&MsgRemoveClusterWorker{}, "gatekeeper/x/registry/MsgRemoveClusterWorker", nil)
	cdc.RegisterConcrete(&MsgSetCollateral{}, "gatekeeper/x/registry/MsgSetCollateral", nil)
	cdc.RegisterConcrete(&MsgRemoveCollateral{}, "gatekeeper/x/registry/MsgRemoveCollateral", nil)
	cdc.RegisterConcrete(&MsgRotateMasterKey{}, "gatekeeper/x/registry/MsgRotateMasterKey", nil)
	cdc.RegisterConcrete(&MsgScheduleMigration{}, "gatekeeper/x/registry/MsgScheduleMigration", nil)
	cdc.RegisterConcrete(&MsgInviteClusterWorker{}, "gatekeeper/x/registry/MsgInviteClusterWorker", nil)
	cdc.RegisterConcrete(&MsgJoinCluster{}, "gatekeeper/x/registry/MsgJoinCluster", nil)
	cdc.RegisterConcrete(&MsgCancelClusterInvite{}, "gatekeeper/x/registry/MsgCancelClusterInvite", nil)
}

// RegisterInterfaces registers the messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRegisterWorker{}, &MsgUpdateParams{}, &MsgAddMeasurement{},
		&MsgRemoveMeasurement{}, &MsgAddGatekeeper{}, &MsgRemoveGatekeeper{},
		&MsgCreateCluster{}, &MsgAddClusterWorker{}, &MsgRemoveClusterWorker{},
		&MsgSetCollateral{}, &MsgRemoveCollateral{}, &MsgRotateMasterKey{},
		&MsgScheduleMigration{},
		&MsgInviteClusterWorker{}, &MsgJoinCluster{}, &MsgCancelClusterInvite{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
