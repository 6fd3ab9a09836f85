// Package sgxtest builds SGX ECDSA quotes signed by a synthetic Intel-like
// PKI (inteltest), for tests of what no genuine sample shows and for fake
// platforms (the Gramine backend's fake /dev/attestation). Test code only:
// its quotes verify only against the synthetic root.
package sgxtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"

	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel/inteltest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
)

// Quote builds a quote of the given version (3 or 4; other values make
// quotes the parser must refuse, and version 4 framing is used only for 4) with base's header,
// QE report and QE authentication data and base's enclave report after
// edit (nil: unchanged), signed through pki with a fresh attestation key
// that pki's PCK key certifies in the QE report.
func Quote(pki *inteltest.PKI, base *sgx.Quote, version uint16, edit func(report []byte)) ([]byte, error) {
	header := bytes.Clone(base.Signed[:sgx.HeaderLen])
	binary.LittleEndian.PutUint16(header, version)
	report := bytes.Clone(base.Enclave.Raw)
	if edit != nil {
		edit(report)
	}
	ak, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	akRaw := append(inteltest.Pad32(ak.PublicKey.X), inteltest.Pad32(ak.PublicKey.Y)...)
	qe := bytes.Clone(base.QE.Raw)
	h := sha256.Sum256(append(bytes.Clone(akRaw), base.QEAuthData...))
	copy(qe[320:], h[:])
	clear(qe[352:])
	qeSig, err := pki.SignPCK(qe)
	if err != nil {
		return nil, err
	}
	sig, err := inteltest.Sign(ak, append(bytes.Clone(header), report...))
	if err != nil {
		return nil, err
	}
	chain := pki.PEMChain()
	var qeCert []byte
	qeCert = append(qeCert, qe...)
	qeCert = append(qeCert, qeSig...)
	qeCert = binary.LittleEndian.AppendUint16(qeCert, uint16(len(base.QEAuthData)))
	qeCert = append(qeCert, base.QEAuthData...)
	qeCert = binary.LittleEndian.AppendUint16(qeCert, 5)
	qeCert = binary.LittleEndian.AppendUint32(qeCert, uint32(len(chain)))
	qeCert = append(qeCert, chain...)
	sd := append(bytes.Clone(sig), akRaw...)
	if version == 4 {
		sd = binary.LittleEndian.AppendUint16(sd, 6)
		sd = binary.LittleEndian.AppendUint32(sd, uint32(len(qeCert)))
	}
	sd = append(sd, qeCert...)
	out := append(header, report...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(sd)))
	return append(out, sd...), nil
}
