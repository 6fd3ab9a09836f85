package tokenomics_test

import (
	"bytes"
	"errors"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// determinismSim is a small busy network: eight workers, one down for a
// while, challenged often.
func determinismSim() (*sim, tk.Params) {
	p := tk.DefaultParams()
	p.MaxHeartbeatsPerWorkerHour = 120
	var ws []*simWorker
	for i := range 8 {
		w := honest(10+i, uint32(500+400*i), uint32(1+i%5), uint64(4000+3000*i))
		w.startAt = uint64(1 + 3*i)
		ws = append(ws, w)
	}
	ws[3].offFrom, ws[3].offTo, ws[3].answerLate = 100, 160, true
	return newSim(ws...), p
}

// TestGatekeepersAgree runs three gatekeepers side by side (one of them with
// the pure Step, one fed shuffled inputs) and requires byte-identical
// outputs every block.
func TestGatekeepersAgree(t *testing.T) {
	t.Parallel()
	s, p := determinismSim()
	a, b, c := tk.NewState(0), tk.NewState(0), tk.NewState(0)
	r := rand.New(rand.NewPCG(9, 10))
	reports := 0
	for h := uint64(1); h <= 600; h++ {
		blk := s.block(h)
		outA, rejA, err := a.Apply(p, blk)
		if err != nil {
			t.Fatal(err)
		}
		// The pure form leaves its input alone.
		before := b.Workers()
		nb, outB, _, err := tk.Step(p, b, blk)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before, b.Workers()) {
			t.Fatalf("block %d: Step changed its input state", h)
		}
		b = nb
		// Shuffled starts and heartbeats; a worker's own heartbeats keep
		// their relative order (the chain orders them; answering a later
		// challenge first legitimately discharges the earlier one).
		shuf := blk
		shuf.Started = slices.Clone(blk.Started)
		r.Shuffle(len(shuf.Started), func(i, j int) { shuf.Started[i], shuf.Started[j] = shuf.Started[j], shuf.Started[i] })
		shuf.Heartbeats = slices.Clone(blk.Heartbeats)
		r.Shuffle(len(shuf.Heartbeats), func(i, j int) { shuf.Heartbeats[i], shuf.Heartbeats[j] = shuf.Heartbeats[j], shuf.Heartbeats[i] })
		queue := map[tk.WorkerKey][]tk.Heartbeat{}
		for _, hb := range blk.Heartbeats {
			queue[hb.Worker] = append(queue[hb.Worker], hb)
		}
		for i, hb := range shuf.Heartbeats {
			shuf.Heartbeats[i] = queue[hb.Worker][0]
			queue[hb.Worker] = queue[hb.Worker][1:]
		}
		outC, rejC, err := c.Apply(p, shuf)
		if err != nil {
			t.Fatal(err)
		}
		ea, eb, ec := outA.Encode(), outB.Encode(), outC.Encode()
		if !bytes.Equal(ea, eb) || !bytes.Equal(ea, ec) {
			t.Fatalf("block %d: outputs differ\n%x\n%x\n%x", h, ea, eb, ec)
		}
		if len(rejA) != len(rejC) {
			t.Fatalf("block %d: %d vs %d rejections", h, len(rejA), len(rejC))
		}
		if !slices.Equal(a.Workers(), b.Workers()) || !slices.Equal(a.Workers(), c.Workers()) {
			t.Fatalf("block %d: states differ", h)
		}
		if !outA.Empty() {
			reports++
		}
		s.observe(p, a, h)
	}
	if reports < 100 {
		t.Fatalf("only %d blocks with output", reports)
	}
	// Running the same blocks again from scratch gives the same bytes.
	s2, _ := determinismSim()
	d := tk.NewState(0)
	s3, _ := determinismSim()
	e := tk.NewState(0)
	for h := uint64(1); h <= 300; h++ {
		o1, _, _ := d.Apply(p, s2.block(h))
		o2, _, _ := e.Apply(p, s3.block(h))
		if !bytes.Equal(o1.Encode(), o2.Encode()) {
			t.Fatalf("rerun differs at %d", h)
		}
		s2.observe(p, d, h)
		s3.observe(p, e, h)
	}
}

// TestNoFloatInSources keeps IEEE 754 arithmetic out of consensus code.
func TestNoFloatInSources(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(string(src)), "float") {
			t.Errorf("%s mentions float", f)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked only %d files", checked)
	}
}

// TestImportsStdlibOnly keeps the package fit for the enclave: standard
// library imports only, and nothing that reads the clock or randomness.
func TestImportsStdlibOnly(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("*.go")
	forbidden := []string{"time", "math/rand", "math/rand/v2", "crypto/rand", "os", "unsafe", "math/big", "reflect"}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if strings.Contains(path, ".") || slices.Contains(forbidden, path) {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}

func TestRejectionIsError(t *testing.T) {
	t.Parallel()
	var err error = tk.Rejection{Input: tk.InputHeartbeat, Reason: tk.ErrLate}
	if !errors.Is(err, tk.ErrLate) || errors.Is(err, tk.ErrNotIssued) || !strings.Contains(err.Error(), "heartbeat") {
		t.Fatalf("%v", err)
	}
}
