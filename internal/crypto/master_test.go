package crypto_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
)

const curveOrderHex = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"

func TestMasterKeyFromSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		secret string
		want   error
	}{
		{"one", strings.Repeat("00", 31) + "01", nil},
		{"N-1", "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", nil},
		{"zero", strings.Repeat("00", 32), gkcrypto.ErrInvalidMasterKey},
		{"N", curveOrderHex, gkcrypto.ErrInvalidMasterKey},
		{"N+1", "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142", gkcrypto.ErrInvalidMasterKey},
		{"all ones", strings.Repeat("ff", 32), gkcrypto.ErrInvalidMasterKey},
		{"empty", "", gkcrypto.ErrInvalidMasterKey},
		{"31 bytes", strings.Repeat("11", 31), gkcrypto.ErrInvalidMasterKey},
		{"33 bytes", strings.Repeat("11", 33), gkcrypto.ErrInvalidMasterKey},
		// 33 bytes whose first 32 are valid: decred would silently truncate.
		{"valid prefix plus a byte", hex.EncodeToString(testMasterSecret()) + "00", gkcrypto.ErrInvalidMasterKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := gkcrypto.MasterKeyFromSecret(9, mustHex(t, tt.secret))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				if k != nil {
					t.Fatal("key returned with an error")
				}
				if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
					t.Fatal("error contains the secret")
				}
				return
			}
			if k.Version != 9 || len(k.PublicKey()) != gkcrypto.MasterPublicKeySize {
				t.Fatalf("version %d, pubkey %d bytes", k.Version, len(k.PublicKey()))
			}
		})
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("entropy source gone") }

func TestGenerateMasterKey(t *testing.T) {
	t.Parallel()
	valid := testMasterSecret()
	tests := []struct {
		name string
		rand io.Reader
		want error
		// wantSecret, if set, is the secret the key must have.
		wantSecret []byte
	}{
		{name: "uses the reader's bytes", rand: bytes.NewReader(valid), wantSecret: valid},
		{name: "retries after zero", rand: io.MultiReader(bytes.NewReader(make([]byte, 32)), bytes.NewReader(valid)), wantSecret: valid},
		{name: "retries after N", rand: io.MultiReader(bytes.NewReader(mustHex(t, curveOrderHex)), bytes.NewReader(valid)), wantSecret: valid},
		{name: "zero reader gives up", rand: bytes.NewReader(make([]byte, 32*100)), want: gkcrypto.ErrRandom},
		{name: "all-ones reader gives up", rand: bytes.NewReader(bytes.Repeat([]byte{0xff}, 32*100)), want: gkcrypto.ErrRandom},
		{name: "short read", rand: bytes.NewReader(valid[:20]), want: gkcrypto.ErrRandom},
		{name: "read error", rand: errReader{}, want: gkcrypto.ErrRandom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := gkcrypto.GenerateMasterKey(tt.rand, 5)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			if k.Version != 5 {
				t.Fatalf("version %d", k.Version)
			}
			if tt.wantSecret != nil && !bytes.Equal(k.Secret(), tt.wantSecret) {
				t.Fatalf("secret %x", k.Secret())
			}
		})
	}
}

func TestGenerateMasterKeyCryptoRand(t *testing.T) {
	t.Parallel()
	a, err := gkcrypto.GenerateMasterKey(rand.Reader, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gkcrypto.GenerateMasterKey(rand.Reader, 0)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Secret(), b.Secret()) {
		t.Fatal("two generated keys are equal")
	}
	if !gkcrypto.VerifyPublic(a.Secret(), a.PublicKey()) {
		t.Fatal("generated key does not verify")
	}
}

func TestSecretAndPublicKeyAreCopies(t *testing.T) {
	t.Parallel()
	k := testMaster(t, 1)
	s, p := k.Secret(), k.PublicKey()
	clear(s)
	p[0] ^= 1
	if !bytes.Equal(k.Secret(), testMasterSecret()) || hex.EncodeToString(k.PublicKey()) != katMasterPub {
		t.Fatal("mutating a returned slice changed the key")
	}
}

func TestVerifyPublic(t *testing.T) {
	t.Parallel()
	k := testMaster(t, 1)
	other := mustHex(t, strings.Repeat("00", 31)+"01")
	uncompressed := secp256k1.PrivKeyFromBytes(testMasterSecret()).PubKey().SerializeUncompressed()
	tests := []struct {
		name   string
		secret []byte
		pub    []byte
		want   bool
	}{
		{"matching", testMasterSecret(), k.PublicKey(), true},
		{"other secret", other, k.PublicKey(), false},
		{"flipped parity byte", testMasterSecret(), append([]byte{k.PublicKey()[0] ^ 1}, k.PublicKey()[1:]...), false},
		{"uncompressed form of the same point", testMasterSecret(), uncompressed, false},
		{"truncated pubkey", testMasterSecret(), k.PublicKey()[:32], false},
		{"empty pubkey", testMasterSecret(), nil, false},
		{"invalid secret", mustHex(t, curveOrderHex), k.PublicKey(), false},
		{"short secret", testMasterSecret()[:31], k.PublicKey(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := gkcrypto.VerifyPublic(tt.secret, tt.pub); got != tt.want {
				t.Fatalf("VerifyPublic = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateMasterPublicKey(t *testing.T) {
	t.Parallel()
	k := testMaster(t, 1)
	notOnCurve := append([]byte{0x02}, bytes.Repeat([]byte{0}, 32)...) // x = 0: x³+7 = 7 is not a square mod p
	tests := []struct {
		name string
		pub  []byte
		want error
	}{
		{"valid", k.PublicKey(), nil},
		{"generator", mustHex(t, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"), nil},
		{"uncompressed", secp256k1.PrivKeyFromBytes(testMasterSecret()).PubKey().SerializeUncompressed(), gkcrypto.ErrInvalidMasterKey},
		{"bad prefix", append([]byte{0x04}, k.PublicKey()[1:]...), gkcrypto.ErrInvalidMasterKey},
		{"not on curve", notOnCurve, gkcrypto.ErrInvalidMasterKey},
		{"x ≥ p", append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...), gkcrypto.ErrInvalidMasterKey},
		{"short", k.PublicKey()[:32], gkcrypto.ErrInvalidMasterKey},
		{"empty", nil, gkcrypto.ErrInvalidMasterKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := gkcrypto.ValidateMasterPublicKey(tt.pub); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// No fmt verb prints the secret, whether the key is passed by value or pointer.
func TestMasterKeyFormatHidesSecret(t *testing.T) {
	t.Parallel()
	k := testMaster(t, 3)
	secretHex := hex.EncodeToString(testMasterSecret())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		for _, arg := range []any{k, *k, []*gkcrypto.MasterKey{k}, struct{ K gkcrypto.MasterKey }{*k}} {
			out := fmt.Sprintf(verb, arg)
			if strings.Contains(strings.ToLower(out), secretHex) || strings.Contains(out, string(testMasterSecret())) {
				t.Fatalf("%s of %T prints the secret: %s", verb, arg, out)
			}
			// Only String may be printed: not the fields, not the scalar words.
			if strings.Contains(out, "priv") || !strings.Contains(out, katMasterPub) {
				t.Fatalf("%s of %T prints internal fields: %s", verb, arg, out)
			}
		}
	}
	if got := k.String(); !strings.Contains(got, katMasterPub) || !strings.Contains(got, "Version: 3") {
		t.Fatalf("String() = %s", got)
	}
}

func TestBeacon(t *testing.T) {
	t.Parallel()
	// Two gatekeepers that loaded the same master key independently.
	gk1, gk2 := testMaster(t, 3), testMaster(t, 3)
	base, err := gk1.Beacon(testChainID, 100)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := gkcrypto.MasterKeyFromSecret(3, mustHex(t, strings.Repeat("00", 31)+"01"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     *gkcrypto.MasterKey
		chainID string
		height  uint64
		want    error
		same    bool
	}{
		{name: "other gatekeeper, same key", key: gk2, chainID: testChainID, height: 100, same: true},
		{name: "next height", key: gk1, chainID: testChainID, height: 101},
		{name: "height 0", key: gk1, chainID: testChainID, height: 0},
		{name: "max height", key: gk1, chainID: testChainID, height: ^uint64(0)},
		{name: "other chain", key: gk1, chainID: "gatekeeper-test-2", height: 100},
		{name: "other master key", key: otherKey, chainID: testChainID, height: 100},
		{name: "empty chain id", key: gk1, chainID: "", height: 100, want: gkcrypto.ErrInvalidPath},
		{name: "chain id too long", key: gk1, chainID: strings.Repeat("c", 51), height: 100, want: gkcrypto.ErrInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := tt.key.Beacon(tt.chainID, tt.height)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			if (b == base) != tt.same {
				t.Fatalf("beacon == base is %v, want %v", b == base, tt.same)
			}
		})
	}
}

// The beacon is not the cluster key of any cluster, nor any KDF output for
// the same parts: the two uses of the master secret are salt-separated.
func TestBeaconSeparatedFromKDF(t *testing.T) {
	t.Parallel()
	k := testMaster(t, 3)
	b, err := k.Beacon(testChainID, 7)
	if err != nil {
		t.Fatal(err)
	}
	d, err := gkcrypto.Derive(k.Secret(), []byte(testChainID), []byte{0, 0, 0, 0, 0, 0, 0, 7})
	if err != nil {
		t.Fatal(err)
	}
	if b == d {
		t.Fatal("beacon equals a KDF output with the same parts")
	}
}
