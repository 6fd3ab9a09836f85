package intel

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"

	"github.com/google/go-tdx-guest/pcs"
)

// ParsePCKChain parses exactly three PEM CERTIFICATE blocks with no
// headers, in the encoding encoding/pem produces, optionally followed by one
// NUL (Intel's quote library terminates the chain). Requiring the canonical
// encoding means that no byte of the chain can change without changing a
// certificate — base64 and PEM both have encodings that decode alike.
func ParsePCKChain(raw []byte) ([]*x509.Certificate, error) {
	rest := bytes.TrimSuffix(raw, []byte{0})
	var certs []*x509.Certificate
	var canon []byte
	for len(rest) > 0 {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, fmt.Errorf("PCK certificate chain: not PEM")
		}
		if blk.Type != "CERTIFICATE" || len(blk.Headers) != 0 {
			return nil, fmt.Errorf("PCK certificate chain: PEM block %q with %d headers", blk.Type, len(blk.Headers))
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PCK certificate chain: %v", err)
		}
		certs = append(certs, c)
		canon = append(canon, pem.EncodeToMemory(blk)...)
	}
	if len(certs) != 3 {
		return nil, fmt.Errorf("PCK certificate chain has %d certificates, want 3 (PCK, CA, root)", len(certs))
	}
	if !bytes.Equal(canon, bytes.TrimSuffix(raw, []byte{0})) {
		return nil, fmt.Errorf("PCK certificate chain is not canonically encoded")
	}
	return certs, nil
}

// PCKExtensions returns the SGX extensions of a PCK certificate, requiring
// every field grading reads: a 6-byte FMSPC, a 2-byte PCE id and 16 CPU SVN
// components. (The library leaves a missing FMSPC empty.)
func PCKExtensions(pck *x509.Certificate) (*pcs.PckExtensions, error) {
	ext, err := pcs.PckCertificateExtensions(pck)
	if err != nil {
		return nil, err
	}
	if b, err := hex.DecodeString(ext.FMSPC); err != nil || len(b) != 6 {
		return nil, fmt.Errorf("PCK certificate FMSPC %q is not 6 bytes of hex", ext.FMSPC)
	}
	if b, err := hex.DecodeString(ext.PCEID); err != nil || len(b) != 2 {
		return nil, fmt.Errorf("PCK certificate PCE id %q is not 2 bytes of hex", ext.PCEID)
	}
	if len(ext.TCB.CPUSvnComponents) != 16 {
		return nil, fmt.Errorf("PCK certificate has %d CPU SVN components, want 16", len(ext.TCB.CPUSvnComponents))
	}
	return ext, nil
}
