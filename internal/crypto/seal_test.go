package crypto_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Offsets into a version-1 sealed message.
const (
	offEnc    = 1
	offX25519 = offEnc + 1088 // X25519 ephemeral share inside enc
	offCT     = offEnc + 1120
)

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	priv := testReceiveKey(t, 0x42)
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"master secret", testMasterSecret()},
		{"empty", []byte{}},
		{"max", bytes.Repeat([]byte{0x5a}, gkcrypto.MaxPlaintextLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info := testInfo(priv)
			sealed, err := gkcrypto.SealTo(info.Recipient, info, tt.plaintext)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(tt.plaintext)+gkcrypto.SealOverhead || sealed[0] != 1 {
				t.Fatalf("sealed is %d bytes, version %d", len(sealed), sealed[0])
			}
			pt, err := gkcrypto.Open(priv, info, sealed)
			if err != nil {
				t.Fatal(err)
			}
			if pt == nil || !bytes.Equal(pt, tt.plaintext) {
				t.Fatalf("opened %d bytes (nil %v), want %d", len(pt), pt == nil, len(tt.plaintext))
			}
		})
	}
}

// Every way of altering a sealed message or its context fails, with the
// sentinel a caller would branch on, and no error mentions the plaintext.
func TestOpenRejects(t *testing.T) {
	t.Parallel()
	priv := testReceiveKey(t, 0x42)
	otherPriv := testReceiveKey(t, 0x52)
	info := testInfo(priv)
	plaintext := testMasterSecret()
	sealed, err := gkcrypto.SealTo(info.Recipient, info, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	sealedAgain, err := gkcrypto.SealTo(info.Recipient, info, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	otherInfo := testInfo(otherPriv)
	sealedToOther, err := gkcrypto.SealTo(otherInfo.Recipient, otherInfo, plaintext)
	if err != nil {
		t.Fatal(err)
	}

	flip := func(i int, mask byte) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= mask
		return b
	}
	withInfo := func(f func(*gkcrypto.Info)) gkcrypto.Info {
		i := testInfo(priv)
		f(&i)
		return i
	}
	spliceEnc := func() []byte { // enc of one message, ciphertext of another
		b := bytes.Clone(sealed)
		copy(b[offEnc:offCT], sealedAgain[offEnc:offCT])
		return b
	}
	zeroX25519 := func() []byte { // low-order point: all-zero X25519 share
		b := bytes.Clone(sealed)
		clear(b[offX25519:offCT])
		return b
	}

	tests := []struct {
		name   string
		priv   hpke.PrivateKey
		info   gkcrypto.Info
		sealed []byte
		want   []error
	}{
		{"version 0", priv, info, flip(0, 1), []error{gkcrypto.ErrUnsupportedVersion, gkcrypto.ErrMalformed}},
		{"version 2", priv, info, flip(0, 3), []error{gkcrypto.ErrUnsupportedVersion, gkcrypto.ErrMalformed}},
		{"ML-KEM ciphertext byte", priv, info, flip(offEnc+10, 1), []error{gkcrypto.ErrDecrypt}},
		{"ML-KEM ciphertext last byte", priv, info, flip(offX25519-1, 0x80), []error{gkcrypto.ErrDecrypt}},
		{"X25519 share byte", priv, info, flip(offX25519+5, 1), []error{gkcrypto.ErrDecrypt}},
		// X25519 ignores bit 255 of a share; the X-Wing combiner hashes the
		// share's bytes, so the non-canonical twin must still fail.
		{"X25519 share high bit", priv, info, flip(offCT-1, 0x80), []error{gkcrypto.ErrDecrypt}},
		{"X25519 share all zero", priv, info, zeroX25519(), []error{gkcrypto.ErrDecrypt}},
		{"ciphertext byte", priv, info, flip(offCT, 1), []error{gkcrypto.ErrDecrypt}},
		{"tag byte", priv, info, flip(len(sealed)-1, 1), []error{gkcrypto.ErrDecrypt}},
		{"enc from another message", priv, info, spliceEnc(), []error{gkcrypto.ErrDecrypt}},
		{"truncated by one", priv, info, sealed[:len(sealed)-1], []error{gkcrypto.ErrDecrypt}},
		{"truncated to overhead", priv, info, sealed[:gkcrypto.SealOverhead], []error{gkcrypto.ErrDecrypt}},
		{"truncated below overhead", priv, info, sealed[:gkcrypto.SealOverhead-1], []error{gkcrypto.ErrMalformed}},
		{"version byte only", priv, info, sealed[:1], []error{gkcrypto.ErrMalformed}},
		{"empty", priv, info, nil, []error{gkcrypto.ErrMalformed}},
		{"trailing byte", priv, info, append(bytes.Clone(sealed), 0), []error{gkcrypto.ErrDecrypt}},
		{"oversize", priv, info, make([]byte, gkcrypto.MaxSealedLen+1), []error{gkcrypto.ErrTooLarge, gkcrypto.ErrMalformed}},
		{"other context", priv, withInfo(func(i *gkcrypto.Info) { i.Context = protocol.ContextClusterKeyTransfer }), sealed, []error{gkcrypto.ErrDecrypt}},
		{"other chain", priv, withInfo(func(i *gkcrypto.Info) { i.ChainID = "gatekeeper-test-2" }), sealed, []error{gkcrypto.ErrDecrypt}},
		{"other what", priv, withInfo(func(i *gkcrypto.Info) { i.What = []byte("master/v4") }), sealed, []error{gkcrypto.ErrDecrypt}},
		{"info names another recipient", priv, otherInfo, sealed, []error{gkcrypto.ErrWrongRecipient}},
		{"another key, info naming it", otherPriv, otherInfo, sealed, []error{gkcrypto.ErrDecrypt}},
		{"sealed to another key", priv, info, sealedToOther, []error{gkcrypto.ErrDecrypt}},
		{"invalid info", priv, withInfo(func(i *gkcrypto.Info) { i.What = nil }), sealed, []error{gkcrypto.ErrInvalidInfo}},
		{"nil key", nil, info, sealed, []error{gkcrypto.ErrInvalidKey}},
		{"X25519-only key", x25519Key(t), info, sealed, []error{gkcrypto.ErrInvalidKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pt, err := gkcrypto.Open(tt.priv, tt.info, tt.sealed)
			if err == nil {
				t.Fatalf("opened: %x", pt)
			}
			for _, want := range tt.want {
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
			assertNoSecret(t, err, plaintext)
		})
	}
	// The untouched message still opens: the cases above failed for their reason.
	if _, err := gkcrypto.Open(priv, info, sealed); err != nil {
		t.Fatal(err)
	}
}

func TestSealToRejects(t *testing.T) {
	t.Parallel()
	priv := testReceiveKey(t, 0x42)
	other := testReceiveKey(t, 0x52).PublicKey().Bytes()
	info := testInfo(priv)
	withInfo := func(f func(*gkcrypto.Info)) gkcrypto.Info {
		i := testInfo(priv)
		f(&i)
		return i
	}
	secret := testMasterSecret()
	tests := []struct {
		name      string
		recipient []byte
		info      gkcrypto.Info
		plaintext []byte
		want      error
	}{
		{"short recipient", info.Recipient[:100], info, secret, gkcrypto.ErrInvalidKey},
		{"empty recipient", nil, info, secret, gkcrypto.ErrInvalidKey},
		{"X25519-only recipient", x25519Key(t).PublicKey().Bytes(), info, secret, gkcrypto.ErrInvalidKey},
		{"recipient is not info.Recipient", other, info, secret, gkcrypto.ErrWrongRecipient},
		{"plaintext too large", info.Recipient, info, make([]byte, gkcrypto.MaxPlaintextLen+1), gkcrypto.ErrTooLarge},
		{"empty context", info.Recipient, withInfo(func(i *gkcrypto.Info) { i.Context = "" }), secret, gkcrypto.ErrInvalidInfo},
		{"empty chain id", info.Recipient, withInfo(func(i *gkcrypto.Info) { i.ChainID = "" }), secret, gkcrypto.ErrInvalidInfo},
		{"chain id too long", info.Recipient, withInfo(func(i *gkcrypto.Info) { i.ChainID = strings.Repeat("c", protocol.MaxChainIDLen+1) }), secret, gkcrypto.ErrInvalidInfo},
		{"short info.Recipient", info.Recipient, withInfo(func(i *gkcrypto.Info) { i.Recipient = i.Recipient[:10] }), secret, gkcrypto.ErrInvalidInfo},
		{"empty what", info.Recipient, withInfo(func(i *gkcrypto.Info) { i.What = []byte{} }), secret, gkcrypto.ErrInvalidInfo},
		{"context too long", info.Recipient, withInfo(func(i *gkcrypto.Info) { i.Context = strings.Repeat("x", protocol.MaxLengthPrefixedPart+1) }), secret, gkcrypto.ErrInvalidInfo},
		{"what too long", info.Recipient, withInfo(func(i *gkcrypto.Info) { i.What = make([]byte, protocol.MaxLengthPrefixedPart+1) }), secret, gkcrypto.ErrInvalidInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := gkcrypto.SealTo(tt.recipient, tt.info, tt.plaintext)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if sealed != nil {
				t.Fatal("output returned with an error")
			}
			assertNoSecret(t, err, secret)
		})
	}
}

// Sealing is randomized; the beacon and derivations are not.
func TestSealRandomizedBeaconDeterministic(t *testing.T) {
	t.Parallel()
	priv := testReceiveKey(t, 0x42)
	info := testInfo(priv)
	a, err := gkcrypto.SealTo(info.Recipient, info, testMasterSecret())
	if err != nil {
		t.Fatal(err)
	}
	b, err := gkcrypto.SealTo(info.Recipient, info, testMasterSecret())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) || bytes.Equal(a[offEnc:offCT], b[offEnc:offCT]) || bytes.Equal(a[offCT:], b[offCT:]) {
		t.Fatal("two seals of the same inputs share an encapsulation or ciphertext")
	}
	k1, k2 := testMaster(t, 3), testMaster(t, 3)
	b1, err1 := k1.Beacon(testChainID, 100)
	b2, err2 := k2.Beacon(testChainID, 100)
	if err1 != nil || err2 != nil || b1 != b2 || hex.EncodeToString(b1[:]) != katBeacon {
		t.Fatal("beacon is not deterministic")
	}
	if k1.ClusterKey(7) != k2.ClusterKey(7) {
		t.Fatal("cluster key is not deterministic")
	}
}

func TestParseReceiveKey(t *testing.T) {
	t.Parallel()
	good := testReceiveKey(t, 0x42).PublicKey().Bytes()
	tests := []struct {
		name string
		key  []byte
		want error
	}{
		{"valid", good, nil},
		{"empty", nil, gkcrypto.ErrInvalidKey},
		{"short", good[:len(good)-1], gkcrypto.ErrInvalidKey},
		{"long", append(bytes.Clone(good), 0), gkcrypto.ErrInvalidKey},
		{"X25519 only", x25519Key(t).PublicKey().Bytes(), gkcrypto.ErrInvalidKey},
		// ML-KEM rejects encapsulation keys with coefficients ≥ q.
		{"ML-KEM coefficients out of range", append(bytes.Repeat([]byte{0xff}, 1184), good[1184:]...), gkcrypto.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pk, err := gkcrypto.ParseReceiveKey(tt.key)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && !bytes.Equal(pk.Bytes(), tt.key) {
				t.Fatal("parsed key does not re-encode to its input")
			}
		})
	}
}

func x25519Key(t testing.TB) hpke.PrivateKey {
	t.Helper()
	k, err := hpke.DHKEM(ecdh.X25519()).NewPrivateKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func assertNoSecret(t testing.TB, err error, secret []byte) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if strings.Contains(strings.ToLower(msg), hex.EncodeToString(secret)) || bytes.Contains([]byte(msg), secret) {
		t.Fatalf("error carries secret bytes: %s", msg)
	}
}
