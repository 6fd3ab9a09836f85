// Package tdx is the Intel TDX backend of tee.TEE: the pRuntime runs inside
// a trust domain and obtains quotes through the kernel's configfs-tsm
// interface (/sys/kernel/config/tsm/report), which the TD guest driver
// serves with Intel's quoting enclave on the host.
//
// # Measurement
//
// MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3 (240 bytes) of the TD, read from
// a quote at Open: the TD firmware image (MRTD) and what firmware, boot
// loader, kernel and command line measured into the runtime registers. The
// whole boot chain is the code identity, not only the pRuntime binary: an
// operator allow-lists the measurement of a complete, reproducible image.
// Quote fails if the registers changed since Open (something extended an
// RTMR at run time), because the quote would no longer name what the chain
// allow-listed.
//
// # Sealing
//
// TDX has no sealing key: unlike SGX, a TD cannot ask the CPU for a key
// bound to its measurement. This backend therefore seals only with a key
// from a SealKeySource that the operator configures. The intended source is
// a key the gatekeepers derive for the attested measurement and deliver by
// HPKE; it is designed but not built ("TDX sealing" in
// docs/running-a-gatekeeper-on-tdx-snp.md, with the threats it leaves).
// Without a source, Seal and Unseal fail with tee.ErrNoSealingKey; they
// never fall back to a key stored on the host's disk, which would protect
// nothing. A pRuntime on TDX without a sealing key source cannot create its
// sealed identity and refuses to start.
package tdx

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/linuxtsm"
	"github.com/google/go-configfs-tsm/report"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	attesttdx "github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// Provider is the configfs-tsm provider name of the TDX guest driver.
const Provider = "tdx_guest"

// ContextSeal is the HKDF salt of TDX sealing keys.
const ContextSeal = "gatekeeper/tee/tdx-seal/v1"

// SealKeySource returns a secret of at least 32 bytes that only this
// measurement on this platform can obtain.
type SealKeySource func(measurement []byte) ([]byte, error)

// Config configures the backend.
type Config struct {
	// Client is the configfs client; nil means the kernel's.
	Client configfsi.Client
	// SealKey is the sealing key source; nil means none (see package doc).
	SealKey SealKeySource
}

// TEE is the TDX backend.
type TEE struct {
	client      configfsi.Client
	measurement []byte
	sealer      *tee.Sealer // nil without a sealing key source
}

var _ tee.TEE = (*TEE)(nil)

// ErrNoTSM reports that the configfs-tsm report interface is missing: not
// a TD, or a kernel without TSM reports (Linux ≥ 6.7 with the TDX guest
// driver and configfs mounted).
var ErrNoTSM = errors.New("tee/tdx: no configfs-tsm report interface (/sys/kernel/config/tsm/report): not running in a TDX guest with TSM support")

// Open checks that the TSM is present and is the TDX guest's, and reads the
// measurement from a first quote.
func Open(cfg Config) (*TEE, error) {
	client := cfg.Client
	if client == nil {
		c, err := linuxtsm.MakeClient()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoTSM, err)
		}
		client = c
	}
	t := &TEE{client: client}
	q, err := t.rawQuote([64]byte{})
	if err != nil {
		return nil, err
	}
	t.measurement = q.Measurement()
	if cfg.SealKey != nil {
		secret, err := cfg.SealKey(t.measurement)
		if err != nil {
			return nil, fmt.Errorf("tee/tdx: sealing key source: %w", err)
		}
		t.sealer, err = tee.NewSealer("tee/tdx", ContextSeal, secret, t.measurement)
		clear(secret)
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *TEE) rawQuote(reportData [64]byte) (*attesttdx.Quote, error) {
	resp, err := report.Get(t.client, &report.Request{InBlob: reportData[:]})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTSM, err)
	}
	if p := strings.TrimSpace(resp.Provider); p != Provider {
		return nil, fmt.Errorf("tee/tdx: TSM provider is %q, not %q: this is not a TDX guest", p, Provider)
	}
	q, err := attesttdx.ParseQuote(attesttdx.TrimQuote(resp.OutBlob))
	if err != nil {
		return nil, fmt.Errorf("tee/tdx: the TSM returned an unusable quote: %w", err)
	}
	if !bytes.Equal(q.Proto.GetTdQuoteBody().GetReportData(), reportData[:]) {
		return nil, errors.New("tee/tdx: the TSM returned a quote over other report data")
	}
	return q, nil
}

// Kind returns attest.KindTDX.
func (t *TEE) Kind() string { return attest.KindTDX }

// Measurement returns MRTD || RTMR0..3 as read at Open.
func (t *TEE) Measurement() []byte { return bytes.Clone(t.measurement) }

// Quote returns a TDX quote over reportData, without padding.
func (t *TEE) Quote(reportData [64]byte) ([]byte, error) {
	resp, err := report.Get(t.client, &report.Request{InBlob: reportData[:]})
	if err != nil {
		return nil, fmt.Errorf("tee/tdx: quote: %w", err)
	}
	raw := attesttdx.TrimQuote(resp.OutBlob)
	q, err := attesttdx.ParseQuote(raw)
	if err != nil {
		return nil, fmt.Errorf("tee/tdx: the TSM returned an unusable quote: %w", err)
	}
	if !bytes.Equal(q.Proto.GetTdQuoteBody().GetReportData(), reportData[:]) {
		return nil, errors.New("tee/tdx: the TSM returned a quote over other report data")
	}
	if !bytes.Equal(q.Measurement(), t.measurement) {
		return nil, fmt.Errorf("tee/tdx: measurement changed since start (an RTMR was extended): %x, started as %x", q.Measurement(), t.measurement)
	}
	return raw, nil
}

// Seal seals under the configured key, or fails with tee.ErrNoSealingKey.
func (t *TEE) Seal(label string, plaintext []byte) ([]byte, error) {
	if t.sealer == nil {
		return nil, fmt.Errorf("%w: tee/tdx: TDX offers no sealing key and no sealing key source is configured", tee.ErrNoSealingKey)
	}
	return t.sealer.Seal(label, plaintext)
}

// Unseal opens sealed data, or fails with tee.ErrNoSealingKey.
func (t *TEE) Unseal(label string, sealed []byte) ([]byte, error) {
	if t.sealer == nil {
		return nil, fmt.Errorf("%w: tee/tdx: TDX offers no sealing key and no sealing key source is configured", tee.ErrNoSealingKey)
	}
	return t.sealer.Unseal(label, sealed)
}
