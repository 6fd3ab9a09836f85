package sim_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// Sealed blobs come back from the host's disk, so Unseal parses untrusted
// bytes: it must never panic, and every failure must be ErrUnseal. The backend
// uses the fixed known-answer keys so that the seeds in
// testdata/fuzz/FuzzUnseal/ include blobs that really open.
func FuzzUnseal(f *testing.F) {
	e := openKAT(f)
	kat, err := hex.DecodeString(katSealed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(katLabel, kat)
	f.Add("other", kat)
	f.Add(katLabel, []byte{1})
	f.Fuzz(func(t *testing.T, label string, sealed []byte) {
		got, err := e.Unseal(label, sealed)
		switch {
		case label == "":
			if err == nil {
				t.Fatal("Unseal accepted an empty label")
			}
		case err != nil:
			if !errors.Is(err, tee.ErrUnseal) {
				t.Fatalf("error %v does not wrap ErrUnseal", err)
			}
		default:
			// Whatever opens must survive another round trip unchanged.
			again, err := e.Seal(label, got)
			if err != nil {
				t.Fatal(err)
			}
			back, err := e.Unseal(label, again)
			if err != nil || !bytes.Equal(back, got) {
				t.Fatalf("re-seal round trip: %v", err)
			}
		}
	})
}
