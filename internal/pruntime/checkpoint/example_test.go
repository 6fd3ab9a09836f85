package checkpoint_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
)

// A pRuntime restores its newest usable checkpoint at start, reports any it
// had to skip, and saves a new one as it advances.
func Example() {
	base, err := os.MkdirTemp("", "checkpoint-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(base)

	e, err := sim.Open(sim.Config{Dir: filepath.Join(base, "tee"), Measurement: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := checkpoint.DefaultConfig()
	cfg.Dir = filepath.Join(base, "checkpoints")
	store, err := checkpoint.Open(cfg, e)
	if err != nil {
		fmt.Println(err)
		return
	}

	cp, skipped, err := store.Latest()
	for _, s := range skipped {
		fmt.Println("skipped", filepath.Base(s.File), s.Err)
	}
	switch {
	case errors.Is(err, checkpoint.ErrNoCheckpoint) && len(skipped) == 0:
		fmt.Println("fresh start")
	case err != nil:
		fmt.Println(err)
		return
	default:
		fmt.Println("resume from", cp.Height)
	}

	for h := uint64(100); h <= 500; h += 100 {
		if err := store.Save(h, fmt.Appendf(nil, "state at %d", h)); err != nil {
			fmt.Println(err)
			return
		}
	}
	heights, _ := store.List()
	cp, _, _ = store.Latest()
	fmt.Println("kept", heights)
	fmt.Printf("latest %d: %s\n", cp.Height, cp.Payload)
	// Output:
	// fresh start
	// kept [300 400 500]
	// latest 500: state at 500
}
