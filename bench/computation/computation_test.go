package computation_test

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

var (
	flagEntries   = flag.Int("computation.entries", 10_000, "settlement entries (computing workers) applied in one block")
	flagOperators = flag.Int("computation.operators", 100, "operator accounts the workers' payouts go to")
	flagRuns      = flag.Int("computation.runs", 3, "runs of the report test, each on a fresh chain")
)

const (
	// reportEnv gates the report so that `go test ./...` stays fast.
	reportEnv = "GK_BENCH"
	// sendsPerTx and sendTxsPerBlock shape the reference blocks of bank
	// sends so that each fits apptest's 100M block gas limit.
	sendsPerTx      = 500
	sendTxsPerBlock = 2
	sendGasLimit    = 45_000_000
)

// maxPerMessage is how many settlements fit one quorum message
// (protocol.MaxPayloadLen): version, height, three list counts, then 88
// bytes per settlement.
const maxPerMessage = (protocol.MaxPayloadLen - 1 - 8 - 3*4) / (32 + 8 + 3*protocol.FixedLen)

var (
	payout   = tokenomics.MustParse("1.5")
	treasury = tokenomics.MustParse("0.375")
)

type result struct {
	Messages            int
	SettleFinalize      time.Duration // FinalizeBlock of the block delivering every settlement
	SettleCommit        time.Duration
	EmptyFinalize       time.Duration // FinalizeBlock of an empty block, same chain, 10,000 sessions
	SendsFinalize       time.Duration // FinalizeBlock of the blocks of bank sends, summed
	SendsBlocks         int
	SettleGas, SendsGas int64
}

// run builds a chain with entries computing sessions (written into state
// directly: the path measured is the settlement, not the starts), lets it
// close one block per quorum message needed, has two of three
// gatekeepers vote the settlements (the first in an earlier block) and
// times the block that delivers them. Then it times an empty block and
// blocks carrying as many bank sends as there are entries.
func run(t testing.TB, entries, operators int) result {
	c := apptest.New(t, 2+operators)
	gkOp, relayer := c.Accounts[0], c.Accounts[1]
	ops := c.Accounts[2:]
	gks := []*apptest.Worker{c.RegisterWorker(gkOp), c.RegisterWorker(gkOp), c.RegisterWorker(gkOp)}
	c.AddGatekeepers(gks...)

	keys := make([][]byte, entries)
	for i := range keys {
		h := sha256.Sum256(fmt.Appendf(nil, "worker %d", i))
		keys[i] = h[:]
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	seed(t, c, keys, ops)

	msgs := (entries + maxPerMessage - 1) / maxPerMessage
	for range msgs {
		c.NextBlock()
	}
	// The blocks closed for the engine; their outputs go on the computation
	// lane at seqs 0, 1, ...
	type task struct{ seq, height uint64 }
	var ts []task
	for _, m := range c.Ingress() {
		if m.Topic != protocol.TopicBlock || len(ts) == msgs {
			continue
		}
		blk, err := protocol.DecodeComputationBlock(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, task{uint64(len(ts)), blk.Height})
	}
	if len(ts) != msgs {
		t.Fatalf("%d blocks closed, want %d", len(ts), msgs)
	}
	sessions := make(map[string]uint64, entries)
	for i, k := range keys {
		sessions[string(k)] = uint64(i + 1)
	}
	votes := func(gk *apptest.Worker) [][]byte {
		var txs [][]byte
		for j, tk := range ts {
			out := tokenomics.Output{Height: tk.height}
			for _, k := range keys[j*entries/msgs : (j+1)*entries/msgs] {
				var w tokenomics.WorkerKey
				copy(w[:], k)
				out.Settlements = append(out.Settlements, tokenomics.Settlement{Worker: w, Session: sessions[string(k)],
					V: tokenomics.FromInt(2000), Payout: payout, Treasury: treasury})
			}
			m := protocol.Message{Origin: protocol.GatekeeperLane(protocol.LaneComputation), Topic: protocol.TopicSettlement, Seq: tk.seq, Payload: out.Encode()}
			txs = append(txs, c.Tx(relayer, 0, apptest.SyncMsg(relayer, c.Sign(gk, m))))
		}
		return txs
	}
	requireOK(t, "first gatekeeper's votes", c.NextBlock(votes(gks[0])...))
	second := votes(gks[1])
	for _, tx := range second {
		if res := c.CheckTx(tx); res.Code != 0 {
			t.Fatalf("check tx: %s", res.Log)
		}
	}
	treasuryBefore := moduleBalance(c, computationtypes.TreasuryName)

	var r result
	r.Messages = msgs
	var results []*abci.ExecTxResult
	results, r.SettleFinalize, r.SettleCommit = finalize(t, c, second)
	requireOK(t, "second gatekeeper's votes", results)
	for _, res := range results {
		r.SettleGas += res.GasUsed
		for _, e := range res.Events {
			if e.Type == mqtypes.EventMessageRejected {
				t.Fatalf("settlement rejected: %v", e.Attributes)
			}
		}
	}
	// Every session was paid once; the treasury got its share of each.
	ctx := c.CommittedContext()
	for _, k := range []([]byte){keys[0], keys[entries/2], keys[entries-1]} {
		s, _, err := c.App.ComputationKeeper.GetSession(ctx, k)
		if err != nil || !s.TotalPaid.Equal(math.NewInt(1_500_000)) || s.LastSettlementHeight != c.App.LastBlockHeight() {
			t.Fatalf("session %x after the settlement: %+v, %v", k, s, err)
		}
	}
	if got := moduleBalance(c, computationtypes.TreasuryName).Sub(treasuryBefore); !got.Equal(math.NewInt(int64(entries) * 375_000)) {
		t.Fatalf("treasury got %s", got)
	}
	if last, _ := c.App.ComputationKeeper.LastOutputHeight.Get(ctx); last != ts[len(ts)-1].height {
		t.Fatalf("last settled block %d, want %d", last, ts[len(ts)-1].height)
	}

	_, r.EmptyFinalize, _ = finalize(t, c, nil)

	// Reference: as many bank sends as entries, operator to operator.
	for sent := 0; sent < entries; {
		var txs [][]byte
		for range sendTxsPerBlock {
			if sent >= entries {
				break
			}
			n := min(sendsPerTx, entries-sent)
			from := ops[(sent/sendsPerTx)%len(ops)]
			var ms []sdk.Msg
			for i := range n {
				to := ops[(sent+i+1)%len(ops)]
				ms = append(ms, banktypes.NewMsgSend(from.Address, to.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1_500_000))))
			}
			txs = append(txs, c.TxWith(from, 100_000, func(b client.TxBuilder) { b.SetGasLimit(sendGasLimit) }, ms...))
			sent += n
		}
		res, d, _ := finalize(t, c, txs)
		requireOK(t, "bank sends", res)
		for _, x := range res {
			r.SendsGas += x.GasUsed
		}
		r.SendsFinalize += d
		r.SendsBlocks++
	}
	return r
}

// seed writes entries computing sessions into the state the next block
// commits, as a chain that has run for a while would hold them, and the
// beacon the closed blocks derive seeds from.
func seed(t testing.TB, c *apptest.Chain, keys [][]byte, ops []*apptest.Account) {
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: apptest.ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	if err := c.App.GatekeeperKeeper.LatestBeacon.Set(ctx, gatekeepertypes.Beacon{Height: 1, Value: bytes.Repeat([]byte{0xbe}, protocol.BeaconLen), DeliveredHeight: 1}); err != nil {
		t.Fatal(err)
	}
	k := c.App.ComputationKeeper
	for i, key := range keys {
		s := computationtypes.Session{
			Worker: key, Operator: ops[i%len(ops)].Address.String(), SessionId: uint64(i + 1),
			Stake: math.NewInt(2_000_000_000), Score: 100, ConfidenceLevel: 1, Status: computationtypes.SESSION_STATUS_COMPUTING,
			V: "2000", TotalPaid: math.ZeroInt(), StartedHeight: c.App.LastBlockHeight(),
		}
		if err := k.Sessions.Set(ctx, key, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.NextSessionID.Set(ctx, uint64(len(keys)+1)); err != nil {
		t.Fatal(err)
	}
	if err := k.ActiveSessions.Set(ctx, uint64(len(keys))); err != nil {
		t.Fatal(err)
	}
	c.NextBlock()
}

// finalize runs FinalizeBlock with txs and Commit, timing each, as
// apptest.Chain.NextBlock does them.
func finalize(t testing.TB, c *apptest.Chain, txs [][]byte) ([]*abci.ExecTxResult, time.Duration, time.Duration) {
	vals, err := c.App.StakingKeeper.GetAllValidators(c.CommittedContext())
	if err != nil || len(vals) != 1 {
		t.Fatalf("validators: %d, %v", len(vals), err)
	}
	proposer, err := vals[0].GetConsAddr()
	if err != nil {
		t.Fatal(err)
	}
	c.Time = c.Time.Add(5 * time.Second)
	t0 := time.Now()
	res, err := c.App.FinalizeBlock(&abci.RequestFinalizeBlock{Height: c.App.LastBlockHeight() + 1, Time: c.Time, Txs: txs, ProposerAddress: proposer})
	fin := time.Since(t0)
	if err != nil {
		t.Fatalf("finalize block: %v", err)
	}
	t1 := time.Now()
	if _, err := c.App.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return res.TxResults, fin, time.Since(t1)
}

func requireOK(t testing.TB, what string, res []*abci.ExecTxResult) {
	for i, r := range res {
		if r.Code != 0 {
			t.Fatalf("%s: tx %d: code %d: %s", what, i, r.Code, r.Log)
		}
	}
}

func moduleBalance(c *apptest.Chain, name string) math.Int {
	return c.App.BankKeeper.GetBalance(c.CommittedContext(), authtypes.NewModuleAddress(name), app.BondDenom).Amount
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestSettlementReport prints the time to apply a settlement of
// -computation.entries entries next to the references, per run and median.
func TestSettlementReport(t *testing.T) {
	if os.Getenv(reportEnv) != "1" {
		t.Skipf("set %s=1 to run the settlement report", reportEnv)
	}
	entries, operators := *flagEntries, *flagOperators
	if entries < 1 || operators < 1 {
		t.Fatalf("computation: entries %d, operators %d: want at least 1", entries, operators)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "settlement of %d entries (%d quorum messages of ≤ %d, 2-of-3 gatekeepers), payouts to %d operators\n",
		entries, (entries+maxPerMessage-1)/maxPerMessage, maxPerMessage, operators)
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d, NumCPU=%d\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(&b, "%-4s %14s %12s %10s %14s %16s %12s %12s %14s\n", "run", "settle fin ms", "commit ms", "µs/entry",
		"empty fin ms", "sends fin ms", "settle/sends", "tx gas", "sends gas")
	var settle, ratios []float64
	for i := range *flagRuns {
		r := run(t, entries, operators)
		ratio := float64(r.SettleFinalize) / float64(r.SendsFinalize)
		settle = append(settle, ms(r.SettleFinalize))
		ratios = append(ratios, ratio)
		fmt.Fprintf(&b, "%-4d %14.1f %12.1f %10.1f %14.2f %16.1f %12.2f %12d %14d\n", i+1, ms(r.SettleFinalize), ms(r.SettleCommit),
			float64(r.SettleFinalize.Microseconds())/float64(entries), ms(r.EmptyFinalize), ms(r.SendsFinalize), ratio, r.SettleGas, r.SendsGas)
	}
	fmt.Fprintf(&b, "median: settlement FinalizeBlock %.1f ms for %d entries; %.2f× the FinalizeBlock time of %d bank sends\n",
		median(settle), entries, median(ratios), entries)
	t.Log("\n" + b.String())
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
