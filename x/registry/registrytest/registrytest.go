// Package registrytest builds what the keeper tests of x/registry and
// x/gatekeeper share to register workers: a fake attestation verifier and
// its quotes, deterministic test keys, registration info and its encoding,
// MsgRegisterWorker builders for the simulated and the fake TEE, and small
// assertions on events and errors.
//
// Only tests import it; production code must not.
package registrytest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// FakeKind is the TEE kind of FakeVerifier.
const FakeKind = "fake"

// FakeMeasurement is the measurement FakeMsg quotes; fixtures allow-list
// it for FakeKind.
var FakeMeasurement = [32]byte{0xfa, 0xce, 1}

// FakeVerifier stands for a hardware TEE kind whose quotes carry a
// confidence level other than the simulated one. Its quote is
// level (1) || measurement (32) || report data (64) and has no issue time.
type FakeVerifier struct{}

// Kind returns FakeKind.
func (FakeVerifier) Kind() string { return FakeKind }

// Verify parses quote as FakeQuote builds it; it checks nothing else.
func (FakeVerifier) Verify(quote []byte, _ time.Time, _ attest.Collateral) (attest.Report, error) {
	if len(quote) != 1+32+64 {
		return attest.Report{}, fmt.Errorf("%w: fake: %d bytes", attest.ErrMalformedQuote, len(quote))
	}
	r := attest.Report{Kind: FakeKind, Measurement: bytes.Clone(quote[1:33]), ConfidenceLevel: uint32(quote[0])}
	copy(r.ReportData[:], quote[33:])
	return r, nil
}

// FakeQuote returns a FakeVerifier quote at level over measurement and
// reportData.
func FakeQuote(level byte, measurement [32]byte, reportData [64]byte) []byte {
	q := append([]byte{level}, measurement[:]...)
	return append(q, reportData[:]...)
}

// MustAddr returns b in ac's encoding and fails the test if it has none.
func MustAddr(t testing.TB, ac addresscodec.Bech32Codec, b []byte) string {
	t.Helper()
	s, err := ac.BytesToString(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKey returns the ed25519 key whose seed is seed repeated.
func TestKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

// Pub returns k's public key.
func Pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// KeyHex returns the public key of TestKey(seed) in hex.
func KeyHex(seed byte) string { return hex.EncodeToString(Pub(TestKey(seed))) }

// Info returns registration info on chainID for the worker with key
// TestKey(seed) run by operator, with a fresh HPKE receive key.
func Info(t testing.TB, chainID, operator string, seed byte) protocol.RegistrationInfo {
	t.Helper()
	recv, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return protocol.RegistrationInfo{
		ChainID:     chainID,
		IdentityKey: Pub(TestKey(seed)),
		ReceiveKey:  recv.PublicKey().Bytes(),
		Operator:    operator,
		Version:     "v1.0.0",
		TrustRoot:   protocol.TrustRoot{Height: 0, Hash: bytes.Repeat([]byte{0xab}, 32)},
	}
}

// EncodeInfo returns info encoded and fails the test if it does not encode.
func EncodeInfo(t testing.TB, info protocol.RegistrationInfo) []byte {
	t.Helper()
	b, err := info.Encode()
	if err != nil {
		t.Fatalf("encode info: %v", err)
	}
	return b
}

// SimMsg returns a registration of info attested by tee.
func SimMsg(t testing.TB, tee *sim.TEE, info protocol.RegistrationInfo) *types.MsgRegisterWorker {
	t.Helper()
	b := EncodeInfo(t, info)
	quote, err := tee.Quote(protocol.ReportData(info.ChainID, b))
	if err != nil {
		t.Fatal(err)
	}
	return &types.MsgRegisterWorker{
		Operator:    info.Operator,
		Info:        b,
		Attestation: types.Attestation{TeeKind: attest.KindSim, Quote: quote},
	}
}

// FakeMsg returns a registration of info attested by a FakeKind quote of
// FakeMeasurement at level.
func FakeMsg(t testing.TB, info protocol.RegistrationInfo, level byte) *types.MsgRegisterWorker {
	t.Helper()
	b := EncodeInfo(t, info)
	return &types.MsgRegisterWorker{
		Operator:    info.Operator,
		Info:        b,
		Attestation: types.Attestation{TeeKind: FakeKind, Quote: FakeQuote(level, FakeMeasurement, protocol.ReportData(info.ChainID, b))},
	}
}

// HasEvent reports whether events holds an event of type typ carrying
// every attribute of attrs with its value.
func HasEvent(events sdk.Events, typ string, attrs map[string]string) bool {
	for _, e := range events {
		if e.Type != typ {
			continue
		}
		found := 0
		for _, a := range e.Attributes {
			if v, ok := attrs[a.Key]; ok && v == a.Value {
				found++
			}
		}
		if found == len(attrs) {
			return true
		}
	}
	return false
}

// WantErrIs fails the test unless err is nil when want is, and matches want
// by errors.Is when it is not.
func WantErrIs(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error = %v, want %v", err, want)
	}
}
