// Package registry is the registry module: attested workers, the allow-list
// of pRuntime measurements, vendor collateral and worker endpoints
// (DESIGN.md §7). The gatekeeper protocol is x/gatekeeper.
package registry

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

	"github.com/gatekeeper-net/gatekeeper/x/registry/client/cli"
	"github.com/gatekeeper-net/gatekeeper/x/registry/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// ConsensusVersion is the module's state version, bumped by migrations.
const ConsensusVersion = 2

var (
	_ module.AppModuleBasic = AppModule{}
	_ module.HasGenesis     = AppModule{}
	_ module.HasServices    = AppModule{}

	_ appmodule.AppModule = AppModule{}
)

// AppModule is x/registry's module.
type AppModule struct {
	cdc    codec.Codec
	keeper *keeper.Keeper
	gk     types.GatekeeperProtocol
}

// NewAppModule returns the module. gk is the gatekeeper protocol
// (x/gatekeeper's keeper), which the Msg and Query services call: built
// after x/registry's keeper, which it depends on, and before this module.
func NewAppModule(cdc codec.Codec, k *keeper.Keeper, gk types.GatekeeperProtocol) AppModule {
	return AppModule{cdc: cdc, keeper: k, gk: gk}
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
		return fmt.Errorf("registry: genesis: %w", err)
	}
	return gs.Validate()
}

// GetTxCmd returns the hand-written tx commands (set-collateral); autocli
// adds the generated ones to it (EnhanceCustomCommand).
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }

// IsOnePerModuleType implements appmodule.AppModule.
func (AppModule) IsOnePerModuleType() {}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// RegisterServices registers the Msg and Query services.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper, am.gk))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQueryServerImpl(am.keeper, am.gk))
	if err := cfg.RegisterMigration(types.ModuleName, 1, am.keeper.Migrate1to2); err != nil {
		panic(fmt.Sprintf("registry: registering migration 1 to 2: %v", err))
	}
}

// InitGenesis loads the genesis.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, data json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(data, &gs)
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Sprintf("registry: init genesis: %v", err))
	}
}

// ExportGenesis dumps the state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Sprintf("registry: export genesis: %v", err))
	}
	return cdc.MustMarshalJSON(gs)
}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }
