package sgx

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"fmt"

	"github.com/google/go-tdx-guest/pcs"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel"
)

// Sizes and values of the Intel SGX ECDSA quote format (versions 3 and 4,
// Intel SGX ECDSA Quote Library Reference, appendix A).
const (
	HeaderLen = 48
	// ReportLen is the size of an SGX report body (ISV enclave or QE).
	ReportLen = 384

	ecdsa256KeyType = 2
	teeTypeSGX      = 0 // v4 header bytes 4..8; reserved (zero) in v3
	pckChainType    = 5
	qeReportType    = 6 // v4: certification data that nests the QE report
	sigLen          = 64
	keyLen          = 64
	// minSignedData is the smallest version 3 signature data: signature,
	// attestation key, QE report, its signature, two length fields.
	minSignedData = sigLen + keyLen + ReportLen + sigLen + 2 + 2 + 4

	// attributesDebug is bit 1 of ATTRIBUTES.FLAGS: the enclave was
	// launched in debug mode and its host can read and write its memory.
	attributesDebug = 0x02
)

// intelQEVendorID is the QE vendor id of Intel's quoting enclave.
var intelQEVendorID = []byte{0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07}

// Report is an SGX report body (REPORTBODY), of the ISV enclave or the QE.
type Report struct {
	CPUSVN     [16]byte
	MiscSelect uint32
	Attributes [16]byte
	MRENCLAVE  [32]byte
	MRSIGNER   [32]byte
	ISVProdID  uint16
	ISVSVN     uint16
	ReportData [64]byte
	// Raw is the 384 bytes as carried (and signed).
	Raw []byte
}

func parseReport(b []byte) Report {
	r := Report{Raw: b[:ReportLen:ReportLen]}
	copy(r.CPUSVN[:], b[0:16])
	r.MiscSelect = binary.LittleEndian.Uint32(b[16:20])
	copy(r.Attributes[:], b[48:64])
	copy(r.MRENCLAVE[:], b[64:96])
	copy(r.MRSIGNER[:], b[128:160])
	r.ISVProdID = binary.LittleEndian.Uint16(b[256:258])
	r.ISVSVN = binary.LittleEndian.Uint16(b[258:260])
	copy(r.ReportData[:], b[320:384])
	return r
}

// Debug reports whether the enclave was launched with the DEBUG attribute.
func (r *Report) Debug() bool { return r.Attributes[0]&attributesDebug != 0 }

// Quote is a strictly parsed SGX ECDSA quote.
type Quote struct {
	// Version is 3 or 4.
	Version uint16
	// Signed is header || ISV enclave report, the bytes the attestation
	// key signs.
	Signed []byte
	// Enclave is the attested enclave's report.
	Enclave Report
	// Signature is the attestation key's r || s over Signed.
	Signature []byte
	// AttestationKey is the attestation key's x || y (P-256).
	AttestationKey []byte
	// QE is the quoting enclave's report; QESignature the PCK key's r || s
	// over it.
	QE          Report
	QESignature []byte
	// QEAuthData is the QE authentication data, hashed into QE.ReportData.
	QEAuthData []byte
	// PCK, Intermediate and Root are the certificate chain the quote carries.
	PCK, Intermediate, Root *x509.Certificate
	// Ext are the SGX extensions of the PCK certificate (FMSPC, PCE id, TCB).
	Ext *pcs.PckExtensions
}

// reader consumes a byte slice front to back; the first short read sets err.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = malformed("%s: %d bytes needed, %d left", what, n, len(r.b))
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u16(what string) int {
	b := r.take(2, what)
	if b == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint16(b))
}

func (r *reader) u32(what string) int {
	b := r.take(4, what)
	if b == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint32(b))
}

// ParseQuote parses b strictly: version 3 or 4, ECDSA-256 attestation key,
// SGX TEE type, Intel's quoting enclave, size fields that add up exactly, a
// canonically encoded three-certificate PCK chain, and no byte after the
// signed data. It checks no signature. Errors wrap attest.ErrMalformedQuote.
func ParseQuote(b []byte) (*Quote, error) {
	if len(b) > attest.MaxQuoteLen {
		return nil, malformed("%d bytes exceeds limit %d", len(b), attest.MaxQuoteLen)
	}
	if len(b) < HeaderLen+ReportLen+4 {
		return nil, malformed("%d bytes is shorter than a header and report", len(b))
	}
	q := &Quote{Version: binary.LittleEndian.Uint16(b[0:2])}
	switch {
	case q.Version != 3 && q.Version != 4:
		return nil, malformed("version %d, want 3 or 4", q.Version)
	case binary.LittleEndian.Uint16(b[2:4]) != ecdsa256KeyType:
		return nil, malformed("attestation key type %d, want ECDSA-256 (%d)", binary.LittleEndian.Uint16(b[2:4]), ecdsa256KeyType)
	case binary.LittleEndian.Uint32(b[4:8]) != teeTypeSGX:
		return nil, malformed("TEE type %#x, want SGX (0)", binary.LittleEndian.Uint32(b[4:8]))
	case !bytes.Equal(b[12:28], intelQEVendorID):
		return nil, malformed("QE vendor id %x is not Intel's", b[12:28])
	}
	r := &reader{b: b}
	q.Signed = r.take(HeaderLen+ReportLen, "header and report")
	q.Enclave = parseReport(q.Signed[HeaderLen:])
	sdLen := r.u32("signature data length")
	if sdLen != len(r.b) {
		return nil, malformed("signature data length %d, %d bytes follow", sdLen, len(r.b))
	}
	if sdLen < minSignedData {
		return nil, malformed("signature data of %d bytes is too short", sdLen)
	}
	q.Signature = r.take(sigLen, "signature")
	q.AttestationKey = r.take(keyLen, "attestation key")
	if q.Version == 4 {
		// v4 nests the QE report in certification data of type 6.
		if t := r.u16("certification data type"); t != qeReportType {
			return nil, malformed("certification data type %d, want QE report certification data (%d)", t, qeReportType)
		}
		if n := r.u32("certification data size"); n != len(r.b) {
			return nil, malformed("certification data size %d, %d bytes follow", n, len(r.b))
		}
	}
	qe := r.take(ReportLen, "QE report")
	if qe != nil {
		q.QE = parseReport(qe)
	}
	q.QESignature = r.take(sigLen, "QE report signature")
	q.QEAuthData = r.take(r.u16("QE authentication data size"), "QE authentication data")
	if t := r.u16("PCK certification data type"); r.err == nil && t != pckChainType {
		return nil, malformed("certification data type %d, want a PCK certificate chain (%d)", t, pckChainType)
	}
	n := r.u32("PCK certification data size")
	if r.err == nil && n != len(r.b) {
		return nil, malformed("PCK certification data size %d, %d bytes follow", n, len(r.b))
	}
	chain := r.take(n, "PCK certificate chain")
	if r.err != nil {
		return nil, r.err
	}
	certs, err := intel.ParsePCKChain(chain)
	if err != nil {
		return nil, malformed("%v", err)
	}
	q.PCK, q.Intermediate, q.Root = certs[0], certs[1], certs[2]
	if q.Ext, err = intel.PCKExtensions(q.PCK); err != nil {
		return nil, malformed("PCK certificate extensions: %v", err)
	}
	return q, nil
}

// FMSPC returns the platform family the PCK certificate names, in lowercase hex.
func (q *Quote) FMSPC() string { return intel.NormalizeFMSPC(q.Ext.FMSPC) }

// TrimQuote removes zero padding after the signed data (quote buffers are
// fixed-size), so that the quote is in the only form ParseQuote accepts.
// Anything else is returned as is and left for ParseQuote to judge.
func TrimQuote(b []byte) []byte {
	const lenEnd = HeaderLen + ReportLen + 4
	if len(b) < lenEnd {
		return b
	}
	n := uint64(lenEnd) + uint64(binary.LittleEndian.Uint32(b[lenEnd-4:lenEnd]))
	if n > uint64(len(b)) {
		return b
	}
	for _, c := range b[n:] {
		if c != 0 {
			return b
		}
	}
	return b[:n]
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: sgx: %s", attest.ErrMalformedQuote, fmt.Sprintf(format, args...))
}
