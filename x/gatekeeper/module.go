// Package gatekeeper is the gatekeeper module: the chain's side of the
// gatekeeper protocol (DESIGN.md §6, §7): the gatekeeper set and its launch,
// the master key history and its copies, clusters and their keys, the random
// beacon, master key rotation, pRuntime migration and key requests. It
// depends on x/registry for the workers it hands keys to (keeper/doc.go).
// Its state is kept by two keepers on the one "gatekeeper" store: keeper
// (the gatekeeper protocol) and migration (pRuntime migration, which
// depends on keeper; see migration/doc.go).
package gatekeeper

import (
	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"
	"github.com/spf13/cobra"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/client/cli"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/migration"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// ConsensusVersion is the module's state version, bumped by migrations.
const ConsensusVersion = 1

var (
	_ module.AppModuleBasic = AppModule{}
	_ module.HasGenesis     = AppModule{}
	_ module.HasServices    = AppModule{}

	_ appmodule.AppModule     = AppModule{}
	_ appmodule.HasEndBlocker = AppModule{}
)

// AppModule is x/gatekeeper's module.
type AppModule struct {
	cdc        codec.Codec
	keeper     *keeper.Keeper
	migrations *migration.Keeper
}

// NewAppModule returns the module of the gatekeeper keeper k and the
// migration keeper migrations.
func NewAppModule(cdc codec.Codec, k *keeper.Keeper, migrations *migration.Keeper) AppModule {
	return AppModule{cdc: cdc, keeper: k, migrations: migrations}
}

// Name returns the module name.
func (AppModule) Name() string { return types.ModuleName }

// RegisterLegacyAminoCodec registers amino names.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the messages.
func (AppModule) RegisterInterfaces(r codectypes.InterfaceRegistry) { types.RegisterInterfaces(r) }

// RegisterGRPCGatewayRoutes registers the REST routes.
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(err)
	}
}

// DefaultGenesis returns the default genesis.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesisState())
}

// ValidateGenesis checks a genesis.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("gatekeeper: genesis: %w", err)
	}
	return gs.Validate()
}

// GetQueryCmd returns the hand-written query commands (rotation, migration); autocli
// adds the generated ones to it (EnhanceCustomCommand).
func (AppModule) GetQueryCmd() *cobra.Command { return cli.GetQueryCmd() }

// IsOnePerModuleType implements appmodule.AppModule.
func (AppModule) IsOnePerModuleType() {}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// RegisterServices registers the Msg and Query services.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper, am.migrations))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQueryServerImpl(am.keeper, am.migrations))
}

// InitGenesis loads the genesis.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, data json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(data, &gs)
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Sprintf("gatekeeper: init genesis: %v", err))
	}
	if err := am.migrations.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Sprintf("gatekeeper: init genesis: %v", err))
	}
}

// ExportGenesis dumps the state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err == nil {
		err = am.migrations.ExportGenesis(ctx, gs)
	}
	if err != nil {
		panic(fmt.Sprintf("gatekeeper: export genesis: %v", err))
	}
	return cdc.MustMarshalJSON(gs)
}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// EndBlock cancels a pending migration whose x/upgrade plan is gone, then
// runs the master key rotation's timed steps and asks the gatekeepers for a
// beacon every beacon_interval_blocks.
func (am AppModule) EndBlock(ctx context.Context) error {
	if err := am.migrations.EndBlock(ctx); err != nil {
		return err
	}
	return am.keeper.EndBlock(ctx)
}
