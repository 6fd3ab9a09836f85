package tdx

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"fmt"

	"github.com/google/go-tdx-guest/abi"
	"github.com/google/go-tdx-guest/pcs"
	pb "github.com/google/go-tdx-guest/proto/tdx"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel"
)

// Field sizes of a TD quote body.
const (
	// RegisterLen is the size of MRTD and of each RTMR (SHA-384).
	RegisterLen = 48
	// NumRTMRs is the number of runtime measurement registers.
	NumRTMRs = 4
	// MeasurementLen is the size of the measurement: MRTD || RTMR0..3.
	MeasurementLen = RegisterLen * (1 + NumRTMRs)

	quoteVersion     = 4
	ecdsa256KeyType  = 2
	teeTypeTDX       = 0x81
	pckChainCertType = 5
	// tdAttributesDebug is bit 0 of TDATTRIBUTES: the TD runs in debug
	// mode and the host VMM can read and write its memory.
	tdAttributesDebug = 0x01
)

// intelQEVendorID is the QE vendor id of Intel's quoting enclave.
var intelQEVendorID = []byte{0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07}

// Quote is a strictly parsed TDX quote (Intel DCAP quote version 4 with an
// ECDSA-256 attestation key and a PCK certificate chain).
type Quote struct {
	Proto *pb.QuoteV4
	// PCK, Intermediate and Root are the certificate chain the quote carries.
	PCK, Intermediate, Root *x509.Certificate
	// Ext are the SGX extensions of the PCK certificate (FMSPC, PCE id, TCB).
	Ext *pcs.PckExtensions
}

// ParseQuote parses b strictly: version 4, ECDSA-256 key, TDX TEE type,
// Intel's quoting enclave, a three-certificate PCK chain in canonical PEM,
// and no bytes beyond the signed data. It checks no signature. Errors wrap
// attest.ErrMalformedQuote.
func ParseQuote(b []byte) (q *Quote, err error) {
	if len(b) > attest.MaxQuoteLen {
		return nil, malformed("%d bytes exceeds limit %d", len(b), attest.MaxQuoteLen)
	}
	if len(b) < 2 || b[0] != quoteVersion || b[1] != 0 {
		return nil, malformed("not a version 4 quote")
	}
	defer func() {
		// The library's parser is fuzzed, but quotes come from anyone: a
		// panic on hostile input must not halt the chain.
		if r := recover(); r != nil {
			q, err = nil, malformed("parser panic: %v", r)
		}
	}()
	anyQuote, err := abi.QuoteToProto(b)
	if err != nil {
		return nil, malformed("%v", err)
	}
	qv, ok := anyQuote.(*pb.QuoteV4)
	if !ok {
		return nil, malformed("unsupported quote type %T", anyQuote)
	}
	h := qv.GetHeader()
	switch {
	case len(qv.GetExtraBytes()) != 0:
		return nil, malformed("%d bytes after the signed data", len(qv.GetExtraBytes()))
	case h.GetAttestationKeyType() != ecdsa256KeyType:
		return nil, malformed("attestation key type %d, want ECDSA-256 (%d)", h.GetAttestationKeyType(), ecdsa256KeyType)
	case h.GetTeeType() != teeTypeTDX:
		return nil, malformed("TEE type %#x, want TDX (%#x)", h.GetTeeType(), teeTypeTDX)
	case !bytes.Equal(h.GetQeVendorId(), intelQEVendorID):
		return nil, malformed("QE vendor id %x is not Intel's", h.GetQeVendorId())
	}
	cd := qv.GetSignedData().GetCertificationData().GetQeReportCertificationData().GetPckCertificateChainData()
	if cd.GetCertificateDataType() != pckChainCertType {
		return nil, malformed("certification data type %d, want a PCK certificate chain (%d)", cd.GetCertificateDataType(), pckChainCertType)
	}
	certs, err := intel.ParsePCKChain(cd.GetPckCertChain())
	if err != nil {
		return nil, malformed("%v", err)
	}
	ext, err := intel.PCKExtensions(certs[0])
	if err != nil {
		return nil, malformed("PCK certificate extensions: %v", err)
	}
	return &Quote{Proto: qv, PCK: certs[0], Intermediate: certs[1], Root: certs[2], Ext: ext}, nil
}

// Measurement returns MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3 of the quote:
// the firmware image (MRTD) and what firmware, boot loader and kernel
// measured into the runtime registers.
func (q *Quote) Measurement() []byte {
	return MeasurementOf(q.Proto.GetTdQuoteBody())
}

// MeasurementOf returns MRTD || RTMR0..3 of a TD quote body.
func MeasurementOf(body *pb.TDQuoteBody) []byte {
	m := make([]byte, 0, MeasurementLen)
	m = append(m, body.GetMrTd()...)
	for _, r := range body.GetRtmrs() {
		m = append(m, r...)
	}
	return m
}

// FMSPC returns the platform family the PCK certificate names, in lowercase hex.
func (q *Quote) FMSPC() string { return q.Ext.FMSPC }

// Debug reports whether the TD was launched with the DEBUG attribute.
func (q *Quote) Debug() bool {
	a := q.Proto.GetTdQuoteBody().GetTdAttributes()
	return len(a) > 0 && a[0]&tdAttributesDebug != 0
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: tdx: %s", attest.ErrMalformedQuote, fmt.Sprintf(format, args...))
}

// Offsets of a version 4 quote: header (48) || TD quote body (584) ||
// u32 LE signed data size || signed data.
const (
	quoteBodyEnd        = 48 + 584
	quoteSignedDataSize = quoteBodyEnd + 4
)

// TrimQuote removes the zero padding that Intel's quote generation leaves
// after the signed data (the quote buffer is fixed-size), so that the quote
// is in the only form ParseQuote accepts. Anything else is returned as is
// and left for ParseQuote to judge.
func TrimQuote(b []byte) []byte {
	if len(b) < quoteSignedDataSize {
		return b
	}
	n := uint64(quoteSignedDataSize) + uint64(binary.LittleEndian.Uint32(b[quoteBodyEnd:quoteSignedDataSize]))
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
