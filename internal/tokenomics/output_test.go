package tokenomics_test

import (
	"slices"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// An output too large for one message splits into parts that each fit,
// keep the height, and together hold exactly the entries, in order.
func TestOutputSplit(t *testing.T) {
	t.Parallel()
	out := tk.Output{Height: 42}
	for i := range 30 {
		out.Offline = append(out.Offline, tk.Ref{Worker: testKey(i), Session: 1})
	}
	for i := range 3 {
		out.Recovered = append(out.Recovered, tk.Ref{Worker: testKey(100 + i), Session: 2})
	}
	for i := range 2000 {
		out.Settlements = append(out.Settlements, tk.Settlement{Worker: testKey(1000 + i), Session: 3, V: tk.FromInt(uint64(i)), Payout: tk.One})
	}
	// Lists must be in key order for DecodeOutput.
	slices.SortFunc(out.Offline, func(a, b tk.Ref) int { return compareKeys(a.Worker, b.Worker) })
	slices.SortFunc(out.Recovered, func(a, b tk.Ref) int { return compareKeys(a.Worker, b.Worker) })
	slices.SortFunc(out.Settlements, func(a, b tk.Settlement) int { return compareKeys(a.Worker, b.Worker) })

	const max = 64 << 10
	parts := out.Split(max)
	if len(parts) != 3 {
		t.Fatalf("%d parts for %d bytes, want 3", len(parts), len(out.Encode()))
	}
	var got tk.Output
	got.Height = 42
	for i, p := range parts {
		b := p.Encode()
		if len(b) > max || p.Height != 42 || p.Empty() {
			t.Fatalf("part %d: %d bytes, height %d, empty %t", i, len(b), p.Height, p.Empty())
		}
		d, err := tk.DecodeOutput(b)
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		got.Offline = append(got.Offline, d.Offline...)
		got.Recovered = append(got.Recovered, d.Recovered...)
		got.Settlements = append(got.Settlements, d.Settlements...)
	}
	if string(got.Encode()) != string(out.Encode()) {
		t.Fatal("the parts do not add up to the output")
	}
	if parts := (tk.Output{Height: 1}).Split(max); parts != nil {
		t.Fatalf("an empty output split into %d parts", len(parts))
	}
	small := tk.Output{Height: 1, Settlements: out.Settlements[:1]}
	if parts := small.Split(max); len(parts) != 1 || string(parts[0].Encode()) != string(small.Encode()) {
		t.Fatal("a small output was cut")
	}
}

func compareKeys(a, b tk.WorkerKey) int {
	return slices.Compare(a[:], b[:])
}
