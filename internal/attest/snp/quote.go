package snp

import (
	"crypto/x509"
	"encoding/binary"
	"fmt"

	"github.com/google/go-sev-guest/abi"
	spb "github.com/google/go-sev-guest/proto/sevsnp"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// QuoteMagic opens every SEV-SNP quote: a name and a format version (1).
const QuoteMagic = "GKSNPQ\x00\x01"

// Sizes of the quote's fields.
const (
	// MaxCertLen bounds the endorsement key certificate (a VCEK is about 1.4 KB).
	MaxCertLen = 8 << 10
	// ReportLen is the size of an attestation report.
	ReportLen = abi.ReportSize
	// MeasurementLen is the size of MEASUREMENT.
	MeasurementLen = 48

	// policyDebug is bit 19 of the guest policy: the hypervisor may debug
	// (read and write) the guest.
	policyDebug = 1 << 19
)

// Quote is a parsed SEV-SNP quote. Its encoding is
//
//	magic "GKSNPQ\x00\x01" (8) || u16 BE certificate length ||
//	endorsement key certificate, DER (VCEK) || attestation report (1184)
//
// The report is exactly as the AMD secure processor produced it; the
// certificate is the one the host's certificate table (or AMD's KDS) gives
// for the chip and TCB that signed it.
type Quote struct {
	Cert      []byte
	Report    []byte
	Proto     *spb.Report
	Parsed    *x509.Certificate
	SignerKey abi.ReportSigner
}

// MarshalQuote encodes a quote from a report and its VCEK certificate.
func MarshalQuote(report, cert []byte) ([]byte, error) {
	if len(report) != ReportLen {
		return nil, fmt.Errorf("snp: report is %d bytes, want %d", len(report), ReportLen)
	}
	if len(cert) == 0 || len(cert) > MaxCertLen {
		return nil, fmt.Errorf("snp: certificate is %d bytes, want 1-%d", len(cert), MaxCertLen)
	}
	b := make([]byte, 0, len(QuoteMagic)+2+len(cert)+len(report))
	b = append(b, QuoteMagic...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(cert)))
	b = append(b, cert...)
	return append(b, report...), nil
}

// ParseQuote parses b strictly; it checks the form of every field but no
// signature. Errors wrap attest.ErrMalformedQuote.
func ParseQuote(b []byte) (q *Quote, err error) {
	if len(b) > attest.MaxQuoteLen {
		return nil, malformed("%d bytes exceeds limit %d", len(b), attest.MaxQuoteLen)
	}
	if len(b) < len(QuoteMagic)+2 || string(b[:len(QuoteMagic)]) != QuoteMagic {
		return nil, malformed("magic: not a sev-snp quote")
	}
	rest := b[len(QuoteMagic):]
	n := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if n == 0 || n > MaxCertLen {
		return nil, malformed("certificate length %d, want 1-%d", n, MaxCertLen)
	}
	if len(rest) != n+ReportLen {
		return nil, malformed("%d bytes after the certificate length, want %d + %d", len(rest), n, ReportLen)
	}
	q = &Quote{Cert: rest[:n:n], Report: rest[n:]}
	defer func() {
		if r := recover(); r != nil {
			q, err = nil, malformed("parser panic: %v", r)
		}
	}()
	if q.Parsed, err = x509.ParseCertificate(q.Cert); err != nil {
		return nil, malformed("certificate: %v", err)
	}
	if q.Proto, err = abi.ReportToProto(q.Report); err != nil {
		return nil, malformed("report: %v", err)
	}
	info, err := abi.ParseSignerInfo(q.Proto.GetSignerInfo())
	if err != nil {
		return nil, malformed("report signer info: %v", err)
	}
	q.SignerKey = info.SigningKey
	return q, nil
}

// Measurement returns the report's MEASUREMENT.
func (q *Quote) Measurement() []byte { return append([]byte(nil), q.Proto.GetMeasurement()...) }

// Debug reports whether the guest policy allows debugging.
func (q *Quote) Debug() bool { return q.Proto.GetPolicy()&policyDebug != 0 }

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: sev-snp: %s", attest.ErrMalformedQuote, fmt.Sprintf(format, args...))
}
