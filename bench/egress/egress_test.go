package egress_test

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// Flags feed config; see bench/README.md. They are read only by the report
// test and the benchmarks, never by the default `go test ./...` run.
var (
	flagWorkers  = flag.Int("egress.workers", defaultConfig().Workers, "registered workers sending egress messages")
	flagRelayers = flag.Int("egress.relayers", defaultConfig().Relayers, "relayer accounts submitting MsgSyncMessages")
	flagMessages = flag.Int("egress.messages", defaultConfig().Messages, "signed egress messages per run")
	flagBatch    = flag.Int("egress.batch", defaultConfig().Batch, "egress messages per MsgSyncMessages tx")
	flagBlockTxs = flag.Int("egress.blocktxs", defaultConfig().BlockTxs, "txs per block")
	flagRuns     = flag.Int("egress.runs", 3, "runs of the report test")
)

// reportEnv gates TestEgressReport so that `go test ./...` stays fast.
const reportEnv = "GK_BENCH"

// config is one workload's shape.
type config struct {
	Workers  int // workers, each operated by its own funded account
	Relayers int // accounts that sign the MsgSyncMessages txs, round robin
	Messages int // egress messages in total, spread over the workers
	Batch    int // messages per tx
	BlockTxs int // txs per block
}

// defaultConfig is 20,000 messages from 16 workers in txs of 100, nine txs
// (900 messages) to a block. Nine is what fits apptest's 100M block gas
// limit: an endpoint message costs about 105k gas in delivery.
func defaultConfig() config {
	return config{Workers: 16, Relayers: 8, Messages: 20_000, Batch: 100, BlockTxs: 9}
}

func configFromFlags() config {
	return config{Workers: *flagWorkers, Relayers: *flagRelayers, Messages: *flagMessages, Batch: *flagBatch, BlockTxs: *flagBlockTxs}
}

// Validate checks every field.
func (c config) Validate() error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("egress: workers %d, want at least 1", c.Workers)
	case c.Relayers < 1:
		return fmt.Errorf("egress: relayers %d, want at least 1", c.Relayers)
	case c.Messages < 1:
		return fmt.Errorf("egress: messages %d, want at least 1", c.Messages)
	case c.Batch < 1 || c.Batch > mqtypes.DefaultMaxMessagesPerTx:
		return fmt.Errorf("egress: batch %d, want 1-%d (max_messages_per_tx)", c.Batch, mqtypes.DefaultMaxMessagesPerTx)
	case c.BlockTxs < 1:
		return fmt.Errorf("egress: blocktxs %d, want at least 1", c.BlockTxs)
	}
	return nil
}

func (c config) String() string {
	return fmt.Sprintf("%d msgs from %d workers, %d msgs/tx, %d txs/block, %d relayers", c.Messages, c.Workers, c.Batch, c.BlockTxs, c.Relayers)
}

// gasPerMessage bounds what one endpoint message costs in delivery (about
// 105k: ed25519 and store reads, then rewriting the ~2.6 kB Worker record).
const gasPerMessage = 120_000

// workload is a chain with registered workers and the pre-signed blocks of
// egress transactions to feed it.
type workload struct {
	cfg     config
	chain   *apptest.Chain
	workers []*apptest.Worker
	counts  []uint64 // messages per worker
	last    []string // each worker's last announced endpoint
	signed  []mqtypes.SignedMessage
	signing [][]byte   // the bytes each signature covers, for the reference
	blocks  [][][]byte // blocks of encoded txs
	spans   [][2]int   // blocks[i] carries signed[spans[i][0]:spans[i][1]]
}

func endpoint(worker int, seq uint64) string {
	return fmt.Sprintf("https://worker-%02d.example.net:8000/rpc/v%d", worker, seq)
}

// newWorkload starts the app, registers the workers and signs everything:
// message j is worker j%W's next sequence, so every worker's messages appear
// in sequence order in every prefix of the tx stream.
func newWorkload(tb testing.TB, cfg config) *workload {
	tb.Helper()
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	c := apptest.New(tb, cfg.Workers+cfg.Relayers)
	w := &workload{cfg: cfg, chain: c, counts: make([]uint64, cfg.Workers), last: make([]string, cfg.Workers)}
	for i := range cfg.Workers {
		w.workers = append(w.workers, c.RegisterWorker(c.Accounts[i]))
	}
	relayers := c.Accounts[cfg.Workers:]

	w.signed = make([]mqtypes.SignedMessage, cfg.Messages)
	for j := range cfg.Messages {
		wi := j % cfg.Workers
		seq := w.counts[wi]
		w.counts[wi]++
		w.last[wi] = endpoint(wi, seq)
		m := protocol.Message{
			Origin:  protocol.WorkerOrigin(w.workers[wi].PublicKey()),
			Topic:   protocol.TopicWorkerEndpoint,
			Seq:     seq,
			Payload: []byte(w.last[wi]),
		}
		sm, err := protocol.SignMessage(apptest.ChainID, w.workers[wi].Identity, &m)
		if err != nil {
			tb.Fatal(err)
		}
		w.signed[j] = mqtypes.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}
		w.signing = append(w.signing, protocol.SigningBytes(protocol.ContextMQ, apptest.ChainID, sm.Body))
	}

	var (
		block      [][]byte
		blockStart int
	)
	for i, start := 0, 0; start < cfg.Messages; i, start = i+1, start+cfg.Batch {
		relayer := relayers[i%len(relayers)]
		end := min(start+cfg.Batch, cfg.Messages)
		block = append(block, signTx(tb, c, relayer, &mqtypes.MsgSyncMessages{Submitter: relayer.Address.String(), Messages: w.signed[start:end]}))
		if len(block) == cfg.BlockTxs || end == cfg.Messages {
			w.blocks = append(w.blocks, block)
			w.spans = append(w.spans, [2]int{blockStart, end})
			block, blockStart = nil, end
		}
	}
	return w
}

// signTx is apptest.Chain.Tx with a gas limit sized for the batch: a full
// batch of endpoint messages needs more than apptest.DefaultGas.
func signTx(tb testing.TB, c *apptest.Chain, acc *apptest.Account, msg *mqtypes.MsgSyncMessages) []byte {
	tb.Helper()
	txCfg := c.App.TxConfig()
	gas := uint64(200_000 + gasPerMessage*len(msg.Messages))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(int64(acc.Seq))), txCfg, []sdk.Msg{msg},
		sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 100_000)), gas, apptest.ChainID,
		[]uint64{acc.Number}, []uint64{acc.Seq}, acc.Priv)
	if err != nil {
		tb.Fatal(err)
	}
	bz, err := txCfg.TxEncoder()(tx)
	if err != nil {
		tb.Fatal(err)
	}
	acc.Seq++
	return bz
}

// result holds one run's timings.
type result struct {
	Messages int
	Check    time.Duration // all CheckTx calls
	Deliver  time.Duration // all FinalizeBlock+Commit calls
	Verifies int           // reference ed25519.Verify calls
	Verify   time.Duration // and their time
	VerifyNs []float64     // and each call's own time, in ns
	ParTime  time.Duration // the same calls on GOMAXPROCS goroutines (the all-core reference)
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// EndToEnd is messages accepted per second counting both passes.
func (r result) EndToEnd() float64 { return rate(r.Messages, r.Check+r.Deliver) }

// DeliverOnly is messages per second counting FinalizeBlock+Commit only.
func (r result) DeliverOnly() float64 { return rate(r.Messages, r.Deliver) }

// CheckOnly is messages per second counting CheckTx only.
func (r result) CheckOnly() float64 { return rate(r.Messages, r.Check) }

// VerifyRate is the reference: ed25519.Verify calls per second.
func (r result) VerifyRate() float64 { return rate(r.Verifies, r.Verify) }

// ParVerifyRate is the all-core reference: ed25519.Verify calls per second
// with GOMAXPROCS goroutines verifying, the like-for-like reference for a
// workload that verifies on all cores.
func (r result) ParVerifyRate() float64 { return rate(r.Verifies, r.ParTime) }

// IdleVerifyRate is the reference rate of an unshared core: one over the
// median call time, which preemption by other processes does not move.
func (r result) IdleVerifyRate() float64 { return 1e9 / median(r.VerifyNs) }

// IdleEndToEnd projects EndToEnd onto an unshared core. Other processes slow
// the workload and the interleaved reference alike, so the ratio holds and
// scales with the uncontended reference rate.
func (r result) IdleEndToEnd() float64 { return r.EndToEnd() / r.VerifyRate() * r.IdleVerifyRate() }

func (r *result) add(o result) {
	r.Messages += o.Messages
	r.Check += o.Check
	r.Deliver += o.Deliver
	r.Verifies += o.Verifies
	r.Verify += o.Verify
	r.VerifyNs = append(r.VerifyNs, o.VerifyNs...)
	r.ParTime += o.ParTime
}

// verifyParallel verifies signed[lo:hi] on GOMAXPROCS goroutines.
func (w *workload) verifyParallel(tb testing.TB, lo, hi int) {
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		bad  atomic.Int64
	)
	next.Store(int64(lo))
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < hi; i = int(next.Add(1)) - 1 {
				sm := w.signed[i]
				if !ed25519.Verify(ed25519.PublicKey(sm.Signer), w.signing[i], sm.Signature) {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		tb.Fatalf("reference: %d messages do not verify", bad.Load())
	}
}

// run feeds the workload as a validator's steady state does: each block's txs
// enter through CheckTx, then the block is finalized and committed, so no
// tx is left in the mempool to be rechecked.
//
// After each block it times the reference, ed25519.Verify of that block's
// messages over exactly the bytes the chain verifies, on this one goroutine.
// Interleaving puts the reference in the same windows as the workload, so
// the ratio holds up when the machine is shared. The phases carry pprof
// labels (phase=check, deliver, reference) for `go tool pprof -tagfocus`.
func (w *workload) run(tb testing.TB) result {
	tb.Helper()
	c := w.chain
	var (
		res   = result{Messages: w.cfg.Messages}
		execs []*abci.ExecTxResult
	)
	for bi, block := range w.blocks {
		pprof.Do(context.Background(), pprof.Labels("phase", "check"), func(context.Context) {
			start := time.Now()
			for ti, tx := range block {
				if r := c.CheckTx(tx); r.Code != 0 {
					tb.Fatalf("block %d tx %d: CheckTx code %d (%s): %s", bi, ti, r.Code, r.Codespace, r.Log)
				}
			}
			res.Check += time.Since(start)
		})
		pprof.Do(context.Background(), pprof.Labels("phase", "deliver"), func(context.Context) {
			start := time.Now()
			execs = c.NextBlock(block...)
			res.Deliver += time.Since(start)
		})
		pprof.Do(context.Background(), pprof.Labels("phase", "reference"), func(context.Context) {
			lo, hi := w.spans[bi][0], w.spans[bi][1]
			start := time.Now()
			for i := lo; i < hi; i++ {
				sm := w.signed[i]
				t0 := time.Now()
				if !ed25519.Verify(ed25519.PublicKey(sm.Signer), w.signing[i], sm.Signature) {
					tb.Fatalf("reference: message %d does not verify", i)
				}
				res.VerifyNs = append(res.VerifyNs, float64(time.Since(t0)))
			}
			res.Verify += time.Since(start)
			res.Verifies += hi - lo
			start = time.Now()
			w.verifyParallel(tb, lo, hi)
			res.ParTime += time.Since(start)
		})
		for ti, r := range execs {
			if r.Code != 0 {
				tb.Fatalf("block %d tx %d: deliver code %d (%s): %s", bi, ti, r.Code, r.Codespace, r.Log)
			}
			for _, ev := range r.Events {
				if ev.Type == mqtypes.EventMessageRejected {
					tb.Fatalf("block %d tx %d: a handler rejected a message: %v", bi, ti, ev.Attributes)
				}
			}
		}
	}
	w.verify(tb)
	return res
}

func (w *workload) txs() int {
	n := 0
	for _, b := range w.blocks {
		n += len(b)
	}
	return n
}

func (w *workload) txBytes() int {
	n := 0
	for _, b := range w.blocks {
		for _, tx := range b {
			n += len(tx)
		}
	}
	return n
}

// verify checks that every message was accepted: each worker's next
// sequence is its message count and its endpoint is the last one announced.
func (w *workload) verify(tb testing.TB) {
	tb.Helper()
	ctx := w.chain.Context()
	for i, wk := range w.workers {
		next, err := w.chain.App.MQKeeper.Sequences.Get(ctx, protocol.WorkerOrigin(wk.PublicKey()).Key())
		if err != nil {
			tb.Fatalf("worker %d: next sequence: %v", i, err)
		}
		if next != w.counts[i] {
			tb.Fatalf("worker %d: next sequence %d, want %d", i, next, w.counts[i])
		}
		got, err := w.chain.App.RegistryKeeper.GetWorker(ctx, wk.PublicKey())
		if err != nil {
			tb.Fatal(err)
		}
		if got.Endpoint != w.last[i] {
			tb.Fatalf("worker %d: endpoint %q, want %q", i, got.Endpoint, w.last[i])
		}
	}
}

// TestEgressReport prints the figures bench/README.md quotes. It runs only
// with GK_BENCH=1:
//
//	GK_BENCH=1 go test ./bench/egress -run TestEgressReport -v -count=1
func TestEgressReport(t *testing.T) {
	if os.Getenv(reportEnv) != "1" {
		t.Skipf("set %s=1 to run the egress throughput report", reportEnv)
	}
	cfg := configFromFlags()
	var b strings.Builder
	fmt.Fprintf(&b, "egress throughput, one validator, %s\n", cfg)
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d, NumCPU=%d\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())
	var e2e, ratios, parRatios, idle []float64
	for i := range *flagRuns {
		w := newWorkload(t, cfg)
		if i == 0 {
			fmt.Fprintf(&b, "%d blocks, %d txs, %.0f bytes/msg on the wire\n", len(w.blocks), w.txs(), float64(w.txBytes())/float64(cfg.Messages))
			fmt.Fprintf(&b, "%-4s %14s %14s %14s %16s %9s %9s %16s %9s %16s %14s\n", "run", "e2e msgs/s", "check msgs/s", "deliver msgs/s", "ed25519 verify/s", "e2e/ref", "dlv/ref", "all-core verify/s", "e2e/refN", "idle verify/s", "idle e2e/s")
		}
		res := w.run(t)
		ref := res.VerifyRate()
		e2e = append(e2e, res.EndToEnd())
		ratios = append(ratios, res.EndToEnd()/ref)
		parRatios = append(parRatios, res.EndToEnd()/res.ParVerifyRate())
		idle = append(idle, res.IdleEndToEnd())
		fmt.Fprintf(&b, "%-4d %14.0f %14.0f %14.0f %16.0f %9.3f %9.3f %16.0f %9.3f %16.0f %14.0f\n", i+1, res.EndToEnd(), res.CheckOnly(), res.DeliverOnly(), ref, res.EndToEnd()/ref, res.DeliverOnly()/ref, res.ParVerifyRate(), res.EndToEnd()/res.ParVerifyRate(), res.IdleVerifyRate(), res.IdleEndToEnd())
	}
	fmt.Fprintf(&b, "median e2e %.0f msgs/s (target >= 2000: %v), median e2e/ref %.3f (one core's verify rate; goal >= 0.8: %v), median e2e/refN %.3f (all cores' verify rate, like for like; ceiling 1.0), median idle-core e2e %.0f msgs/s\n",
		median(e2e), median(e2e) >= 2000, median(ratios), median(ratios) >= 0.8, median(parRatios), median(idle))
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

// BenchmarkEgressAccepted runs the whole workload per iteration on a fresh
// chain (setup untimed) and reports, besides ns/op for the workload:
// msgs/s end to end (CheckTx + FinalizeBlock+Commit), deliver-msgs/s,
// check-msgs/s, the reference ed25519-verify/s interleaved with the blocks
// (see run), e2e/verify, their ratio, and idle-msgs/s, msgs/s projected onto
// an unshared core (see result.IdleEndToEnd). ns/op includes the reference.
func BenchmarkEgressAccepted(b *testing.B) {
	cfg := configFromFlags()
	var sum result
	for b.Loop() {
		b.StopTimer()
		w := newWorkload(b, cfg)
		b.StartTimer()
		sum.add(w.run(b))
	}
	b.ReportMetric(sum.EndToEnd(), "msgs/s")
	b.ReportMetric(sum.DeliverOnly(), "deliver-msgs/s")
	b.ReportMetric(sum.CheckOnly(), "check-msgs/s")
	b.ReportMetric(sum.VerifyRate(), "ed25519-verify/s")
	b.ReportMetric(sum.EndToEnd()/sum.VerifyRate(), "e2e/verify")
	b.ReportMetric(sum.ParVerifyRate(), "allcore-verify/s")
	b.ReportMetric(sum.EndToEnd()/sum.ParVerifyRate(), "e2e/allcore-verify")
	b.ReportMetric(sum.IdleEndToEnd(), "idle-msgs/s")
}

// checkEgressRound is how many messages one BenchmarkCheckEgress iteration
// checks: a full MsgSyncMessages batch, so that even `-benchtime=1x` (as
// `make bench` runs) averages over enough calls.
const checkEgressRound = mqtypes.DefaultMaxMessagesPerTx

// BenchmarkCheckEgress is x/mq's CheckEgress on a valid worker message
// through the real app's keeper and state (decode, signature, route, two
// store reads), against ed25519.Verify of the same bytes. Each iteration
// checks checkEgressRound messages and verifies each once more, each call
// timed on its own. The figures are medians per call, which a preempted call
// on a shared machine does not move: checkegress-ns/msg, verify-ns/msg and
// x-verify, their ratio. ns/op covers the whole round.
func BenchmarkCheckEgress(b *testing.B) {
	c := apptest.New(b, 1)
	wk := c.RegisterWorker(c.Accounts[0])
	m := protocol.Message{Origin: protocol.WorkerOrigin(wk.PublicKey()), Topic: protocol.TopicWorkerEndpoint, Payload: []byte(endpoint(0, 0))}
	sm, err := protocol.SignMessage(apptest.ChainID, wk.Identity, &m)
	if err != nil {
		b.Fatal(err)
	}
	msg := mqtypes.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}
	signing := protocol.SigningBytes(protocol.ContextMQ, apptest.ChainID, msg.Body)
	ctx := c.Context()
	k := c.App.MQKeeper

	for range checkEgressRound { // warm the store caches, untimed
		if _, err := k.CheckEgress(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}

	var check, verify []float64 // ns per call
	for b.Loop() {
		for range checkEgressRound {
			t0 := time.Now()
			if _, err := k.CheckEgress(ctx, msg); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if !ed25519.Verify(sm.Signer, signing, sm.Signature) {
				b.Fatal("egress: reference signature does not verify")
			}
			check = append(check, float64(t1.Sub(t0)))
			verify = append(verify, float64(time.Since(t1)))
		}
	}
	b.ReportMetric(median(check), "checkegress-ns/msg")
	b.ReportMetric(median(verify), "verify-ns/msg")
	b.ReportMetric(median(check)/median(verify), "x-verify")
}
