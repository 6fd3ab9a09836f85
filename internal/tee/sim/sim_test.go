package sim_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/teetest"
)

// opener opens sim backends for the conformance suite: one directory per
// test, shared by every open within that test, as the suite requires.
type opener struct {
	measurement []byte
	mu          sync.Mutex
	dirs        map[*testing.T]string
}

func (o *opener) open(t *testing.T) tee.TEE {
	t.Helper()
	o.mu.Lock()
	dir, ok := o.dirs[t]
	if !ok {
		dir = t.TempDir()
		o.dirs[t] = dir
	}
	o.mu.Unlock()
	return mustOpen(t, sim.Config{Dir: dir, Measurement: o.measurement})
}

func mustOpen(t testing.TB, cfg sim.Config) *sim.TEE {
	t.Helper()
	e, err := sim.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return e
}

func TestConformance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		measurement []byte
	}{
		{"executable measurement", nil},
		{"configured measurement", bytes.Repeat([]byte{0x4d}, 32)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := &opener{measurement: tc.measurement, dirs: map[*testing.T]string{}}
			teetest.RunConformance(t, o.open, attest.SimVerifier{}, nil)
		})
	}
}

func measurement(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// Sealing follows the measurement, as SGX's MRENCLAVE policy does: another
// build on the same platform cannot open what this one sealed.
func TestOtherMeasurementCannotUnseal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := mustOpen(t, sim.Config{Dir: dir, Measurement: measurement(1)})
	b := mustOpen(t, sim.Config{Dir: dir, Measurement: measurement(2)})
	sealed, err := a.Seal("test/secret", []byte("master key history"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Unseal("test/secret", sealed); !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("other measurement: err = %v, want ErrUnseal", err)
	}
	if !bytes.Equal(a.PlatformKey(), b.PlatformKey()) {
		t.Fatal("the platform key must not depend on the measurement")
	}
	again := mustOpen(t, sim.Config{Dir: dir, Measurement: measurement(1)})
	if got, err := again.Unseal("test/secret", sealed); err != nil || string(got) != "master key history" {
		t.Fatalf("same measurement: Unseal = %q, %v", got, err)
	}
}

// A different Dir is a different platform: nothing opens across platforms.
func TestOtherPlatformCannotUnseal(t *testing.T) {
	t.Parallel()
	a := mustOpen(t, sim.Config{Dir: t.TempDir(), Measurement: measurement(1)})
	b := mustOpen(t, sim.Config{Dir: t.TempDir(), Measurement: measurement(1)})
	sealed, err := a.Seal("test/secret", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Unseal("test/secret", sealed); !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("other platform: err = %v, want ErrUnseal", err)
	}
	if bytes.Equal(a.PlatformKey(), b.PlatformKey()) {
		t.Fatal("two platforms share a platform key")
	}
}

func TestDefaultMeasurementIsExecutableHash(t *testing.T) {
	t.Parallel()
	path, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	e := mustOpen(t, sim.Config{Dir: t.TempDir()})
	if got := e.Measurement(); !bytes.Equal(got, h.Sum(nil)) {
		t.Fatalf("measurement %x, want SHA-256 of %s", got, path)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       sim.Config
		wantField string // empty: valid
	}{
		{"default with dir", func() sim.Config { c := sim.DefaultConfig(); c.Dir = "x"; return c }(), ""},
		{"explicit measurement", sim.Config{Dir: "x", Measurement: measurement(1)}, ""},
		{"empty measurement means default", sim.Config{Dir: "x", Measurement: []byte{}}, ""},
		{"default has no dir", sim.DefaultConfig(), "Dir"},
		{"zero config", sim.Config{}, "Dir"},
		{"short measurement", sim.Config{Dir: "x", Measurement: make([]byte, 31)}, "Measurement"},
		{"long measurement", sim.Config{Dir: "x", Measurement: make([]byte, 48)}, "Measurement"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantField) || !strings.HasPrefix(err.Error(), "tee/sim: ") {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.wantField)
			}
			if _, openErr := sim.Open(tc.cfg); openErr == nil {
				t.Fatal("Open accepted an invalid config")
			}
		})
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "home", "tee")
	mustOpen(t, sim.Config{Dir: dir, Measurement: measurement(1)})
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range entries {
		names = append(names, de.Name())
		info, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 || info.Size() != 32 {
			t.Errorf("%s: mode %v size %d, want 0600 and 32 bytes", de.Name(), info.Mode().Perm(), info.Size())
		}
	}
	// Only the two keys: no temporary files left behind.
	if want := []string{sim.PlatformKeyFile, sim.SealRootKeyFile}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("dir holds %v, want %v", names, want)
	}
}

// Reopening must read the keys back, not make new ones.
func TestOpenKeepsKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := mustOpen(t, sim.Config{Dir: dir, Measurement: measurement(1)})
	before := readFiles(t, dir)
	b := mustOpen(t, sim.Config{Dir: dir, Measurement: measurement(1)})
	if !bytes.Equal(a.PlatformKey(), b.PlatformKey()) {
		t.Fatal("platform key changed on reopen")
	}
	if after := readFiles(t, dir); !equalFiles(before, after) {
		t.Fatal("key files rewritten on reopen")
	}
}

func TestOpenRejectsBadKeyFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		size int
	}{
		{"empty platform key", sim.PlatformKeyFile, 0},
		{"short platform key", sim.PlatformKeyFile, 31},
		{"long platform key", sim.PlatformKeyFile, 64},
		{"empty seal root", sim.SealRootKeyFile, 0},
		{"short seal root", sim.SealRootKeyFile, 16},
		{"long seal root", sim.SealRootKeyFile, 33},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			content := bytes.Repeat([]byte{0xc7}, tc.size)
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := sim.Open(sim.Config{Dir: dir, Measurement: measurement(1)})
			if err == nil {
				t.Fatal("Open accepted a key file of the wrong size")
			}
			if !strings.HasPrefix(err.Error(), "tee/sim: ") || !strings.Contains(err.Error(), tc.file) {
				t.Errorf("error %q should start with tee/sim: and name %s", err, tc.file)
			}
			if tc.size > 0 && strings.Contains(err.Error(), hex.EncodeToString(content[:1])) {
				t.Errorf("error %q may reveal key material", err)
			}
			got, readErr := os.ReadFile(path)
			if readErr != nil || !bytes.Equal(got, content) {
				t.Fatal("the bad key file was replaced")
			}
		})
	}
}

func TestOpenRejectsNonFiles(t *testing.T) {
	t.Parallel()
	t.Run("dir is a file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Open(sim.Config{Dir: path, Measurement: measurement(1)}); err == nil {
			t.Fatal("Open accepted a regular file as Dir")
		}
	})
	t.Run("key is a directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, sim.SealRootKeyFile), 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Open(sim.Config{Dir: dir, Measurement: measurement(1)}); err == nil {
			t.Fatal("Open accepted a directory as key file")
		}
	})
}

// Processes opening a fresh Dir at the same moment must end up with the
// same keys; none may replace a key another has already used.
func TestConcurrentFirstOpen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tee")
	const n = 8
	tees := make([]*sim.TEE, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { tees[i], errs[i] = sim.Open(sim.Config{Dir: dir, Measurement: measurement(1)}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
	}
	for i, e := range tees {
		sealed, err := e.Seal("test/race", []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		for j, other := range tees {
			if got, err := other.Unseal("test/race", sealed); err != nil || !bytes.Equal(got, []byte{byte(i)}) {
				t.Fatalf("sealed by #%d, unsealed by #%d: %v", i, j, err)
			}
		}
		if !bytes.Equal(e.PlatformKey(), tees[0].PlatformKey()) {
			t.Fatalf("#%d has another platform key", i)
		}
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	issued := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	e := mustOpen(t, sim.Config{Dir: dir, Measurement: measurement(9), Now: func() time.Time { return issued }})
	rd := [64]byte{1, 2, 3}
	quote, err := e.Quote(rd)
	if err != nil {
		t.Fatal(err)
	}
	q, err := attest.ParseSimQuote(quote)
	if err != nil {
		t.Fatalf("ParseSimQuote: %v", err)
	}
	if !q.IssuedAt.Equal(issued) || !q.PlatformKey.Equal(e.PlatformKey()) || q.ReportData != rd ||
		!bytes.Equal(q.Measurement[:], measurement(9)) {
		t.Fatalf("quote %+v", q)
	}
	r, err := attest.SimVerifier{}.Verify(quote, issued, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if r.ConfidenceLevel != attest.ConfidenceSimulated {
		t.Fatalf("confidence %d", r.ConfidenceLevel)
	}
	// The verifier rejects the quote at a block time well before the clock.
	if _, err := (attest.SimVerifier{}).Verify(quote, issued.Add(-time.Hour), nil); !errors.Is(err, attest.ErrQuoteFromFuture) {
		t.Fatalf("Verify an hour early: err = %v, want ErrQuoteFromFuture", err)
	}
	// PlatformKey returns a copy.
	pk := e.PlatformKey()
	pk[0] ^= 0xff
	if bytes.Equal(pk, e.PlatformKey()) {
		t.Fatal("PlatformKey aliases internal state")
	}
}

func TestSealFormat(t *testing.T) {
	t.Parallel()
	e := mustOpen(t, sim.Config{Dir: t.TempDir(), Measurement: measurement(1)})
	for _, n := range []int{0, 1, 100} {
		sealed, err := e.Seal("test/format", make([]byte, n))
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != 1+12+n+16 || sealed[0] != 1 {
			t.Fatalf("%d-byte plaintext sealed to %d bytes, version %d; want %d bytes, version 1", n, len(sealed), sealed[0], 1+12+n+16)
		}
	}
	if _, err := e.Unseal("", make([]byte, 40)); err == nil {
		t.Fatal("Unseal with empty label succeeded")
	}
}

// Fixed key files and measurement for the known-answer test and the fuzzer.
var (
	katPlatformSeed = bytes.Repeat([]byte{0x11}, 32)
	katSealRoot     = bytes.Repeat([]byte{0x22}, 32)
	katMeasurement  = measurement(0x33)
)

const (
	katLabel     = "teetest/known_answer"
	katPlaintext = "sealed by the sim backend, format v1"
	// Sealed once with the keys above; a random nonce makes Seal's output
	// vary, so the vector pins what must keep opening: the key derivation
	// (salt, info), the cipher and the layout.
	katSealed = "01" + // version
		"d34441a09f63235775d19252" + // nonce
		"b8c5cfafcfa5f536b5d53087bc64978588ab441652172613b1de94c81f9077d9bd000e8b" + // ciphertext
		"3b5685aef89eef56a467c7b8dcb1fe61" // tag
)

// openKAT opens a backend over the fixed key files.
func openKAT(t testing.TB) *sim.TEE {
	t.Helper()
	dir := t.TempDir()
	for name, key := range map[string][]byte{sim.PlatformKeyFile: katPlatformSeed, sim.SealRootKeyFile: katSealRoot} {
		if err := os.WriteFile(filepath.Join(dir, name), key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return mustOpen(t, sim.Config{Dir: dir, Measurement: katMeasurement})
}

func TestUnsealKnownAnswer(t *testing.T) {
	t.Parallel()
	e := openKAT(t)
	if want := ed25519.NewKeyFromSeed(katPlatformSeed).Public(); !e.PlatformKey().Equal(want) {
		t.Fatal("platform key is not derived from the platform.key seed")
	}
	sealed, err := hex.DecodeString(katSealed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Unseal(katLabel, sealed)
	if err != nil {
		t.Fatalf("Unseal(known answer): %v", err)
	}
	if string(got) != katPlaintext {
		t.Fatalf("Unseal(known answer) = %q", got)
	}
}

// readFiles returns the contents of every file in dir by name.
func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, de := range entries {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[de.Name()] = b
	}
	return files
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for name, content := range a {
		if other, ok := b[name]; !ok || !bytes.Equal(content, other) {
			return false
		}
	}
	return true
}
