package crypto_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Known-answer vector of SealBlob: cluster key katClusterKey, testBlobID,
// nonce 0xa0…0xab from a fixed reader, plaintext katBlobPlaintext. Like the
// KDF vectors it pins deployed data: saved state written by one version must
// open in the next, so a change here is a format version bump, never a test
// fix. Cross-checked with Python's `cryptography` (HKDF-SHA256 then AESGCM
// over the documented AAD).
const (
	katBlobPlaintext = "saved state of app-1"
	katBlob          = "01" + "0000000000000007" + "00000003" + "a0a1a2a3a4a5a6a7a8a9aaab" +
		"c90ad65f1825fc04393ad83cfa12d723393aca99" + "81d08ba355500650d9d2dfafdfe76030"
)

func testBlobID() gkcrypto.BlobID {
	return gkcrypto.BlobID{Cluster: 7, Version: 3, App: "app-1", Name: "state/v1"}
}

func testClusterKey(t testing.TB) [gkcrypto.KeySize]byte {
	t.Helper()
	return [gkcrypto.KeySize]byte(mustHex(t, katClusterKey))
}

// fixedNonce reads 0xa0, 0xa1, … : the vector's nonce.
type fixedNonce struct{ next byte }

func (r *fixedNonce) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xa0 + r.next
		r.next++
	}
	return len(p), nil
}

func TestBlobKnownAnswer(t *testing.T) {
	t.Parallel()
	key := testClusterKey(t)
	blob, err := gkcrypto.SealBlob(&fixedNonce{}, key, testBlobID(), []byte(katBlobPlaintext))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(blob); got != katBlob {
		t.Fatalf("SealBlob = %s\nwant       %s", got, katBlob)
	}
	// The same bytes, built from the documented construction with the
	// standard library alone.
	info, err := protocol.AppendLengthPrefixed(nil, []byte("state"))
	if err != nil {
		t.Fatal(err)
	}
	blobKey, err := hkdf.Key(sha256.New, key[:], []byte(protocol.ContextKDF), string(info), 32)
	if err != nil {
		t.Fatal(err)
	}
	aad, err := protocol.AppendLengthPrefixed(nil, []byte(protocol.ContextStateBlob), []byte{1},
		binary.BigEndian.AppendUint64(nil, 7), binary.BigEndian.AppendUint32(nil, 3), []byte("app-1"), []byte("state/v1"))
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(blobKey)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	header := mustHex(t, katBlob[:2*25])
	if want := gcm.Seal(header, header[13:], []byte(katBlobPlaintext), aad); !bytes.Equal(blob, want) {
		t.Fatalf("SealBlob disagrees with the documented construction:\n got %x\nwant %x", blob, want)
	}
	pt, err := gkcrypto.OpenBlob(key, testBlobID(), mustHex(t, katBlob))
	if err != nil || string(pt) != katBlobPlaintext {
		t.Fatalf("OpenBlob(vector) = %q, %v", pt, err)
	}
	cluster, version, err := gkcrypto.BlobKeyVersion(blob)
	if err != nil || cluster != 7 || version != 3 {
		t.Fatalf("BlobKeyVersion = %d, %d, %v; want 7, 3", cluster, version, err)
	}
}

// The append-style functions and BlobKey produce the known-answer vector
// after whatever dst holds, leave that prefix alone, and reuse dst's
// capacity when it suffices.
func TestBlobToKnownAnswer(t *testing.T) {
	t.Parallel()
	key := testClusterKey(t)
	bk, err := gkcrypto.NewBlobKey(key)
	if err != nil {
		t.Fatal(err)
	}
	vector := mustHex(t, katBlob)
	seals := []struct {
		name string
		seal func(dst []byte) ([]byte, error)
	}{
		{"SealBlobTo", func(dst []byte) ([]byte, error) {
			return gkcrypto.SealBlobTo(dst, &fixedNonce{}, key, testBlobID(), []byte(katBlobPlaintext))
		}},
		{"BlobKey.SealTo", func(dst []byte) ([]byte, error) {
			return bk.SealTo(dst, &fixedNonce{}, testBlobID(), []byte(katBlobPlaintext))
		}},
	}
	opens := []struct {
		name string
		open func(dst, blob []byte) ([]byte, error)
	}{
		{"OpenBlobTo", func(dst, blob []byte) ([]byte, error) { return gkcrypto.OpenBlobTo(dst, key, testBlobID(), blob) }},
		{"BlobKey.OpenTo", func(dst, blob []byte) ([]byte, error) { return bk.OpenTo(dst, testBlobID(), blob) }},
	}
	for _, tc := range seals {
		for _, dst := range [][]byte{nil, []byte("prefix"), make([]byte, 3, 200)} {
			prefix := bytes.Clone(dst)
			got, err := tc.seal(dst)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], vector) {
				t.Fatalf("%s(dst %q) = %x, want the prefix then %s", tc.name, prefix, got, katBlob)
			}
			if cap(dst) >= len(got) && &got[0] != &dst[:1][0] {
				t.Fatalf("%s: did not reuse dst's capacity", tc.name)
			}
		}
	}
	for _, tc := range opens {
		for _, dst := range [][]byte{nil, []byte("prefix"), make([]byte, 3, 200)} {
			prefix := bytes.Clone(dst)
			got, err := tc.open(dst, vector)
			if err != nil || !bytes.Equal(got[:len(prefix)], prefix) || string(got[len(prefix):]) != katBlobPlaintext {
				t.Fatalf("%s(dst %q) = %q, %v", tc.name, prefix, got, err)
			}
			if cap(dst) >= len(got) && &got[0] != &dst[:1][0] {
				t.Fatalf("%s: did not reuse dst's capacity", tc.name)
			}
		}
		bad := bytes.Clone(vector)
		bad[len(bad)-1] ^= 1
		if pt, err := tc.open(make([]byte, 0, 100), bad); !errors.Is(err, gkcrypto.ErrBlob) || pt != nil {
			t.Fatalf("%s of a tampered blob: %q, %v", tc.name, pt, err)
		}
	}
	other := testBlobID()
	other.Version++
	if pt, err := bk.OpenTo(nil, other, vector); !errors.Is(err, gkcrypto.ErrBlob) || pt != nil {
		t.Fatalf("BlobKey.OpenTo as another key version: %q, %v", pt, err)
	}
}

// With a buffer of the right capacity, re-encrypting a blob allocates
// nothing in the cipher's data path.
func TestBlobKeyReuseAllocs(t *testing.T) {
	key := testClusterKey(t)
	bk, err := gkcrypto.NewBlobKey(key)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := bk.SealTo(nil, rand.Reader, testBlobID(), make([]byte, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	pt := make([]byte, 0, len(blob))
	out := make([]byte, 0, len(blob))
	allocs := testing.AllocsPerRun(20, func() {
		p, err := bk.OpenTo(pt[:0], testBlobID(), blob)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bk.SealTo(out[:0], rand.Reader, testBlobID(), p); err != nil {
			t.Fatal(err)
		}
	})
	// The AAD of each call; never a buffer of the blob's size.
	if allocs > 8 {
		t.Fatalf("%v allocations per open+seal with reused buffers", allocs)
	}
}

func TestBlobRoundTrip(t *testing.T) {
	t.Parallel()
	key := testClusterKey(t)
	for _, size := range []int{0, 1, 15, 16, 17, 4096, 1 << 20} {
		pt := make([]byte, size)
		if _, err := rand.Read(pt); err != nil {
			t.Fatal(err)
		}
		blob, err := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), pt)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if len(blob) != size+gkcrypto.BlobOverhead {
			t.Fatalf("size %d: blob is %d bytes, want %d", size, len(blob), size+gkcrypto.BlobOverhead)
		}
		got, err := gkcrypto.OpenBlob(key, testBlobID(), blob)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("size %d: round trip: %v", size, err)
		}
	}
	// Randomized: the same plaintext seals differently each time.
	a, _ := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), []byte("x"))
	b, _ := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), []byte("x"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one plaintext are identical")
	}
}

// Every field the blob is bound to, changed alone, makes it fail to open.
func TestBlobBinding(t *testing.T) {
	t.Parallel()
	key := testClusterKey(t)
	id := testBlobID()
	blob, err := gkcrypto.SealBlob(rand.Reader, key, id, []byte("bound"))
	if err != nil {
		t.Fatal(err)
	}
	otherKey := key
	otherKey[0] ^= 1
	tests := []struct {
		name string
		key  [gkcrypto.KeySize]byte
		id   func(*gkcrypto.BlobID)
		want string
	}{
		{"key", otherKey, func(*gkcrypto.BlobID) {}, "authentication failed"},
		{"app", key, func(i *gkcrypto.BlobID) { i.App = "app-2" }, "authentication failed"},
		{"app prefix", key, func(i *gkcrypto.BlobID) { i.App = "app-"; i.Name = "1state/v1" }, "authentication failed"},
		{"name", key, func(i *gkcrypto.BlobID) { i.Name = "state/v2" }, "authentication failed"},
		{"cluster", key, func(i *gkcrypto.BlobID) { i.Cluster = 8 }, "header names cluster 7"},
		{"version", key, func(i *gkcrypto.BlobID) { i.Version = 4 }, "header names cluster 7 key version 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := testBlobID()
			tc.id(&id)
			pt, err := gkcrypto.OpenBlob(tc.key, id, blob)
			if !errors.Is(err, gkcrypto.ErrBlob) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("OpenBlob = %v, want ErrBlob with %q", err, tc.want)
			}
			if pt != nil {
				t.Fatal("plaintext returned with an error")
			}
		})
	}
}

// A blob whose header was rewritten to match another cluster or key version
// still fails: the header is in the AAD, not only compared.
func TestBlobHeaderRewrite(t *testing.T) {
	t.Parallel()
	key := testClusterKey(t)
	blob, err := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		off  int
		id   func(*gkcrypto.BlobID)
	}{
		{"cluster", 8, func(i *gkcrypto.BlobID) { i.Cluster ^= 1 }},
		{"version", 12, func(i *gkcrypto.BlobID) { i.Version ^= 1 }},
	} {
		b := bytes.Clone(blob)
		b[tc.off] ^= 1
		id := testBlobID()
		tc.id(&id)
		if _, err := gkcrypto.OpenBlob(key, id, b); !errors.Is(err, gkcrypto.ErrBlob) || !strings.Contains(err.Error(), "authentication failed") {
			t.Errorf("%s rewritten: %v, want authentication failure", tc.name, err)
		}
	}
}

func TestBlobTamper(t *testing.T) {
	t.Parallel()
	key := testClusterKey(t)
	blob, err := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), []byte("tamper with me"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range blob {
		for _, bit := range []byte{0x01, 0x80} {
			b := bytes.Clone(blob)
			b[i] ^= bit
			if pt, err := gkcrypto.OpenBlob(key, testBlobID(), b); !errors.Is(err, gkcrypto.ErrBlob) || pt != nil {
				t.Fatalf("byte %d bit %#x flipped: %q, %v", i, bit, pt, err)
			}
		}
	}
	for n := range gkcrypto.BlobOverhead + 3 {
		if _, err := gkcrypto.OpenBlob(key, testBlobID(), blob[:n]); !errors.Is(err, gkcrypto.ErrBlob) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	if _, err := gkcrypto.OpenBlob(key, testBlobID(), append(bytes.Clone(blob), 0)); !errors.Is(err, gkcrypto.ErrBlob) {
		t.Fatalf("appended byte: %v", err)
	}
}

func TestBlobErrors(t *testing.T) {
	t.Parallel()
	key := testClusterKey(t)
	blob, err := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	v3 := bytes.Clone(blob)
	v3[0] = 3
	tests := []struct {
		name string
		err  error
		want error
		msg  string
	}{
		{"seal too large", seal(key, testBlobID(), make([]byte, gkcrypto.MaxBlobPlaintextLen+1)), gkcrypto.ErrTooLarge, "limit"},
		{"seal empty app", seal(key, gkcrypto.BlobID{Name: "n"}, nil), gkcrypto.ErrBlob, "app is 0 bytes"},
		{"seal empty name", seal(key, gkcrypto.BlobID{App: "a"}, nil), gkcrypto.ErrBlob, "name is 0 bytes"},
		{"seal long name", seal(key, gkcrypto.BlobID{App: "a", Name: strings.Repeat("n", gkcrypto.MaxPathPartLen+1)}, nil), gkcrypto.ErrBlob, "name is 65536 bytes"},
		{"seal rand fails", sealRand(io.LimitReader(rand.Reader, 5), key), gkcrypto.ErrRandom, "nonce"},
		{"open version 3", open(key, v3), gkcrypto.ErrBlob, "unsupported format version 3"},
		{"open an envelope cut short", open(key, append([]byte{2}, blob[1:]...)), gkcrypto.ErrBlob, "truncated: 42 bytes, at least 101 for an envelope blob"},
		{"open truncated", open(key, blob[:10]), gkcrypto.ErrBlob, "truncated"},
		{"open oversized", open(key, make([]byte, gkcrypto.MaxBlobLen+1)), gkcrypto.ErrBlob, "limit"},
		{"open empty app", openID(key, gkcrypto.BlobID{Cluster: 7, Version: 3, Name: "n"}, blob), gkcrypto.ErrBlob, "app is 0 bytes"},
		{"key version of nothing", keyVersion(nil), gkcrypto.ErrBlob, "truncated"},
		{"key version of version 3", keyVersion(v3), gkcrypto.ErrBlob, "unsupported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !errors.Is(tc.err, tc.want) {
				t.Fatalf("error %v, want %v", tc.err, tc.want)
			}
			if msg := tc.err.Error(); !strings.HasPrefix(msg, "crypto: ") || !strings.Contains(msg, tc.msg) {
				t.Fatalf("error %q: want prefix \"crypto: \" and %q", msg, tc.msg)
			}
		})
	}
}

func seal(key [gkcrypto.KeySize]byte, id gkcrypto.BlobID, pt []byte) error {
	_, err := gkcrypto.SealBlob(rand.Reader, key, id, pt)
	return err
}

func sealRand(r io.Reader, key [gkcrypto.KeySize]byte) error {
	_, err := gkcrypto.SealBlob(r, key, testBlobID(), []byte("x"))
	return err
}

func open(key [gkcrypto.KeySize]byte, blob []byte) error {
	return openID(key, testBlobID(), blob)
}

func openID(key [gkcrypto.KeySize]byte, id gkcrypto.BlobID, blob []byte) error {
	_, err := gkcrypto.OpenBlob(key, id, blob)
	return err
}

func keyVersion(blob []byte) error {
	_, _, err := gkcrypto.BlobKeyVersion(blob)
	return err
}

// Errors never carry the key, the blob key or the plaintext.
func TestBlobErrorsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	key := testClusterKey(t)
	pt := []byte("secret plaintext 0123456789")
	blob, err := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), pt)
	if err != nil {
		t.Fatal(err)
	}
	blob[len(blob)-1] ^= 1
	_, err = gkcrypto.OpenBlob(key, testBlobID(), blob)
	if err == nil {
		t.Fatal("tampered blob opened")
	}
	msg := err.Error()
	for _, s := range [][]byte{key[:], pt} {
		if strings.Contains(msg, hex.EncodeToString(s)) || strings.Contains(msg, string(s)) {
			t.Fatalf("error %q carries secret bytes", msg)
		}
	}
}

// FuzzOpenBlob: OpenBlob and BlobKeyVersion never panic, fail only with
// ErrBlob, and nothing but the genuine vectors (a version 1 blob and an
// envelope blob) opens. Seeds come from
// testdata/fuzz/FuzzOpenBlob and from f.Add below.
func FuzzOpenBlob(f *testing.F) {
	key := testClusterKey(f)
	genuine := mustHex(f, katBlob)
	envelope, err := gkcrypto.SealEnvelopeBlob(&fixedNonce{}, key, testBlobID(), []byte(katBlobPlaintext))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genuine)
	f.Add(genuine[:gkcrypto.BlobOverhead])
	f.Add(envelope)
	f.Add(envelope[:gkcrypto.EnvelopeOverhead])
	f.Add([]byte{1})
	f.Add([]byte{2})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, blob []byte) {
		cluster, version, kvErr := gkcrypto.BlobKeyVersion(blob)
		if kvErr != nil && !errors.Is(kvErr, gkcrypto.ErrBlob) {
			t.Fatalf("BlobKeyVersion: unexpected error class: %v", kvErr)
		}
		pt, err := gkcrypto.OpenBlob(key, testBlobID(), blob)
		if err == nil {
			if !bytes.Equal(blob, genuine) && !bytes.Equal(blob, envelope) {
				t.Fatalf("forged blob opened to %x", pt)
			}
			if string(pt) != katBlobPlaintext || kvErr != nil || cluster != 7 || version != 3 {
				t.Fatalf("genuine blob opened to %q (header %d/%d, %v)", pt, cluster, version, kvErr)
			}
			return
		}
		if !errors.Is(err, gkcrypto.ErrBlob) {
			t.Fatalf("OpenBlob: unexpected error class: %v", err)
		}
		if pt != nil {
			t.Fatal("plaintext returned with an error")
		}
	})
}

func BenchmarkSealBlob(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			key := testClusterKey(b)
			pt := make([]byte, size.n)
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), pt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpenBlob(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			key := testClusterKey(b)
			blob, err := gkcrypto.SealBlob(rand.Reader, key, testBlobID(), make([]byte, size.n))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := gkcrypto.OpenBlob(key, testBlobID(), blob); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReencryptBlob opens a blob and seals it again under one BlobKey
// with reused buffers, as the re-encryption engine does (bytes: the
// plaintext, which goes through AES-GCM twice).
func BenchmarkReencryptBlob(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			bk, err := gkcrypto.NewBlobKey(testClusterKey(b))
			if err != nil {
				b.Fatal(err)
			}
			blob, err := bk.SealTo(nil, rand.Reader, testBlobID(), make([]byte, size.n))
			if err != nil {
				b.Fatal(err)
			}
			pt := make([]byte, 0, size.n)
			out := make([]byte, 0, len(blob))
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			for b.Loop() {
				p, err := bk.OpenTo(pt[:0], testBlobID(), blob)
				if err != nil {
					b.Fatal(err)
				}
				if out, err = bk.SealTo(out[:0], rand.Reader, testBlobID(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Envelope blobs (the rewrap policy): they round-trip, bind the same things
// as version 1 blobs, and a rewrap moves them to the next key version
// without touching the data, after which the old key opens nothing.
func TestEnvelopeBlob(t *testing.T) {
	t.Parallel()
	v1, v2 := testClusterKey(t), testClusterKey(t)
	v2[0] ^= 0xff
	k1, err := gkcrypto.NewBlobKey(v1)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := gkcrypto.NewBlobKey(v2)
	if err != nil {
		t.Fatal(err)
	}
	id := gkcrypto.BlobID{Cluster: 7, Version: 3, App: "app", Name: "name"}
	pt := bytes.Repeat([]byte("state "), 1000)
	blob, err := gkcrypto.SealEnvelopeBlob(rand.Reader, v1, id, pt)
	if err != nil {
		t.Fatal(err)
	}
	if !gkcrypto.BlobIsEnvelope(blob) || len(blob) != len(pt)+gkcrypto.EnvelopeOverhead {
		t.Fatalf("envelope blob of %d bytes for %d plaintext bytes", len(blob), len(pt))
	}
	if c, v, err := gkcrypto.BlobKeyVersion(blob); err != nil || c != 7 || v != 3 {
		t.Fatalf("header: %d %d %v", c, v, err)
	}
	if got, err := gkcrypto.OpenBlob(v1, id, blob); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("open: %v", err)
	}
	// Bound like version 1: another name, app, cluster or key fails.
	for _, other := range []gkcrypto.BlobID{
		{Cluster: 7, Version: 3, App: "app", Name: "other"},
		{Cluster: 7, Version: 3, App: "other", Name: "name"},
	} {
		if _, err := gkcrypto.OpenBlob(v1, other, blob); !errors.Is(err, gkcrypto.ErrBlob) {
			t.Fatalf("opened as %+v: %v", other, err)
		}
	}
	if _, err := gkcrypto.OpenBlob(v2, id, blob); !errors.Is(err, gkcrypto.ErrBlob) {
		t.Fatalf("opened under another key: %v", err)
	}
	for _, i := range []int{20, 80, len(blob) - 1} { // wrap, data nonce, tag
		bad := bytes.Clone(blob)
		bad[i] ^= 1
		if _, err := gkcrypto.OpenBlob(v1, id, bad); !errors.Is(err, gkcrypto.ErrBlob) {
			t.Fatalf("tampered byte %d opened: %v", i, err)
		}
	}

	// Rewrap v3 → v4: same data bytes, new header; v1 no longer opens it.
	re, err := gkcrypto.RewrapTo(nil, rand.Reader, k1, k2, id, 4, blob)
	if err != nil {
		t.Fatal(err)
	}
	const dataAt = 1 + 8 + 4 + 12 + 48 + 12
	if !bytes.Equal(re[dataAt:], blob[dataAt:]) || bytes.Equal(re[:dataAt], blob[:dataAt]) {
		t.Fatal("rewrap touched the data or left the header")
	}
	next := id
	next.Version = 4
	if got, err := gkcrypto.OpenBlob(v2, next, re); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("open after rewrap: %v", err)
	}
	if _, err := gkcrypto.OpenBlob(v1, next, re); !errors.Is(err, gkcrypto.ErrBlob) {
		t.Fatalf("the old key opened the rewrapped blob: %v", err)
	}
	if _, err := gkcrypto.RewrapTo(nil, rand.Reader, k1, k2, next, 5, re); !errors.Is(err, gkcrypto.ErrBlob) {
		t.Fatalf("rewrap under the wrong key: %v", err)
	}
	v1blob, err := gkcrypto.SealBlob(rand.Reader, v1, id, pt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gkcrypto.RewrapTo(nil, rand.Reader, k1, k2, id, 4, v1blob); !errors.Is(err, gkcrypto.ErrBlob) {
		t.Fatalf("rewrap of a version 1 blob: %v", err)
	}
}

// BenchmarkRotateBlob: what a rotation costs per 1 MiB blob under each
// policy: re-encryption (open + seal) against a rewrap of an envelope blob.
func BenchmarkRotateBlob(b *testing.B) {
	from, err := gkcrypto.NewBlobKey(testClusterKey(b))
	if err != nil {
		b.Fatal(err)
	}
	k2 := testClusterKey(b)
	k2[0] ^= 1
	to, err := gkcrypto.NewBlobKey(k2)
	if err != nil {
		b.Fatal(err)
	}
	id := testBlobID()
	pt := make([]byte, 1<<20)
	b.Run("reencrypt/1MiB", func(b *testing.B) {
		blob, err := from.SealTo(nil, rand.Reader, id, pt)
		if err != nil {
			b.Fatal(err)
		}
		next := id
		next.Version++
		buf, out := make([]byte, 0, len(blob)), make([]byte, 0, len(blob))
		b.SetBytes(int64(len(pt)))
		for b.Loop() {
			p, err := from.OpenTo(buf[:0], id, blob)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := to.SealTo(out[:0], rand.Reader, next, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rewrap/1MiB", func(b *testing.B) {
		blob, err := from.SealEnvelopeTo(nil, rand.Reader, id, pt)
		if err != nil {
			b.Fatal(err)
		}
		out := make([]byte, 0, len(blob))
		b.SetBytes(int64(len(pt)))
		for b.Loop() {
			if _, err := gkcrypto.RewrapTo(out[:0], rand.Reader, from, to, id, id.Version+1, blob); err != nil {
				b.Fatal(err)
			}
		}
	})
}
