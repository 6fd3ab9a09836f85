// Package inteltest makes a synthetic PKI that mirrors Intel's DCAP PKI
// (root CA, PCK platform CA, PCK certificate, TCB signing certificate) and
// collateral signed by it, for the SGX and TDX tests that need what no
// public sample offers: revoked certificates, every TCB status, quotes over
// chosen report data. Nothing here is trusted by the chain: its verifiers
// trust only the pinned Intel root, and these certificates chain to a key
// generated per test.
package inteltest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// sgxExtensionOID is the PCK certificate's SGX extension (FMSPC, TCB, …).
var sgxExtensionOID = asn1.ObjectIdentifier{1, 2, 840, 113741, 1, 13, 1}

// PKI is a synthetic Intel-like PKI.
type PKI struct {
	Root, CA, PCK, TCBSigner       *x509.Certificate
	rootKey, caKey, pckKey, tcbKey *ecdsa.PrivateKey
}

func name(cn string) pkix.Name {
	return pkix.Name{CommonName: cn, Organization: []string{"Intel Corporation"}, Locality: []string{"Santa Clara"},
		Province: []string{"CA"}, Country: []string{"US"}}
}

// NewPKI makes a PKI whose certificates are valid from notBefore to
// notAfter. The PCK certificate copies the SGX extension (FMSPC, TCB SVNs)
// of template, a real PCK certificate.
func NewPKI(template *x509.Certificate, notBefore, notAfter time.Time) (*PKI, error) {
	p := &PKI{}
	var err error
	for _, k := range []**ecdsa.PrivateKey{&p.rootKey, &p.caKey, &p.pckKey, &p.tcbKey} {
		if *k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
	}
	serial := int64(1)
	mk := func(subject pkix.Name, isCA bool, pub *ecdsa.PublicKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, extra []pkix.Extension) (*x509.Certificate, error) {
		serial++
		tpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: subject, NotBefore: notBefore, NotAfter: notAfter,
			BasicConstraintsValid: true, IsCA: isCA, SignatureAlgorithm: x509.ECDSAWithSHA256, ExtraExtensions: extra,
			// Intel's PCK certificates carry exactly these six extensions
			// (with the SGX one); the library counts them.
			SubjectKeyId: big.NewInt(serial).Bytes(), CRLDistributionPoints: []string{"https://pki.invalid/crl.der"},
		}
		if isCA {
			tpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		} else {
			tpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		}
		if parent == nil {
			parent, parentKey = tpl, p.rootKey
		}
		der, err := x509.CreateCertificate(rand.Reader, tpl, parent, pub, parentKey)
		if err != nil {
			return nil, err
		}
		return x509.ParseCertificate(der)
	}
	if p.Root, err = mk(name("Intel SGX Root CA"), true, &p.rootKey.PublicKey, nil, nil, nil); err != nil {
		return nil, err
	}
	if p.CA, err = mk(name("Intel SGX PCK Platform CA"), true, &p.caKey.PublicKey, p.Root, p.rootKey, nil); err != nil {
		return nil, err
	}
	if p.TCBSigner, err = mk(name("Intel SGX TCB Signing"), false, &p.tcbKey.PublicKey, p.Root, p.rootKey, nil); err != nil {
		return nil, err
	}
	var ext []pkix.Extension
	for _, e := range template.Extensions {
		if e.Id.Equal(sgxExtensionOID) {
			ext = append(ext, e)
		}
	}
	if p.PCK, err = mk(name("Intel SGX PCK Certificate"), false, &p.pckKey.PublicKey, p.CA, p.caKey, ext); err != nil {
		return nil, err
	}
	return p, nil
}

// SignPCK signs msg with the PCK certificate's key (a QE report).
func (p *PKI) SignPCK(msg []byte) ([]byte, error) { return Sign(p.pckKey, msg) }

// PEMChain is the PCK certificate chain as a quote carries it: PCK, CA,
// root, in PEM.
func (p *PKI) PEMChain() []byte {
	var chain []byte
	for _, c := range []*x509.Certificate{p.PCK, p.CA, p.Root} {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return chain
}

// Sign returns the raw r || s ECDSA-SHA256 signature Intel's formats use.
func Sign(k *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
	if err != nil {
		return nil, err
	}
	return append(Pad32(r), Pad32(s)...), nil
}

// Pad32 is n as 32 big-endian bytes.
func Pad32(n *big.Int) []byte {
	b := make([]byte, 32)
	return n.FillBytes(b)
}

// CollateralOptions shape synthetic collateral.
type CollateralOptions struct {
	// TCBInfo and QEIdentity are the inner JSON objects to sign (as in a
	// PCS response's "tcbInfo" and "enclaveIdentity" members).
	TCBInfo, QEIdentity []byte
	// ThisUpdate and NextUpdate bound both CRLs.
	ThisUpdate, NextUpdate time.Time
	// RevokePCK puts the PCK certificate on the PCK CRL; RevokeCA puts the
	// PCK CA on the root CA CRL.
	RevokePCK, RevokeCA bool
}

// Collateral returns collateral signed by this PKI.
func (p *PKI) Collateral(o CollateralOptions) (attest.IntelCollateral, error) {
	signed := func(member string, inner []byte) ([]byte, error) {
		sig, err := Sign(p.tcbKey, inner)
		if err != nil {
			return nil, err
		}
		sigJSON, _ := json.Marshal(hex.EncodeToString(sig))
		return []byte(fmt.Sprintf(`{%q:%s,"signature":%s}`, member, inner, sigJSON)), nil
	}
	crl := func(issuer *x509.Certificate, key *ecdsa.PrivateKey, revoked *x509.Certificate) ([]byte, error) {
		tpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: o.ThisUpdate, NextUpdate: o.NextUpdate}
		if revoked != nil {
			tpl.RevokedCertificateEntries = []x509.RevocationListEntry{{SerialNumber: revoked.SerialNumber, RevocationTime: o.ThisUpdate}}
		}
		return x509.CreateRevocationList(rand.Reader, tpl, issuer, key)
	}
	chain := func(signer *x509.Certificate) []byte {
		return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signer.Raw}),
			pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root.Raw})...)
	}
	var c attest.IntelCollateral
	var err error
	if c.TCBInfo, err = signed("tcbInfo", o.TCBInfo); err != nil {
		return c, err
	}
	if c.QEIdentity, err = signed("enclaveIdentity", o.QEIdentity); err != nil {
		return c, err
	}
	c.TCBInfoIssuerChain, c.QEIdentityIssuerChain, c.PCKCRLIssuerChain = chain(p.TCBSigner), chain(p.TCBSigner), chain(p.CA)
	var revPCK, revCA *x509.Certificate
	if o.RevokePCK {
		revPCK = p.PCK
	}
	if o.RevokeCA {
		revCA = p.CA
	}
	if c.PCKCRL, err = crl(p.CA, p.caKey, revPCK); err != nil {
		return c, err
	}
	if c.RootCACRL, err = crl(p.Root, p.rootKey, revCA); err != nil {
		return c, err
	}
	return c, nil
}
