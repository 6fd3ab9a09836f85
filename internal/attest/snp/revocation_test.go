package snp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp/snptest"
)

// TestRevocationAMDChain runs the CRL checks on a chain with the structure
// of AMD's (ARK → ASK → VCEK, from go-sev-guest's test signer): the KDS CRL
// of a product is issued and signed by the ARK, so it can revoke the ASK;
// a VCEK serial on it revokes nothing (serials are unique per issuer, and
// the VCEK's issuer is the ASK), and a CRL of the ASK, which could revoke a
// VCEK, is not the ARK's and is refused as collateral.
func TestRevocationAMDChain(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	c, err := snptest.NewChain(now.Add(-24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if c.ASK.CheckSignatureFrom(c.ARK) != nil || c.VCEK.CheckSignatureFrom(c.ASK) != nil {
		t.Fatal("synthetic chain is not ARK → ASK → VCEK")
	}
	if c.VCEK.SerialNumber.Cmp(c.ASK.SerialNumber) == 0 {
		t.Fatal("test needs distinct ASK and VCEK serials")
	}
	other, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	this, next := now.Add(-time.Hour), now.Add(time.Hour)
	mustCRL := func(der []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	// An ARK-signed CRL under a name that is not the ARK's.
	renamed := *c.ARK
	renamed.RawSubject = c.VCEK.RawSubject
	tests := []struct {
		name      string
		crl       []byte
		now       time.Time
		wantCRL   error // from VerifyCRL against the ARK
		wantChain error // from CheckRevocation of ASK and VCEK
	}{
		{name: "ARK CRL revoking nothing", crl: mustCRL(c.ARKCRL(this, next)), now: now},
		{name: "ARK CRL revoking the ASK", crl: mustCRL(c.ARKCRL(this, next, big.NewInt(99), c.ASK.SerialNumber)), now: now,
			wantChain: attest.ErrCertificateRevoked},
		{name: "ARK CRL listing the VCEK serial revokes nothing", crl: mustCRL(c.ARKCRL(this, next, c.VCEK.SerialNumber)), now: now},
		{name: "ASK CRL revoking the VCEK is not the ARK's", crl: mustCRL(c.ASKCRL(this, next, c.VCEK.SerialNumber)), now: now,
			wantCRL: attest.ErrInvalidCollateral},
		{name: "ARK name, another key", crl: mustCRL(snptest.CRLWithKey(c.ARK, other, this, next)), now: now,
			wantCRL: attest.ErrInvalidCollateral},
		{name: "ARK key, another name", crl: mustCRL(snptest.CRLWithKey(&renamed, c.ARKKey(), this, next)), now: now,
			wantCRL: attest.ErrInvalidCollateral},
		{name: "not yet valid", crl: mustCRL(c.ARKCRL(this, next)), now: this.Add(-time.Second), wantCRL: attest.ErrInvalidCollateral},
		{name: "expired", crl: mustCRL(c.ARKCRL(this, next)), now: next.Add(time.Second), wantCRL: attest.ErrCollateralExpired},
		{name: "not a CRL", crl: c.ARK.Raw, now: now, wantCRL: attest.ErrInvalidCollateral},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			crl, err := snp.VerifyCRL(tc.crl, c.ARK, tc.now)
			if !errors.Is(err, tc.wantCRL) || (tc.wantCRL == nil) != (err == nil) {
				t.Fatalf("VerifyCRL: %v, want %v", err, tc.wantCRL)
			}
			if err != nil {
				return
			}
			err = snp.CheckRevocation(crl, c.ASK, c.VCEK)
			if !errors.Is(err, tc.wantChain) || (tc.wantChain == nil) != (err == nil) {
				t.Fatalf("CheckRevocation: %v, want %v", err, tc.wantChain)
			}
		})
	}

	// A chain with nothing the CRL's issuer issued cannot be checked by it.
	crl, err := snp.VerifyCRL(mustCRL(c.ARKCRL(this, next)), c.ARK, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := snp.CheckRevocation(crl, c.VCEK); !errors.Is(err, attest.ErrInvalidCollateral) {
		t.Fatalf("CRL covering no certificate of the chain: %v, want ErrInvalidCollateral", err)
	}
}
