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
	// MaxBlobLen bounds what OpenBlob accepts, before any work is done (the
	// larger overhead of the two formats).
	MaxBlobLen = MaxBlobPlaintextLen + 2*blobTagLen + 1 + 8 + 4 + 2*blobNonceLen + KeySize
)

// labelState is the path of the blob key under a cluster key;
// labelStateKEK the path of the key-encryption key of envelope blobs.
const (
	labelState    = "state"
	labelStateKEK = "state-kek"
)

// Envelope blob format, version 2: the "rewrap" policy
// (docs/state-policies.md, which states the forward secrecy it gives up).
// Each blob has its own random data key (DEK); the
// cluster key version only wraps it:
//
//	u8 format version (2) || u64be cluster || u32be key version ||
//	wrap nonce (12) || AES-256-GCM(KEK, DEK) (32 + 16 tag) ||
//	data nonce (12) || AES-256-GCM(DEK, plaintext) || tag (16)
//
// KEK = Derive(cluster key, "state-kek"). The wrap's AAD binds the format,
// cluster, key version, app and name (as version 1's AAD does); the data's
// AAD binds the format, cluster, app and name but not the key version, so
// that a rotation rewraps the DEK under the new version without touching
// the data (RewrapTo). That is the forward-secrecy trade: the DEK outlives
// every rotation. Each DEK seals one plaintext, so the data nonce never
// repeats under a key; the KEK's wrap nonces are random, under the same
// 2^32 budget as version 1's.
const (
	envelopeFormatVersion = 2
	envelopeWrapLen       = blobNonceLen + KeySize + blobTagLen
	envelopeHeaderLen     = 1 + 8 + 4 + envelopeWrapLen + blobNonceLen

	// EnvelopeOverhead is the size of an envelope blob minus its plaintext.
	EnvelopeOverhead = envelopeHeaderLen + blobTagLen
)

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

func (id BlobID) aad() ([]byte, error) { return id.bind(blobFormatVersion, true) }

// bind is the AAD of a blob of format bound to id, with or without the key
// version.
func (id BlobID) bind(format byte, withVersion bool) ([]byte, error) {
	switch {
	case id.App == "" || len(id.App) > MaxPathPartLen:
		return nil, fmt.Errorf("%w: app is %d bytes, want 1..%d", ErrBlob, len(id.App), MaxPathPartLen)
	case id.Name == "" || len(id.Name) > MaxPathPartLen:
		return nil, fmt.Errorf("%w: name is %d bytes, want 1..%d", ErrBlob, len(id.Name), MaxPathPartLen)
	}
	var cluster [8]byte
	binary.BigEndian.PutUint64(cluster[:], id.Cluster)
	var (
		aad []byte
		err error
	)
	if withVersion {
		var version [4]byte
		binary.BigEndian.PutUint32(version[:], id.Version)
		aad, err = protocol.AppendLengthPrefixed(nil, []byte(protocol.ContextStateBlob), []byte{format}, cluster[:], version[:], []byte(id.App), []byte(id.Name))
	} else {
		aad, err = protocol.AppendLengthPrefixed(nil, []byte(protocol.ContextStateBlob), []byte{format}, cluster[:], []byte(id.App), []byte(id.Name))
	}
	if err != nil { // unreachable: lengths were checked above
		return nil, fmt.Errorf("%w: %w", ErrBlob, err)
	}
	return aad, nil
}

// blobAEAD returns AES-256-GCM under Derive(clusterKey, label).
func blobAEAD(clusterKey *[KeySize]byte, label string) (cipher.AEAD, error) {
	key, err := Derive(clusterKey[:], []byte(label))
	if err != nil { // unreachable: fixed sizes
		return nil, err
	}
	defer clear(key[:])
	return gcm(key[:])
}

// gcm returns AES-256-GCM under key.
func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
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
	aead cipher.AEAD // version 1 blobs
	kek  cipher.AEAD // wraps the data keys of version 2 (envelope) blobs
}

// NewBlobKey derives the blob ciphers of clusterKey.
func NewBlobKey(clusterKey [KeySize]byte) (*BlobKey, error) {
	defer clear(clusterKey[:])
	aead, err := blobAEAD(&clusterKey, labelState)
	if err != nil {
		return nil, err
	}
	kek, err := blobAEAD(&clusterKey, labelStateKEK)
	if err != nil {
		return nil, err
	}
	return &BlobKey{aead: aead, kek: kek}, nil
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
	case blob[0] == blobFormatVersion:
		return nil
	case blob[0] != envelopeFormatVersion:
		return fmt.Errorf("%w: unsupported format version %d", ErrBlob, blob[0])
	case len(blob) < EnvelopeOverhead:
		return fmt.Errorf("%w: truncated: %d bytes, at least %d for an envelope blob", ErrBlob, len(blob), EnvelopeOverhead)
	}
	return nil
}

// BlobIsEnvelope reports whether blob is an envelope blob (format version
// 2, the rewrap policy), whose rotation is RewrapTo rather than a full
// re-encryption. It looks at the format byte only.
func BlobIsEnvelope(blob []byte) bool { return len(blob) > 0 && blob[0] == envelopeFormatVersion }

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

// OpenTo is OpenBlobTo under k. It opens both formats.
func (k *BlobKey) OpenTo(dst []byte, id BlobID, blob []byte) ([]byte, error) {
	if err := checkBlobHeader(id, blob); err != nil {
		return nil, err
	}
	if BlobIsEnvelope(blob) {
		return k.openEnvelope(dst, id, blob)
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

// SealEnvelopeBlob is SealEnvelopeTo with a fresh buffer and key.
func SealEnvelopeBlob(rand io.Reader, clusterKey [KeySize]byte, id BlobID, plaintext []byte) ([]byte, error) {
	k, err := NewBlobKey(clusterKey)
	if err != nil {
		return nil, err
	}
	return k.SealEnvelopeTo(nil, rand, id, plaintext)
}

// SealEnvelopeTo encrypts plaintext as the envelope blob id (format version
// 2): a fresh data key from rand encrypts the plaintext and is wrapped under
// k's key-encryption key. It appends the blob to dst, as SealTo does.
func (k *BlobKey) SealEnvelopeTo(dst []byte, rand io.Reader, id BlobID, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxBlobPlaintextLen {
		return nil, fmt.Errorf("%w: state blob plaintext is %d bytes, limit %d", ErrTooLarge, len(plaintext), MaxBlobPlaintextLen)
	}
	wrapAAD, err := id.bind(envelopeFormatVersion, true)
	if err != nil {
		return nil, err
	}
	dataAAD, err := id.bind(envelopeFormatVersion, false)
	if err != nil {
		return nil, err
	}
	var dek [KeySize]byte
	defer clear(dek[:])
	if _, err := io.ReadFull(rand, dek[:]); err != nil {
		return nil, fmt.Errorf("%w: data key: %w", ErrRandom, err)
	}
	data, err := gcm(dek[:])
	if err != nil {
		return nil, err
	}
	out := slices.Grow(dst, EnvelopeOverhead+len(plaintext))
	base := len(out)
	out = out[:base+envelopeHeaderLen]
	h := out[base:]
	h[0] = envelopeFormatVersion
	binary.BigEndian.PutUint64(h[1:9], id.Cluster)
	binary.BigEndian.PutUint32(h[9:13], id.Version)
	wrapNonce, dataNonce := h[13:13+blobNonceLen], h[13+envelopeWrapLen:envelopeHeaderLen]
	if _, err := io.ReadFull(rand, wrapNonce); err != nil {
		return nil, fmt.Errorf("%w: nonce: %w", ErrRandom, err)
	}
	if _, err := io.ReadFull(rand, dataNonce); err != nil {
		return nil, fmt.Errorf("%w: nonce: %w", ErrRandom, err)
	}
	k.kek.Seal(h[13+blobNonceLen:13+blobNonceLen], wrapNonce, dek[:], wrapAAD)
	return data.Seal(out, dataNonce, plaintext, dataAAD), nil
}

// unwrap returns the data key of envelope blob (header already checked
// against id) under k.
func (k *BlobKey) unwrap(id BlobID, blob []byte) ([KeySize]byte, error) {
	var dek [KeySize]byte
	wrapAAD, err := id.bind(envelopeFormatVersion, true)
	if err != nil {
		return dek, err
	}
	wrap := blob[13 : 13+envelopeWrapLen]
	if _, err := k.kek.Open(dek[:0], wrap[:blobNonceLen], wrap[blobNonceLen:], wrapAAD); err != nil {
		clear(dek[:])
		return dek, fmt.Errorf("%w: authentication failed", ErrBlob)
	}
	return dek, nil
}

func (k *BlobKey) openEnvelope(dst []byte, id BlobID, blob []byte) ([]byte, error) {
	dek, err := k.unwrap(id, blob)
	defer clear(dek[:])
	if err != nil {
		return nil, err
	}
	dataAAD, err := id.bind(envelopeFormatVersion, false)
	if err != nil {
		return nil, err
	}
	data, err := gcm(dek[:])
	if err != nil {
		return nil, err
	}
	pt, err := data.Open(dst, blob[13+envelopeWrapLen:envelopeHeaderLen], blob[envelopeHeaderLen:], dataAAD)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrBlob)
	}
	return pt, nil
}

// RewrapTo moves envelope blob from (id, under from) to id.Version to
// (under to): it unwraps the data key under from, wraps it under to with a
// fresh nonce from rand, and appends the new blob to dst. The data part is
// copied unchanged and not decrypted, so a rewrap costs the same whatever
// the blob's size. It fails (matching ErrBlob) on a version 1 blob, a header
// that disagrees with id, or a wrap that does not authenticate.
func RewrapTo(dst []byte, rand io.Reader, from, to *BlobKey, id BlobID, toVersion uint32, blob []byte) ([]byte, error) {
	if !BlobIsEnvelope(blob) {
		return nil, fmt.Errorf("%w: format version %d has no data key to rewrap", ErrBlob, blob[0])
	}
	if err := checkBlobHeader(id, blob); err != nil {
		return nil, err
	}
	dek, err := from.unwrap(id, blob)
	defer clear(dek[:])
	if err != nil {
		return nil, err
	}
	next := id
	next.Version = toVersion
	wrapAAD, err := next.bind(envelopeFormatVersion, true)
	if err != nil {
		return nil, err
	}
	out := slices.Grow(dst, len(blob))
	base := len(out)
	out = append(out, blob...)
	h := out[base:]
	binary.BigEndian.PutUint32(h[9:13], toVersion)
	wrapNonce := h[13 : 13+blobNonceLen]
	if _, err := io.ReadFull(rand, wrapNonce); err != nil {
		return nil, fmt.Errorf("%w: nonce: %w", ErrRandom, err)
	}
	to.kek.Seal(h[13+blobNonceLen:13+blobNonceLen], wrapNonce, dek[:], wrapAAD)
	return out, nil
}
