package pruntime

import (
	"context"
	"crypto/sha256"
	"hash"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// The performance benchmark (DESIGN §8). One iteration is SHA-256 over
// 1 MiB; the score p_init is iterations per 6 seconds (the reference's unit,
// tokenomics.ScoreSeconds) measured once, after registration, at most
// tokenomics.MaxScore, and a computing worker keeps running iterations so
// that its heartbeats report how much work it has really done (the engine's
// p_instant, iterations per 6 s between two heartbeats). Both are
// measurements of this machine, not consensus values: the chain records
// what an attested pRuntime reports, as the reference does.

const (
	// iterationBytes is the work of one benchmark iteration.
	iterationBytes = 1 << 20
	// benchmarkDuration is how long the performance test runs.
	benchmarkDuration = 300 * time.Millisecond
	// idlePoll is how often the benchmark loop looks whether the worker
	// started computing.
	idlePoll = time.Second
)

// hasher runs benchmark iterations.
type hasher struct {
	h   hash.Hash
	buf [64 << 10]byte
}

func newHasher() *hasher { return &hasher{h: sha256.New()} }

// iteration hashes iterationBytes.
func (h *hasher) iteration() {
	for range iterationBytes / len(h.buf) {
		h.h.Write(h.buf[:])
	}
	h.buf[0] = h.h.Sum(h.buf[:0])[0] // depend on the result
}

// performanceScore runs the performance test on one core for
// benchmarkDuration: the score is iterations (MiB hashed) per 6 seconds, in
// [1, tokenomics.MaxScore] (the chain caps it there too).
func performanceScore() uint32 {
	h := newHasher()
	var n uint64
	start := time.Now()
	for time.Since(start) < benchmarkDuration {
		h.iteration()
		n++
	}
	ns := uint64(max(time.Since(start).Nanoseconds(), 1))
	return uint32(min(max(n*tokenomics.ScoreSeconds*uint64(time.Second)/ns, 1), tokenomics.MaxScore))
}

// RunBenchmark runs benchmark iterations on one core while this worker is
// computing, at cfg.BenchmarkDuty percent of the core (it sleeps the rest),
// until ctx ends. A worker that is not computing only polls.
func (r *Runtime) RunBenchmark(ctx context.Context) {
	h := newHasher()
	duty := time.Duration(r.cfg.BenchmarkDuty)
	for ctx.Err() == nil {
		if !r.computing.Load() {
			sleepCtx(ctx, idlePoll)
			continue
		}
		start := time.Now()
		h.iteration()
		r.iterations.Add(1)
		if duty < 100 {
			sleepCtx(ctx, time.Since(start)*(100-duty)/duty)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
