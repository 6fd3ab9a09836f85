// Package apptest runs the real gkd application in-process for tests and
// benchmarks: genesis with one bonded validator and funded accounts, blocks
// through FinalizeBlock and Commit, CheckTx as a mempool would call it, and
// helpers to sign transactions and egress messages, register simulated-TEE
// workers, and export and re-import the chain's state.
//
// Two views of state matter to tests. Context reads the check state: what
// CheckTx has accepted since the last commit (sequence advances, fees taken)
// on top of the committed state. CommittedContext reads only what blocks have
// committed.
package apptest

import (
	"context"
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
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqkeeper "github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
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

// Route is an extra egress route a test chain serves, for topics no module
// of the app owns yet (for example gatekeeper-origin test messages).
type Route struct {
	Module  string
	Topic   string
	Handler mqkeeper.Handler
}

// Options configure a test chain. The zero value is what New gives.
type Options struct {
	// Accounts is the number of funded accounts.
	Accounts int
	// MinGasPrices is the node's minimum gas price for CheckTx, as in
	// app.toml ("0.001stake"); empty means none.
	MinGasPrices string
	// Registry edits the registry genesis after the harness has turned on
	// allow_simulated_tee and allow-listed SimMeasurement.
	Registry func(*registrytypes.GenesisState)
	// Gatekeeper edits the gatekeeper genesis.
	Gatekeeper func(*gatekeepertypes.GenesisState)
	// MQ edits the mq genesis.
	MQ func(*mqtypes.GenesisState)
	// Routes are added to the mq router before genesis. Routes are wiring,
	// fixed before the app serves anything; a test chain is wired here.
	Routes []Route
	// GenesisTime is the genesis block time; zero means 2026-01-01. Tests of
	// real TEE quotes set it inside their collateral's validity.
	GenesisTime time.Time
}

// Chain is a running in-process chain.
type Chain struct {
	t        testing.TB
	App      *app.App
	Accounts []*Account
	Time     time.Time
	valSet   *cmttypes.ValidatorSet
	platform ed25519.PrivateKey
	opts     Options
	db       dbm.DB
	// initialHeight is the height of the first block after InitChain.
	initialHeight int64
	// BlockEvents are the events of the last block outside its txs (those
	// of the pre-, begin- and end-blockers), as FinalizeBlock returned them.
	BlockEvents []abci.Event
}

// New starts a chain with nAccounts funded accounts, the simulated TEE
// allowed and SimMeasurement allow-listed, and commits block 1.
func New(t testing.TB, nAccounts int, mutate ...func(*registrytypes.GenesisState)) *Chain {
	t.Helper()
	return NewWithOptions(t, Options{
		Accounts: nAccounts,
		Registry: func(gs *registrytypes.GenesisState) {
			for _, m := range mutate {
				m(gs)
			}
		},
	})
}

// NewWithOptions starts a chain as New does, configured by opts.
func NewWithOptions(t testing.TB, opts Options) *Chain {
	t.Helper()
	db := dbm.NewMemDB()
	a := newApp(t, opts, db)
	valSet, err := simtestutil.CreateRandomValidatorSet()
	if err != nil {
		t.Fatal(err)
	}
	genesisTime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !opts.GenesisTime.IsZero() {
		genesisTime = opts.GenesisTime
	}
	c := &Chain{t: t, App: a, Time: genesisTime, valSet: valSet, opts: opts, db: db, initialHeight: 1}
	var (
		genAccs  []authtypes.GenesisAccount
		balances []banktypes.Balance
	)
	for i := range opts.Accounts {
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
	if opts.Registry != nil {
		opts.Registry(&reg)
	}
	state[registrytypes.ModuleName] = cdc.MustMarshalJSON(&reg)
	if opts.Gatekeeper != nil {
		var gk gatekeepertypes.GenesisState
		cdc.MustUnmarshalJSON(state[gatekeepertypes.ModuleName], &gk)
		opts.Gatekeeper(&gk)
		state[gatekeepertypes.ModuleName] = cdc.MustMarshalJSON(&gk)
	}
	if opts.MQ != nil {
		var mq mqtypes.GenesisState
		cdc.MustUnmarshalJSON(state[mqtypes.ModuleName], &mq)
		opts.MQ(&mq)
		state[mqtypes.ModuleName] = cdc.MustMarshalJSON(&mq)
	}
	stateBytes, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(&abci.RequestInitChain{
		ChainId:         ChainID,
		Time:            c.Time,
		ConsensusParams: simtestutil.DefaultConsensusParams,
		AppStateBytes:   stateBytes,
		InitialHeight:   c.initialHeight,
	}); err != nil {
		t.Fatal(err)
	}
	// Validator accounts come after ours, so our account numbers hold.
	c.platform = simPlatformKey()
	c.NextBlock()
	return c
}

// newApp builds an app over db with opts' node settings and routes, and
// loads the latest state db holds (none before genesis).
func newApp(t testing.TB, opts Options, db dbm.DB) *app.App {
	t.Helper()
	app.SetAddressPrefixes()
	baseOpts := []func(*baseapp.BaseApp){baseapp.SetChainID(ChainID)}
	if opts.MinGasPrices != "" {
		if _, err := sdk.ParseDecCoins(opts.MinGasPrices); err != nil {
			t.Fatalf("min gas prices %q: %v", opts.MinGasPrices, err)
		}
		baseOpts = append(baseOpts, baseapp.SetMinGasPrices(opts.MinGasPrices))
	}
	a := app.New(log.NewNopLogger(), db, nil, true, simtestutil.EmptyAppOptions{}, baseOpts...)
	for _, r := range opts.Routes {
		a.MQKeeper.Router().AddRoute(r.Module, r.Topic, r.Handler)
	}
	return a
}

// Restart replaces the app by a new one over the same database, as a node
// restarts: everything held in memory only (upgrade handlers, caches) is
// gone, and the new app loads the latest committed state.
func (c *Chain) Restart() {
	c.t.Helper()
	c.App = newApp(c.t, c.opts, c.db)
}

// simPlatformKey is the sim TEE platform key of every test chain; a fixed
// key lets an imported chain accept the exporting chain's quotes.
func simPlatformKey() ed25519.PrivateKey {
	_, k, _ := ed25519.GenerateKey(rand.New(rand.NewSource(1)))
	return k
}

// NextBlock finalizes and commits a block with txs and returns each tx's result.
func (c *Chain) NextBlock(txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	c.Time = c.Time.Add(5 * time.Second)
	height := c.App.LastBlockHeight() + 1
	if c.App.LastBlockHeight() == 0 {
		height = c.initialHeight
	}
	res, err := c.App.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height:             height,
		Time:               c.Time,
		Txs:                txs,
		NextValidatorsHash: c.valSet.Hash(),
		ProposerAddress:    c.valSet.Proposer.Address,
	})
	if err != nil {
		c.t.Fatalf("finalize block: %v", err)
	}
	c.BlockEvents = res.Events
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

// TxWith signs msgs from acc as Tx does, after edit (if not nil) has changed
// the transaction (fee granter, gas limit, memo, timeout...).
func (c *Chain) TxWith(acc *Account, fee int64, edit func(client.TxBuilder), msgs ...sdk.Msg) []byte {
	c.t.Helper()
	txCfg := c.App.TxConfig()
	signMode, err := authsigning.APISignModeToInternal(txCfg.SignModeHandler().DefaultMode())
	if err != nil {
		c.t.Fatal(err)
	}
	b := txCfg.NewTxBuilder()
	if err := b.SetMsgs(msgs...); err != nil {
		c.t.Fatal(err)
	}
	b.SetFeeAmount(sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, fee)))
	b.SetGasLimit(DefaultGas)
	if edit != nil {
		edit(b)
	}
	// Signer infos go in before signing: they are part of the signed bytes.
	sig := signing.SignatureV2{PubKey: acc.Priv.PubKey(), Data: &signing.SingleSignatureData{SignMode: signMode}, Sequence: acc.Seq}
	if err := b.SetSignatures(sig); err != nil {
		c.t.Fatal(err)
	}
	signBytes, err := authsigning.GetSignBytesAdapter(context.Background(), txCfg.SignModeHandler(), signMode, authsigning.SignerData{
		Address: acc.Address.String(), ChainID: ChainID, AccountNumber: acc.Number, Sequence: acc.Seq, PubKey: acc.Priv.PubKey(),
	}, b.GetTx())
	if err != nil {
		c.t.Fatal(err)
	}
	if sig.Data.(*signing.SingleSignatureData).Signature, err = acc.Priv.Sign(signBytes); err != nil {
		c.t.Fatal(err)
	}
	if err := b.SetSignatures(sig); err != nil {
		c.t.Fatal(err)
	}
	bz, err := txCfg.TxEncoder()(b.GetTx())
	if err != nil {
		c.t.Fatal(err)
	}
	acc.Seq++
	return bz
}

// Context returns a read-only context over the check state: the latest
// committed state plus whatever CheckTx has accepted since.
func (c *Chain) Context() sdk.Context {
	return c.App.NewContextLegacy(true, cmtproto.Header{ChainID: ChainID, Height: c.App.LastBlockHeight(), Time: c.Time})
}

// CommittedContext returns a read-only context over the latest committed
// state only.
func (c *Chain) CommittedContext() sdk.Context {
	return c.App.NewUncachedContext(false, cmtproto.Header{ChainID: ChainID, Height: c.App.LastBlockHeight(), Time: c.Time})
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
	return c.NewWorkerWith(op, nil)
}

// NewWorkerWith makes a worker as NewWorker does, with its registration info
// changed by edit (if not nil) before it is encoded and quoted. The quote's
// report data binds the edited info to the edited info's chain id, as a
// pRuntime initialized with that info would produce it.
func (c *Chain) NewWorkerWith(op *Account, edit func(*protocol.RegistrationInfo)) *Worker {
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
	if edit != nil {
		edit(&info)
	}
	enc, err := info.Encode()
	if err != nil {
		c.t.Fatal(err)
	}
	return &Worker{Identity: id, Info: enc, Quote: c.SimQuote(SimMeasurement, protocol.ReportData(info.ChainID, enc), c.Time)}
}

// SimQuote returns a sim quote signed by the chain's sim platform key.
func (c *Chain) SimQuote(measurement [32]byte, reportData [64]byte, issuedAt time.Time) []byte {
	return attest.NewSimQuote(c.platform, measurement, reportData, issuedAt)
}

// RegisterMsg returns the MsgRegisterWorker for w, submitted by op.
func (w *Worker) RegisterMsg(op *Account) *registrytypes.MsgRegisterWorker {
	return &registrytypes.MsgRegisterWorker{
		Operator:    op.Address.String(),
		Info:        w.Info,
		Attestation: registrytypes.Attestation{TeeKind: attest.KindSim, Quote: w.Quote},
	}
}

// Sign signs m with the worker's identity key for the test chain. It fails
// the test if m does not encode.
func (c *Chain) Sign(w *Worker, m protocol.Message) mqtypes.SignedMessage {
	c.t.Helper()
	sm, err := protocol.SignMessage(ChainID, w.Identity, &m)
	if err != nil {
		c.t.Fatal(err)
	}
	return mqtypes.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}
}

// SyncMsg returns a MsgSyncMessages carrying sms, submitted by relayer.
func SyncMsg(relayer *Account, sms ...mqtypes.SignedMessage) *mqtypes.MsgSyncMessages {
	return &mqtypes.MsgSyncMessages{Submitter: relayer.Address.String(), Messages: sms}
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

// AddGatekeepers designates workers as gatekeepers as a passed governance
// proposal would: MsgAddGatekeeper from the gov authority through the app's
// Msg router (so each also appends its registry/gatekeeper_added ingress
// entry), written into the state the next block commits. It commits that
// block.
func (c *Chain) AddGatekeepers(ws ...*Worker) {
	c.t.Helper()
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	for _, w := range ws {
		msg := &gatekeepertypes.MsgAddGatekeeper{Authority: c.App.RegistryKeeper.Authority(), IdentityKey: w.Hex()}
		if _, err := c.App.MsgServiceRouter().Handler(msg)(ctx, msg); err != nil {
			c.t.Fatalf("add gatekeeper %s: %v", w.Hex(), err)
		}
	}
	c.NextBlock()
}

// RemoveGatekeepers removes gatekeepers as a passed governance proposal
// would (see AddGatekeepers) and commits the block.
func (c *Chain) RemoveGatekeepers(ws ...*Worker) {
	c.t.Helper()
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	for _, w := range ws {
		msg := &gatekeepertypes.MsgRemoveGatekeeper{Authority: c.App.RegistryKeeper.Authority(), IdentityKey: w.Hex()}
		if _, err := c.App.MsgServiceRouter().Handler(msg)(ctx, msg); err != nil {
			c.t.Fatalf("remove gatekeeper %s: %v", w.Hex(), err)
		}
	}
	c.NextBlock()
}

// PushGatekeeperTask allocates a gatekeeper task as module would (see
// x/mq's PushGatekeeperTask), written into the state the next block
// commits, commits that block and returns the task's sequence: the
// gatekeepers' answer must be a gatekeeper-origin message on replyTopic at
// that sequence. Test modules route replyTopic with Options.Routes.
func (c *Chain) PushGatekeeperTask(module, taskTopic, replyTopic string, body []byte) uint64 {
	c.t.Helper()
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	seq, err := c.App.MQKeeper.PushGatekeeperTask(ctx, module, taskTopic, replyTopic, body)
	if err != nil {
		c.t.Fatalf("push gatekeeper task: %v", err)
	}
	c.NextBlock()
	return seq
}

// Ingress returns the retained ingress log of the committed state, oldest
// first. A module-origin message's Seq is its ingress index.
func (c *Chain) Ingress() []protocol.Message {
	c.t.Helper()
	var out []protocol.Message
	err := c.App.MQKeeper.Ingress.Walk(c.CommittedContext(), nil, func(index uint64, raw []byte) (bool, error) {
		e, _, err := protocol.DecodeIngressEntry(raw)
		if err != nil {
			return true, err
		}
		m, err := protocol.DecodeMessage(e.Message)
		out = append(out, m)
		return err != nil, err
	})
	if err != nil {
		c.t.Fatalf("ingress: %v", err)
	}
	return out
}

// Export returns the state at the latest height as `gkd export` writes it.
func (c *Chain) Export() servertypes.ExportedApp {
	c.t.Helper()
	exp, err := c.App.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		c.t.Fatalf("export: %v", err)
	}
	return exp
}

// Import starts a fresh app from exp, as operators restart a chain from an
// exported genesis: the new chain's first block is exp.Height+1, and it has
// c's validator, accounts (with their current sequences), sim platform and
// options. It commits that first block.
func (c *Chain) Import(t testing.TB, exp servertypes.ExportedApp) *Chain {
	t.Helper()
	db := dbm.NewMemDB()
	n := &Chain{
		t:             t,
		db:            db,
		App:           newApp(t, c.opts, db),
		Time:          c.Time,
		valSet:        c.valSet,
		platform:      c.platform,
		opts:          c.opts,
		initialHeight: exp.Height + 1,
	}
	for _, a := range c.Accounts {
		cp := *a
		n.Accounts = append(n.Accounts, &cp)
	}
	if _, err := n.App.InitChain(&abci.RequestInitChain{
		ChainId:         ChainID,
		Time:            n.Time,
		ConsensusParams: &exp.ConsensusParams,
		AppStateBytes:   exp.AppState,
		InitialHeight:   n.initialHeight,
	}); err != nil {
		t.Fatalf("import: init chain: %v", err)
	}
	n.NextBlock()
	return n
}
