package reencrypt_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
)

func sampleCheckpoint() reencrypt.Checkpoint {
	return reencrypt.Checkpoint{
		Job:         reencrypt.Job{From: 3, To: 4, Range: reencrypt.Range{Index: 1, Count: 3}},
		After:       "cluster-7/app-a/obj-0100",
		Done:        90,
		Reencrypted: 80,
		Failures: []reencrypt.Failure{
			{Name: "cluster-1/app-a/bad", Reason: "crypto: invalid state blob: authentication failed"},
			{Name: "cluster-7/app-a/obj-0100", Reason: "blob is at key version 9"},
		},
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	t.Parallel()
	cp := sampleCheckpoint()
	b, err := cp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got reencrypt.Checkpoint
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, _ := got.MarshalBinary()
	if !bytes.Equal(b, b2) || got.After != cp.After || got.Job != cp.Job || len(got.Failures) != 2 {
		t.Fatalf("round trip: %+v", got)
	}
	// Long and invalid UTF-8 reasons are cut on save.
	cp.Failures[0].Reason = strings.Repeat("é", reencrypt.MaxReasonLen) + "\xff"
	b, err = cp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := got.UnmarshalBinary(b); err != nil || len(got.Failures[0].Reason) > reencrypt.MaxReasonLen {
		t.Fatalf("cut reason: %d bytes, %v", len(got.Failures[0].Reason), err)
	}
}

func TestCheckpointRejects(t *testing.T) {
	t.Parallel()
	good, _ := sampleCheckpoint().MarshalBinary()
	tests := []struct {
		name string
		mut  func(cp *reencrypt.Checkpoint)
	}{
		{"same versions", func(cp *reencrypt.Checkpoint) { cp.Job.To = cp.Job.From }},
		{"bad range", func(cp *reencrypt.Checkpoint) { cp.Job.Range.Index = 3 }},
		{"bad after", func(cp *reencrypt.Checkpoint) { cp.After = "../x" }},
		{"reencrypted over done", func(cp *reencrypt.Checkpoint) { cp.Reencrypted = cp.Done + 1 }},
		{"failure after checkpoint", func(cp *reencrypt.Checkpoint) { cp.Failures[1].Name = "cluster-9/z/z" }},
		{"failures unsorted", func(cp *reencrypt.Checkpoint) { cp.Failures[0], cp.Failures[1] = cp.Failures[1], cp.Failures[0] }},
		{"failures duplicated", func(cp *reencrypt.Checkpoint) { cp.Failures[1].Name = cp.Failures[0].Name }},
		{"too many failures", func(cp *reencrypt.Checkpoint) {
			cp.Failures = make([]reencrypt.Failure, reencrypt.MaxReportedFailures+1)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cp := sampleCheckpoint()
			tc.mut(&cp)
			if _, err := cp.MarshalBinary(); !errors.Is(err, reencrypt.ErrJournal) {
				t.Fatalf("MarshalBinary: %v, want ErrJournal", err)
			}
		})
	}
	for _, bad := range [][]byte{nil, good[:len(good)-1], append(bytes.Clone(good), 0), append([]byte("GKRX"), good[4:]...)} {
		var cp reencrypt.Checkpoint
		if err := cp.UnmarshalBinary(bad); !errors.Is(err, reencrypt.ErrJournal) {
			t.Errorf("UnmarshalBinary(%x...): %v, want ErrJournal", bad[:min(len(bad), 8)], err)
		}
	}
}

func TestJournalFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := newJournal(t, dir)
	if _, err := j.Load(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing journal: %v", err)
	}
	cp := sampleCheckpoint()
	if err := j.Save(cp); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(j.Path())
	if bytes.Contains(raw, []byte(cp.After)) {
		t.Fatal("the journal file holds plaintext")
	}
	got, err := j.Load()
	if err != nil || got.After != cp.After || got.Done != cp.Done {
		t.Fatalf("Load: %+v, %v", got, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
	if err := j.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := j.Remove(); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if _, err := reencrypt.NewJournal("", openTEE(t, filepath.Join(dir, "tee"))); err == nil {
		t.Fatal("NewJournal accepted an empty path")
	}
}

// FuzzCheckpoint: the journal decoder never panics on any input, and what it
// accepts re-encodes to the same bytes (one encoding per checkpoint). Seeds:
// testdata/fuzz/FuzzCheckpoint and a sample checkpoint.
func FuzzCheckpoint(f *testing.F) {
	good, err := sampleCheckpoint().MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, b []byte) {
		var cp reencrypt.Checkpoint
		if err := cp.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, reencrypt.ErrJournal) {
				t.Fatalf("error %v does not match ErrJournal", err)
			}
			return
		}
		again, err := cp.MarshalBinary()
		if err != nil {
			t.Fatalf("accepted checkpoint does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, again)
		}
	})
}
