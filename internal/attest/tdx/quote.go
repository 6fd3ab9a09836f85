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
	// Proto is the quote as go-tdx-guest represents a version 4 quote. For
	// a version 5 quote it holds the same fields (its header says version
	// 5; its TD quote body is the TD report 1.0 part of the body).
	Proto *pb.QuoteV4
	// Version is 4 or 5.
	Version int
	// BodyType is a version 5 quote's body type: 2 (TD report 1.0) or 3
	// (TD report 1.5); 0 for version 4.
	BodyType uint16
	// TEETCBSVN2 and MRServiceTD are the TD report 1.5 fields (TDX 1.5:
	// the TCB SVN of the TDX module after a TD-preserving update, and the
	// measurement of the service TD bound to this TD); nil otherwise.
	TEETCBSVN2, MRServiceTD []byte
	// v5 is a version 5 quote's signature chain, checked by
	// intel.CheckSignatures (go-tdx-guest verifies only version 4).
	v5 *intel.SignedQuote
	// PCK, Intermediate and Root are the certificate chain the quote carries.
	PCK, Intermediate, Root *x509.Certificate
	// Ext are the SGX extensions of the PCK certificate (FMSPC, PCE id, TCB).
	Ext *pcs.PckExtensions
}

// ParseQuote parses b strictly: version 4 (or 5, see parseV5), ECDSA-256 key, TDX TEE type,
// Intel's quoting enclave, a three-certificate PCK chain in canonical PEM,
// and no bytes beyond the signed data. It checks no signature. Errors wrap
// attest.ErrMalformedQuote.
func ParseQuote(b []byte) (q *Quote, err error) {
	if len(b) > attest.MaxQuoteLen {
		return nil, malformed("%d bytes exceeds limit %d", len(b), attest.MaxQuoteLen)
	}
	if len(b) >= 2 && b[0] == 5 && b[1] == 0 {
		return parseV5(b)
	}
	if len(b) < 2 || b[0] != quoteVersion || b[1] != 0 {
		return nil, malformed("not a version 4 or 5 quote")
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
	return &Quote{Proto: qv, Version: quoteVersion, PCK: certs[0], Intermediate: certs[1], Root: certs[2], Ext: ext}, nil
}

// Version 5 quote layout: header (48) || body type (u16) || body size
// (u32) || body || u32 signed data size || signed data as in version 4.
// The attestation key signs header, body type, size and body.
const (
	v5BodyStart    = 48 + 6
	bodyTypeTD10   = 2
	bodyTypeTD15   = 3
	tdReport10Len  = 584
	tdReport15Len  = tdReport10Len + 16 + 48
	teeTCBSVN2Off  = tdReport10Len
	mrServiceTDOff = tdReport10Len + 16
)

// parseV5 parses a version 5 TDX quote (TDX 1.5 hosts) strictly: body type
// 2 or 3 with exactly its size, then everything a version 4 quote has. The
// version 4 image of the quote (header version 4, the TD report 1.0 part of
// the body, the same signed data) goes through the version 4 parser, so
// both versions obey one set of rules; the signature chain is kept for
// intel.CheckSignatures over the version 5 bytes.
func parseV5(b []byte) (*Quote, error) {
	if len(b) < v5BodyStart {
		return nil, malformed("version 5 quote of %d bytes has no body descriptor", len(b))
	}
	bodyType := binary.LittleEndian.Uint16(b[48:50])
	size := binary.LittleEndian.Uint32(b[50:54])
	var want uint32
	switch bodyType {
	case bodyTypeTD10:
		want = tdReport10Len
	case bodyTypeTD15:
		want = tdReport15Len
	default:
		return nil, malformed("version 5 body type %d, want a TD report (2 or 3)", bodyType)
	}
	if size != want || len(b) < v5BodyStart+int(size) {
		return nil, malformed("version 5 body of type %d is %d bytes (want %d), quote %d bytes", bodyType, size, want, len(b))
	}
	body := b[v5BodyStart : v5BodyStart+int(size)]
	image := make([]byte, 0, len(b))
	image = append(image, b[:48]...)
	image[0] = quoteVersion
	image = append(image, body[:tdReport10Len]...)
	image = append(image, b[v5BodyStart+int(size):]...)
	q, err := ParseQuote(image)
	if err != nil {
		return nil, err
	}
	q.Version, q.BodyType = 5, bodyType
	q.Proto.GetHeader().Version = 5
	if bodyType == bodyTypeTD15 {
		q.TEETCBSVN2 = bytes.Clone(body[teeTCBSVN2Off:mrServiceTDOff])
		q.MRServiceTD = bytes.Clone(body[mrServiceTDOff:])
	}
	sd := q.Proto.GetSignedData()
	qrcd := sd.GetCertificationData().GetQeReportCertificationData()
	qeRaw, err := abi.EnclaveReportToAbiBytes(qrcd.GetQeReport())
	if err != nil {
		return nil, malformed("QE report: %v", err)
	}
	q.v5 = &intel.SignedQuote{
		PCK: q.PCK, CA: q.Intermediate, Root: q.Root,
		QEReport: qeRaw, QESignature: qrcd.GetQeReportSignature(),
		AttestationKey: sd.GetEcdsaAttestationKey(), QEAuthData: qrcd.GetQeAuthData().GetData(),
		Signed: bytes.Clone(b[:v5BodyStart+int(size)]), Signature: sd.GetSignature(),
	}
	return q, nil
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
	bodyEnd := quoteBodyEnd
	if len(b) >= v5BodyStart && b[0] == 5 {
		bodyEnd = v5BodyStart + int(binary.LittleEndian.Uint32(b[50:54]))
	}
	if len(b) < bodyEnd+4 {
		return b
	}
	n := uint64(bodyEnd+4) + uint64(binary.LittleEndian.Uint32(b[bodyEnd:bodyEnd+4]))
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
