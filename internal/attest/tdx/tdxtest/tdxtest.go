// Package tdxtest makes TDX quotes signed by a synthetic Intel-like PKI
// (package inteltest), for tests that need what no public sample offers:
// revoked certificates, every TCB status, quotes over chosen report data.
// Nothing here is trusted by the chain: its verifier trusts only the pinned
// Intel root, and these certificates chain to a key generated per test.
package tdxtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"time"

	"github.com/google/go-tdx-guest/abi"
	pb "github.com/google/go-tdx-guest/proto/tdx"
	"google.golang.org/protobuf/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel/inteltest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
)

// PKI is a synthetic Intel-like PKI that also makes TDX quotes.
type PKI struct{ *inteltest.PKI }

// CollateralOptions shape synthetic collateral.
type CollateralOptions = inteltest.CollateralOptions

// NewPKI makes a PKI whose certificates are valid from notBefore to
// notAfter (inteltest.NewPKI).
func NewPKI(template *x509.Certificate, notBefore, notAfter time.Time) (*PKI, error) {
	p, err := inteltest.NewPKI(template, notBefore, notAfter)
	if err != nil {
		return nil, err
	}
	return &PKI{p}, nil
}

// Quote re-signs base (a real, parsable quote) under this PKI after
// setting its report data and letting edit change the TD quote body.
func (p *PKI) Quote(base []byte, reportData [64]byte, edit func(*pb.TDQuoteBody)) ([]byte, error) {
	bq, err := tdx.ParseQuote(tdx.TrimQuote(base))
	if err != nil {
		return nil, err
	}
	q := proto.Clone(bq.Proto).(*pb.QuoteV4)
	body := q.GetTdQuoteBody()
	body.ReportData = reportData[:]
	if edit != nil {
		edit(body)
	}
	attKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sd := q.GetSignedData()
	sd.EcdsaAttestationKey = append(inteltest.Pad32(attKey.PublicKey.X), inteltest.Pad32(attKey.PublicKey.Y)...)
	qrcd := sd.GetCertificationData().GetQeReportCertificationData()
	h := sha256.Sum256(append(append([]byte{}, sd.EcdsaAttestationKey...), qrcd.GetQeAuthData().GetData()...))
	qrcd.QeReport.ReportData = append(h[:], make([]byte, 32)...)
	qeRaw, err := abi.EnclaveReportToAbiBytes(qrcd.GetQeReport())
	if err != nil {
		return nil, err
	}
	if qrcd.QeReportSignature, err = p.SignPCK(qeRaw); err != nil {
		return nil, err
	}
	chain := p.PEMChain()
	cd := qrcd.GetPckCertificateChainData()
	cd.PckCertChain, cd.Size = chain, uint32(len(chain))
	certSize := 384 + 64 + 2 + len(qrcd.GetQeAuthData().GetData()) + 6 + len(chain)
	sd.GetCertificationData().Size = uint32(certSize)
	q.SignedDataSize = uint32(64 + 64 + 6 + certSize)
	hdr, err := abi.HeaderToAbiBytes(q.GetHeader())
	if err != nil {
		return nil, err
	}
	bodyRaw, err := abi.TdQuoteBodyToAbiBytes(body)
	if err != nil {
		return nil, err
	}
	if sd.Signature, err = inteltest.Sign(attKey, append(hdr, bodyRaw...)); err != nil {
		return nil, err
	}
	return abi.QuoteToAbiBytes(q)
}

// QuoteV5 makes a version 5 quote (TDX 1.5) from base (a real, parsable
// version 4 quote) under this PKI: body type 2 (TD report 1.0) or 3 (TD
// report 1.5, with tcbSVN2 and mrServiceTD appended), report data set.
func (p *PKI) QuoteV5(base []byte, reportData [64]byte, bodyType uint16, tcbSVN2 [16]byte, mrServiceTD [48]byte) ([]byte, error) {
	bq, err := tdx.ParseQuote(tdx.TrimQuote(base))
	if err != nil {
		return nil, err
	}
	q := proto.Clone(bq.Proto).(*pb.QuoteV4)
	hdr, err := abi.HeaderToAbiBytes(q.GetHeader())
	if err != nil {
		return nil, err
	}
	hdr[0] = 5 // the library writes only version 4 headers
	body := q.GetTdQuoteBody()
	body.ReportData = reportData[:]
	bodyRaw, err := abi.TdQuoteBodyToAbiBytes(body)
	if err != nil {
		return nil, err
	}
	if bodyType == 3 {
		bodyRaw = append(append(bodyRaw, tcbSVN2[:]...), mrServiceTD[:]...)
	}
	attKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ak := append(inteltest.Pad32(attKey.PublicKey.X), inteltest.Pad32(attKey.PublicKey.Y)...)
	qrcd := q.GetSignedData().GetCertificationData().GetQeReportCertificationData()
	auth := qrcd.GetQeAuthData().GetData()
	h := sha256.Sum256(append(append([]byte{}, ak...), auth...))
	qrcd.QeReport.ReportData = append(h[:], make([]byte, 32)...)
	qeRaw, err := abi.EnclaveReportToAbiBytes(qrcd.GetQeReport())
	if err != nil {
		return nil, err
	}
	qeSig, err := p.SignPCK(qeRaw)
	if err != nil {
		return nil, err
	}
	signed := append(bytes.Clone(hdr), le16(bodyType)...)
	signed = append(signed, le32(uint32(len(bodyRaw)))...)
	signed = append(signed, bodyRaw...)
	sig, err := inteltest.Sign(attKey, signed)
	if err != nil {
		return nil, err
	}
	chain := p.PEMChain()
	var cert []byte
	cert = append(cert, qeRaw...)
	cert = append(cert, qeSig...)
	cert = append(cert, le16(uint16(len(auth)))...)
	cert = append(cert, auth...)
	cert = append(cert, le16(5)...)
	cert = append(cert, le32(uint32(len(chain)))...)
	cert = append(cert, chain...)
	sd := append(append(bytes.Clone(sig), ak...), le16(6)...)
	sd = append(sd, le32(uint32(len(cert)))...)
	sd = append(sd, cert...)
	out := append(signed, le32(uint32(len(sd)))...)
	return append(out, sd...), nil
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
