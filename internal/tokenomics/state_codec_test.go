package tokenomics_test

import (
	"bytes"
	"errors"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// TestStateEncoding: a state sealed and restored mid-run continues exactly
// as the original.
func TestStateEncoding(t *testing.T) {
	t.Parallel()
	s, p := determinismSim()
	st := tk.NewState(0)
	var restored *tk.State
	for h := uint64(1); h <= 400; h++ {
		blk := s.block(h)
		out, _, err := st.Apply(p, blk)
		if err != nil {
			t.Fatal(err)
		}
		if restored != nil {
			out2, _, err := restored.Apply(p, blk)
			if err != nil || !bytes.Equal(out.Encode(), out2.Encode()) {
				t.Fatalf("block %d: restored state diverged (%v)", h, err)
			}
		}
		if h == 150 { // one worker is unresponsive at this point
			b, _ := st.MarshalBinary()
			restored = new(tk.State)
			if err := restored.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			again, _ := restored.MarshalBinary()
			if !bytes.Equal(b, again) {
				t.Fatal("state re-encoding differs")
			}
		}
		s.observe(p, st, h)
	}
	a, _ := st.MarshalBinary()
	b, _ := restored.MarshalBinary()
	if !bytes.Equal(a, b) {
		t.Fatal("final states differ")
	}
	// Corruptions are rejected.
	for i, cut := range []int{0, 5, 13, len(a) - 1} {
		if err := new(tk.State).UnmarshalBinary(a[:cut]); !errors.Is(err, tk.ErrMalformed) {
			t.Errorf("cut %d (%d bytes): %v", i, cut, err)
		}
	}
	bad := append([]byte(nil), a...)
	bad[13+132] = 9 // first worker's status
	if err := new(tk.State).UnmarshalBinary(bad); !errors.Is(err, tk.ErrMalformed) {
		t.Errorf("status: %v", err)
	}
}

// FuzzDecodeState: the sealed-state decoder never panics and is canonical.
func FuzzDecodeState(f *testing.F) {
	s, p := determinismSim()
	st := tk.NewState(0)
	for h := uint64(1); h <= 40; h++ {
		if _, _, err := st.Apply(p, s.block(h)); err != nil {
			f.Fatal(err)
		}
		s.observe(p, st, h)
	}
	b, _ := st.MarshalBinary()
	f.Add(b)
	e, _ := tk.NewState(3).MarshalBinary()
	f.Add(e)
	f.Fuzz(func(t *testing.T, b []byte) {
		var st tk.State
		if err := st.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, tk.ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if again, _ := st.MarshalBinary(); !bytes.Equal(again, b) {
			t.Fatal("re-encoding differs")
		}
	})
}
