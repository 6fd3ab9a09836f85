package checkpoint_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
)

// Fixed measurements keep tests fast (no hashing of the test binary) and let
// a child process share its parent's sealing key.
var (
	measurementA = bytes.Repeat([]byte{0xa1}, 32)
	measurementB = bytes.Repeat([]byte{0xb2}, 32)
)

func openTEE(t testing.TB, keyDir string, measurement []byte) *sim.TEE {
	t.Helper()
	e, err := sim.Open(sim.Config{Dir: keyDir, Measurement: measurement})
	if err != nil {
		t.Fatalf("sim.Open: %v", err)
	}
	return e
}

func openStore(t testing.TB, dir string, e tee.TEE, keep int) *checkpoint.Store {
	t.Helper()
	cfg := checkpoint.DefaultConfig()
	cfg.Dir = dir
	if keep != 0 {
		cfg.Keep = keep
	}
	s, err := checkpoint.Open(cfg, e)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// fixture is a Store in a fresh directory with its own sim platform.
type fixture struct {
	dir, keyDir string
	tee         *sim.TEE
	store       *checkpoint.Store
}

func newFixture(t testing.TB, keep int) *fixture {
	t.Helper()
	f := &fixture{dir: filepath.Join(t.TempDir(), "checkpoints"), keyDir: t.TempDir()}
	f.tee = openTEE(t, f.keyDir, measurementA)
	f.store = openStore(t, f.dir, f.tee, keep)
	return f
}

func (f *fixture) path(height uint64) string {
	return filepath.Join(f.dir, checkpoint.FileName(height))
}

func (f *fixture) save(t testing.TB, heights ...uint64) {
	t.Helper()
	for _, h := range heights {
		if err := f.store.Save(h, payloadFor(h, 1000)); err != nil {
			t.Fatalf("Save(%d): %v", h, err)
		}
	}
}

// payloadFor is the deterministic payload saved for height in tests, so any
// process can check what it reads back.
func payloadFor(height uint64, n int) []byte {
	var seed [32]byte
	binary.BigEndian.PutUint64(seed[:], height)
	b := make([]byte, n)
	rand.NewChaCha8(seed).Read(b)
	return b
}

func wantLatest(t testing.TB, s *checkpoint.Store, height uint64, payload []byte) []checkpoint.Skipped {
	t.Helper()
	cp, skipped, err := s.Latest()
	if err != nil {
		t.Fatalf("Latest: %v (skipped %v)", err, skipped)
	}
	if cp.Height != height || !bytes.Equal(cp.Payload, payload) {
		t.Fatalf("Latest = height %d, %d-byte payload (equal: %v); want height %d, %d bytes",
			cp.Height, len(cp.Payload), bytes.Equal(cp.Payload, payload), height, len(payload))
	}
	return skipped
}

func wantList(t testing.TB, s *checkpoint.Store, want ...uint64) {
	t.Helper()
	got, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     checkpoint.Config
		wantErr string // a substring naming the field; empty for valid
	}{
		{"default with Dir", checkpoint.Config{Dir: "x", Keep: checkpoint.DefaultKeep}, ""},
		{"minimum Keep", checkpoint.Config{Dir: "x", Keep: checkpoint.MinKeep}, ""},
		{"default without Dir", checkpoint.DefaultConfig(), "Dir"},
		{"zero Keep", checkpoint.Config{Dir: "x"}, "Keep"},
		{"Keep one", checkpoint.Config{Dir: "x", Keep: 1}, "Keep"},
		{"negative Keep", checkpoint.Config{Dir: "x", Keep: -3}, "Keep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.wantErr)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	e := openTEE(t, t.TempDir(), measurementA)

	t.Run("creates Dir 0700", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "a", "b")
		openStore(t, dir, e, 0)
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Fatalf("Dir mode %v, want 0700", perm)
		}
	})
	t.Run("invalid config", func(t *testing.T) {
		t.Parallel()
		if _, err := checkpoint.Open(checkpoint.Config{Dir: t.TempDir(), Keep: 1}, e); err == nil {
			t.Fatal("Open accepted Keep 1")
		}
	})
	t.Run("nil TEE", func(t *testing.T) {
		t.Parallel()
		cfg := checkpoint.DefaultConfig()
		cfg.Dir = t.TempDir()
		if _, err := checkpoint.Open(cfg, nil); err == nil {
			t.Fatal("Open accepted a nil TEE")
		}
	})
	t.Run("Dir is a file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := checkpoint.DefaultConfig()
		cfg.Dir = path
		if _, err := checkpoint.Open(cfg, e); err == nil {
			t.Fatal("Open accepted a regular file as Dir")
		}
	})
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		height  uint64
		payload []byte
	}{
		{"empty payload at height 0", 0, nil},
		{"small", 42, []byte("pruntime state")},
		{"1 MiB", 1 << 40, payloadFor(7, 1<<20)},
		{"max height", ^uint64(0), payloadFor(8, 100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 0)
			if _, _, err := f.store.Latest(); !errors.Is(err, checkpoint.ErrNoCheckpoint) {
				t.Fatalf("Latest on an empty Dir: %v, want ErrNoCheckpoint", err)
			}
			if err := f.store.Save(tc.height, tc.payload); err != nil {
				t.Fatalf("Save: %v", err)
			}
			// A restarted process: new TEE instance and Store on the same dirs.
			s := openStore(t, f.dir, openTEE(t, f.keyDir, measurementA), 0)
			if skipped := wantLatest(t, s, tc.height, tc.payload); len(skipped) != 0 {
				t.Fatalf("skipped %v", skipped)
			}
			cp, _, _ := s.Latest()
			if cp.File != f.path(tc.height) {
				t.Fatalf("File = %q, want %q", cp.File, f.path(tc.height))
			}
			wantList(t, s, tc.height)
			fi, err := os.Stat(cp.File)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Fatalf("checkpoint mode %v, want 0600", perm)
			}
		})
	}
}

func TestSealedNotPlain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	secret := bytes.Repeat([]byte("SECRET"), 100)
	if err := f.store.Save(1, secret); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(f.path(1))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("SECRET")) || bytes.Contains(raw, []byte("GKCKPT")) {
		t.Fatal("checkpoint file holds plaintext")
	}
}

func TestKeep(t *testing.T) {
	t.Parallel()
	for _, keep := range []int{2, 3, 5} {
		t.Run(fmt.Sprintf("keep=%d", keep), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, keep)
			for h := uint64(1); h <= 10; h++ {
				f.save(t, h*10)
				want := []uint64{}
				for k := max(1, int(h)-keep+1); k <= int(h); k++ {
					want = append(want, uint64(k)*10)
				}
				wantList(t, f.store, want...)
			}
			wantLatest(t, f.store, 100, payloadFor(100, 1000))
		})
	}

	t.Run("lower Keep on reopen", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, 5)
		f.save(t, 1, 2, 3, 4, 5)
		s := openStore(t, f.dir, f.tee, 2)
		wantList(t, s, 1, 2, 3, 4, 5) // Open prunes nothing
		if err := s.Save(6, nil); err != nil {
			t.Fatal(err)
		}
		wantList(t, s, 5, 6)
	})
}

func TestSaveRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	f.save(t, 10)
	tests := []struct {
		name    string
		height  uint64
		payload []byte
		want    error
	}{
		{"same height", 10, nil, checkpoint.ErrNotNewer},
		{"lower height", 9, nil, checkpoint.ErrNotNewer},
		{"height 0", 0, nil, checkpoint.ErrNotNewer},
		{"payload over MaxPayload", 11, make([]byte, checkpoint.MaxPayload+1), checkpoint.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: the cases share f and must leave it unchanged.
			if err := f.store.Save(tc.height, tc.payload); !errors.Is(err, tc.want) {
				t.Fatalf("Save(%d, %d bytes) = %v, want %v", tc.height, len(tc.payload), err, tc.want)
			}
			wantList(t, f.store, 10)
		})
	}
	f.save(t, 11)
	wantLatest(t, f.store, 11, payloadFor(11, 1000))
}

// resealed returns a checkpoint file sealed with f's key whose plaintext is
// the valid encoding for height, altered by mutate.
func resealed(f *fixture, height uint64, payload []byte, mutate func([]byte) []byte) func(t *testing.T, b []byte) []byte {
	return func(t *testing.T, _ []byte) []byte {
		sealed, err := f.tee.Seal(protocol.ContextCheckpoint, mutate(checkpoint.Encode(height, payload)))
		if err != nil {
			t.Fatal(err)
		}
		return sealed
	}
}

// TestCorruptNewest damages the newest of three checkpoints in each way a
// disk, a host or a bug can, and checks that Latest falls back to the one
// before, reports the damaged file, and moves it aside.
func TestCorruptNewest(t *testing.T) {
	t.Parallel()
	type corruptFunc = func(t *testing.T, sealed []byte) []byte
	tests := []struct {
		name    string
		corrupt func(f *fixture) corruptFunc // returns the new file contents
		want    error                        // nil: any error will do
	}{
		{"flip a byte in the middle", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { b[len(b)/2] ^= 0x01; return b }
		}, tee.ErrUnseal},
		{"flip the first byte", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { b[0] ^= 0x80; return b }
		}, tee.ErrUnseal},
		{"flip the last byte", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { b[len(b)-1] ^= 0x01; return b }
		}, tee.ErrUnseal},
		{"truncate to half", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { return b[:len(b)/2] }
		}, tee.ErrUnseal},
		{"truncate by one byte", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { return b[:len(b)-1] }
		}, tee.ErrUnseal},
		{"append a byte", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { return append(b, 0) }
		}, tee.ErrUnseal},
		{"zero length", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { return nil }
		}, tee.ErrUnseal},
		{"zeroed", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { return make([]byte, len(b)) }
		}, tee.ErrUnseal},
		{"garbage of the same length", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { return payloadFor(999, len(b)) }
		}, tee.ErrUnseal},
		{"short garbage", func(*fixture) corruptFunc {
			return func(_ *testing.T, b []byte) []byte { return []byte("hello") }
		}, tee.ErrUnseal},
		{"sealed under another label", func(f *fixture) corruptFunc {
			return func(t *testing.T, _ []byte) []byte {
				sealed, err := f.tee.Seal("gatekeeper/other/v1", checkpoint.Encode(30, payloadFor(30, 1000)))
				if err != nil {
					t.Fatal(err)
				}
				return sealed
			}
		}, tee.ErrUnseal},
		{"format bug: wrong version", func(f *fixture) corruptFunc {
			return resealed(f, 30, payloadFor(30, 1000), func(b []byte) []byte { b[7] = 2; return b })
		}, checkpoint.ErrMalformed},
		{"format bug: bad digest", func(f *fixture) corruptFunc {
			return resealed(f, 30, payloadFor(30, 1000), func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
		}, checkpoint.ErrMalformed},
		{"format bug: trailing byte", func(f *fixture) corruptFunc {
			return resealed(f, 30, payloadFor(30, 1000), func(b []byte) []byte { return append(b, 0) })
		}, checkpoint.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 3)
			f.save(t, 10, 20, 30)
			path := f.path(30)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.corrupt(f)(t, b), 0o600); err != nil {
				t.Fatal(err)
			}
			checkFallback(t, f, 30, 20, tc.want)
		})
	}

	t.Run("a directory in its place", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, 3)
		f.save(t, 10, 20)
		if err := os.Mkdir(f.path(30), 0o700); err != nil {
			t.Fatal(err)
		}
		checkFallback(t, f, 30, 20, nil)
	})
	t.Run("too large to read", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, 3)
		f.save(t, 10, 20, 30)
		// Sparse: costs no disk, and must cost no memory either.
		if err := os.Truncate(f.path(30), checkpoint.MaxPayload+1<<20); err != nil {
			t.Fatal(err)
		}
		checkFallback(t, f, 30, 20, checkpoint.ErrTooLarge)
	})
}

// checkFallback checks that Latest skips bad, reports it with an error
// matching want, returns good, moves bad aside, and that Save can then reuse
// bad's height.
func checkFallback(t *testing.T, f *fixture, bad, good uint64, want error) {
	t.Helper()
	skipped := wantLatest(t, f.store, good, payloadFor(good, 1000))
	if len(skipped) != 1 || skipped[0].File != f.path(bad) {
		t.Fatalf("skipped = %v, want just %s", skipped, f.path(bad))
	}
	if err := skipped[0].Err; err == nil || (want != nil && !errors.Is(err, want)) {
		t.Fatalf("skipped for %v, want %v", err, want)
	}
	if _, err := os.Lstat(f.path(bad) + ".corrupt"); err != nil {
		t.Fatalf("bad checkpoint not kept aside: %v", err)
	}
	if _, err := os.Lstat(f.path(bad)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("bad checkpoint still under its name: %v", err)
	}
	// Reported once, not on every start.
	if skipped := wantLatest(t, f.store, good, payloadFor(good, 1000)); len(skipped) != 0 {
		t.Fatalf("second Latest skipped %v again", skipped)
	}
	f.save(t, bad)
	wantLatest(t, f.store, bad, payloadFor(bad, 1000))
}

func TestAllCorrupt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	f.save(t, 10, 20, 30)
	for _, h := range []uint64{10, 20, 30} {
		if err := os.WriteFile(f.path(h), []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, skipped, err := f.store.Latest()
	if !errors.Is(err, checkpoint.ErrNoCheckpoint) {
		t.Fatalf("Latest: %v, want ErrNoCheckpoint", err)
	}
	var files []string
	for _, s := range skipped {
		if !errors.Is(s.Err, tee.ErrUnseal) {
			t.Errorf("%s skipped for %v, want ErrUnseal", s.File, s.Err)
		}
		files = append(files, s.File)
	}
	if want := []string{f.path(30), f.path(20), f.path(10)}; !slices.Equal(files, want) {
		t.Fatalf("skipped %v, want newest first %v", files, want)
	}
	wantList(t, f.store)
	// The corrupt heights no longer block a fresh start.
	f.save(t, 1)
	wantLatest(t, f.store, 1, payloadFor(1, 1000))
}

// TestForeignSeal puts a checkpoint sealed by another measurement (another
// pRuntime version) or another platform into the directory as the newest.
func TestForeignSeal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		sameKeys    bool
		measurement []byte
	}{
		{"other measurement, same platform", true, measurementB},
		{"same measurement, other platform", false, measurementA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 3)
			f.save(t, 10, 20)
			keyDir := t.TempDir()
			if tc.sameKeys {
				keyDir = f.keyDir
			}
			other := openStore(t, f.dir, openTEE(t, keyDir, tc.measurement), 3)
			if err := other.Save(30, payloadFor(30, 1000)); err != nil {
				t.Fatal(err)
			}
			checkFallback(t, f, 30, 20, tee.ErrUnseal)
		})
	}
}

// TestRenamed checks that a checkpoint cannot pass for another height by
// being renamed: the height sealed inside must match the name.
func TestRenamed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from, to uint64
		copyFile bool
	}{
		{"old renamed as newer", 10, 30, false},
		{"newest copied as newer", 20, 30, true},
		{"newest renamed as older", 20, 15, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 3)
			f.save(t, 10, 20)
			b, err := os.ReadFile(f.path(tc.from))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.copyFile {
				if err := os.Remove(f.path(tc.from)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(f.path(tc.to), b, 0o600); err != nil {
				t.Fatal(err)
			}
			cp, skipped, err := f.store.Latest()
			if err != nil {
				t.Fatalf("Latest: %v", err)
			}
			if cp.Height == tc.to {
				t.Fatalf("Latest accepted checkpoint %d under the name of %d", tc.from, tc.to)
			}
			var found bool
			for _, s := range skipped {
				if s.File == f.path(tc.to) {
					found = true
					if !errors.Is(s.Err, checkpoint.ErrHeightMismatch) {
						t.Fatalf("skipped for %v, want ErrHeightMismatch", s.Err)
					}
				}
			}
			if tc.to > cp.Height && !found {
				t.Fatalf("renamed file not reported; skipped %v", skipped)
			}
		})
	}
}

// TestRollbackUndetected pins down the limit stated in the package
// documentation: a host that puts back an older copy of the directory gets
// the older checkpoint accepted as the newest. Defence lies outside this
// package (checking loaded state against the chain).
func TestRollbackUndetected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	f.save(t, 10, 20)
	old := t.TempDir()
	for _, h := range []uint64{10, 20} {
		b, err := os.ReadFile(f.path(h))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(old, checkpoint.FileName(h)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.save(t, 30, 40)
	if err := os.RemoveAll(f.dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(old, f.dir); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, f.dir, f.tee, 3)
	if skipped := wantLatest(t, s, 20, payloadFor(20, 1000)); len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
}

// TestStrayTemp plants what a crash just before the rename leaves: a
// temporary file holding a complete, valid, newer checkpoint. Nothing may
// read it, and Open must remove it.
func TestStrayTemp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	f.save(t, 10, 20)
	temp := filepath.Join(f.dir, checkpoint.TempMark+checkpoint.FileName(20)+"-123456")
	if err := os.Rename(f.path(20), temp); err != nil {
		t.Fatal(err)
	}
	// Before a reopen: invisible.
	wantList(t, f.store, 10)
	if skipped := wantLatest(t, f.store, 10, payloadFor(10, 1000)); len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
	s := openStore(t, f.dir, f.tee, 3)
	if _, err := os.Lstat(temp); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open left the temporary file: %v", err)
	}
	wantLatest(t, s, 10, payloadFor(10, 1000))
	if err := s.Save(20, []byte("again")); err != nil {
		t.Fatal(err)
	}
	wantLatest(t, s, 20, []byte("again"))
}

// TestIgnoresOtherFiles checks that names Save does not produce are neither
// listed, read, nor removed.
func TestIgnoresOtherFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	f.save(t, 10)
	others := []string{
		"checkpoint-20.sealed",                     // not fixed-width
		"checkpoint-+0000000000000000030.sealed",   // sign
		"checkpoint-99999999999999999999.sealed",   // above MaxUint64
		"checkpoint-00000000000000000040.sealed.x", // suffix
		"checkpoint-00000000000000000050.corrupt",
		"checkpoint-00000000000000000060.sealed.corrupt",
		"README",
	}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(f.dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.save(t, 11, 12, 13)
	wantList(t, f.store, 12, 13)
	if skipped := wantLatest(t, f.store, 13, payloadFor(13, 1000)); len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
	for _, name := range others {
		if _, err := os.Stat(filepath.Join(f.dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSkippedHoldsNoSecrets checks that a report on a checkpoint that opened
// but failed later checks names the file and reason, not the contents.
func TestSkippedHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	f.save(t, 10)
	secret := []byte("TOP-SECRET-KEY-MATERIAL")
	for _, tc := range []struct {
		height uint64
		mutate func([]byte) []byte
	}{
		{20, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }}, // bad digest
		{30, func(b []byte) []byte { return b }},                   // sealed for another height
	} {
		sealed, err := f.tee.Seal(protocol.ContextCheckpoint, tc.mutate(checkpoint.Encode(tc.height+1, secret)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.path(tc.height), sealed, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, skipped, err := f.store.Latest()
	if err != nil || len(skipped) != 2 {
		t.Fatalf("Latest: %v, skipped %v", err, skipped)
	}
	for _, s := range skipped {
		msg := s.Err.Error()
		for _, leak := range []string{string(secret), hex.EncodeToString(secret), "GKCKPT"} {
			if strings.Contains(msg, leak) {
				t.Fatalf("report %q leaks %q", msg, leak)
			}
		}
	}
}

func TestConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var saved []uint64
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				h := uint64(i*8 + g + 1)
				switch err := f.store.Save(h, payloadFor(h, 100)); {
				case err == nil:
					mu.Lock()
					saved = append(saved, h)
					mu.Unlock()
				case !errors.Is(err, checkpoint.ErrNotNewer):
					t.Errorf("Save(%d): %v", h, err)
				}
				if cp, skipped, err := f.store.Latest(); err != nil || len(skipped) != 0 ||
					!bytes.Equal(cp.Payload, payloadFor(cp.Height, 100)) {
					t.Errorf("Latest: %v, skipped %v", err, skipped)
				}
			}
		})
	}
	wg.Wait()
	newest := slices.Max(saved)
	wantLatest(t, f.store, newest, payloadFor(newest, 100))
}

// RemoveBefore deletes every older checkpoint, also those Keep would leave
// and those moved aside as corrupt, and nothing else.
func TestRemoveBefore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	for h := uint64(1); h <= 3; h++ {
		if err := f.store.Save(h, []byte(fmt.Sprint("state ", h))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(f.path(0)+".corrupt", []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(f.dir, "unrelated")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RemoveBefore(3); err != nil {
		t.Fatal(err)
	}
	heights, err := f.store.List()
	if err != nil || !slices.Equal(heights, []uint64{3}) {
		t.Fatalf("left %v (%v), want [3]", heights, err)
	}
	if _, err := os.Stat(f.path(0) + ".corrupt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("corrupt older checkpoint left: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("removed a file that is not a checkpoint: %v", err)
	}
	cp, _, err := f.store.Latest()
	if err != nil || cp.Height != 3 {
		t.Fatalf("latest %d: %v", cp.Height, err)
	}
}
