// Package app wires the gkd application: the Cosmos SDK modules an operator
// expects (auth, bank, staking, distribution, mint, slashing, gov, upgrade,
// consensus) and Gatekeeper's own (mq, registry, gatekeeper, computation),
// with the ante chain that filters egress messages before fees are taken.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cast"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	reflectionv1 "cosmossdk.io/api/cosmos/reflection/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/core/store"
	"cosmossdk.io/log"
	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/tx/signing"
	"cosmossdk.io/x/upgrade"
	upgradekeeper "cosmossdk.io/x/upgrade/keeper"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	nodeservice "github.com/cosmos/cosmos-sdk/client/grpc/node"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	runtimeservices "github.com/cosmos/cosmos-sdk/runtime/services"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/cosmos/cosmos-sdk/std"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authcodec "github.com/cosmos/cosmos-sdk/x/auth/codec"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authsims "github.com/cosmos/cosmos-sdk/x/auth/simulation"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/bank"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	consensuskeeper "github.com/cosmos/cosmos-sdk/x/consensus/keeper"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govclient "github.com/cosmos/cosmos-sdk/x/gov/client"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1beta1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1beta1"
	"github.com/cosmos/cosmos-sdk/x/mint"
	mintkeeper "github.com/cosmos/cosmos-sdk/x/mint/keeper"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/computation"
	computationkeeper "github.com/gatekeeper-net/gatekeeper/x/computation/keeper"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper"
	gatekeeperkeeper "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/migration"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	"github.com/gatekeeper-net/gatekeeper/x/mq"
	mqante "github.com/gatekeeper-net/gatekeeper/x/mq/ante"
	mqkeeper "github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry"
	registrykeeper "github.com/gatekeeper-net/gatekeeper/x/registry/keeper"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// maccPerms are the module accounts and what each may do with coins.
var maccPerms = map[string][]string{
	authtypes.FeeCollectorName:     nil,
	distrtypes.ModuleName:          nil,
	minttypes.ModuleName:           {authtypes.Minter},
	stakingtypes.BondedPoolName:    {authtypes.Burner, authtypes.Staking},
	stakingtypes.NotBondedPoolName: {authtypes.Burner, authtypes.Staking},
	govtypes.ModuleName:            {authtypes.Burner},
	// computation escrows stakes and mints the computing budget; the
	// treasury's part of every payout goes to computation_treasury.
	computationtypes.ModuleName:   {authtypes.Minter, authtypes.Burner},
	computationtypes.TreasuryName: nil,
}

var _ servertypes.Application = (*App)(nil)

// App is the gkd application.
type App struct {
	*baseapp.BaseApp

	legacyAmino       *codec.LegacyAmino
	appCodec          codec.Codec
	txConfig          client.TxConfig
	interfaceRegistry types.InterfaceRegistry
	keys              map[string]*storetypes.KVStoreKey

	AccountKeeper    authkeeper.AccountKeeper
	BankKeeper       bankkeeper.BaseKeeper
	StakingKeeper    *stakingkeeper.Keeper
	SlashingKeeper   slashingkeeper.Keeper
	MintKeeper       mintkeeper.Keeper
	DistrKeeper      distrkeeper.Keeper
	GovKeeper        *govkeeper.Keeper
	UpgradeKeeper    *upgradekeeper.Keeper
	ConsensusKeeper  consensuskeeper.Keeper
	MQKeeper         *mqkeeper.Keeper
	RegistryKeeper   *registrykeeper.Keeper
	GatekeeperKeeper *gatekeeperkeeper.Keeper
	// MigrationKeeper runs pRuntime migrations (x/gatekeeper/migration).
	MigrationKeeper *migration.Keeper
	// ComputationKeeper runs computing sessions and pays settlements.
	ComputationKeeper *computationkeeper.Keeper
	// migrations are the pRuntime migration records (the metrics read them).
	migrations *migration.Store
	// metrics are the chain-side metrics of our modules (metrics.go).
	metrics *moduleMetrics

	ModuleManager      *module.Manager
	BasicModuleManager module.BasicManager
	configurator       module.Configurator

	// lastUpgradeHandled: the last applied x/upgrade plan has its handler
	// (see registerMigrationUpgrades).
	lastUpgradeHandled bool
}

// New returns the application. It panics on wiring errors, which are bugs
// found at start-up, never at run time.
func New(logger log.Logger, db dbm.DB, traceStore io.Writer, loadLatest bool,
	appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp),
) *App {
	SetAddressPrefixes()
	interfaceRegistry, err := types.NewInterfaceRegistryWithOptions(types.InterfaceRegistryOptions{
		ProtoFiles: proto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          address.Bech32Codec{Bech32Prefix: sdk.GetConfig().GetBech32AccountAddrPrefix()},
			ValidatorAddressCodec: address.Bech32Codec{Bech32Prefix: sdk.GetConfig().GetBech32ValidatorAddrPrefix()},
		},
	})
	if err != nil {
		panic(err)
	}
	appCodec := codec.NewProtoCodec(interfaceRegistry)
	legacyAmino := codec.NewLegacyAmino()
	txConfig := authtx.NewTxConfig(appCodec, authtx.DefaultSignModes)
	std.RegisterLegacyAminoCodec(legacyAmino)
	std.RegisterInterfaces(interfaceRegistry)

	bApp := baseapp.NewBaseApp(Name, logger, db, txConfig.TxDecoder(), baseAppOptions...)
	bApp.SetCommitMultiStoreTracer(traceStore)
	bApp.SetVersion(buildinfo.Version())
	bApp.SetInterfaceRegistry(interfaceRegistry)
	bApp.SetTxEncoder(txConfig.TxEncoder())

	keys := storetypes.NewKVStoreKeys(
		authtypes.StoreKey, banktypes.StoreKey, stakingtypes.StoreKey, minttypes.StoreKey,
		distrtypes.StoreKey, slashingtypes.StoreKey, govtypes.StoreKey, consensustypes.StoreKey,
		upgradetypes.StoreKey, mqtypes.StoreKey, registrytypes.StoreKey,
		gatekeepertypes.StoreKey, computationtypes.StoreKey,
	)

	app := &App{
		BaseApp:           bApp,
		legacyAmino:       legacyAmino,
		appCodec:          appCodec,
		txConfig:          txConfig,
		interfaceRegistry: interfaceRegistry,
		keys:              keys,
	}
	authority := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	accCodec := authcodec.NewBech32Codec(sdk.GetConfig().GetBech32AccountAddrPrefix())
	kv := func(name string) store.KVStoreService { return runtime.NewKVStoreService(keys[name]) }

	app.ConsensusKeeper = consensuskeeper.NewKeeper(appCodec, kv(consensustypes.StoreKey), authority, runtime.EventService{})
	bApp.SetParamStore(app.ConsensusKeeper.ParamsStore)

	app.AccountKeeper = authkeeper.NewAccountKeeper(appCodec, kv(authtypes.StoreKey), authtypes.ProtoBaseAccount,
		maccPerms, accCodec, sdk.GetConfig().GetBech32AccountAddrPrefix(), authority)
	app.BankKeeper = bankkeeper.NewBaseKeeper(appCodec, kv(banktypes.StoreKey), app.AccountKeeper,
		blockedAddresses(), authority, logger)
	app.StakingKeeper = stakingkeeper.NewKeeper(appCodec, kv(stakingtypes.StoreKey), app.AccountKeeper, app.BankKeeper, authority,
		authcodec.NewBech32Codec(sdk.GetConfig().GetBech32ValidatorAddrPrefix()),
		authcodec.NewBech32Codec(sdk.GetConfig().GetBech32ConsensusAddrPrefix()))
	app.MintKeeper = mintkeeper.NewKeeper(appCodec, kv(minttypes.StoreKey), app.StakingKeeper, app.AccountKeeper, app.BankKeeper,
		authtypes.FeeCollectorName, authority)
	app.DistrKeeper = distrkeeper.NewKeeper(appCodec, kv(distrtypes.StoreKey), app.AccountKeeper, app.BankKeeper, app.StakingKeeper,
		authtypes.FeeCollectorName, authority)
	app.SlashingKeeper = slashingkeeper.NewKeeper(appCodec, legacyAmino, kv(slashingtypes.StoreKey), app.StakingKeeper, authority)
	app.StakingKeeper.SetHooks(stakingtypes.NewMultiStakingHooks(app.DistrKeeper.Hooks(), app.SlashingKeeper.Hooks()))

	skipUpgradeHeights := map[int64]bool{}
	for _, h := range cast.ToIntSlice(appOpts.Get(server.FlagUnsafeSkipUpgrades)) {
		skipUpgradeHeights[int64(h)] = true
	}
	homePath := cast.ToString(appOpts.Get(flags.FlagHome))
	app.UpgradeKeeper = upgradekeeper.NewKeeper(skipUpgradeHeights, kv(upgradetypes.StoreKey), appCodec, homePath, app.BaseApp, authority)

	app.GovKeeper = govkeeper.NewKeeper(appCodec, kv(govtypes.StoreKey), app.AccountKeeper, app.BankKeeper,
		app.StakingKeeper, app.DistrKeeper, app.MsgServiceRouter(), govtypes.DefaultConfig(), authority)
	app.GovKeeper.SetLegacyRouter(govv1beta1.NewRouter().AddRoute(govtypes.RouterKey, govv1beta1.ProposalHandler))

	if app.MQKeeper, err = mqkeeper.NewKeeper(appCodec, kv(mqtypes.StoreKey), accCodec, authority); err != nil {
		panic(err)
	}
	if app.RegistryKeeper, err = registrykeeper.NewKeeper(appCodec, kv(registrytypes.StoreKey), accCodec, authority,
		app.MQKeeper, Verifiers()...); err != nil {
		panic(err)
	}
	// The migration records, then the gatekeeper keeper that reads them,
	// then the migration keeper that acts on both: one way, no setters.
	migrations, err := migration.NewStore(appCodec, kv(gatekeepertypes.StoreKey))
	if err != nil {
		panic(err)
	}
	app.migrations = migrations
	if app.GatekeeperKeeper, err = gatekeeperkeeper.NewKeeper(appCodec, kv(gatekeepertypes.StoreKey), accCodec, authority,
		app.RegistryKeeper, app.MQKeeper, migrations); err != nil {
		panic(err)
	}
	if app.MigrationKeeper, err = migration.NewKeeper(migrations, app.GatekeeperKeeper, app.RegistryKeeper,
		app.MQKeeper, app.UpgradeKeeper); err != nil {
		panic(err)
	}
	app.MQKeeper.SetSenderRegistry(senders{app.RegistryKeeper, app.GatekeeperKeeper})
	app.metrics = newModuleMetrics(app)
	app.RegistryKeeper.SetRegistrationObserver(app.metrics.observeRegistration)
	app.addRegistryRoutes()
	app.addGatekeeperRoutes()
	if app.ComputationKeeper, err = computationkeeper.NewKeeper(appCodec, kv(computationtypes.StoreKey), accCodec, authority,
		app.MQKeeper, computationkeeper.NewRegistryView(app.RegistryKeeper, app.GatekeeperKeeper), app.BankKeeper); err != nil {
		panic(err)
	}
	computation.AddRoutes(app.MQKeeper.Router(), app.ComputationKeeper)

	app.ModuleManager = module.NewManager(
		genutil.NewAppModule(app.AccountKeeper, app.StakingKeeper, app, txConfig),
		auth.NewAppModule(appCodec, app.AccountKeeper, authsims.RandomGenesisAccounts, nil),
		bank.NewAppModule(appCodec, app.BankKeeper, app.AccountKeeper, nil),
		gov.NewAppModule(appCodec, app.GovKeeper, app.AccountKeeper, app.BankKeeper, nil),
		mint.NewAppModule(appCodec, app.MintKeeper, app.AccountKeeper, nil, nil),
		slashing.NewAppModule(appCodec, app.SlashingKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, nil, interfaceRegistry),
		distr.NewAppModule(appCodec, app.DistrKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, nil),
		staking.NewAppModule(appCodec, app.StakingKeeper, app.AccountKeeper, app.BankKeeper, nil),
		upgrade.NewAppModule(app.UpgradeKeeper, accCodec),
		consensus.NewAppModule(appCodec, app.ConsensusKeeper),
		mq.NewAppModule(appCodec, app.MQKeeper),
		registry.NewAppModule(appCodec, app.RegistryKeeper, app.MigrationKeeper),
		gatekeeper.NewAppModule(appCodec, app.GatekeeperKeeper, app.MigrationKeeper),
		computation.NewAppModule(appCodec, app.ComputationKeeper),
	)
	app.BasicModuleManager = module.NewBasicManagerFromManager(app.ModuleManager, map[string]module.AppModuleBasic{
		genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
		govtypes.ModuleName:     gov.NewAppModuleBasic([]govclient.ProposalHandler{}),
	})
	app.BasicModuleManager.RegisterLegacyAminoCodec(legacyAmino)
	app.BasicModuleManager.RegisterInterfaces(interfaceRegistry)

	app.ModuleManager.SetOrderPreBlockers(upgradetypes.ModuleName, authtypes.ModuleName)
	app.ModuleManager.SetOrderBeginBlockers(minttypes.ModuleName, distrtypes.ModuleName, slashingtypes.ModuleName,
		stakingtypes.ModuleName, genutiltypes.ModuleName)
	app.ModuleManager.SetOrderEndBlockers(govtypes.ModuleName, stakingtypes.ModuleName, genutiltypes.ModuleName,
		gatekeepertypes.ModuleName, computationtypes.ModuleName, mqtypes.ModuleName)
	genesisOrder := []string{
		authtypes.ModuleName, banktypes.ModuleName, distrtypes.ModuleName, stakingtypes.ModuleName,
		slashingtypes.ModuleName, govtypes.ModuleName, minttypes.ModuleName, genutiltypes.ModuleName,
		upgradetypes.ModuleName, consensustypes.ModuleName, mqtypes.ModuleName, registrytypes.ModuleName,
		gatekeepertypes.ModuleName, computationtypes.ModuleName,
	}
	app.ModuleManager.SetOrderInitGenesis(genesisOrder...)
	app.ModuleManager.SetOrderExportGenesis(genesisOrder...)

	app.configurator = module.NewConfigurator(appCodec, app.MsgServiceRouter(), app.GRPCQueryRouter())
	if err := app.ModuleManager.RegisterServices(app.configurator); err != nil {
		panic(err)
	}
	autocliv1.RegisterQueryServer(app.GRPCQueryRouter(), runtimeservices.NewAutoCLIQueryService(app.ModuleManager.Modules))
	reflectionSvc, err := runtimeservices.NewReflectionService()
	if err != nil {
		panic(err)
	}
	reflectionv1.RegisterReflectionServiceServer(app.GRPCQueryRouter(), reflectionSvc)

	app.MountKVStores(keys)
	app.SetInitChainer(app.InitChainer)
	app.SetPreBlocker(app.PreBlocker)
	app.SetBeginBlocker(app.BeginBlocker)
	app.SetEndBlocker(app.EndBlocker)
	app.SetAnteHandler(app.newAnteHandler())

	if loadLatest {
		if err := app.LoadLatestVersion(); err != nil {
			panic(fmt.Sprintf("gkd: loading latest version: %v", err))
		}
	}
	return app
}

// Verifiers are the quote verifiers the chain knows, one per TEE kind.
// The hardware verifiers trust only the vendor roots pinned in their code
// and the collateral governance stored; sim quotes are accepted only while
// the registry's allow_simulated_tee param is on.
func Verifiers() []attest.Verifier {
	return []attest.Verifier{attest.SimVerifier{}, tdx.Verifier{}, snp.Verifier{}, sgx.Verifier{}}
}

// senders is x/mq's SenderRegistry: x/registry knows the workers,
// x/gatekeeper the gatekeepers.
type senders struct {
	*registrykeeper.Keeper
	gk *gatekeeperkeeper.Keeper
}

// GatekeeperKeys returns the current gatekeepers' identity keys in key
// order.
func (s senders) GatekeeperKeys(ctx context.Context) ([][]byte, error) {
	return s.gk.GatekeeperKeys(ctx)
}

// route is one row of a module's egress route table.
type route struct {
	topic   string
	origins []protocol.OriginKind
	handler mqkeeper.Handler
}

var (
	fromWorker      = []protocol.OriginKind{protocol.OriginWorker}
	fromGatekeepers = []protocol.OriginKind{protocol.OriginGatekeeper}
)

// addRegistryRoutes routes x/registry's egress topics: a worker announces
// its endpoint from its own worker origin.
func (app *App) addRegistryRoutes() {
	r, k := app.MQKeeper.Router(), app.RegistryKeeper
	for _, route := range []route{
		{protocol.TopicWorkerEndpoint, fromWorker, k.HandleEndpoint},
	} {
		r.AddRouteFor(registrytypes.ModuleName, route.topic, route.origins, route.handler)
	}
}

// addGatekeeperRoutes routes x/gatekeeper's egress topics. Each topic takes
// one origin kind: what a single worker reports (the master key it
// generated, key copies, faults, a rotation's proposal, acknowledgement and
// re-encryption progress, a migration's handover, readiness and faults)
// comes from its worker origin; what the gatekeepers must agree on (cluster
// public keys, beacons) comes only from the gatekeeper origin, at a quorum,
// at the sequence of a gatekeeper task.
func (app *App) addGatekeeperRoutes() {
	r, k, m := app.MQKeeper.Router(), app.GatekeeperKeeper, app.MigrationKeeper
	for _, route := range []route{
		{protocol.TopicMasterKey, fromWorker, k.HandleMasterKey},
		{protocol.TopicMasterKeyCopy, fromWorker, k.HandleMasterKeyCopy},
		{protocol.TopicGatekeeperLive, fromWorker, k.HandleGatekeeperLive},
		{protocol.TopicKeyFault, fromWorker, k.HandleKeyFault},
		{protocol.TopicClusterKeyCopy, fromWorker, k.HandleClusterKeyCopy},
		{protocol.TopicClusterKeyRequest, fromWorker, k.HandleClusterKeyRequest},
		{protocol.TopicMasterKeyRefetch, fromWorker, k.HandleMasterKeyRefetch},
		{protocol.TopicRotationProposal, fromWorker, k.HandleRotationProposal},
		{protocol.TopicRotationAck, fromWorker, k.HandleRotationAck},
		{protocol.TopicReencryptProgress, fromWorker, k.HandleReencryptProgress},
		{protocol.TopicClusterKeyAck, fromWorker, k.HandleClusterKeyAck},
		{protocol.TopicMigrationHandover, fromWorker, m.HandleMigrationHandover},
		{protocol.TopicMigrationReady, fromWorker, m.HandleMigrationReady},
		{protocol.TopicMigrationFault, fromWorker, m.HandleMigrationFault},
		{protocol.TopicClusterKey, fromGatekeepers, k.HandleClusterKey},
		{protocol.TopicBeacon, fromGatekeepers, k.HandleBeacon},
	} {
		r.AddRouteFor(gatekeepertypes.ModuleName, route.topic, route.origins, route.handler)
	}
}

// newAnteHandler is the SDK's standard chain with x/mq's egress filter before
// fee deduction, so that only a fully valid, fresh gatekeeper-only
// transaction skips the fee.
func (app *App) newAnteHandler() sdk.AnteHandler {
	return sdk.ChainAnteDecorators(
		ante.NewSetUpContextDecorator(),
		ante.NewExtensionOptionsDecorator(nil),
		ante.NewValidateBasicDecorator(),
		ante.NewTxTimeoutHeightDecorator(),
		ante.NewValidateMemoDecorator(app.AccountKeeper),
		ante.NewConsumeGasForTxSizeDecorator(app.AccountKeeper),
		mqante.NewEgressDecorator(app.MQKeeper),
		mqante.NewFeeWaiverDecorator(ante.NewDeductFeeDecorator(app.AccountKeeper, app.BankKeeper, nil, nil)),
		ante.NewSetPubKeyDecorator(app.AccountKeeper),
		ante.NewValidateSigCountDecorator(app.AccountKeeper),
		ante.NewSigGasConsumeDecorator(app.AccountKeeper, ante.DefaultSigVerificationGasConsumer),
		ante.NewSigVerificationDecorator(app.AccountKeeper, app.txConfig.SignModeHandler()),
		ante.NewIncrementSequenceDecorator(app.AccountKeeper),
	)
}

// InitChainer initializes every module from the genesis app state.
func (app *App) InitChainer(ctx sdk.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	var state map[string]json.RawMessage
	if err := json.Unmarshal(req.AppStateBytes, &state); err != nil {
		return nil, fmt.Errorf("gkd: genesis app state: %w", err)
	}
	if err := app.UpgradeKeeper.SetModuleVersionMap(ctx, app.ModuleManager.GetVersionMap()); err != nil {
		return nil, err
	}
	return app.ModuleManager.InitGenesis(ctx, app.appCodec, state)
}

// PreBlocker runs the modules' pre-blockers (upgrade first), after giving
// x/upgrade the handler of a pRuntime migration whose plan is due.
func (app *App) PreBlocker(ctx sdk.Context, _ *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
	if err := app.registerMigrationUpgrades(ctx); err != nil {
		return nil, err
	}
	return app.ModuleManager.PreBlock(ctx)
}

// BeginBlocker runs the modules' begin-blockers.
func (app *App) BeginBlocker(ctx sdk.Context) (sdk.BeginBlock, error) {
	return app.ModuleManager.BeginBlock(ctx)
}

// EndBlocker runs the modules' end-blockers.
func (app *App) EndBlocker(ctx sdk.Context) (sdk.EndBlock, error) {
	return app.ModuleManager.EndBlock(ctx)
}

// Configurator returns the module configurator (for upgrade migrations).
func (app *App) Configurator() module.Configurator { return app.configurator }

// LegacyAmino returns the amino codec.
func (app *App) LegacyAmino() *codec.LegacyAmino { return app.legacyAmino }

// AppCodec returns the proto codec.
func (app *App) AppCodec() codec.Codec { return app.appCodec }

// InterfaceRegistry returns the interface registry.
func (app *App) InterfaceRegistry() types.InterfaceRegistry { return app.interfaceRegistry }

// TxConfig returns the tx config.
func (app *App) TxConfig() client.TxConfig { return app.txConfig }

// DefaultGenesis returns every module's default genesis.
func (app *App) DefaultGenesis() map[string]json.RawMessage {
	return app.BasicModuleManager.DefaultGenesis(app.appCodec)
}

// GetKey returns a store key (tests and proofs).
func (app *App) GetKey(name string) *storetypes.KVStoreKey { return app.keys[name] }

// AutoCLIOptions returns what autocli needs to build the module commands.
func (app *App) AutoCLIOptions() autocli.AppOptions {
	modules := make(map[string]appmodule.AppModule)
	for name, m := range app.ModuleManager.Modules {
		if am, ok := m.(appmodule.AppModule); ok {
			modules[name] = am
		}
	}
	cfg := sdk.GetConfig()
	return autocli.AppOptions{
		Modules:               modules,
		ModuleOptions:         runtimeservices.ExtractAutoCLIOptions(app.ModuleManager.Modules),
		AddressCodec:          authcodec.NewBech32Codec(cfg.GetBech32AccountAddrPrefix()),
		ValidatorAddressCodec: authcodec.NewBech32Codec(cfg.GetBech32ValidatorAddrPrefix()),
		ConsensusAddressCodec: authcodec.NewBech32Codec(cfg.GetBech32ConsensusAddrPrefix()),
	}
}

// RegisterAPIRoutes registers the REST gateway routes of every module.
func (app *App) RegisterAPIRoutes(apiSvr *api.Server, _ config.APIConfig) {
	clientCtx := apiSvr.ClientCtx
	authtx.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	cmtservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	nodeservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	app.BasicModuleManager.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
}

// RegisterTxService registers the tx gRPC service.
func (app *App) RegisterTxService(clientCtx client.Context) {
	authtx.RegisterTxService(app.GRPCQueryRouter(), clientCtx, app.Simulate, app.interfaceRegistry)
}

// RegisterTendermintService registers the CometBFT gRPC service.
func (app *App) RegisterTendermintService(clientCtx client.Context) {
	cmtApp := server.NewCometABCIWrapper(app)
	cmtservice.RegisterTendermintService(clientCtx, app.GRPCQueryRouter(), app.interfaceRegistry, cmtApp.Query)
}

// RegisterNodeService registers the node gRPC service.
func (app *App) RegisterNodeService(clientCtx client.Context, cfg config.Config) {
	nodeservice.RegisterNodeService(clientCtx, app.GRPCQueryRouter(), cfg)
}

// blockedAddresses are module accounts that may not receive coins by send.
func blockedAddresses() map[string]bool {
	blocked := make(map[string]bool, len(maccPerms))
	for name := range maccPerms {
		blocked[authtypes.NewModuleAddress(name).String()] = true
	}
	return blocked
}

// DefaultNodeHome is $HOME/.gkd.
func DefaultNodeHome() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return DefaultNodeDir
	}
	return filepath.Join(home, DefaultNodeDir)
}

// LoadHeight loads the state at a height (for export).
func (app *App) LoadHeight(height int64) error { return app.LoadVersion(height) }
