package devnet

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
)

// TestnetConfig is `gkd testnet`: the files of a network of Validators
// nodes, Gatekeepers and Workers pRuntimes (each with its pherry relayer)
// under OutputDir, to be started by separate processes or hosts.
type TestnetConfig struct {
	OutputDir                        string
	ChainID                          string
	Validators, Gatekeepers, Workers int
	// BasePort: validator i uses BasePort+10*i (+0 p2p, +1 RPC, +2 gRPC,
	// +3 REST, +4 metrics); pRuntime j (gatekeepers first) uses
	// BasePort+10*(Validators+j) (+0 RPC, +1 app API, +2 relayer metrics).
	BasePort int
	// Hostnames name the host of each validator, then of each pRuntime
	// (empty: all 127.0.0.1). A non-loopback host listens on 0.0.0.0.
	Hostnames []string
	// SimMeasurement is the sim measurement the genesis allows: that of the
	// pRuntime binary the network runs (see `pruntime measurement`).
	SimMeasurement []byte
	BlockTime      time.Duration
	VotingPeriod   time.Duration
}

// DefaultTestnetConfig returns the defaults of `gkd testnet`.
func DefaultTestnetConfig() TestnetConfig {
	return TestnetConfig{
		ChainID: "gatekeeper-testnet", Validators: 4, Gatekeepers: 3, Workers: 2,
		BasePort: 26600, BlockTime: time.Second, VotingPeriod: 20 * time.Second,
	}
}

// Validate names the first field that is wrong.
func (c TestnetConfig) Validate() error {
	n := c.Validators + c.Gatekeepers + c.Workers
	switch {
	case c.OutputDir == "":
		return errors.New("testnet: OutputDir: must be set")
	case c.ChainID == "" || len(c.ChainID) > 50:
		return fmt.Errorf("testnet: ChainID: %q must be 1-50 characters", c.ChainID)
	case c.Validators < 1 || c.Validators > 32:
		return fmt.Errorf("testnet: Validators: %d, want 1-32", c.Validators)
	case c.Gatekeepers < 0 || c.Workers < 0 || c.Gatekeepers+c.Workers > 32:
		return fmt.Errorf("testnet: Gatekeepers, Workers: %d+%d, want at most 32 pRuntimes", c.Gatekeepers, c.Workers)
	case c.BasePort < 1024 || c.BasePort+10*n > 65535:
		return fmt.Errorf("testnet: BasePort: %d, want 1024 and up with room for %d ports", c.BasePort, 10*n)
	case len(c.Hostnames) != 0 && len(c.Hostnames) != n:
		return fmt.Errorf("testnet: Hostnames: %d given, want one per validator and pRuntime (%d)", len(c.Hostnames), n)
	case len(c.SimMeasurement) != 32:
		return fmt.Errorf("testnet: SimMeasurement: %d bytes, want 32", len(c.SimMeasurement))
	case c.BlockTime < 100*time.Millisecond || c.BlockTime > time.Minute:
		return fmt.Errorf("testnet: BlockTime: %s, want 100ms-1m", c.BlockTime)
	case c.VotingPeriod < 2*time.Second || c.VotingPeriod > 24*time.Hour:
		return fmt.Errorf("testnet: VotingPeriod: %s, want 2s-24h", c.VotingPeriod)
	}
	for i, h := range c.Hostnames {
		if h == "" || strings.ContainsAny(h, ":/@, \t") {
			return fmt.Errorf("testnet: Hostnames[%d]: %q is not a host name", i, h)
		}
	}
	return nil
}

// TestnetFile is the manifest `gkd testnet` writes under the output dir.
const TestnetFile = "testnet.json"

// Testnet is OutputDir/testnet.json: every process of the network with its
// command line. Paths are relative to the output dir, so that the directory
// can be moved or mounted into containers whole.
type Testnet struct {
	ChainID string `json:"chain_id"`
	// TrustRoot is the hex hash of the genesis validator set, computed
	// from the gentxs: the pRuntimes' trust root, known before block 1.
	TrustRoot string `json:"trust_root"`
	// Measurement is the hex sim measurement the genesis allows.
	Measurement string            `json:"sim_measurement"`
	Nodes       []TestnetNode     `json:"nodes"`
	PRuntimes   []TestnetPRuntime `json:"pruntimes"`
}

// TestnetNode is one validator node: `gkd start --home Home`.
type TestnetNode struct {
	Name    string   `json:"name"`
	Home    string   `json:"home"`
	Host    string   `json:"host"`
	NodeID  string   `json:"node_id"`
	RPC     string   `json:"rpc"`
	REST    string   `json:"rest"`
	GRPC    string   `json:"grpc"`
	P2P     string   `json:"p2p"`
	Args    []string `json:"gkd_args"`
	KeyName string   `json:"validator_key"`
}

// TestnetPRuntime is one pRuntime and its relayer, which follows node
// index j mod Validators.
type TestnetPRuntime struct {
	PRuntime
	Host        string   `json:"host"`
	KeyringDir  string   `json:"keyring_dir"`
	NodeRPC     string   `json:"node_rpc"`
	PRuntimeArg []string `json:"pruntime_args"`
	PherryArgs  []string `json:"pherry_args"`
}

// GenerateTestnet writes the testnet of cfg and returns its manifest.
func GenerateTestnet(cfg TestnetConfig) (Testnet, error) {
	if err := cfg.Validate(); err != nil {
		return Testnet{}, err
	}
	out := cfg.OutputDir
	if _, err := os.Stat(filepath.Join(out, TestnetFile)); err == nil {
		return Testnet{}, fmt.Errorf("testnet: %s already holds a testnet; use an empty --output-dir", out)
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return Testnet{}, fmt.Errorf("testnet: %w", err)
	}
	nv, np := cfg.Validators, cfg.Gatekeepers+cfg.Workers
	host := func(i int) string {
		if len(cfg.Hostnames) == 0 {
			return "127.0.0.1"
		}
		return cfg.Hostnames[i]
	}
	listen := func(h string) string {
		if h == "127.0.0.1" || h == "localhost" {
			return "127.0.0.1"
		}
		return "0.0.0.0"
	}
	slot := func(i int) int { return cfg.BasePort + 10*i }
	a := newTempApp()
	tn := Testnet{ChainID: cfg.ChainID, Measurement: hex.EncodeToString(cfg.SimMeasurement)}

	// Validators: node keys, an operator key in each home's keyring.
	var (
		accounts []Account
		vals     []GenesisValidator
		pubKeys  []cryptotypes.PubKey
		files    []NodeFiles
		peers    []string
	)
	for i := range nv {
		name := fmt.Sprintf("node%d", i)
		home := filepath.Join(out, name)
		p := slot(i)
		ports := Ports{P2P: p, RPC: p + 1, GRPC: p + 2, REST: p + 3, Metrics: p + 4}
		nf := NodeFiles{Home: home, Moniker: name, ChainID: cfg.ChainID, ListenHost: listen(host(i)), Ports: ports,
			BlockTime: cfg.BlockTime, LocalPeers: true}
		if err := os.MkdirAll(filepath.Join(home, "data"), 0o700); err != nil {
			return Testnet{}, fmt.Errorf("testnet: %w", err)
		}
		if err := nf.Write(); err != nil {
			return Testnet{}, err
		}
		nodeID, pub, err := genutil.InitializeNodeValidatorFiles(nf.comet())
		if err != nil {
			return Testnet{}, fmt.Errorf("testnet: %s keys: %w", name, err)
		}
		kr, err := keyring.New(sdk.KeyringServiceName(), KeyringBackend, home, nil, a.AppCodec())
		if err != nil {
			return Testnet{}, fmt.Errorf("testnet: keyring: %w", err)
		}
		acc, err := NewAccount(kr, ValidatorKey)
		if err != nil {
			return Testnet{}, err
		}
		accounts = append(accounts, acc)
		p2p := fmt.Sprintf("%s:%d", host(i), ports.P2P)
		vals = append(vals, GenesisValidator{Keyring: kr, KeyName: ValidatorKey, PubKey: pub, Moniker: name, Memo: nodeID + "@" + p2p})
		pubKeys = append(pubKeys, pub)
		files = append(files, nf)
		peers = append(peers, nodeID+"@"+p2p)
		tn.Nodes = append(tn.Nodes, TestnetNode{
			Name: name, Home: name, Host: host(i), NodeID: nodeID, P2P: p2p, KeyName: ValidatorKey,
			RPC:  fmt.Sprintf("tcp://%s:%d", host(i), ports.RPC),
			REST: fmt.Sprintf("http://%s:%d", host(i), ports.REST),
			GRPC: fmt.Sprintf("%s:%d", host(i), ports.GRPC),
			Args: []string{"start", "--home", name},
		})
	}
	// Every node dials every other.
	for i, nf := range files {
		var others []string
		for j, p := range peers {
			if j != i {
				others = append(others, p)
			}
		}
		nf.PersistentPeers = strings.Join(others, ",")
		if err := nf.Write(); err != nil {
			return Testnet{}, err
		}
	}

	root, err := GenesisValidatorsHash(pubKeys)
	if err != nil {
		return Testnet{}, err
	}
	tn.TrustRoot = hex.EncodeToString(root)

	// pRuntimes: an operator key (the relayer's) each, in its own keyring.
	for j := range np {
		name, role := fmt.Sprintf("gatekeeper-%d", j), RoleGatekeeper
		if j >= cfg.Gatekeepers {
			name, role = fmt.Sprintf("worker-%d", j-cfg.Gatekeepers), RoleWorker
		}
		dir := fmt.Sprintf("pruntime%d", j)
		kr, err := keyring.New(sdk.KeyringServiceName(), KeyringBackend, filepath.Join(out, dir), nil, a.AppCodec())
		if err != nil {
			return Testnet{}, fmt.Errorf("testnet: keyring: %w", err)
		}
		keyName := operatorKey(j)
		acc, err := NewAccount(kr, keyName)
		if err != nil {
			return Testnet{}, err
		}
		accounts = append(accounts, acc)
		h := host(nv + j)
		p := slot(nv + j)
		node := tn.Nodes[j%nv]
		nodeRPC := node.RPC
		listenAddr := fmt.Sprintf("%s:%d", listen(h), p)
		rpc := fmt.Sprintf("http://%s:%d", h, p)
		appListen := fmt.Sprintf("127.0.0.1:%d", p+1)
		data := filepath.Join(dir, "data")
		// Made here, not by the pRuntime, so that a container mounting it
		// finds it owned by the generating user rather than by Docker.
		if err := os.MkdirAll(filepath.Join(out, data), 0o700); err != nil {
			return Testnet{}, fmt.Errorf("testnet: %w", err)
		}
		tn.PRuntimes = append(tn.PRuntimes, TestnetPRuntime{
			PRuntime: PRuntime{
				Name: name, Role: role, RPC: rpc, Listen: listenAddr,
				AppAPI: "http://" + appListen, AppListen: appListen,
				DataDir: data, Operator: acc.Address, OperatorKey: keyName,
			},
			Host: h, KeyringDir: dir, NodeRPC: nodeRPC,
			PRuntimeArg: []string{"run", "--data-dir", data, "--chain-id", cfg.ChainID, "--operator", acc.Address,
				"--genesis-validators-hash", tn.TrustRoot, "--listen", listenAddr, "--endpoint", rpc,
				"--app-listen", appListen, "--state-dir", StateDir, "--benchmark-duty", strconv.Itoa(BenchmarkDuty)},
			PherryArgs: []string{"--node", nodeRPC, "--pruntime", rpc, "--chain-id", cfg.ChainID,
				"--home", dir, "--keyring-backend", KeyringBackend, "--from", keyName,
				"--metrics-listen", fmt.Sprintf("%s:%d", listen(h), p+2)},
		})
	}

	gen, err := BuildGenesis(a, GenesisSpec{
		ChainID: cfg.ChainID, Accounts: accounts, Validators: vals,
		BlockTime: cfg.BlockTime, VotingPeriod: cfg.VotingPeriod,
		SimMeasurement: cfg.SimMeasurement, MeasurementNote: "pruntime build " + tn.Measurement[:16],
	})
	if err != nil {
		return Testnet{}, err
	}
	for _, nf := range files {
		if err := gen.SaveAs(filepath.Join(nf.Home, "config", "genesis.json")); err != nil {
			return Testnet{}, fmt.Errorf("testnet: genesis: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(out, StateDir), 0o700); err != nil {
		return Testnet{}, fmt.Errorf("testnet: %w", err)
	}
	b, err := json.MarshalIndent(tn, "", "  ")
	if err != nil {
		return Testnet{}, err
	}
	if err := atomicfile.Write(filepath.Join(out, TestnetFile), append(b, '\n'), 0o644); err != nil {
		return Testnet{}, fmt.Errorf("testnet: %w", err)
	}
	return tn, nil
}

// GenesisValidatorsHash is the hash of the validator set the chain starts
// with when every genesis validator has ValidatorPower: the header's
// ValidatorsHash at height 1, which the pRuntimes take as trust root.
func GenesisValidatorsHash(pubKeys []cryptotypes.PubKey) ([]byte, error) {
	vals := make([]*cmttypes.Validator, len(pubKeys))
	for i, pk := range pubKeys {
		cpk, err := cryptocodec.ToCmtPubKeyInterface(pk)
		if err != nil {
			return nil, fmt.Errorf("testnet: validator %d key: %w", i, err)
		}
		vals[i] = cmttypes.NewValidator(cpk, ValidatorPower)
	}
	set := cmttypes.NewValidatorSet(vals)
	if err := set.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("testnet: validator set: %w", err)
	}
	return set.Hash(), nil
}

// ReadTestnet reads dir/testnet.json.
func ReadTestnet(dir string) (Testnet, error) {
	b, err := os.ReadFile(filepath.Join(dir, TestnetFile))
	if err != nil {
		return Testnet{}, fmt.Errorf("testnet: %w", err)
	}
	var tn Testnet
	if err := json.Unmarshal(b, &tn); err != nil {
		return Testnet{}, fmt.Errorf("testnet: %s: %w", TestnetFile, err)
	}
	if len(tn.Nodes) == 0 {
		return Testnet{}, fmt.Errorf("testnet: %s lists no nodes", TestnetFile)
	}
	return tn, nil
}

// LaunchTestnet designates the testnet's gatekeepers by a governance
// proposal every validator votes for, and forms the workers' cluster, each
// operator signing for its own pRuntime (see Launch). It runs once the
// nodes, pRuntimes and relayers of the testnet in dir are up.
func LaunchTestnet(ctx context.Context, dir string, out io.Writer) error {
	tn, err := ReadTestnet(dir)
	if err != nil {
		return err
	}
	a := newTempApp()
	keyrings := map[string]string{} // signer name -> keyring dir
	var voters []string
	for _, n := range tn.Nodes {
		keyrings[n.Name] = filepath.Join(dir, n.Home)
		voters = append(voters, n.Name)
	}
	ps := make([]PRuntime, len(tn.PRuntimes))
	for i, p := range tn.PRuntimes {
		keyrings[p.OperatorKey] = filepath.Join(dir, p.KeyringDir)
		ps[i] = p.PRuntime
	}
	rpc := tn.Nodes[0].RPC
	signer := func(name string) (*pherry.Signer, error) {
		krDir, ok := keyrings[name]
		if !ok {
			return nil, fmt.Errorf("testnet: no key %q", name)
		}
		kr, err := keyring.New(sdk.KeyringServiceName(), KeyringBackend, krDir, nil, a.AppCodec())
		if err != nil {
			return nil, fmt.Errorf("testnet: keyring: %w", err)
		}
		key := name
		if _, isNode := keyrings[name]; isNode && !strings.HasPrefix(name, "operator-") {
			key = ValidatorKey
		}
		return pherry.NewSigner(rpc, tn.ChainID, kr, key, devnetGas, a.AppCodec(), a.TxConfig())
	}
	return Launch(ctx, LaunchConfig{NodeRPC: rpc, PRuntimes: ps, Signer: signer, Voters: voters}, out)
}
