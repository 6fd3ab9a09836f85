package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

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

// SealBlob encrypts plaintext (at most MaxBlobPlaintextLen bytes) as the
// state blob id under clusterKey, which must be version id.Version of
// cluster id.Cluster's key. The nonce is read from rand (crypto/rand.Reader
// in production; a fixed reader only in tests).
func SealBlob(rand io.Reader, clusterKey [KeySize]byte, id BlobID, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxBlobPlaintextLen {
		return nil, fmt.Errorf("%w: state blob plaintext is %d bytes, limit %d", ErrTooLarge, len(plaintext), MaxBlobPlaintextLen)
	}
	aad, err := id.aad()
	if err != nil {
		return nil, err
	}
	aead, err := blobAEAD(&clusterKey)
	if err != nil {
		return nil, err
	}
	out := make([]byte, blobHeaderLen, BlobOverhead+len(plaintext))
	out[0] = blobFormatVersion
	binary.BigEndian.PutUint64(out[1:9], id.Cluster)
	binary.BigEndian.PutUint32(out[9:13], id.Version)
	nonce := out[13:blobHeaderLen]
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("%w: nonce: %w", ErrRandom, err)
	}
	return aead.Seal(out, nonce, plaintext, aad), nil
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

// OpenBlob decrypts blob as the state blob id under clusterKey (version
// id.Version of cluster id.Cluster's key). Every failure matches ErrBlob; a
// blob that parses but does not authenticate is reported as "authentication
// failed" and nothing more.
func OpenBlob(clusterKey [KeySize]byte, id BlobID, blob []byte) ([]byte, error) {
	cluster, version, err := BlobKeyVersion(blob)
	if err != nil {
		return nil, err
	}
	if cluster != id.Cluster || version != id.Version {
		return nil, fmt.Errorf("%w: header names cluster %d key version %d, opened as cluster %d key version %d",
			ErrBlob, cluster, version, id.Cluster, id.Version)
	}
	aad, err := id.aad()
	if err != nil {
		return nil, err
	}
	aead, err := blobAEAD(&clusterKey)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, blob[13:blobHeaderLen], blob[blobHeaderLen:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrBlob)
	}
	return pt, nil
}
