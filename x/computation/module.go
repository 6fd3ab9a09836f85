// Package computation is the computation module (DESIGN.md §8): computing
// sessions of registered workers with escrowed stakes, their performance
// benchmarks, every block closed for the gatekeepers' tokenomic engine, and
// the payouts, treasury share, V and liveness states the gatekeepers' quorum
// settlements report on their computation lane.
package computation

import (
	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/computation/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
	mqkeeper "github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
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

// AppModule is x/computation's module.
type AppModule struct {
	cdc    codec.Codec
	keeper *keeper.Keeper
}

// NewAppModule returns the module.
func NewAppModule(cdc codec.Codec, k *keeper.Keeper) AppModule { return AppModule{cdc: cdc, keeper: k} }

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
		return fmt.Errorf("computation: genesis: %w", err)
	}
	return gs.Validate()
}

// IsOnePerModuleType implements appmodule.AppModule.
func (AppModule) IsOnePerModuleType() {}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// RegisterServices registers the Msg and Query services.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQueryServerImpl(am.keeper))
}

// InitGenesis loads the genesis.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, data json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(data, &gs)
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Sprintf("computation: init genesis: %v", err))
	}
}

// ExportGenesis dumps the state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Sprintf("computation: export genesis: %v", err))
	}
	return cdc.MustMarshalJSON(gs)
}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// EndBlock releases cooled-down stakes and closes the block for the engine.
func (am AppModule) EndBlock(ctx context.Context) error { return am.keeper.EndBlock(ctx) }

// AddRoutes routes x/computation's egress topics, each from one origin
// kind: a worker's own benchmark and heartbeats from its worker origin; the
// settlement, which pays, only from the gatekeeper origin at a quorum (the
// handler further requires the computation lane).
func AddRoutes(r *mqkeeper.Router, k *keeper.Keeper) {
	worker := []protocol.OriginKind{protocol.OriginWorker}
	gatekeepers := []protocol.OriginKind{protocol.OriginGatekeeper}
	r.AddRouteFor(types.ModuleName, protocol.TopicBenchmark, worker, k.HandleBenchmark)
	r.AddRouteFor(types.ModuleName, protocol.TopicHeartbeat, worker, k.HandleHeartbeat)
	r.AddRouteFor(types.ModuleName, protocol.TopicSettlement, gatekeepers, k.HandleSettlement)
}
