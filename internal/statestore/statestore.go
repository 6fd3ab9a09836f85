// Package statestore is the state store of DESIGN §6: where workers save the
// encrypted state blobs of the apps beside them (local directory by default;
// S3-compatible object storage in package s3). It is a flat namespace of named
// objects, as in object storage, with '/' in names only as a convention that
// List prefixes can use.
//
// The store is untrusted. It sees only ciphertext, and internal/crypto.SealBlob
// binds each blob to its name: the host can lose an object or roll it back to
// an older version, but cannot read, forge or move one undetected. Its job is
// durability, not secrecy or integrity. Backends implement Store, and
// BatchStore where they can make a batch of writes durable more cheaply
// than one write at a time, and run the shared conformance suite in package
// statestoretest.
package statestore

import (
	"context"
	"errors"
	"fmt"
)

// Store holds named objects. Implementations are safe for concurrent use; a
// Put is atomic (a concurrent or later Get sees the old object or the new one,
// never a mix) and durable once it returns. Concurrent Puts of one name leave
// one of them.
type Store interface {
	// Put creates or replaces the object name with data (at most
	// MaxObjectSize bytes). The store keeps no reference to data.
	Put(ctx context.Context, name string, data []byte) error
	// Get returns the object name, or an error matching ErrNotFound.
	Get(ctx context.Context, name string) ([]byte, error)
	// Delete removes the object name, or returns an error matching
	// ErrNotFound if there is none.
	Delete(ctx context.Context, name string) error
	// List returns the names of all objects that start with prefix (a plain
	// string prefix, not necessarily a whole segment), sorted. An empty
	// prefix lists everything; no match is an empty list, not an error.
	List(ctx context.Context, prefix string) ([]string, error)
}

// Object is a named object of a batch.
type Object struct {
	Name string
	Data []byte
}

// BatchStore is a Store that writes several objects behind one durability
// barrier: a directory store fsyncs each file and then each directory once
// per batch instead of once per object. It is optional; PutBatch works on
// every Store.
type BatchStore interface {
	Store
	// PutBatch puts objs as Put would, one after the other (a later object
	// of the same name wins), except that they become durable together,
	// when PutBatch returns nil. Each object is atomic on its own, the
	// batch is not: a crash or an error part way can leave any subset of
	// the batch applied, and none of it durable. A batch with an invalid
	// name or an oversized object is refused whole, before anything is
	// written. The store keeps no reference to the objects' data.
	PutBatch(ctx context.Context, objs []Object) error
}

// PutBatch puts objs into s: with s.PutBatch if s is a BatchStore,
// otherwise with one Put after the other, each durable on its own. Either
// way a batch with an invalid name or an oversized object is refused whole.
func PutBatch(ctx context.Context, s Store, objs []Object) error {
	if b, ok := s.(BatchStore); ok {
		return b.PutBatch(ctx, objs)
	}
	if err := checkBatch(ctx, objs); err != nil {
		return err
	}
	for _, o := range objs {
		if err := s.Put(ctx, o.Name, o.Data); err != nil {
			return err
		}
	}
	return nil
}

// checkBatch checks ctx and every object's name and size.
func checkBatch(ctx context.Context, objs []Object) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("statestore: %w", err)
	}
	for _, o := range objs {
		if err := ValidateName(o.Name); err != nil {
			return err
		}
		if len(o.Data) > MaxObjectSize {
			return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooLarge, o.Name, len(o.Data), MaxObjectSize)
		}
	}
	return nil
}

const (
	// MaxNameLen is the longest object name, in bytes.
	MaxNameLen = 512
	// MaxSegmentLen is the longest segment of a name, in bytes. Filesystems
	// cap a file name at 255 bytes, and Dir adds a suffix and atomicfile a
	// temp suffix to the last segment; 200 leaves room for both.
	MaxSegmentLen = 200
	// MaxObjectSize is the largest object a Store accepts: 64 MiB.
	MaxObjectSize = 64 << 20
)

// Errors of every Store, wrapped with detail. Callers branch with errors.Is.
var (
	// ErrNotFound: no object of that name.
	ErrNotFound = errors.New("statestore: object not found")
	// ErrInvalidName: a name ValidateName rejects.
	ErrInvalidName = errors.New("statestore: invalid object name")
	// ErrTooLarge: an object over MaxObjectSize.
	ErrTooLarge = errors.New("statestore: object too large")
)

// ValidateName reports whether name is a valid object name: 1..MaxNameLen
// bytes, segments separated by '/', each segment 1..MaxSegmentLen bytes of
// [A-Za-z0-9._-] and neither "." nor "..", so no leading or trailing '/' and
// no empty segment. The error matches ErrInvalidName.
//
// The rules are strict so that a name maps to a file path (and an S3 key)
// on every backend without escaping: no traversal, no separators of other
// systems ('\\', ':'), nothing a shell or URL must quote.
func ValidateName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %d bytes, want 1..%d", ErrInvalidName, len(name), MaxNameLen)
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '/' {
			if !nameByte(name[i]) {
				return fmt.Errorf("%w: byte %#02x at offset %d (allowed: A-Z a-z 0-9 . _ - and / between segments)", ErrInvalidName, name[i], i)
			}
			continue
		}
		switch seg := name[start:i]; {
		case seg == "":
			return fmt.Errorf("%w: empty segment at offset %d", ErrInvalidName, start)
		case seg == "." || seg == "..":
			return fmt.Errorf("%w: %q segment at offset %d", ErrInvalidName, seg, start)
		case len(seg) > MaxSegmentLen:
			return fmt.Errorf("%w: segment at offset %d is %d bytes, limit %d", ErrInvalidName, start, len(seg), MaxSegmentLen)
		}
		start = i + 1
	}
	return nil
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}
