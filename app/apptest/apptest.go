// Package apptest runs the real gkd application in-process for tests and
// benchmarks: genesis with one bonded validator and funded accounts, blocks
// through FinalizeBlock and Commit, CheckTx as a mempool would call it, and
// helpers to sign transactions and register simulated-TEE workers.
package apptest

import (
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/hex"
	"encoding/json"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

const (
	// ChainID of the test chain.
	ChainID = "apptest-1"
	// DefaultGas is the gas limit Tx uses.
	DefaultGas = 10_000_000
)

// SimMeasurement is the sim TEE measurement the test genesis allows.
var SimMeasurement = [32]byte{0x5e, 0xed}

// Account is a funded test account.
type Account struct {
	Priv    cryptotypes.PrivKey
	Address sdk.AccAddress
	Number  uint64
	Seq     uint64
}

// Chain is a running in-process chain.
type Chain struct {
	t        testing.TB
	App      *app.App
	Accounts []*Account
	Time     time.Time
	valSet   *cmttypes.ValidatorSet
	platform ed25519.PrivateKey
}


// New starts a chain with nAccounts funded accounts, the simulated TEE
// allowed and SimMeasurement allow-listed, and commits block 1.
func New(t testing.TB, nAccounts int, mutate ...func(*registrytypes.GenesisState)) *Chain {
	t.Helper()
	app.SetAddressPrefixes()
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.EmptyAppOptions{}, baseapp.SetChainID(ChainID))
	valSet, err := simtestutil.CreateRandomValidatorSet()
	if err != nil {
		t.Fatal(err)
	}
	c := &Chain{t: t, App: a, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), valSet: valSet}
	var (
		genAccs  []authtypes.GenesisAccount
		balances []banktypes.Balance
	)
	for i := range nAccounts {
		priv := secp256k1.GenPrivKey()
		addr := sdk.AccAddress(priv.PubKey().Address())
		c.Accounts = append(c.Accounts, &Account{Priv: priv, Address: addr, Number: uint64(i)})
		genAccs = append(genAccs, authtypes.NewBaseAccount(addr, priv.PubKey(), uint64(i), 0))
		balances = append(balances, banktypes.Balance{Address: addr.String(), Coins: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1e15))})
	}
	state, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), valSet, genAccs, balances...)
	if err != nil {
		t.Fatal(err)
	}
	cdc := a.AppCodec()
	var reg registrytypes.GenesisState
	cdc.MustUnmarshalJSON(state[registrytypes.ModuleName], &reg)
	reg.Params.AllowSimulatedTee = true
	reg.Measurements = append(reg.Measurements, registrytypes.Measurement{TeeKind: attest.KindSim, Measurement: SimMeasurement[:]})
	for _, m := range mutate {
		m(&reg)
	}
	state[registrytypes.ModuleName] = cdc.MustMarshalJSON(&reg)
	stateBytes, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(&abci.RequestInitChain{
		ChainId:         ChainID,
		Time:            c.Time,
		ConsensusParams: simtestutil.DefaultConsensusParams,
		AppStateBytes:   stateBytes,
		InitialHeight:   1,
	}); err != nil {
		t.Fatal(err)
	}
	// Validator accounts come after ours, so our account numbers hold.
	_, c.platform, _ = ed25519.GenerateKey(rand.New(rand.NewSource(1)))
	c.NextBlock()
	return c
}

// NextBlock finalizes and commits a block with txs and returns each tx's result.
func (c *Chain) NextBlock(txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	c.Time = c.Time.Add(5 * time.Second)
	res, err := c.App.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height:             c.App.LastBlockHeight() + 1,
		Time:               c.Time,
		Txs:                txs,
		NextValidatorsHash: c.valSet.Hash(),
		ProposerAddress:    c.valSet.Proposer.Address,
	})
	if err != nil {
		c.t.Fatalf("finalize block: %v", err)
	}
	if _, err := c.App.Commit(); err != nil {
		c.t.Fatalf("commit: %v", err)
	}
	return res.TxResults
}

// CheckTx runs a tx through CheckTx as the mempool does.
func (c *Chain) CheckTx(tx []byte) *abci.ResponseCheckTx {
	c.t.Helper()
	res, err := c.App.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
	if err != nil {
		c.t.Fatalf("check tx: %v", err)
	}
	return res
}

// Tx signs msgs from acc with fee (in app.BondDenom) and DefaultGas, and
// advances acc's sequence. Use acc.Seq-- to reuse a sequence after a rejection.
func (c *Chain) Tx(acc *Account, fee int64, msgs ...sdk.Msg) []byte {
	c.t.Helper()
	txCfg := c.App.TxConfig()
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(int64(acc.Seq))), txCfg, msgs,
		sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, fee)), DefaultGas, ChainID,
		[]uint64{acc.Number}, []uint64{acc.Seq}, acc.Priv)
	if err != nil {
		c.t.Fatal(err)
	}
	bz, err := txCfg.TxEncoder()(tx)
	if err != nil {
		c.t.Fatal(err)
	}
	acc.Seq++
	return bz
}

// Context returns a read-only query context at the latest height.
func (c *Chain) Context() sdk.Context {
	return c.App.NewContextLegacy(true, cmtproto.Header{ChainID: ChainID, Height: c.App.LastBlockHeight(), Time: c.Time})
}

// Worker is a simulated pRuntime's keys.
type Worker struct {
	Identity ed25519.PrivateKey
	Info     []byte
	Quote    []byte
}

// PublicKey returns the worker's identity key.
func (w *Worker) PublicKey() ed25519.PublicKey { return w.Identity.Public().(ed25519.PublicKey) }

// Hex returns the identity key as hex.
func (w *Worker) Hex() string { return hex.EncodeToString(w.PublicKey()) }

// NewWorker makes a worker operated by op, attested with the chain's sim
// platform key over SimMeasurement at the chain's current time.
func (c *Chain) NewWorker(op *Account) *Worker {
	c.t.Helper()
	_, id, err := ed25519.GenerateKey(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	recv, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		c.t.Fatal(err)
	}
	info := protocol.RegistrationInfo{
		ChainID:     ChainID,
		IdentityKey: id.Public().(ed25519.PublicKey),
		ReceiveKey:  recv.PublicKey().Bytes(),
		Operator:    op.Address.String(),
		Version:     "apptest",
		TrustRoot:   protocol.TrustRoot{Hash: make([]byte, 32)},
	}
	enc, err := info.Encode()
	if err != nil {
		c.t.Fatal(err)
	}
	rd := protocol.ReportData(ChainID, enc)
	return &Worker{Identity: id, Info: enc, Quote: attest.NewSimQuote(c.platform, SimMeasurement, rd, c.Time)}
}

// RegisterMsg returns the MsgRegisterWorker for w, submitted by op.
func (w *Worker) RegisterMsg(op *Account) *registrytypes.MsgRegisterWorker {
	return &registrytypes.MsgRegisterWorker{
		Operator:    op.Address.String(),
		Info:        w.Info,
		Attestation: registrytypes.Attestation{TeeKind: attest.KindSim, Quote: w.Quote},
	}
}

// RegisterWorker creates a worker for op and registers it in a block.
func (c *Chain) RegisterWorker(op *Account) *Worker {
	c.t.Helper()
	w := c.NewWorker(op)
	res := c.NextBlock(c.Tx(op, 100_000, w.RegisterMsg(op)))
	if res[0].Code != 0 {
		c.t.Fatalf("register worker: code %d: %s", res[0].Code, res[0].Log)
	}
	return w
}

// AddGatekeepers designates workers as gatekeepers directly through the
// keeper, as a passed governance proposal would, and commits a block.
func (c *Chain) AddGatekeepers(ws ...*Worker) {
	c.t.Helper()
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: ChainID, Height: c.App.LastBlockHeight(), Time: c.Time})
	for _, w := range ws {
		if err := c.App.RegistryKeeper.Gatekeepers.Set(ctx, w.PublicKey(), registrytypes.Gatekeeper{IdentityKey: w.PublicKey(), AddedHeight: ctx.BlockHeight()}); err != nil {
			c.t.Fatal(err)
		}
	}
	c.NextBlock()
}
