package catchup_test

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// reportEnv gates TestCatchupReport so that `go test ./...` stays fast.
const reportEnv = "GK_BENCH"

// Goals from the issue.
const (
	goalTimeRatio = 1.5    // catch-up time over 10·N blocks ÷ over N blocks, at most
	goalRate      = 50_000 // proven ingress entries verified per second, at least (issue 19)
	goalPeakMiB   = 256    // the pRuntime's peak resident memory, below
	stretch       = 10     // the long chain has stretch·N blocks
	perTx         = 50     // MsgRegisterWorker per transaction (~1.5 kB each)
	blockTime     = 100 * time.Millisecond
)

// config is one run's shape. Environment variables feed it (see
// configFromEnv); nothing else reads them.
type config struct {
	K      int    // ingress entries on each chain
	N      int    // blocks of the short chain; the long one has stretch·N
	Rounds int    // catch-ups of each chain, each by its own fresh pRuntime
	Batch  int    // the relayer's IngressBatch: entries per POST /sync/ingress
	Node   string // nodeDevnet or nodeStart
}

func defaultConfig() config {
	return config{K: 2000, N: 100, Rounds: 3, Batch: pherry.DefaultConfig().IngressBatch, Node: nodeDevnet}
}

// configFromEnv reads GK_CATCHUP_K, _N, _ROUNDS, _BATCH and _NODE over the
// defaults.
func configFromEnv() (config, error) {
	c := defaultConfig()
	if s := os.Getenv("GK_CATCHUP_NODE"); s != "" {
		c.Node = s
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{
		{"GK_CATCHUP_K", &c.K},
		{"GK_CATCHUP_N", &c.N},
		{"GK_CATCHUP_ROUNDS", &c.Rounds},
		{"GK_CATCHUP_BATCH", &c.Batch},
	} {
		s := os.Getenv(v.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return c, fmt.Errorf("catchup: %s: %w", v.name, err)
		}
		*v.dst = n
	}
	return c, c.Validate()
}

// Validate names the first wrong field.
func (c config) Validate() error {
	switch {
	case c.Rounds < 1 || c.Rounds > 10:
		return fmt.Errorf("catchup: Rounds %d, want 1-10", c.Rounds)
	case c.K < c.Rounds || c.K > 200_000:
		return fmt.Errorf("catchup: K %d, want %d-200000 (each round's pRuntime is one of the entries)", c.K, c.Rounds)
	case c.N < 10 || c.N > 2000:
		return fmt.Errorf("catchup: N %d, want 10-2000", c.N)
	case c.Batch < 1 || c.Batch > 1000:
		return fmt.Errorf("catchup: Batch %d, want 1-1000", c.Batch)
	case c.Node != nodeDevnet && c.Node != nodeStart:
		return fmt.Errorf("catchup: Node %q, want %q or %q", c.Node, nodeDevnet, nodeStart)
	}
	return nil
}

// benchChain is one of the two chains with its pRuntimes and results.
type benchChain struct {
	*chain
	label string
	span  int
	prs   []*pruntimeProc // one fresh pRuntime per round, registered in the log
	load  loadResult
	runs  []catchup
	refs  []references
}

// TestCatchupReport prints the figures bench/README.md quotes. It runs only
// with GK_BENCH=1:
//
//	GK_BENCH=1 go test ./bench/catchup -run TestCatchupReport -v -count=1 -timeout 20m
func TestCatchupReport(t *testing.T) {
	if os.Getenv(reportEnv) != "1" {
		t.Skipf("set %s=1 to run the catch-up report", reportEnv)
	}
	cfg, err := configFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	began, loadBefore := time.Now(), loadAvg()
	gkd, prBin := e2etest.Binary(t, "gkd"), e2etest.Binary(t, "pruntime")
	t.Logf("binaries built in %s", time.Since(began).Round(time.Second))

	// Both chains get the same log: K registrations, the first Rounds of
	// them the pRuntimes' own, so that a caught-up pRuntime is registered
	// and its relayer has nothing to send. Each chain is paused while the
	// other is written or measured: it makes no blocks and takes no CPU.
	var chains []*benchChain
	offset := 0
	for _, spec := range []struct {
		label string
		span  int
	}{{"N", cfg.N}, {fmt.Sprintf("%dN", stretch), stretch * cfg.N}} {
		offset = e2etest.FreePortOffset(t, offset)
		bc := &benchChain{chain: startChain(t, gkd, spec.label, offset, blockTime, cfg.Node), label: spec.label, span: spec.span}
		var own []api.Registration
		for r := range cfg.Rounds {
			p := startPRuntime(t, prBin, bc.chain, fmt.Sprintf("pruntime %s/%d", spec.label, r+1))
			reg, err := p.client.Registration(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			bc.prs, own = append(bc.prs, p), append(own, reg)
		}
		loadStart := time.Now()
		bc.load = bc.chain.load(t, own, cfg.K, perTx, spec.span)
		bc.pause(t)
		t.Logf("chain %s: %d entries in %d txs over blocks %d-%d, in %s", spec.label, bc.load.Entries, bc.load.Txs,
			bc.load.FirstHeight, bc.load.FirstHeight+int64(spec.span), time.Since(loadStart).Round(time.Second))
		chains = append(chains, bc)
	}
	total := chains[0].load.Entries
	if chains[1].load.Entries != total {
		t.Fatalf("the chains' logs differ: %d and %d entries", total, chains[1].load.Entries)
	}

	// Rounds alternate the order, so that neither chain always goes first.
	var shape proofShape
	for r := range cfg.Rounds {
		order := []*benchChain{chains[0], chains[1]}
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, bc := range order {
			bc.resume(t)
			res := runCatchup(t, bc.chain, bc.prs[r], total, cfg.Batch)
			bc.prs[r].stop()
			replay := startPRuntime(t, prBin, bc.chain, fmt.Sprintf("pruntime %s/ingest-%d", bc.label, r+1))
			ref := measureReferences(t, bc.chain, replay, total, cfg.Batch, res.ProofHeight)
			replay.stop()
			if shape.Proof == 0 {
				shape = shapeOfProofs(t, bc.chain, res.ProofHeight)
			}
			bc.pause(t)
			bc.runs, bc.refs = append(bc.runs, res), append(bc.refs, ref)
			t.Logf("round %d chain %s: caught up %d entries at height %d in %s (%.0f/s), peak RSS %s MiB; fetch %s, ingest %s, verify %s",
				r+1, bc.label, res.Entries, res.Blocks, res.Wall.Round(time.Millisecond), res.Rate(), mib(res.Peak()),
				ref.Fetch.Round(time.Millisecond), ref.Ingest.Round(time.Millisecond), ref.Verify.Round(time.Millisecond))
		}
	}
	t.Log("\n" + report(cfg, chains, shape, loadBefore, loadAvg(), time.Since(began)))
}

// report formats every figure, then the goals.
func report(cfg config, chains []*benchChain, shape proofShape, loadBefore, loadAfter string, took time.Duration) string {
	var b strings.Builder
	short, long := chains[0], chains[1]
	fmt.Fprintf(&b, "catch-up of a fresh pRuntime: %d ingress entries (worker_registered) on each chain, %d registrations/tx, relayer batch %d, %d rounds, node run by gkd %s\n",
		short.load.Entries, perTx, cfg.Batch, cfg.Rounds, cfg.Node)
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d, NumCPU=%d; load average %s before, %s after; %s in all\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), loadBefore, loadAfter, took.Round(time.Second))
	for _, bc := range chains {
		fmt.Fprintf(&b, "chain %-4s %d txs sent over blocks %d-%d (block time %s)\n", bc.label, bc.load.Txs, bc.load.FirstHeight, bc.load.FirstHeight+int64(bc.span), blockTime)
	}
	fmt.Fprintf(&b, "an entry is %.0f bytes; a proof of one key (one per batch now, one per entry on the old path) %.0f bytes of protobuf: IAVL op %.0f bytes, multistore op %.0f bytes (the same for every entry at a height: %v)\n\n",
		shape.Entry, shape.Proof, shape.Ops[0], shape.Ops[1], shape.SameStoreOp)

	fmt.Fprintf(&b, "catch-up: Step until next_ingress = the chain's; CPU seconds spent meanwhile by each process\n")
	fmt.Fprintf(&b, "%-5s %-5s %7s %10s %10s %6s %13s %13s %12s %9s %10s\n",
		"round", "chain", "blocks", "catch-up s", "entries/s", "steps", "peak RSS MiB", "idle RSS MiB", "pRuntime CPU", "node CPU", "relay CPU")
	for r := range cfg.Rounds {
		for _, bc := range chains {
			c := bc.runs[r]
			fmt.Fprintf(&b, "%-5d %-5s %7d %10.3f %10.0f %6d %13s %13s %12.2f %9.2f %10.2f\n",
				r+1, bc.label, c.Blocks, c.Wall.Seconds(), c.Rate(), c.Steps, mib(c.Peak()), mib(c.MemBefore.RSS),
				c.CPU[0].Seconds(), c.CPU[1].Seconds(), c.CPU[2].Seconds())
		}
	}
	fmt.Fprintf(&b, "\nreferences, same chain, same entries and proof height, each alone: fetching (pherry's pages + one head proof each; the old path's pages + a proof per entry)\n")
	fmt.Fprintf(&b, "%-5s %-5s %10s %10s %9s %10s %11s %10s %9s %10s\n",
		"round", "chain", "rpc fetch s", "rpc/s", "node CPU", "relay CPU", "old fetch s", "old/s", "node CPU", "relay CPU")
	for r := range cfg.Rounds {
		for _, bc := range chains {
			f := bc.refs[r]
			fmt.Fprintf(&b, "%-5d %-5s %10.3f %10.0f %9.2f %10.2f %11.3f %10.0f %9.2f %10.2f\n",
				r+1, bc.label, f.Fetch.Seconds(), f.FetchRate(), f.FetchCPU[0].Seconds(), f.FetchCPU[1].Seconds(),
				f.OldFetch.Seconds(), f.OldFetchRate(), f.OldFetchCPU[0].Seconds(), f.OldFetchCPU[1].Seconds())
		}
	}
	fmt.Fprintf(&b, "\n... and consuming them: POST /sync/ingress of the fetched batches to another fresh pRuntime; in this process VerifyIngressRange (new), SHA-256 chain of the same bytes, VerifyIngressEntry per entry (old)\n")
	fmt.Fprintf(&b, "%-5s %-5s %9s %9s %13s %13s %10s %10s %10s %13s\n",
		"round", "chain", "ingest s", "ingest/s", "pRuntime CPU", "peak RSS MiB", "range/s", "sha256/s", "verify/s", "idle verify/s")
	for r := range cfg.Rounds {
		for _, bc := range chains {
			f := bc.refs[r]
			fmt.Fprintf(&b, "%-5d %-5s %9.3f %9.0f %13.2f %13s %10.0f %10.0f %10.0f %13.0f\n",
				r+1, bc.label, f.Ingest.Seconds(), f.IngestRate(), f.IngestCPU[0].Seconds(), mib(f.IngestMem.HWM),
				f.RangeRate(), f.HashRate(), f.VerifyRate(), f.IdleVerifyRate())
		}
	}

	var ratios []float64
	for r := range cfg.Rounds {
		ratios = append(ratios, long.runs[r].Wall.Seconds()/short.runs[r].Wall.Seconds())
	}
	wall := func(bc *benchChain) float64 {
		return median(mapf(bc.runs, func(c catchup) float64 { return c.Wall.Seconds() }))
	}
	ratio := wall(long) / wall(short)
	rates := map[string]float64{}
	var peak int64
	for _, bc := range chains {
		rates[bc.label] = median(mapf(bc.runs, catchup.Rate))
		for _, c := range bc.runs {
			peak = max(peak, c.Peak())
		}
	}
	fmt.Fprintf(&b, "\ntime ratio %s/%s: %.2f (median catch-up %.3f s / %.3f s; per round %s); goal <= %.1f: %v\n",
		long.label, short.label, ratio, wall(long), wall(short), fmtList(ratios, "%.2f"), goalTimeRatio, ratio <= goalTimeRatio)
	fmt.Fprintf(&b, "entries/s (median): %s %.0f, %s %.0f; goal >= %d: %v\n",
		short.label, rates[short.label], long.label, rates[long.label], goalRate,
		min(rates[short.label], rates[long.label]) >= goalRate)
	fmt.Fprintf(&b, "pRuntime peak RSS over all catch-ups: %s MiB; goal < %d MiB: %v\n", mib(peak), goalPeakMiB, peak < goalPeakMiB*1024)
	for _, bc := range chains {
		w := wall(bc)
		fetch := median(mapf(bc.refs, func(f references) float64 { return f.Fetch.Seconds() }))
		ingest := median(mapf(bc.refs, func(f references) float64 { return f.Ingest.Seconds() }))
		verify := median(mapf(bc.refs, func(f references) float64 { return f.Verify.Seconds() }))
		rng := median(mapf(bc.refs, func(f references) float64 { return f.Range.Seconds() }))
		old := median(mapf(bc.refs, func(f references) float64 { return f.OldFetch.Seconds() }))
		vrate := median(mapf(bc.refs, references.VerifyRate))
		hrate := median(mapf(bc.refs, references.HashRate))
		fmt.Fprintf(&b, "chain %-4s catch-up %.3f s = rpc fetch alone %.0f%% + ingest alone %.0f%% (range verification %.0f%%) + %.0f%% rest; "+
			"catch-up/verify rate %.2f (per-entry proof verify %.0f/s), catch-up/sha256 rate %.3f (%.0f/s); old-path fetch %.3f s = %.1fx this fetch; per-entry verify would take %.3f s\n",
			bc.label, w, 100*fetch/w, 100*ingest/w, 100*rng/w, 100*(w-fetch-ingest)/w,
			rates[bc.label]/vrate, vrate, rates[bc.label]/hrate, hrate, old, old/fetch, verify)
	}
	return b.String()
}

func mapf[T any](xs []T, f func(T) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtList(xs []float64, f string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf(f, x)
	}
	return strings.Join(s, ", ")
}

// loadAvg is the 1- and 5-minute load average, from /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return "?"
	}
	return f[0] + "/" + f[1]
}
