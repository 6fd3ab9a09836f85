package crypto_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/cryptotest"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Known-answer vectors. They pin the key hierarchy: if one changes, every
// cluster and app key in deployed clusters changes with it and saved state no
// longer decrypts, so a change here is a protocol version bump, never a test
// fix. The KDF and beacon vectors were cross-checked against an independent
// HKDF (Python hmac/hashlib), the public keys against an independent
// secp256k1 implementation and against decred's own API (below).
const (
	// Derive(0x00…0x1f, "a", "bc").
	katDerive = "0783f5708b684b043512eb9224332fb896e7ba64bd5e88b81da2accaa7cf2079"
	// ClusterKey(master 0x01…0x20 version 3, cluster 7).
	katClusterKey = "e2af068fea2a1c433113dad42dbf198c626afc04865a220ec8b38b21739dbba8"
	// AppKey(katClusterKey, "app-1", "state", "v1").
	katAppKey = "3438f40f09c68645b7a05850513ada7a7e3a0338ccedc704ddc458adddb3ff47"
	// Beacon(master 0x01…0x20, testChainID, 100).
	katBeacon = "37e91a3b6eacbb376cd50b6d7381bcf014c38d9a48493bb628eb55f84b995ea6"
	// Compressed public key of master secret 0x01…0x20.
	katMasterPub = "0284bf7562262bbd6940085748f3be6afa52ae317155181ece31b66351ccffa4b0"

	// testInfo(testReceiveKey(0x42)).Encode(): 1280 bytes, pinned by prefix and hash.
	katInfoPrefix = "01" +
		"001d" + "676174656b65657065722f68706b652f6d61737465722d6b65792f7631" + // ContextMasterKeyTransfer
		"0011" + "676174656b65657065722d746573742d31" + // testChainID
		"04c0" // len(recipient) = 1216
	katInfoSHA256 = "1f7bb18dab00c7c6c431f9cb2d26d3a0cc5f0d25677356240f0afce780eb560e"

	// katOpenFile holds a message sealed by SealTo to testReceiveKey(0x42)
	// under testInfo, with plaintext katOpenPlaintext. Decryption is
	// deterministic, so this vector is stable even though sealing is not.
	katOpenFile      = "testdata/open_v1.hex"
	katOpenPlaintext = "master key v3 secret, 32 bytes.."
)

var updateVectors = flag.Bool("update", false, "rewrite "+katOpenFile+" (sealed under cryptotest.SetGlobalRandom)")

func TestKnownAnswerKDF(t *testing.T) {
	t.Parallel()
	k := testMaster(t, 3)
	cluster := k.ClusterKey(7)
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i)
	}
	d, err := gkcrypto.Derive(secret, []byte("a"), []byte("bc"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := gkcrypto.AppKey(cluster, "app-1", "state", "v1")
	if err != nil {
		t.Fatal(err)
	}
	beacon, err := k.Beacon(testChainID, 100)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"Derive", d[:], katDerive},
		{"ClusterKey", cluster[:], katClusterKey},
		{"AppKey", app[:], katAppKey},
		{"Beacon", beacon[:], katBeacon},
		{"MasterKey.PublicKey", k.PublicKey(), katMasterPub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// Derive is exactly HKDF-SHA256 with the documented salt and info: rebuild
// the info by hand and compare.
func TestDeriveIsDocumentedHKDF(t *testing.T) {
	t.Parallel()
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i)
	}
	info := mustHex(t, "0001"+"61"+"0002"+"6263") // ("a", "bc")
	want, err := hkdf.Key(sha256.New, secret, []byte("gatekeeper/kdf/v1"), string(info), 32)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(want) != katDerive {
		t.Fatalf("hand-built HKDF = %x, want %s", want, katDerive)
	}
	if protocol.ContextKDF != "gatekeeper/kdf/v1" || protocol.ContextBeacon != "gatekeeper/beacon/v1" {
		t.Fatal("a context string changed: that is a protocol version bump")
	}
}

func TestKnownAnswerMasterPublicKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		secret string
		want   string
	}{
		// 1·G, 2·G, 3·G and (N-1)·G = -G are published secp256k1 points.
		{"one", strings.Repeat("00", 31) + "01", "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
		{"two", strings.Repeat("00", 31) + "02", "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"},
		{"three", strings.Repeat("00", 31) + "03", "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"},
		{"N-1", "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
		{"0x01..0x20", hex.EncodeToString(testMasterSecret()), katMasterPub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secret := mustHex(t, tt.secret)
			k, err := gkcrypto.MasterKeyFromSecret(0, secret)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(k.PublicKey()); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			// Cross-check against decred's own API.
			if ref := secp256k1.PrivKeyFromBytes(secret).PubKey().SerializeCompressed(); !bytes.Equal(ref, k.PublicKey()) {
				t.Fatalf("decred says %x", ref)
			}
			if !bytes.Equal(k.Secret(), secret) {
				t.Fatal("Secret does not round-trip")
			}
		})
	}
}

func TestKnownAnswerInfo(t *testing.T) {
	t.Parallel()
	priv := testReceiveKey(t, 0x42)
	enc, err := testInfo(priv).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(enc[:len(katInfoPrefix)/2]); got != katInfoPrefix {
		t.Fatalf("prefix %s\nwant   %s", got, katInfoPrefix)
	}
	if got := sha256.Sum256(enc); hex.EncodeToString(got[:]) != katInfoSHA256 {
		t.Fatalf("sha256 %x, want %s", got, katInfoSHA256)
	}
	tail := enc[len(enc)-2-len("master/v3"):]
	if !bytes.Equal(tail, append([]byte{0, 9}, "master/v3"...)) {
		t.Fatalf("what field %x", tail)
	}
}

func TestKnownAnswerOpen(t *testing.T) {
	t.Parallel()
	priv := testReceiveKey(t, 0x42)
	pt, err := gkcrypto.Open(priv, testInfo(priv), readOpenVector(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(pt) != katOpenPlaintext {
		t.Fatalf("opened %q, want %q", pt, katOpenPlaintext)
	}
}

func readOpenVector(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(katOpenFile)
	if err != nil {
		t.Fatal(err)
	}
	return mustHex(t, strings.TrimSpace(string(b)))
}

// TestUpdateOpenVector regenerates the Open vector with
//
//	go test ./internal/crypto -run TestUpdateOpenVector -update
//
// Sealing draws randomness inside crypto/hpke; SetGlobalRandom makes it
// reproducible for a given Go version (not across versions, which is why the
// vector is a decryption vector and the file, not this test, is the reference).
func TestUpdateOpenVector(t *testing.T) {
	if !*updateVectors {
		t.Skip("run with -update to regenerate " + katOpenFile)
	}
	cryptotest.SetGlobalRandom(t, 1)
	priv := testReceiveKey(t, 0x42)
	sealed, err := gkcrypto.SealTo(priv.PublicKey().Bytes(), testInfo(priv), []byte(katOpenPlaintext))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(katOpenFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(katOpenFile, []byte(hex.EncodeToString(sealed)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
