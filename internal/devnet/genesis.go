package devnet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

const (
	// ValidatorKey is the keyring name of the validator's operator account.
	ValidatorKey = "validator"
	// KeyringBackend is the devnet keyring's backend: unencrypted, devnet only.
	KeyringBackend = keyring.BackendTest
	// BenchmarkDuty is the share of a core (percent) the devnet's computing
	// pRuntimes give their benchmark: a devnet shares one machine, so its
	// workers measure (and are paid for) about a twentieth of their score.
	BenchmarkDuty = 5
	// StateDir is the state store under the devnet home that every
	// pRuntime of the devnet shares.
	StateDir = "state"

	accountBalance = 1_000_000_000_000 // of app.BondDenom, per account
	validatorStake = 100_000_000_000
)

// isInitialized reports whether home already holds a devnet genesis.
func isInitialized(home string) bool {
	_, err := os.Stat(filepath.Join(home, "config", "genesis.json"))
	return err == nil
}

// initHome creates keys, configs and the genesis of a new devnet.
func initHome(cfg Config) (Manifest, error) {
	ports := cfg.Ports()
	cmt := cometConfig(cfg)
	for _, dir := range []string{filepath.Join(cfg.Home, "config"), filepath.Join(cfg.Home, "data")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return Manifest{}, fmt.Errorf("devnet: %w", err)
		}
	}
	nodeID, valPubKey, err := genutil.InitializeNodeValidatorFiles(cmt)
	if err != nil {
		return Manifest{}, fmt.Errorf("devnet: validator keys: %w", err)
	}

	// A throwaway app provides codecs and module defaults.
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.EmptyAppOptions{})
	cdc := a.AppCodec()
	kr, err := keyring.New(sdk.KeyringServiceName(), KeyringBackend, cfg.Home, nil, cdc)
	if err != nil {
		return Manifest{}, fmt.Errorf("devnet: keyring: %w", err)
	}
	names := append([]string{ValidatorKey}, cfg.Accounts...)
	for i := range cfg.Gatekeepers + cfg.Workers {
		names = append(names, operatorKey(i))
	}
	accounts := make([]Account, 0, len(names))
	var (
		genAccounts []authtypes.GenesisAccount
		balances    []banktypes.Balance
	)
	for _, name := range names {
		rec, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
		if err != nil {
			return Manifest{}, fmt.Errorf("devnet: key %q: %w", name, err)
		}
		addr, err := rec.GetAddress()
		if err != nil {
			return Manifest{}, err
		}
		accounts = append(accounts, Account{Name: name, Address: addr.String()})
		genAccounts = append(genAccounts, authtypes.NewBaseAccount(addr, nil, 0, 0))
		balances = append(balances, banktypes.Balance{
			Address: addr.String(), Coins: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, accountBalance)),
		})
	}

	state := a.DefaultGenesis()
	authGen := authtypes.GetGenesisStateFromAppState(cdc, state)
	if authGen.Accounts, err = authtypes.PackAccounts(genAccounts); err != nil {
		return Manifest{}, err
	}
	bankGen := banktypes.GetGenesisStateFromAppState(cdc, state)
	bankGen.Balances = banktypes.SanitizeGenesisBalances(balances)
	bankGen.Supply = sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, accountBalance*int64(len(names))))

	govGen := govv1.DefaultGenesisState()
	vp, evp := cfg.VotingPeriod, cfg.VotingPeriod/2
	govGen.Params.VotingPeriod = &vp
	govGen.Params.ExpeditedVotingPeriod = &evp
	govGen.Params.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 10_000_000))
	govGen.Params.ExpeditedMinDeposit = sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 20_000_000))

	var regGen registrytypes.GenesisState
	cdc.MustUnmarshalJSON(state[registrytypes.ModuleName], &regGen)
	regGen.Params.AllowSimulatedTee = true
	var gkGen gatekeepertypes.GenesisState
	cdc.MustUnmarshalJSON(state[gatekeepertypes.ModuleName], &gkGen)
	gkGen.Params.RotationInterval = cfg.RotationInterval
	if cfg.KeyRetention > 0 {
		gkGen.Params.KeyRetention = cfg.KeyRetention
	}
	if cfg.ReencryptStallBlocks > 0 {
		gkGen.Params.ReencryptStallBlocks = cfg.ReencryptStallBlocks
	}
	regGen.Measurements = append(regGen.Measurements, registrytypes.Measurement{
		TeeKind: attest.KindSim, Measurement: pruntime.DevnetMeasurement(), Description: "devnet pRuntime " + pruntime.Version,
	})

	// Tokenomics at devnet speed: the reference's per-block rates, with
	// heartbeat challenges sized for this block time and a worker challenged
	// about every other block, so that payouts come every few blocks; a
	// window that leaves room for relaying; a short cooldown.
	engine := tokenomics.DefaultParams()
	engine.BlockTimeMs = uint32(cfg.BlockTime.Milliseconds())
	engine.ExpectedHeartbeatCount = 1
	engine.MaxHeartbeatsPerWorkerHour = 3_600_000
	engine.HeartbeatWindow = 20
	compGen := computationtypes.DefaultGenesisState()
	compGen.Params = computationtypes.FromEngineParams(engine, 20, computationtypes.DefaultUnitsPerToken, app.BondDenom)
	state[computationtypes.ModuleName] = cdc.MustMarshalJSON(compGen)

	if cfg.IngressRetention > 0 {
		var mqGen mqtypes.GenesisState
		cdc.MustUnmarshalJSON(state[mqtypes.ModuleName], &mqGen)
		mqGen.Params.IngressRetentionBlocks = cfg.IngressRetention
		state[mqtypes.ModuleName] = cdc.MustMarshalJSON(&mqGen)
	}
	state[authtypes.ModuleName] = cdc.MustMarshalJSON(&authGen)
	state[banktypes.ModuleName] = cdc.MustMarshalJSON(bankGen)
	state[govtypes.ModuleName] = cdc.MustMarshalJSON(govGen)
	state[registrytypes.ModuleName] = cdc.MustMarshalJSON(&regGen)
	state[gatekeepertypes.ModuleName] = cdc.MustMarshalJSON(&gkGen)

	// The validator's gentx, delivered at InitChain.
	valAddr := sdk.ValAddress(mustAddress(genAccounts[0]))
	createVal, err := stakingtypes.NewMsgCreateValidator(valAddr.String(), valPubKey,
		sdk.NewInt64Coin(app.BondDenom, validatorStake), stakingtypes.Description{Moniker: "devnet-validator"},
		stakingtypes.NewCommissionRates(math.LegacyNewDecWithPrec(1, 1), math.LegacyNewDecWithPrec(2, 1), math.LegacyNewDecWithPrec(1, 2)),
		math.OneInt())
	if err != nil {
		return Manifest{}, err
	}
	txConfig := a.TxConfig()
	builder := txConfig.NewTxBuilder()
	if err := builder.SetMsgs(createVal); err != nil {
		return Manifest{}, err
	}
	builder.SetGasLimit(1_000_000)
	builder.SetMemo(fmt.Sprintf("%s@127.0.0.1:%d", nodeID, ports.P2P))
	factory := tx.Factory{}.WithChainID(cfg.ChainID).WithKeybase(kr).WithTxConfig(txConfig).
		WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)
	if err := tx.Sign(context.Background(), factory, ValidatorKey, builder, true); err != nil {
		return Manifest{}, fmt.Errorf("devnet: signing gentx: %w", err)
	}
	genutilGen := genutiltypes.NewGenesisStateFromTx(txConfig.TxJSONEncoder(), nil)
	gentx, err := txConfig.TxJSONEncoder()(builder.GetTx())
	if err != nil {
		return Manifest{}, err
	}
	genutilGen.GenTxs = []json.RawMessage{gentx}
	state[genutiltypes.ModuleName] = cdc.MustMarshalJSON(genutilGen)

	appState, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	gen := genutiltypes.NewAppGenesisWithVersion(cfg.ChainID, appState)
	gen.GenesisTime = time.Now().UTC().Truncate(time.Second)
	if err := gen.ValidateAndComplete(); err != nil {
		return Manifest{}, fmt.Errorf("devnet: genesis: %w", err)
	}
	if err := gen.SaveAs(cmt.GenesisFile()); err != nil {
		return Manifest{}, fmt.Errorf("devnet: genesis: %w", err)
	}

	if err := writeConfigs(cfg); err != nil {
		return Manifest{}, err
	}
	return Manifest{
		ChainID:        cfg.ChainID,
		Home:           cfg.Home,
		KeyringBackend: KeyringBackend,
		Denom:          app.BondDenom,
		Accounts:       accounts,
		Endpoints:      endpointsFor(ports),
	}, nil
}

func mustAddress(acc authtypes.GenesisAccount) sdk.AccAddress { return acc.GetAddress() }

// cometConfig is CometBFT's config for the devnet node: loopback listeners,
// fast blocks, Prometheus on.
func cometConfig(cfg Config) *cmtcfg.Config {
	p := cfg.Ports()
	c := cmtcfg.DefaultConfig()
	c.SetRoot(cfg.Home)
	c.Moniker = "devnet-validator"
	c.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p.RPC)
	c.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p.P2P)
	c.P2P.PexReactor = false
	c.Consensus.TimeoutCommit = cfg.BlockTime
	c.Instrumentation.Prometheus = true
	c.Instrumentation.PrometheusListenAddr = fmt.Sprintf("127.0.0.1:%d", p.Metrics)
	return c
}

// appConfig is app.toml: REST and gRPC on loopback, a minimum gas price.
func appConfig(cfg Config) *serverconfig.Config {
	p := cfg.Ports()
	c := serverconfig.DefaultConfig()
	c.MinGasPrices = "0.001" + app.BondDenom
	c.API.Enable = true
	c.API.Address = fmt.Sprintf("tcp://127.0.0.1:%d", p.REST)
	c.GRPC.Enable = true
	c.GRPC.Address = fmt.Sprintf("127.0.0.1:%d", p.GRPC)
	return c
}

// writeConfigs writes config.toml, app.toml and client.toml for cfg.
func writeConfigs(cfg Config) error {
	cmtcfg.WriteConfigFile(filepath.Join(cfg.Home, "config", "config.toml"), cometConfig(cfg))
	serverconfig.WriteConfigFile(filepath.Join(cfg.Home, "config", "app.toml"), appConfig(cfg))
	return writeClientConfig(cfg)
}

// writeClientConfig writes client.toml so that `gkd ... --home DIR` needs no
// --chain-id, --node or --keyring-backend.
func writeClientConfig(cfg Config) error {
	body := fmt.Sprintf(`# Client config of the devnet; see gkd config.
chain-id = %q
keyring-backend = %q
keyring-default-keyname = ""
output = "text"
node = "tcp://127.0.0.1:%d"
broadcast-mode = "sync"
grpc-address = ""
grpc-insecure = false
`, cfg.ChainID, KeyringBackend, cfg.Ports().RPC)
	return os.WriteFile(filepath.Join(cfg.Home, "config", "client.toml"), []byte(body), 0o644)
}
