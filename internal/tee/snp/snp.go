// Package snp is the AMD SEV-SNP backend of tee.TEE: the pRuntime runs in
// an SNP guest and obtains attestation reports through the kernel's
// configfs-tsm interface (/sys/kernel/config/tsm/report, provider
// sev_guest), with the host-provided certificate table (auxblob) for the
// certificate that verifies them: the chip's VCEK, or the VLEK a cloud
// provider loaded, whichever the report names as its signer.
//
// # Measurement
//
// The report's MEASUREMENT (48 bytes): the launch digest of the guest's
// initial memory (firmware, and with measured direct boot the kernel,
// initrd and command line), computed by the AMD secure processor.
//
// # Sealing
//
// SEV-SNP offers derived keys: MSG_KEY_REQ through /dev/sev-guest returns a
// key that the secure processor derives from the chip's VCEK root mixed with
// the guest's measurement and policy, so another measurement or another chip
// cannot derive it. Open asks for one (go-sev-guest) and seals with
// AES-256-GCM under an HKDF of it. The TCB version is deliberately not
// mixed in, so sealed data survives firmware updates; a downgrade of the
// firmware could then unseal too, which the confidence level of the
// downgraded platform reports to the chain. If the device is missing, Open
// fails: there is no weaker fallback.
package snp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/linuxtsm"
	"github.com/google/go-configfs-tsm/report"
	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/client"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	attestsnp "github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// Provider is the configfs-tsm provider name of the SEV guest driver.
const Provider = "sev_guest"

// ContextSeal is the HKDF salt of SNP sealing keys.
const ContextSeal = "gatekeeper/tee/snp-seal/v1"

// DerivedKeySource returns the guest's derived sealing secret.
type DerivedKeySource func() ([]byte, error)

// Config configures the backend.
type Config struct {
	// Client is the configfs client; nil means the kernel's.
	Client configfsi.Client
	// DerivedKey overrides the sealing secret source; nil means
	// MSG_KEY_REQ through /dev/sev-guest (DeviceDerivedKey).
	DerivedKey DerivedKeySource
}

// TEE is the SEV-SNP backend.
type TEE struct {
	client      configfsi.Client
	measurement []byte
	sealer      *tee.Sealer
}

var _ tee.TEE = (*TEE)(nil)

// ErrNoTSM reports that the configfs-tsm report interface is missing.
var ErrNoTSM = errors.New("tee/snp: no configfs-tsm report interface (/sys/kernel/config/tsm/report): not running in an SEV-SNP guest with TSM support")

// DeviceDerivedKey asks the secure processor, through /dev/sev-guest, for a
// key derived from the chip's VCEK root, the guest measurement and the guest
// policy.
func DeviceDerivedKey() ([]byte, error) {
	d, err := client.OpenDevice()
	if err != nil {
		return nil, fmt.Errorf("tee/snp: open /dev/sev-guest: %w", err)
	}
	defer d.Close()
	resp, err := client.GetDerivedKeyAcknowledgingItsLimitations(d, &client.SnpDerivedKeyReq{
		UseVCEK:          true,
		GuestFieldSelect: client.GuestFieldSelect{Measurement: true, GuestPolicy: true},
	})
	if err != nil {
		return nil, fmt.Errorf("tee/snp: derived key: %w", err)
	}
	return bytes.Clone(resp.Data[:]), nil
}

// Open checks that the TSM is the SEV guest's, reads the measurement from a
// first report, and derives the sealing key.
func Open(cfg Config) (*TEE, error) {
	c := cfg.Client
	if c == nil {
		var err error
		if c, err = linuxtsm.MakeClient(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoTSM, err)
		}
	}
	t := &TEE{client: c}
	q, err := t.quote([64]byte{})
	if err != nil {
		return nil, err
	}
	t.measurement = q.Measurement()
	src := cfg.DerivedKey
	if src == nil {
		src = DeviceDerivedKey
	}
	secret, err := src()
	if err != nil {
		return nil, err
	}
	t.sealer, err = tee.NewSealer("tee/snp", ContextSeal, secret, t.measurement)
	clear(secret)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (t *TEE) quote(reportData [64]byte) (*attestsnp.Quote, error) {
	resp, err := report.Get(t.client, &report.Request{InBlob: reportData[:], GetAuxBlob: true})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTSM, err)
	}
	if p := strings.TrimSpace(resp.Provider); p != Provider {
		return nil, fmt.Errorf("tee/snp: TSM provider is %q, not %q: this is not an SEV-SNP guest", p, Provider)
	}
	var certs abi.CertTable
	if err := certs.Unmarshal(resp.AuxBlob); err != nil {
		return nil, fmt.Errorf("tee/snp: the host's certificate table: %w", err)
	}
	// The report says which key signed it: the chip's VCEK, or the VLEK
	// that the cloud provider loaded; send that key's certificate.
	info, err := abi.ReportSignerInfo(resp.OutBlob)
	if err != nil {
		return nil, fmt.Errorf("tee/snp: the TSM returned an unusable report: %w", err)
	}
	signer, err := abi.ParseSignerInfo(info)
	if err != nil {
		return nil, fmt.Errorf("tee/snp: the TSM returned an unusable report: %w", err)
	}
	guid := abi.VcekGUID
	switch signer.SigningKey {
	case abi.VcekReportSigner:
	case abi.VlekReportSigner:
		guid = abi.VlekGUID
	default:
		return nil, fmt.Errorf("tee/snp: the report is signed by %v; only VCEK- and VLEK-signed reports are verifiable", signer.SigningKey)
	}
	cert, err := certs.GetByGUIDString(guid)
	if err != nil {
		return nil, fmt.Errorf("tee/snp: the report is %v-signed and the host provides no %v certificate (configure its SNP certificate table, e.g. snphost import): %w", signer.SigningKey, signer.SigningKey, err)
	}
	raw, err := attestsnp.MarshalQuote(resp.OutBlob, cert)
	if err != nil {
		return nil, err
	}
	q, err := attestsnp.ParseQuote(raw)
	if err != nil {
		return nil, fmt.Errorf("tee/snp: the TSM returned an unusable report: %w", err)
	}
	if !bytes.Equal(q.Proto.GetReportData(), reportData[:]) {
		return nil, errors.New("tee/snp: the TSM returned a report over other report data")
	}
	return q, nil
}

// Kind returns attest.KindSEVSNP.
func (t *TEE) Kind() string { return attest.KindSEVSNP }

// Measurement returns MEASUREMENT as read at Open.
func (t *TEE) Measurement() []byte { return bytes.Clone(t.measurement) }

// Quote returns an SEV-SNP quote (report and VCEK or VLEK) over reportData.
func (t *TEE) Quote(reportData [64]byte) ([]byte, error) {
	q, err := t.quote(reportData)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(q.Measurement(), t.measurement) {
		return nil, fmt.Errorf("tee/snp: measurement changed since start")
	}
	return attestsnp.MarshalQuote(q.Report, q.Cert)
}

// Seal seals under the derived key.
func (t *TEE) Seal(label string, plaintext []byte) ([]byte, error) {
	return t.sealer.Seal(label, plaintext)
}

// Unseal opens data sealed by Seal.
func (t *TEE) Unseal(label string, sealed []byte) ([]byte, error) {
	return t.sealer.Unseal(label, sealed)
}
