package tokenomics_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// Test network: simulated workers whose pRuntimes answer the challenges the
// engine issues, possibly offline for a while.

func testKey(i int) tk.WorkerKey {
	return tk.WorkerKey(sha256.Sum256(binary.BigEndian.AppendUint64([]byte("worker"), uint64(i))))
}

// testSeed stands in for the gatekeepers' beacon at height h.
func testSeed(h uint64) [32]byte {
	return sha256.Sum256(binary.BigEndian.AppendUint64([]byte("beacon"), h))
}

// simBlockMs is the simulated block time.
const simBlockMs = 12_000

func simTime(h uint64) uint64 { return h * simBlockMs }

type simWorker struct {
	start      tk.Start
	speed      uint64 // benchmark iterations per 6 s (the score unit); 0: the score p_init
	startAt    uint64 // height of the start
	delay      uint64 // blocks between a challenge and its answer
	offFrom    uint64 // the pRuntime is down in [offFrom, offTo)
	offTo      uint64
	answerLate bool // when back, also answer the challenges seen while down
}

func (w *simWorker) down(h uint64) bool { return h >= w.offFrom && h < w.offTo }

// iterations is the pRuntime's benchmark counter at height h: it counts
// from 0 since the session started, or since the pRuntime came back.
func (w *simWorker) iterations(h uint64) uint64 {
	boot := w.startAt
	if w.offTo > 0 && h >= w.offTo {
		boot = w.offTo
	}
	speed := w.speed
	if speed == 0 {
		speed = uint64(w.start.P)
	}
	return speed * (simTime(h) - simTime(boot)) / (tk.ScoreSeconds * 1000)
}

type sim struct {
	workers []*simWorker
	due     map[uint64][]tk.Heartbeat // answers by the height they are sent
}

func newSim(ws ...*simWorker) *sim { return &sim{workers: ws, due: map[uint64][]tk.Heartbeat{}} }

// block builds height h's block: starts scheduled at h and answers due at h.
func (s *sim) block(h uint64) tk.Block {
	b := tk.Block{Height: h, Time: simTime(h), Seed: testSeed(h), Heartbeats: s.due[h]}
	delete(s.due, h)
	for _, w := range s.workers {
		if w.startAt == h {
			b.Started = append(b.Started, w.start)
		}
	}
	return b
}

// observe lets each pRuntime see height h's challenge (seed and the target
// for the number of computing workers) and schedule its answer.
func (s *sim) observe(p tk.Params, st *tk.State, h uint64) {
	target := p.OnlineTarget(uint32(st.Len()))
	seed := testSeed(h)
	for _, w := range s.workers {
		if _, ok := st.Worker(w.start.Worker); !ok || !tk.IsChallenged(w.start.Worker[:], seed, target) {
			continue
		}
		at, seen := h+w.delay, h
		if w.down(h) || w.down(at) {
			if !w.answerLate && w.down(h) {
				continue // missed while down
			}
			at = max(at, w.offTo)
			if w.down(h) {
				seen = w.offTo // read from the chain after the restart
			}
		}
		s.due[at] = append(s.due[at], tk.Heartbeat{Worker: w.start.Worker, Session: w.start.Session, Challenge: h, Iterations: w.iterations(seen)})
	}
}

// run drives an engine over blocks 1..n with params(h), calling each(h,
// output, rejections) after every block.
func (s *sim) run(t testing.TB, n uint64, params func(uint64) tk.Params, each func(uint64, *tk.State, tk.Output, []tk.Rejection)) *tk.State {
	t.Helper()
	st := tk.NewState(0)
	for h := uint64(1); h <= n; h++ {
		p := params(h)
		out, rej, err := st.Apply(p, s.block(h))
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		if each != nil {
			each(h, st, out, rej)
		}
		s.observe(p, st, h)
	}
	return st
}
