// Package gramine is the Intel SGX backend of tee.TEE for a pRuntime that
// runs as an enclave under the Gramine library OS. Gramine exposes the
// enclave's attestation and sealing through pseudo-files under
// /dev/attestation, which this package reads and writes:
//
//   - attestation_type: "dcap" when the manifest sets
//     sgx.remote_attestation = "dcap"; anything else ("none", "epid") is
//     refused at Open, because the chain verifies DCAP quotes only;
//   - user_report_data: the 64 bytes of report data, written before a quote;
//   - quote: the DCAP quote (version 3 or 4) over the last report data
//     written, produced by Intel's quoting enclave through the AESM/DCAP
//     quote provider on the host;
//   - keys/_sgx_mrenclave: the 16-byte SGX sealing key bound to this
//     enclave's MRENCLAVE on this CPU (EGETKEY, key policy MRENCLAVE).
//
// # Measurement
//
// MRENCLAVE (32 bytes), read at Open from the enclave report of a first
// quote (parsed with attest/sgx): the hash of the enclave's initial pages,
// which with Gramine covers Gramine's loader and the manifest, and through
// the manifest's trusted-file hashes the pruntime binary. An operator
// allow-lists the MRENCLAVE that gramine-sgx-sign prints for the released
// manifest (docs/running-a-gatekeeper-on-sgx.md). Quote fails if a quote
// names another MRENCLAVE or other report data than asked for.
//
// # Sealing
//
// The AEAD key is HKDF-SHA256(keys/_sgx_mrenclave, salt ContextSeal, info
// MRENCLAVE) (tee.NewSealer128): only this enclave measurement on this CPU
// can derive it, so a new pRuntime version cannot open its predecessor's
// sealed data (the upgrade path is the HPKE hand-over, package tee doc). If
// the key file is missing or not 16 bytes, Open fails; there is no fallback.
//
// Gramine serializes nothing for us: user_report_data and quote are one
// process-wide pair, so Quote holds a lock from the write to the read, and
// no other code of the process may use /dev/attestation.
//
// # Fuzzing
//
// The quote comes from the host's quoting enclave through Gramine, so its
// bytes are untrusted until the chain verifies them; FuzzOpenQuote feeds
// Open arbitrary quote bytes (seeded with a synthetic quote). Measured on
// the shared 2-core machine, one worker:
// go test -run=NONE -fuzz='^FuzzOpenQuote$' -fuzztime=20s -fuzzminimizetime=1x -parallel=1
// gives 48,549 executions in 20 s (about 2,400 per second); without
// -fuzzminimizetime=1x, 36 in 30 s, the engine minimizing each 4.6 kB
// input (as in attest/sgx).
package gramine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// DefaultRoot is where Gramine mounts its attestation pseudo-files.
const DefaultRoot = "/dev/attestation"

// ContextSeal is the HKDF salt of Gramine sealing keys.
const ContextSeal = "gatekeeper/tee/gramine-seal/v1"

// Names of the pseudo-files under the root.
const (
	FileAttestationType = "attestation_type"
	FileUserReportData  = "user_report_data"
	FileQuote           = "quote"
	FileSealKey         = "keys/_sgx_mrenclave"
)

// SealKeyLen is the size of Gramine's SGX sealing keys.
const SealKeyLen = 16

// maxTypeLen bounds attestation_type; maxQuoteRead bounds what is read from
// quote before TrimQuote removes zero padding.
const (
	maxTypeLen   = 64
	maxQuoteRead = 2 * attest.MaxQuoteLen
)

// Files reads and writes the attestation pseudo-files by name relative to
// the root (FileQuote etc.).
type Files interface {
	// ReadFile returns the file's content, failing if it is over max bytes.
	ReadFile(name string, max int) ([]byte, error)
	// WriteFile writes data to the existing file from its start.
	WriteFile(name string, data []byte) error
}

// Dir is Files over a directory: Gramine's /dev/attestation, or a fake
// tree in tests.
type Dir string

// ReadFile reads name under d, at most max bytes.
func (d Dir) ReadFile(name string, max int) ([]byte, error) {
	f, err := os.Open(filepath.Join(string(d), name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, fmt.Errorf("%s is over %d bytes", filepath.Join(string(d), name), max)
	}
	return b, nil
}

// WriteFile writes data to the existing file name under d. It neither
// creates nor truncates: Gramine's pseudo-files exist and take a fixed size.
func (d Dir) WriteFile(name string, data []byte) error {
	f, err := os.OpenFile(filepath.Join(string(d), name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Config configures the backend.
type Config struct {
	// Root is the attestation directory; empty means DefaultRoot.
	Root string
	// Files overrides access to the files under Root (tests' fake
	// devices); nil means Dir(Root).
	Files Files
}

// TEE is the Gramine SGX backend.
type TEE struct {
	files       Files
	root        string
	mu          sync.Mutex // user_report_data then quote
	measurement []byte
	sealer      *tee.Sealer
}

var _ tee.TEE = (*TEE)(nil)

// ErrNotGramine reports that the attestation files are missing: the process
// is not an SGX enclave under Gramine (gramine-sgx), or runs under
// gramine-direct, which has no /dev/attestation.
var ErrNotGramine = errors.New("tee/gramine: no Gramine attestation interface: not running as an SGX enclave under gramine-sgx")

// ErrAttestationType reports a manifest without DCAP remote attestation.
var ErrAttestationType = errors.New("tee/gramine: Gramine attestation type is not dcap: set sgx.remote_attestation = \"dcap\" in the manifest")

// Open checks the attestation type, reads the MRENCLAVE from a first quote
// and derives the sealing key.
func Open(cfg Config) (*TEE, error) {
	root := cfg.Root
	if root == "" {
		root = DefaultRoot
	}
	files := cfg.Files
	if files == nil {
		files = Dir(root)
	}
	t := &TEE{files: files, root: root}
	typ, err := files.ReadFile(FileAttestationType, maxTypeLen)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s/%s is missing)", ErrNotGramine, root, FileAttestationType)
	}
	if err != nil {
		return nil, fmt.Errorf("tee/gramine: read %s/%s: %w", root, FileAttestationType, err)
	}
	if got := strings.TrimRight(string(typ), "\x00\n"); got != "dcap" {
		return nil, fmt.Errorf("%w (it is %q)", ErrAttestationType, got)
	}
	q, _, err := t.quote([64]byte{})
	if err != nil {
		return nil, err
	}
	t.measurement = bytes.Clone(q.Enclave.MRENCLAVE[:])
	key, err := files.ReadFile(FileSealKey, SealKeyLen)
	if err != nil {
		return nil, fmt.Errorf("tee/gramine: read the MRENCLAVE sealing key %s/%s: %w", root, FileSealKey, err)
	}
	defer clear(key)
	if len(key) != SealKeyLen {
		return nil, fmt.Errorf("tee/gramine: the MRENCLAVE sealing key %s/%s is %d bytes, want %d", root, FileSealKey, len(key), SealKeyLen)
	}
	if t.sealer, err = tee.NewSealer128("tee/gramine", ContextSeal, key, t.measurement); err != nil {
		return nil, err
	}
	return t, nil
}

// quote writes reportData and reads back the quote, checking that it is a
// strictly parsed SGX quote over that report data. The quote's signatures
// are left to the verifier: an enclave cannot check its own platform.
func (t *TEE) quote(reportData [64]byte) (*sgx.Quote, []byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.files.WriteFile(FileUserReportData, reportData[:]); err != nil {
		return nil, nil, fmt.Errorf("tee/gramine: write %s/%s: %w", t.root, FileUserReportData, err)
	}
	raw, err := t.files.ReadFile(FileQuote, maxQuoteRead)
	if err != nil {
		return nil, nil, fmt.Errorf("tee/gramine: read %s/%s (is the host's AESM/DCAP quote provider running?): %w", t.root, FileQuote, err)
	}
	raw = sgx.TrimQuote(raw)
	if len(raw) > attest.MaxQuoteLen {
		return nil, nil, fmt.Errorf("tee/gramine: Gramine returned a %d-byte quote, over %d", len(raw), attest.MaxQuoteLen)
	}
	q, err := sgx.ParseQuote(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("tee/gramine: Gramine returned an unusable quote: %w", err)
	}
	if q.Enclave.ReportData != reportData {
		return nil, nil, errors.New("tee/gramine: Gramine returned a quote over other report data")
	}
	return q, raw, nil
}

// Kind returns attest.KindSGX.
func (t *TEE) Kind() string { return attest.KindSGX }

// Measurement returns MRENCLAVE as read at Open.
func (t *TEE) Measurement() []byte { return bytes.Clone(t.measurement) }

// Quote returns an SGX DCAP quote over reportData, without padding.
func (t *TEE) Quote(reportData [64]byte) ([]byte, error) {
	q, raw, err := t.quote(reportData)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(q.Enclave.MRENCLAVE[:], t.measurement) {
		return nil, fmt.Errorf("tee/gramine: quote names MRENCLAVE %x, started as %x", q.Enclave.MRENCLAVE, t.measurement)
	}
	return raw, nil
}

// Seal seals under the MRENCLAVE-bound key.
func (t *TEE) Seal(label string, plaintext []byte) ([]byte, error) {
	return t.sealer.Seal(label, plaintext)
}

// Unseal opens what Seal produced in an enclave of the same MRENCLAVE on
// the same CPU.
func (t *TEE) Unseal(label string, sealed []byte) ([]byte, error) {
	return t.sealer.Unseal(label, sealed)
}
