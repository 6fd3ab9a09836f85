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
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
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

	a := newTempApp()
	kr, err := keyring.New(sdk.KeyringServiceName(), KeyringBackend, cfg.Home, nil, a.AppCodec())
	if err != nil {
		return Manifest{}, fmt.Errorf("devnet: keyring: %w", err)
	}
	names := append([]string{ValidatorKey}, cfg.Accounts...)
	for i := range cfg.Gatekeepers + cfg.Workers {
		names = append(names, operatorKey(i))
	}
	accounts := make([]Account, 0, len(names))
	for _, name := range names {
		acc, err := NewAccount(kr, name)
		if err != nil {
			return Manifest{}, err
		}
		accounts = append(accounts, acc)
	}
	spec := GenesisSpec{
		ChainID:              cfg.ChainID,
		Accounts:             accounts,
		BlockTime:            cfg.BlockTime,
		VotingPeriod:         cfg.VotingPeriod,
		IngressRetention:     cfg.IngressRetention,
		RotationInterval:     cfg.RotationInterval,
		KeyRetention:         cfg.KeyRetention,
		ReencryptStallBlocks: cfg.ReencryptStallBlocks,
		SimMeasurement:       pruntime.DevnetMeasurement(),
		MeasurementNote:      "devnet pRuntime " + pruntime.Version,
		Validators: []GenesisValidator{{
			Keyring: kr, KeyName: ValidatorKey, PubKey: valPubKey, Moniker: "devnet-validator",
			Memo: fmt.Sprintf("%s@127.0.0.1:%d", nodeID, ports.P2P),
		}},
	}
	gen, err := BuildGenesis(a, spec)
	if err != nil {
		return Manifest{}, err
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

// newTempApp is a throwaway app: it provides codecs and module defaults.
func newTempApp() *app.App {
	return app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, false, simtestutil.EmptyAppOptions{})
}

// NewAccount creates key name in kr (a fresh mnemonic) and returns it as a
// genesis account.
func NewAccount(kr keyring.Keyring, name string) (Account, error) {
	rec, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	if err != nil {
		return Account{}, fmt.Errorf("devnet: key %q: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return Account{}, err
	}
	return Account{Name: name, Address: addr.String()}, nil
}

// GenesisSpec is what a genesis of `gkd devnet` or `gkd testnet` holds.
type GenesisSpec struct {
	ChainID string
	// Accounts are funded with accountBalance each; every validator's
	// account must be among them.
	Accounts []Account
	// Validators each self-delegate validatorStake by a gentx.
	Validators                                                             []GenesisValidator
	BlockTime, VotingPeriod                                                time.Duration
	IngressRetention, RotationInterval, KeyRetention, ReencryptStallBlocks uint64
	// SimMeasurement is the sim TEE measurement the registry allows.
	SimMeasurement  []byte
	MeasurementNote string
	// GenesisTime is the chain's start; zero: now, to the second.
	GenesisTime time.Time
}

// GenesisValidator is one genesis validator: its operator key (in Keyring,
// which signs its gentx), its consensus key and its p2p address (Memo,
// "nodeid@host:port", as `gkd genesis gentx` writes it).
type GenesisValidator struct {
	Keyring keyring.Keyring
	KeyName string
	PubKey  cryptotypes.PubKey
	Moniker string
	Memo    string
}

// ValidatorPower is each genesis validator's consensus power.
var ValidatorPower = sdk.TokensToConsensusPower(math.NewInt(validatorStake), sdk.DefaultPowerReduction)

// BuildGenesis returns the genesis of spec: funded accounts, a gentx per
// validator, a registry that allows the sim TEE and SimMeasurement,
// governance and tokenomics at devnet speed.
func BuildGenesis(a *app.App, spec GenesisSpec) (*genutiltypes.AppGenesis, error) {
	cdc := a.AppCodec()
	var (
		genAccounts []authtypes.GenesisAccount
		balances    []banktypes.Balance
	)
	for _, acc := range spec.Accounts {
		addr, err := sdk.AccAddressFromBech32(acc.Address)
		if err != nil {
			return nil, fmt.Errorf("devnet: account %q: %w", acc.Name, err)
		}
		genAccounts = append(genAccounts, authtypes.NewBaseAccount(addr, nil, 0, 0))
		balances = append(balances, banktypes.Balance{
			Address: addr.String(), Coins: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, accountBalance)),
		})
	}

	state := a.DefaultGenesis()
	authGen := authtypes.GetGenesisStateFromAppState(cdc, state)
	var err error
	if authGen.Accounts, err = authtypes.PackAccounts(genAccounts); err != nil {
		return nil, err
	}
	bankGen := banktypes.GetGenesisStateFromAppState(cdc, state)
	bankGen.Balances = banktypes.SanitizeGenesisBalances(balances)
	bankGen.Supply = sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, accountBalance*int64(len(spec.Accounts))))

	govGen := govv1.DefaultGenesisState()
	vp, evp := spec.VotingPeriod, spec.VotingPeriod/2
	govGen.Params.VotingPeriod = &vp
	govGen.Params.ExpeditedVotingPeriod = &evp
	govGen.Params.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 10_000_000))
	govGen.Params.ExpeditedMinDeposit = sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 20_000_000))

	var regGen registrytypes.GenesisState
	cdc.MustUnmarshalJSON(state[registrytypes.ModuleName], &regGen)
	regGen.Params.AllowSimulatedTee = true
	var gkGen gatekeepertypes.GenesisState
	cdc.MustUnmarshalJSON(state[gatekeepertypes.ModuleName], &gkGen)
	gkGen.Params.RotationInterval = spec.RotationInterval
	if spec.KeyRetention > 0 {
		gkGen.Params.KeyRetention = spec.KeyRetention
	}
	if spec.ReencryptStallBlocks > 0 {
		gkGen.Params.ReencryptStallBlocks = spec.ReencryptStallBlocks
	}
	regGen.Measurements = append(regGen.Measurements, registrytypes.Measurement{
		TeeKind: attest.KindSim, Measurement: spec.SimMeasurement, Description: spec.MeasurementNote,
	})

	// Tokenomics at devnet speed: the reference's per-block rates, with
	// heartbeat challenges sized for this block time and a worker challenged
	// about every other block, so that payouts come every few blocks; a
	// window that leaves room for relaying; a short cooldown.
	engine := tokenomics.DefaultParams()
	engine.BlockTimeMs = uint32(spec.BlockTime.Milliseconds())
	engine.ExpectedHeartbeatCount = 1
	engine.MaxHeartbeatsPerWorkerHour = 3_600_000
	engine.HeartbeatWindow = 20
	compGen := computationtypes.DefaultGenesisState()
	compGen.Params = computationtypes.FromEngineParams(engine, 20, computationtypes.DefaultUnitsPerToken, app.BondDenom)
	state[computationtypes.ModuleName] = cdc.MustMarshalJSON(compGen)

	if spec.IngressRetention > 0 {
		var mqGen mqtypes.GenesisState
		cdc.MustUnmarshalJSON(state[mqtypes.ModuleName], &mqGen)
		mqGen.Params.IngressRetentionBlocks = spec.IngressRetention
		state[mqtypes.ModuleName] = cdc.MustMarshalJSON(&mqGen)
	}
	state[authtypes.ModuleName] = cdc.MustMarshalJSON(&authGen)
	state[banktypes.ModuleName] = cdc.MustMarshalJSON(bankGen)
	state[govtypes.ModuleName] = cdc.MustMarshalJSON(govGen)
	state[registrytypes.ModuleName] = cdc.MustMarshalJSON(&regGen)
	state[gatekeepertypes.ModuleName] = cdc.MustMarshalJSON(&gkGen)

	// The validators' gentxs, delivered at InitChain.
	txConfig := a.TxConfig()
	genutilGen := genutiltypes.NewGenesisStateFromTx(txConfig.TxJSONEncoder(), nil)
	for _, v := range spec.Validators {
		gentx, err := signGentx(a, spec.ChainID, v)
		if err != nil {
			return nil, err
		}
		genutilGen.GenTxs = append(genutilGen.GenTxs, gentx)
	}
	state[genutiltypes.ModuleName] = cdc.MustMarshalJSON(genutilGen)

	appState, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return nil, err
	}
	gen := genutiltypes.NewAppGenesisWithVersion(spec.ChainID, appState)
	gen.GenesisTime = spec.GenesisTime
	if gen.GenesisTime.IsZero() {
		gen.GenesisTime = time.Now().UTC().Truncate(time.Second)
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("devnet: genesis: %w", err)
	}
	return gen, nil
}

// signGentx returns v's MsgCreateValidator, self-delegating validatorStake,
// signed by its operator key.
func signGentx(a *app.App, chainID string, v GenesisValidator) (json.RawMessage, error) {
	rec, err := v.Keyring.Key(v.KeyName)
	if err != nil {
		return nil, fmt.Errorf("devnet: validator key %q: %w", v.KeyName, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, err
	}
	createVal, err := stakingtypes.NewMsgCreateValidator(sdk.ValAddress(addr).String(), v.PubKey,
		sdk.NewInt64Coin(app.BondDenom, validatorStake), stakingtypes.Description{Moniker: v.Moniker},
		stakingtypes.NewCommissionRates(math.LegacyNewDecWithPrec(1, 1), math.LegacyNewDecWithPrec(2, 1), math.LegacyNewDecWithPrec(1, 2)),
		math.OneInt())
	if err != nil {
		return nil, err
	}
	txConfig := a.TxConfig()
	builder := txConfig.NewTxBuilder()
	if err := builder.SetMsgs(createVal); err != nil {
		return nil, err
	}
	builder.SetGasLimit(1_000_000)
	builder.SetMemo(v.Memo)
	factory := tx.Factory{}.WithChainID(chainID).WithKeybase(v.Keyring).WithTxConfig(txConfig).
		WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)
	if err := tx.Sign(context.Background(), factory, v.KeyName, builder, true); err != nil {
		return nil, fmt.Errorf("devnet: signing gentx of %s: %w", v.Moniker, err)
	}
	return txConfig.TxJSONEncoder()(builder.GetTx())
}

// NodeFiles are one node's config files: config.toml, app.toml and
// client.toml under Home/config.
type NodeFiles struct {
	Home, Moniker, ChainID string
	// ListenHost is the address every service listens on (127.0.0.1, or
	// 0.0.0.0 on a host others reach).
	ListenHost string
	Ports      Ports
	BlockTime  time.Duration
	// PersistentPeers ("id@host:port,..."); several nodes on one host need
	// LocalPeers, which lets peers share an IP address.
	PersistentPeers string
	LocalPeers      bool
}

func (c Config) nodeFiles() NodeFiles {
	return NodeFiles{Home: c.Home, Moniker: "devnet-validator", ChainID: c.ChainID, ListenHost: "127.0.0.1", Ports: c.Ports(), BlockTime: c.BlockTime}
}

// cometConfig is CometBFT's config for the devnet node: loopback listeners,
// fast blocks, Prometheus on.
func cometConfig(cfg Config) *cmtcfg.Config { return cfg.nodeFiles().comet() }

func (n NodeFiles) comet() *cmtcfg.Config {
	p := n.Ports
	c := cmtcfg.DefaultConfig()
	c.SetRoot(n.Home)
	c.Moniker = n.Moniker
	c.RPC.ListenAddress = fmt.Sprintf("tcp://%s:%d", n.ListenHost, p.RPC)
	c.P2P.ListenAddress = fmt.Sprintf("tcp://%s:%d", n.ListenHost, p.P2P)
	c.P2P.PexReactor = false
	c.P2P.PersistentPeers = n.PersistentPeers
	if n.LocalPeers {
		c.P2P.AddrBookStrict = false
		c.P2P.AllowDuplicateIP = true
	}
	c.Consensus.TimeoutCommit = n.BlockTime
	c.Instrumentation.Prometheus = true
	c.Instrumentation.PrometheusListenAddr = fmt.Sprintf("%s:%d", n.ListenHost, p.Metrics)
	return c
}

// app is app.toml: REST and gRPC on, a minimum gas price.
func (n NodeFiles) app() *serverconfig.Config {
	p := n.Ports
	c := serverconfig.DefaultConfig()
	c.MinGasPrices = "0.001" + app.BondDenom
	c.API.Enable = true
	c.API.Address = fmt.Sprintf("tcp://%s:%d", n.ListenHost, p.REST)
	c.GRPC.Enable = true
	c.GRPC.Address = fmt.Sprintf("%s:%d", n.ListenHost, p.GRPC)
	return c
}

// writeConfigs writes config.toml, app.toml and client.toml for cfg.
func writeConfigs(cfg Config) error { return cfg.nodeFiles().Write() }

// Write writes config.toml, app.toml, and client.toml so that
// `gkd ... --home DIR` needs no --chain-id, --node or --keyring-backend.
func (n NodeFiles) Write() error {
	dir := filepath.Join(n.Home, "config")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	cmtcfg.WriteConfigFile(filepath.Join(dir, "config.toml"), n.comet())
	serverconfig.WriteConfigFile(filepath.Join(dir, "app.toml"), n.app())
	body := fmt.Sprintf(`# Client config of the node; see gkd config.
chain-id = %q
keyring-backend = %q
keyring-default-keyname = ""
output = "text"
node = "tcp://127.0.0.1:%d"
broadcast-mode = "sync"
grpc-address = ""
grpc-insecure = false
`, n.ChainID, KeyringBackend, n.Ports.RPC)
	return os.WriteFile(filepath.Join(dir, "client.toml"), []byte(body), 0o644)
}
