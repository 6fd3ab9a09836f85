package pruntime

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// A Save that committed its checkpoint but could not prune old ones
// (checkpoint.ErrPrune) has committed: the runtime must take the new state
// and go on checkpointing, not report a failure and then try to save the
// same checkpoint number again forever.
func TestCommitSurvivesPruneFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tee, err := OpenSimTEE(dir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRuntime(validConfig(dir), tee, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for range r.cfg.KeepCheckpoints {
		if err := r.Checkpoint(); err != nil {
			t.Fatal(err)
		}
	}
	// The oldest checkpoint becomes something that cannot be removed: a
	// directory with a file in it.
	ckpts := filepath.Join(dir, "checkpoints")
	entries, err := os.ReadDir(ckpts)
	if err != nil || len(entries) == 0 {
		t.Fatalf("checkpoints: %v, %v", entries, err)
	}
	oldest := filepath.Join(ckpts, entries[0].Name())
	if err := os.Remove(oldest); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(oldest, "pinned"), 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := r.Checkpoint(); err != nil {
			t.Fatalf("checkpoint %d after a failed prune: %v", i+1, err)
		}
	}
	if want := uint64(r.cfg.KeepCheckpoints + 2); r.st.CheckpointSeq != want {
		t.Fatalf("checkpoint sequence %d, want %d", r.st.CheckpointSeq, want)
	}
}

// A header update the relayer garbled is the client's fault and keeps
// chainsync's reason, so callers can tell a malformed header by errors.Is.
func TestDecodeHeaderUpdateKeepsTheReason(t *testing.T) {
	t.Parallel()
	_, err := decodeHeaderUpdate(api.HeaderUpdate{SignedHeader: []byte{0xff}, Validators: []byte{0xff}})
	if !errors.Is(err, ErrBadRequest) || !errors.Is(err, chainsync.ErrMalformedHeader) {
		t.Fatalf("error %v, want ErrBadRequest wrapping chainsync.ErrMalformedHeader", err)
	}
}
