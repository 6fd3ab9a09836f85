package reencrypt

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// ObjectPrefix is the part of the state store's namespace the engine works
// on: the app API names every state object cluster-<N>/<app>/<name...>.
const ObjectPrefix = "cluster-"

// Errors callers branch on with errors.Is.
var (
	// ErrInvalidJob: a Job or Config that Validate rejects.
	ErrInvalidJob = errors.New("reencrypt: invalid job")
	// ErrObjectName: a store name under ObjectPrefix that is not
	// cluster-<N>/<app>/<name...>.
	ErrObjectName = errors.New("reencrypt: not an app state object name")
	// ErrChanged: returned by a ConditionalStore when the object no longer
	// holds the bytes the engine read.
	ErrChanged = errors.New("reencrypt: object changed since it was read")
)

// Keys is what the engine needs from the gatekeeper: cluster keys by
// (cluster, key version). ok is false when the version is not held (not
// received yet, or already erased).
type Keys interface {
	ClusterKey(cluster uint64, version uint32) (key [crypto.KeySize]byte, ok bool)
}

// MasterKeys is the Keys of a gatekeeper's master key history: the cluster
// key of version v is history[i].ClusterKey(cluster) for the entry with
// Version v (DESIGN §4: cluster key versions are master key versions).
type MasterKeys []*crypto.MasterKey

// ClusterKey implements Keys.
func (h MasterKeys) ClusterKey(cluster uint64, version uint32) ([crypto.KeySize]byte, bool) {
	for _, k := range h {
		if k != nil && k.Version == version {
			return k.ClusterKey(cluster), true
		}
	}
	return [crypto.KeySize]byte{}, false
}

// Job is one gatekeeper's share of a rotation's re-encryption: every state
// blob in Range still under key version From is rewritten under To.
type Job struct {
	From, To uint32
	Range    Range
}

// Validate checks the job.
func (j Job) Validate() error {
	if j.From == j.To {
		return fmt.Errorf("%w: From and To are both key version %d", ErrInvalidJob, j.From)
	}
	return j.Range.Validate()
}

func (j Job) String() string {
	return fmt.Sprintf("v%d→v%d range %d/%d", j.From, j.To, j.Range.Index, j.Range.Count)
}

// Range is a deterministic share of the key space: the objects whose name
// hashes to Index modulo Count. Count gatekeepers taking Index 0..Count-1
// cover every object exactly once, whatever each of them lists, because the
// split depends on the name alone.
type Range struct {
	Index, Count uint32
}

// All is the whole key space: one gatekeeper re-encrypts everything.
var All = Range{Index: 0, Count: 1}

// Validate checks Count ≥ 1 and Index < Count.
func (r Range) Validate() error {
	if r.Count == 0 || r.Index >= r.Count {
		return fmt.Errorf("%w: range %d/%d: want Count >= 1 and Index < Count", ErrInvalidJob, r.Index, r.Count)
	}
	return nil
}

// Contains reports whether name is in the range: the first 8 bytes of
// SHA-256(name), big-endian, modulo Count equal Index. A hash rather than
// name order, so that shares stay even however the apps name their state.
func (r Range) Contains(name string) bool {
	if r.Count <= 1 {
		return r.Count == 1
	}
	h := sha256.Sum256([]byte(name))
	return binary.BigEndian.Uint64(h[:8])%uint64(r.Count) == uint64(r.Index)
}

// ParseObjectName splits an app API object name cluster-<N>/<app>/<name...>
// into the BlobID it is sealed as (Version left zero). N is canonical
// decimal (what strconv.FormatUint writes); app is one segment and name the
// rest. Errors match ErrObjectName.
func ParseObjectName(object string) (crypto.BlobID, error) {
	rest, ok := strings.CutPrefix(object, ObjectPrefix)
	if !ok {
		return crypto.BlobID{}, fmt.Errorf("%w: %q does not start with %q", ErrObjectName, object, ObjectPrefix)
	}
	num, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return crypto.BlobID{}, fmt.Errorf("%w: %q has no app segment", ErrObjectName, object)
	}
	cluster, err := strconv.ParseUint(num, 10, 64)
	if err != nil || strconv.FormatUint(cluster, 10) != num {
		return crypto.BlobID{}, fmt.Errorf("%w: %q: cluster %q is not a canonical decimal u64", ErrObjectName, object, num)
	}
	app, name, ok := strings.Cut(rest, "/")
	if !ok || app == "" || name == "" {
		return crypto.BlobID{}, fmt.Errorf("%w: %q: want cluster-<N>/<app>/<name>", ErrObjectName, object)
	}
	if err := statestore.ValidateName(object); err != nil {
		return crypto.BlobID{}, fmt.Errorf("%w: %w", ErrObjectName, err)
	}
	return crypto.BlobID{Cluster: cluster, App: app, Name: name}, nil
}

// ObjectName is the inverse of ParseObjectName, the layout the app API writes.
func ObjectName(cluster uint64, app, name string) string {
	return ObjectPrefix + strconv.FormatUint(cluster, 10) + "/" + app + "/" + name
}

// Config tunes Run. Start from DefaultConfig.
type Config struct {
	// Workers is the number of objects processed at once; default
	// runtime.NumCPU().
	Workers int
	// MaxInFlightBytes bounds the memory of objects being processed. Each
	// object costs about three times its stored size (the blob read, its
	// plaintext, the new blob). The store cannot tell a size before Get, so a
	// worker reserves the worst case (3 × the largest blob) before reading
	// and gives back the difference once it knows; an object larger than
	// the whole budget runs alone. A re-encrypted object waiting for its
	// batch (see MaxBatchObjects) holds its new blob's size. Workers' reused
	// buffers (at most 8 MiB each) are outside the budget. Default 1 GiB.
	MaxInFlightBytes int64
	// CheckpointInterval is how often the journal is written while objects
	// complete; default 250 ms.
	CheckpointInterval time.Duration
	// CheckpointEvery writes the journal as soon as this many more objects
	// are committed, even before CheckpointInterval; default 4096.
	CheckpointEvery int
	// ProgressInterval is how often OnProgress is called; default 500 ms.
	// It is always called once more when Run returns.
	ProgressInterval time.Duration
	// OnProgress, if set, receives snapshots from one goroutine at a time.
	// It must not block for long: completions are not held up, but
	// snapshots queue behind it.
	OnProgress func(Progress)
	// Log receives warnings (an unreadable journal) and one line per
	// failed object, never key material or plaintext. Nil discards.
	Log *slog.Logger
	// Rand supplies blob nonces; nil means crypto/rand.Reader.
	Rand io.Reader
	// MaxChangedRetries bounds how often an object that a concurrent writer
	// changed (ConditionalStore) is read again before it is reported as a
	// failure; default 8.
	MaxChangedRetries int
	// MaxBatchObjects bounds how many re-encrypted objects share one
	// durability barrier when the store is a statestore.BatchStore (and
	// not a ConditionalStore): they are written with one PutBatch, then
	// counted. 1 turns batching off: one Put per object, by its worker.
	// Default 512.
	MaxBatchObjects int
	// MaxBatchBytes bounds a batch's new blobs, in bytes; a batch closes
	// once it reaches this. Default 64 MiB.
	MaxBatchBytes int64
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Workers:            runtime.NumCPU(),
		MaxInFlightBytes:   1 << 30,
		CheckpointInterval: 250 * time.Millisecond,
		CheckpointEvery:    4096,
		ProgressInterval:   500 * time.Millisecond,
		MaxChangedRetries:  8,
		MaxBatchObjects:    512,
		MaxBatchBytes:      64 << 20,
	}
}

// Validate checks every field and names the first bad one.
func (c *Config) Validate() error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("%w: config: Workers: %d, want at least 1", ErrInvalidJob, c.Workers)
	case c.MaxInFlightBytes < 1:
		return fmt.Errorf("%w: config: MaxInFlightBytes: %d, want at least 1", ErrInvalidJob, c.MaxInFlightBytes)
	case c.CheckpointInterval <= 0:
		return fmt.Errorf("%w: config: CheckpointInterval: %v, want > 0", ErrInvalidJob, c.CheckpointInterval)
	case c.CheckpointEvery < 1:
		return fmt.Errorf("%w: config: CheckpointEvery: %d, want at least 1", ErrInvalidJob, c.CheckpointEvery)
	case c.ProgressInterval <= 0:
		return fmt.Errorf("%w: config: ProgressInterval: %v, want > 0", ErrInvalidJob, c.ProgressInterval)
	case c.MaxChangedRetries < 0:
		return fmt.Errorf("%w: config: MaxChangedRetries: %d, want >= 0", ErrInvalidJob, c.MaxChangedRetries)
	case c.MaxBatchObjects < 1:
		return fmt.Errorf("%w: config: MaxBatchObjects: %d, want at least 1", ErrInvalidJob, c.MaxBatchObjects)
	case c.MaxBatchBytes < 1:
		return fmt.Errorf("%w: config: MaxBatchBytes: %d, want at least 1", ErrInvalidJob, c.MaxBatchBytes)
	}
	return nil
}
