package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// State blob format, version 1 (DESIGN §4, "saved state encryption"):
//
//	u8 format version (1) || u64be cluster || u32be key version ||
//	nonce (12 bytes) || AES-256-GCM ciphertext || tag (16 bytes)
//
// The key is Derive(cluster key, "state"), never the cluster key itself: the
// cluster key is also the root of every app key, and an app key's path starts
// with "app", so no app can ever be handed the blob key through AppKey. The
// AAD is the length-prefixed encoding (protocol.AppendLengthPrefixed) of
//
//	protocol.ContextStateBlob, u8 format version, u64be cluster,
//	u32be key version, app, name
//
// so a blob opens only as the object it was written as: moved to another
// name, app, cluster or key version, it fails authentication. What binding
// cannot prevent is rollback: the store may serve an older blob written under
// the same name, or none at all.
//
// The nonce is random. With 96-bit random nonces one key must not seal more
// than 2^32 blobs (NIST SP 800-38D §8.3); every worker of a cluster writes
// under the same key version, so that is the budget of a cluster between
// rotations, which is far beyond any state store this serves.
const (
	blobFormatVersion = 1
	blobNonceLen      = 12
	blobTagLen        = 16
	blobHeaderLen     = 1 + 8 + 4 + blobNonceLen

	// BlobOverhead is the size of a blob minus its plaintext.
	BlobOverhead = blobHeaderLen + blobTagLen
	// MaxBlobPlaintextLen bounds what SealBlob encrypts: 64 MiB. Callers
	// storing blobs in a store with its own object bound (the worker app API
	// accepts 16 MiB) enforce the smaller one.
	MaxBlobPlaintextLen = 64 << 20
	// MaxBlobLen bounds what OpenBlob accepts, before any work is done.
	MaxBlobLen = MaxBlobPlaintextLen + BlobOverhead
)

// labelState is the path of the blob key under a cluster key.
const labelState = "state"

// ErrBlob: a state blob that does not open — truncated, oversized, of an
// unknown format version, with a header that disagrees with the BlobID it is
// opened as, or failing authentication (tampered, or written under another
// key or BlobID) — or a BlobID that cannot be bound (empty or oversized app
// or name). The wrapped message says which; none carries key or plaintext
// bytes.
var ErrBlob = errors.New("crypto: invalid state blob")

// BlobID is what a state blob is bound to.
type BlobID struct {
	// Cluster is the cluster whose key seals the blob.
	Cluster uint64
	// Version is that cluster key's version.
	Version uint32
	// App is the app that owns the blob: 1..MaxPathPartLen bytes.
	App string
	// Name is the blob's name within the app: 1..MaxPathPartLen bytes.
	Name string
}

func (id BlobID) aad() ([]byte, error) {
	switch {
	case id.App == "" || len(id.App) > MaxPathPartLen:
		return nil, fmt.Errorf("%w: app is %d bytes, want 1..%d", ErrBlob, len(id.App), MaxPathPartLen)
	case id.Name == "" || len(id.Name) > MaxPathPartLen:
		return nil, fmt.Errorf("%w: name is %d bytes, want 1..%d", ErrBlob, len(id.Name), MaxPathPartLen)
	}
	aad, err := protocol.AppendLengthPrefixed(nil,
		[]byte(protocol.ContextStateBlob),
		[]byte{blobFormatVersion},
		binary.BigEndian.AppendUint64(nil, id.Cluster),
		binary.BigEndian.AppendUint32(nil, id.Version),
		[]byte(id.App),
		[]byte(id.Name))
	if err != nil { // unreachable: lengths were checked above
		return nil, fmt.Errorf("%w: %w", ErrBlob, err)
	}
	return aad, nil
}

// blobAEAD returns AES-256-GCM under Derive(clusterKey, "state").
func blobAEAD(clusterKey *[KeySize]byte) (cipher.AEAD, error) {
	key, err := Derive(clusterKey[:], []byte(labelState))
	if err != nil { // unreachable: fixed sizes
		return nil, err
	}
	defer clear(key[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("crypto: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("crypto: gcm: %w", err)
	}
	return aead, nil
}

// BlobKey is the blob cipher of one cluster key version, derived once: for
// callers that seal or open many blobs under the same key (the
// re-encryption engine), where SealBlob and OpenBlob would redo the key
// derivation and the AES key schedule for every blob. Use one BlobKey per
// goroutine: crypto/cipher does not document its AEADs as safe for
// concurrent use. The expanded key lives in the AES implementation, which
// cannot be cleared; drop the BlobKey when the key version is retired (see
// Limits in the package documentation).
type BlobKey struct {
	aead cipher.AEAD
}

// NewBlobKey derives the blob cipher of clusterKey.
func NewBlobKey(clusterKey [KeySize]byte) (*BlobKey, error) {
	aead, err := blobAEAD(&clusterKey)
	clear(clusterKey[:])
	if err != nil {
		return nil, err
	}
	return &BlobKey{aead: aead}, nil
}

// SealBlob is SealBlobTo with a fresh buffer.
func SealBlob(rand io.Reader, clusterKey [KeySize]byte, id BlobID, plaintext []byte) ([]byte, error) {
	return SealBlobTo(nil, rand, clusterKey, id, plaintext)
}

// SealBlobTo encrypts plaintext (at most MaxBlobPlaintextLen bytes) as the
// state blob id under clusterKey, which must be version id.Version of
// cluster id.Cluster's key, and appends the blob to dst, which it returns
// (as append does: reusing dst's capacity when it suffices). dst must not
// overlap plaintext. The nonce is read from rand (crypto/rand.Reader in
// production; a fixed reader only in tests).
func SealBlobTo(dst []byte, rand io.Reader, clusterKey [KeySize]byte, id BlobID, plaintext []byte) ([]byte, error) {
	k, err := NewBlobKey(clusterKey)
	if err != nil {
		return nil, err
	}
	return k.SealTo(dst, rand, id, plaintext)
}

// SealTo is SealBlobTo under k.
func (k *BlobKey) SealTo(dst []byte, rand io.Reader, id BlobID, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxBlobPlaintextLen {
		return nil, fmt.Errorf("%w: state blob plaintext is %d bytes, limit %d", ErrTooLarge, len(plaintext), MaxBlobPlaintextLen)
	}
	aad, err := id.aad()
	if err != nil {
		return nil, err
	}
	out := slices.Grow(dst, BlobOverhead+len(plaintext))
	h := out[len(out) : len(out)+blobHeaderLen]
	h[0] = blobFormatVersion
	binary.BigEndian.PutUint64(h[1:9], id.Cluster)
	binary.BigEndian.PutUint32(h[9:13], id.Version)
	nonce := h[13:blobHeaderLen]
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("%w: nonce: %w", ErrRandom, err)
	}
	return k.aead.Seal(out[:len(out)+blobHeaderLen], nonce, plaintext, aad), nil
}

// BlobKeyVersion returns the cluster and key version a blob's header names,
// so that the caller can fetch that key version for OpenBlob. The header is
// not authenticated until OpenBlob succeeds; OpenBlob checks it against the
// BlobID again.
func BlobKeyVersion(blob []byte) (cluster uint64, version uint32, err error) {
	if err := checkBlobFrame(blob); err != nil {
		return 0, 0, err
	}
	return binary.BigEndian.Uint64(blob[1:9]), binary.BigEndian.Uint32(blob[9:13]), nil
}

func checkBlobFrame(blob []byte) error {
	switch {
	case len(blob) < BlobOverhead:
		return fmt.Errorf("%w: truncated: %d bytes, at least %d", ErrBlob, len(blob), BlobOverhead)
	case len(blob) > MaxBlobLen:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrBlob, len(blob), MaxBlobLen)
	case blob[0] != blobFormatVersion:
		return fmt.Errorf("%w: unsupported format version %d", ErrBlob, blob[0])
	}
	return nil
}

// OpenBlob is OpenBlobTo with a fresh buffer.
func OpenBlob(clusterKey [KeySize]byte, id BlobID, blob []byte) ([]byte, error) {
	return OpenBlobTo(nil, clusterKey, id, blob)
}

// OpenBlobTo decrypts blob as the state blob id under clusterKey (version
// id.Version of cluster id.Cluster's key) and appends the plaintext to dst,
// which it returns (as append does). dst's spare capacity must not overlap
// blob. Every failure matches ErrBlob and returns nil; a blob that parses
// but does not authenticate is reported as "authentication failed" and
// nothing more, and may have overwritten dst's spare capacity.
func OpenBlobTo(dst []byte, clusterKey [KeySize]byte, id BlobID, blob []byte) ([]byte, error) {
	// Check what is cheap before deriving the key.
	if err := checkBlobHeader(id, blob); err != nil {
		return nil, err
	}
	k, err := NewBlobKey(clusterKey)
	if err != nil {
		return nil, err
	}
	return k.OpenTo(dst, id, blob)
}

// OpenTo is OpenBlobTo under k.
func (k *BlobKey) OpenTo(dst []byte, id BlobID, blob []byte) ([]byte, error) {
	if err := checkBlobHeader(id, blob); err != nil {
		return nil, err
	}
	aad, err := id.aad()
	if err != nil {
		return nil, err
	}
	pt, err := k.aead.Open(dst, blob[13:blobHeaderLen], blob[blobHeaderLen:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrBlob)
	}
	return pt, nil
}

// checkBlobHeader checks blob's frame and that its header names id's
// cluster and key version.
func checkBlobHeader(id BlobID, blob []byte) error {
	cluster, version, err := BlobKeyVersion(blob)
	if err != nil {
		return err
	}
	if cluster != id.Cluster || version != id.Version {
		return fmt.Errorf("%w: header names cluster %d key version %d, opened as cluster %d key version %d",
			ErrBlob, cluster, version, id.Cluster, id.Version)
	}
	return nil
}
