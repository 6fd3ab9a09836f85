package sim

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// Key file names inside Config.Dir.
const (
	PlatformKeyFile = "platform.key"
	SealRootKeyFile = "seal_root.key"
)

const (
	sealVersion  = 1
	sealNonceLen = 12
	sealTagLen   = 16
	sealOverhead = 1 + sealNonceLen + sealTagLen

	// gcmMaxPlaintext is AES-GCM's limit (NIST SP 800-38D); cipher.AEAD
	// panics beyond it, so Seal checks first.
	gcmMaxPlaintext = (1<<32 - 2) * 16
)

// TEE is the simulated backend. It is safe for concurrent use: nothing in it
// changes after Open.
type TEE struct {
	measurement [sha256.Size]byte
	platform    ed25519.PrivateKey
	aead        cipher.AEAD // AES-256-GCM under the measurement's sealing key
	now         func() time.Time
}

var _ tee.TEE = (*TEE)(nil)

// Open validates cfg, creates Dir and its key files if missing, and returns
// the backend.
func Open(cfg Config) (*TEE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &TEE{now: cfg.Now}
	if t.now == nil {
		t.now = time.Now
	}
	if len(cfg.Measurement) != 0 {
		copy(t.measurement[:], cfg.Measurement)
	} else {
		m, err := ExecutableMeasurement()
		if err != nil {
			return nil, err
		}
		t.measurement = m
	}

	if err := makeDir(cfg.Dir); err != nil {
		return nil, err
	}
	seed, err := loadOrCreateKey(cfg.Dir, PlatformKeyFile)
	if err != nil {
		return nil, err
	}
	t.platform = ed25519.NewKeyFromSeed(seed)
	clear(seed)

	root, err := loadOrCreateKey(cfg.Dir, SealRootKeyFile)
	if err != nil {
		return nil, err
	}
	t.aead, err = sealingAEAD(root, t.measurement[:])
	clear(root)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// sealingAEAD derives the sealing key of one measurement from the root.
func sealingAEAD(root, measurement []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, root, []byte(protocol.ContextSimSeal), string(measurement), 32)
	if err != nil {
		return nil, fmt.Errorf("tee/sim: derive sealing key: %w", err)
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("tee/sim: sealing cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("tee/sim: sealing cipher: %w", err)
	}
	return aead, nil
}

// makeDir creates dir with mode 0700 if it does not exist. A new directory's
// own entry is synced into its parent, so keys written into it survive a crash.
func makeDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("tee/sim: %s is not a directory", dir)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("tee/sim: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tee/sim: %w", err)
	}
	return syncDir(filepath.Dir(filepath.Clean(dir)))
}

// ExecutableMeasurement is the sim measurement of the running binary: its
// SHA-256, the closest a process without TEE hardware gets to a
// loader-computed measurement.
func ExecutableMeasurement() ([sha256.Size]byte, error) {
	path, err := os.Executable()
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("tee/sim: measure executable: %w", err)
	}
	return MeasureFile(path)
}

// MeasureFile returns the sim measurement a pRuntime binary at path
// reports when run without --sim-measurement: the SHA-256 of its bytes.
// A reproducible build (make build) therefore has one sim measurement on
// every machine, which a genesis allow-list can name before any pRuntime
// runs (gkd testnet, pruntime measurement).
func MeasureFile(path string) ([sha256.Size]byte, error) {
	var m [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return m, fmt.Errorf("tee/sim: measure executable: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return m, fmt.Errorf("tee/sim: measure executable %s: %w", path, err)
	}
	h.Sum(m[:0])
	return m, nil
}

// Kind returns attest.KindSim.
func (t *TEE) Kind() string { return attest.KindSim }

// Measurement returns a copy of the 32-byte measurement.
func (t *TEE) Measurement() []byte { return bytes.Clone(t.measurement[:]) }

// PlatformKey returns the public key that signs this platform's quotes.
func (t *TEE) PlatformKey() ed25519.PublicKey {
	return bytes.Clone(t.platform.Public().(ed25519.PublicKey))
}

// Quote returns a sim quote over reportData, stamped with Config.Now.
func (t *TEE) Quote(reportData [64]byte) ([]byte, error) {
	return attest.NewSimQuote(t.platform, t.measurement, reportData, t.now()), nil
}

// Seal encrypts plaintext for this platform and measurement, binding label.
func (t *TEE) Seal(label string, plaintext []byte) ([]byte, error) {
	if label == "" {
		return nil, errors.New("tee/sim: seal: empty label")
	}
	if uint64(len(plaintext)) > gcmMaxPlaintext {
		return nil, fmt.Errorf("tee/sim: seal: %d bytes exceeds the AES-GCM limit", len(plaintext))
	}
	var nonce [sealNonceLen]byte
	rand.Read(nonce[:]) // never fails since Go 1.24
	out := make([]byte, 0, sealOverhead+len(plaintext))
	out = append(out, sealVersion)
	out = append(out, nonce[:]...)
	return t.aead.Seal(out, nonce[:], plaintext, []byte(label)), nil
}

// Unseal opens data sealed by Seal with the same label, platform and
// measurement. Every failure wraps tee.ErrUnseal.
func (t *TEE) Unseal(label string, sealed []byte) ([]byte, error) {
	if label == "" {
		return nil, errors.New("tee/sim: unseal: empty label")
	}
	if len(sealed) < sealOverhead {
		return nil, fmt.Errorf("%w: sim: %d bytes is shorter than the %d-byte overhead", tee.ErrUnseal, len(sealed), sealOverhead)
	}
	if v := sealed[0]; v != sealVersion {
		return nil, fmt.Errorf("%w: sim: unknown format version %d", tee.ErrUnseal, v)
	}
	nonce, ciphertext := sealed[1:1+sealNonceLen], sealed[1+sealNonceLen:]
	plaintext, err := t.aead.Open(make([]byte, 0, len(ciphertext)-sealTagLen), nonce, ciphertext, []byte(label))
	if err != nil {
		// GCM cannot tell a wrong key from a wrong label from tampering,
		// and neither should the message.
		return nil, fmt.Errorf("%w: sim: label %q: authentication failed", tee.ErrUnseal, label)
	}
	return plaintext, nil
}
