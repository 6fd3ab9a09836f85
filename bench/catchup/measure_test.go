package catchup_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/pprof"
	"testing"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// maxStepErrors is how many failed relayer rounds a catch-up tolerates
// (retrying each, as Relayer.Run does) before the run fails.
const maxStepErrors = 5

// catchup is one fresh pRuntime catching up with one chain.
type catchup struct {
	Entries     uint64        // ingress entries applied
	Blocks      int64         // the pRuntime's synced height at the end
	ProofHeight int64         // and the height its entries were proven at
	Wall        time.Duration // first Step to caught up
	Steps       int           // relayer rounds
	Errors      int           // failed rounds, retried
	MemBefore   memStatus     // the idle pRuntime's memory before the first Step
	Mem         memStatus     // at the end; see Peak
	SampledPeak int64         // the largest VmRSS seen while polling, KiB
	// CPU time during the catch-up: the pRuntime, the node, this process
	// (the relayer; 10 ms resolution for the first two).
	CPU cpuReading
}

// Peak is the pRuntime's peak resident memory, KiB: VmHWM, or a larger
// VmRSS sample, since the kernel updates VmHWM lazily and can miss a short
// peak.
func (c catchup) Peak() int64 { return max(c.Mem.HWM, c.SampledPeak) }

// Rate is proven ingress entries applied per second of catch-up.
func (c catchup) Rate() float64 { return float64(c.Entries) / c.Wall.Seconds() }

// runCatchup drives a fresh, idle pRuntime with an in-process pherry
// relayer, Step after Step as Relayer.Run does when busy, until the
// pRuntime's next ingress index reaches total, the chain's. It times from
// the first Step to that point and samples the pRuntime's memory.
func runCatchup(t *testing.T, c *chain, p *pruntimeProc, total uint64, batch int) catchup {
	t.Helper()
	r, err := pherry.New(c.relayerConfig(p.url, batch), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	info, err := p.client.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Initialized || info.NextIngress != 0 {
		t.Fatalf("%s is not fresh: %+v", p.name, info)
	}
	meter := cpuMeter{pids: []int{p.pid(), c.pid()}}
	res := catchup{MemBefore: mustMem(t, p.pid())}
	sampler := sampleRSS(p.pid(), 10*time.Millisecond)
	cpu0 := meter.read(t)
	start := time.Now()
	pprof.Do(t.Context(), pprof.Labels("phase", "catchup", "chain", c.name), func(ctx context.Context) {
		for {
			res.Steps++
			_, err := r.Step(ctx)
			if err != nil {
				res.Errors++
				if res.Errors > maxStepErrors {
					t.Fatalf("%s: %d relayer rounds failed, the last: %v", p.name, res.Errors, err)
				}
				t.Logf("%s: relayer round %d failed, retrying: %v", p.name, res.Steps, err)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if info, err = p.client.Info(ctx); err != nil {
				t.Fatal(err)
			}
			if info.NextIngress >= total {
				return
			}
		}
	})
	res.Wall = time.Since(start)
	res.CPU = meter.read(t).since(cpu0)
	res.SampledPeak = sampler.done()
	res.Mem = mustMem(t, p.pid())
	res.Entries, res.Blocks, res.ProofHeight = info.NextIngress, info.SyncedHeight, info.ProofHeight
	if !info.Registered {
		t.Fatalf("%s caught up without seeing its own registration in ingress: %+v", p.name, info)
	}
	// Caught up means: every entry the chain holds at the proof height.
	if next := c.ingressNext(t, info.ProofHeight); next != info.NextIngress || next != total {
		t.Fatalf("%s: next ingress %d, chain's at proof height %d: %d, want %d", p.name, info.NextIngress, info.ProofHeight, next, total)
	}
	return res
}

// references are the parts of a catch-up measured alone, in the same run, on
// the same chain, over the same entries proven at the same height.
type references struct {
	Entries int
	// Fetch is pherry.FetchIngress alone: the pages of raw entries and one
	// proven head per page that the relayer asks the node for, nothing sent
	// to a pRuntime.
	Fetch    time.Duration
	FetchCPU cpuReading // node, this process
	// OldFetch is what the per-entry proof path fetched: the same pages,
	// then a proof of every entry through the batch proof query
	// (pherry.FetchProvenReads), as pherry did before the ingress heads.
	OldFetch    time.Duration
	OldFetchCPU cpuReading // node, this process
	// Ingest is POST /sync/ingress alone: the fetched batches sent to
	// another fresh pRuntime already synced to the proof height.
	Ingest    time.Duration
	IngestCPU cpuReading // that pRuntime, this process
	IngestMem memStatus  // that pRuntime at the end
	// Range is chainsync.VerifyIngressRange alone, in this process, over
	// the fetched batches (head proofs decoded beforehand): what the
	// pRuntime verifies now. Mean of rangeReps passes.
	Range time.Duration
	// Hash is SHA-256 of the same bytes: the hash chain over the raw
	// entries (protocol.IngressHeadChain) and nothing else. Mean of
	// rangeReps passes.
	Hash time.Duration
	// Verify is chainsync.VerifyIngressEntry alone, in this process, over
	// the same entries with their per-entry proofs decoded beforehand: the
	// enclave's proof-verify rate on the old path.
	Verify   time.Duration
	VerifyNs []float64 // each call's own time
}

// rangeReps is how many passes Range and Hash are averaged over: one pass
// over a few thousand entries takes about a millisecond.
const rangeReps = 20

func (r references) FetchRate() float64    { return float64(r.Entries) / r.Fetch.Seconds() }
func (r references) OldFetchRate() float64 { return float64(r.Entries) / r.OldFetch.Seconds() }
func (r references) IngestRate() float64   { return float64(r.Entries) / r.Ingest.Seconds() }
func (r references) RangeRate() float64    { return float64(r.Entries) / r.Range.Seconds() }
func (r references) HashRate() float64     { return float64(r.Entries) / r.Hash.Seconds() }
func (r references) VerifyRate() float64   { return float64(r.Entries) / r.Verify.Seconds() }

// IdleVerifyRate is one over the median VerifyIngressEntry call: the rate
// of a core nobody else wants, since preemption hits few calls.
func (r references) IdleVerifyRate() float64 { return 1e9 / median(r.VerifyNs) }

// measureReferences times fetching, ingesting and verifying the total
// entries proven at proofHeight, each alone. fresh is a pRuntime for chain c
// that has done nothing yet.
func measureReferences(t *testing.T, c *chain, fresh *pruntimeProc, total uint64, batch int, proofHeight int64) references {
	t.Helper()
	ctx := t.Context()
	ref := references{Entries: int(total)}

	// Fetch, batch by batch as the relayer does.
	var batches []pherry.IngressBatch
	meter := cpuMeter{pids: []int{c.pid()}}
	cpu0 := meter.read(t)
	start := time.Now()
	pprof.Do(ctx, pprof.Labels("phase", "fetch", "chain", c.name), func(ctx context.Context) {
		for next := uint64(0); next < total; {
			b, err := pherry.FetchIngress(ctx, c.node, next, batch, proofHeight)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Entries) == 0 {
				t.Fatalf("fetch: no entries from %d at height %d (log ends at %d)", next, proofHeight, b.NextIndex)
			}
			batches = append(batches, b)
			next = b.End
		}
	})
	ref.Fetch = time.Since(start)
	ref.FetchCPU = meter.read(t).since(cpu0)

	// The old path's fetch: the same pages, and a proof of every entry.
	var proofs [][]api.ProvenRead
	cpu0 = meter.read(t)
	start = time.Now()
	pprof.Do(ctx, pprof.Labels("phase", "oldfetch", "chain", c.name), func(ctx context.Context) {
		for _, b := range batches {
			if _, err := pherry.FetchIngress(ctx, c.node, b.Start, batch, proofHeight); err != nil {
				t.Fatal(err)
			}
			keys := make([][]byte, 0, len(b.Entries))
			for i := b.Start; i < b.End; i++ {
				keys = append(keys, protocol.IngressKey(i))
			}
			p, err := pherry.FetchProvenReads(ctx, c.node, protocol.MQStoreName, keys, proofHeight)
			if err != nil {
				t.Fatal(err)
			}
			proofs = append(proofs, p)
		}
	})
	ref.OldFetch = time.Since(start)
	ref.OldFetchCPU = meter.read(t).since(cpu0)

	// The header whose app hash the entries are proven against.
	appHeight := proofHeight + 1
	update, err := pherry.FetchHeaderUpdate(ctx, c.node, appHeight)
	if err != nil {
		t.Fatal(err)
	}
	commit, err := c.node.Commit(ctx, &appHeight)
	if err != nil {
		t.Fatal(err)
	}
	appHash := commit.SignedHeader.AppHash

	// Ingest into a fresh pRuntime synced to exactly that header; it holds
	// no head yet, so the first batch carries the head at 0.
	first, err := pherry.FetchHeaderUpdate(ctx, c.node, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.client.SyncInit(ctx, first); err != nil {
		t.Fatal(err)
	}
	if info, err := fresh.client.SyncHeader(ctx, update); err != nil || info.ProofHeight != proofHeight {
		t.Fatalf("ingest reference: header %d: %v (proof height %d)", appHeight, err, info.ProofHeight)
	}
	base, err := pherry.FetchProvenRead(ctx, c.node, protocol.MQStoreName, protocol.IngressHeadKey(0), proofHeight)
	if err != nil {
		t.Fatal(err)
	}
	meter = cpuMeter{pids: []int{fresh.pid()}}
	cpu0 = meter.read(t)
	start = time.Now()
	pprof.Do(ctx, pprof.Labels("phase", "ingest", "chain", c.name), func(ctx context.Context) {
		for i, b := range batches {
			req := b.Request(nil)
			if i == 0 {
				req.Base = &base
			}
			if _, err := fresh.client.SyncIngress(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
	})
	ref.Ingest = time.Since(start)
	ref.IngestCPU = meter.read(t).since(cpu0)
	ref.IngestMem = mustMem(t, fresh.pid())
	if info, err := fresh.client.Info(ctx); err != nil || info.NextIngress != total {
		t.Fatalf("ingest reference: next ingress %d, want %d (%v)", info.NextIngress, total, err)
	}

	// The new path in process: each batch's head proof decoded beforehand,
	// as the pRuntime does before it verifies; then the hash chain alone.
	seed, err := protocol.ParseIngressHead(base.Value)
	if err != nil {
		t.Fatal(err)
	}
	headOps := make([]*chainsync.ProofOps, len(batches))
	for i, b := range batches {
		if headOps[i], err = chainsync.DecodeProofOps(b.Head.Proof); err != nil {
			t.Fatal(err)
		}
	}
	pprof.Do(ctx, pprof.Labels("phase", "range", "chain", c.name), func(context.Context) {
		start := time.Now()
		for range rangeReps {
			head := seed
			for i, b := range batches {
				if _, head, err = chainsync.VerifyIngressRange(appHash, b.Start, head, b.Entries, b.End, b.Head.Value, headOps[i]); err != nil {
					t.Fatalf("range reference: %d..%d: %v", b.Start, b.End, err)
				}
			}
		}
		ref.Range = time.Since(start) / rangeReps
		start = time.Now()
		var hc protocol.IngressHeadChain
		for range rangeReps {
			hc.Reset(seed)
			for _, b := range batches {
				for _, e := range b.Entries {
					hc.Add(e)
				}
			}
		}
		ref.Hash = time.Since(start) / rangeReps
	})

	// The old path in process: per-entry proofs decoded beforehand.
	type entry struct {
		index uint64
		value []byte
		ops   *chainsync.ProofOps
	}
	var entries []entry
	for i, b := range batches {
		for j, p := range proofs[i] {
			ops, err := chainsync.DecodeProofOps(p.Proof)
			if err != nil {
				t.Fatal(err)
			}
			if string(p.Value) != string(b.Entries[j]) {
				t.Fatalf("entry %d: proven value differs from the page's", b.Start+uint64(j))
			}
			entries = append(entries, entry{b.Start + uint64(j), p.Value, ops})
		}
	}
	ref.VerifyNs = make([]float64, 0, len(entries))
	pprof.Do(ctx, pprof.Labels("phase", "verify", "chain", c.name), func(context.Context) {
		start := time.Now()
		for _, e := range entries {
			t0 := time.Now()
			if _, _, err := chainsync.VerifyIngressEntry(appHash, e.index, e.value, e.ops); err != nil {
				t.Fatalf("verify reference: entry %d: %v", e.index, err)
			}
			ref.VerifyNs = append(ref.VerifyNs, float64(time.Since(t0)))
		}
		ref.Verify = time.Since(start)
	})
	return ref
}

// proofShape describes the proofs of the first entries at proofHeight: the
// mean size of an entry, of its encoded proof and of each proof op (the
// IAVL existence proof in store mq, then the multistore proof of mq's root),
// and whether every entry carries the same multistore op.
type proofShape struct {
	Entry, Proof float64
	Ops          []float64
	SameStoreOp  bool
}

func shapeOfProofs(t *testing.T, c *chain, proofHeight int64) proofShape {
	t.Helper()
	b, err := pherry.FetchIngress(t.Context(), c.node, 0, 10, proofHeight)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([][]byte, 0, len(b.Entries))
	for i := b.Start; i < b.End; i++ {
		keys = append(keys, protocol.IngressKey(i))
	}
	reads, err := pherry.FetchProvenReads(t.Context(), c.node, protocol.MQStoreName, keys, proofHeight)
	if err != nil {
		t.Fatal(err)
	}
	sh := proofShape{Ops: make([]float64, 2), SameStoreOp: true}
	var last []byte
	for i, e := range reads {
		var ops cmtcrypto.ProofOps
		if err := gogoproto.Unmarshal(e.Proof, &ops); err != nil {
			t.Fatal(err)
		}
		if len(ops.Ops) != 2 {
			t.Fatalf("entry %d: %d proof ops, want 2", i, len(ops.Ops))
		}
		for i, op := range ops.Ops {
			sh.Ops[i] += float64(len(op.Data)) / float64(len(reads))
		}
		if last != nil && string(last) != string(ops.Ops[1].Data) {
			sh.SameStoreOp = false
		}
		last = ops.Ops[1].Data
		sh.Proof += float64(len(e.Proof)) / float64(len(reads))
		sh.Entry += float64(len(e.Value)) / float64(len(reads))
	}
	return sh
}

func mib(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }
