package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// Errors callers branch on, matched with errors.Is. A checkpoint that fails
// to open is reported in a Skipped whose Err wraps tee.ErrUnseal (not sealed
// by this platform and measurement, or altered on disk), ErrMalformed,
// ErrHeightMismatch, ErrTooLarge or the file system's error.
var (
	// ErrNoCheckpoint: Latest found no checkpoint that opens.
	ErrNoCheckpoint = errors.New("checkpoint: no usable checkpoint")
	// ErrNotNewer: Save was given a height at or below the newest on disk.
	ErrNotNewer = errors.New("checkpoint: height not above the newest checkpoint")
	// ErrTooLarge: a payload exceeds MaxPayload, or a file could not hold
	// one that does not.
	ErrTooLarge = errors.New("checkpoint: too large")
	// ErrMalformed: a checkpoint opened under our sealing key but its
	// contents are not a valid encoding. The AEAD rules out disk corruption
	// and foreign writers, so this points at a format bug.
	ErrMalformed = errors.New("checkpoint: malformed contents")
	// ErrHeightMismatch: the height sealed inside a checkpoint is not the
	// one its file name claims — a file renamed by the host.
	ErrHeightMismatch = errors.New("checkpoint: sealed height differs from file name")
	// ErrPrune: Save committed the checkpoint but could not remove old ones.
	// The next Save tries again.
	ErrPrune = errors.New("checkpoint: checkpoint saved, pruning old ones failed")
)

// maxSealedLen bounds a checkpoint file read back from disk: the largest
// plaintext plus a generous allowance for any backend's sealing overhead
// (29 bytes for sim; hundreds for an SGX sealed-data header).
const maxSealedLen = MaxPayload + framingLen + 64<<10

// Checkpoint is a checkpoint read back by Latest.
type Checkpoint struct {
	// Height is the height the checkpoint was saved for.
	Height uint64
	// Payload is the saved state, exactly as given to Save. It is secret.
	Payload []byte
	// File is the checkpoint's path.
	File string
}

// Skipped reports a checkpoint file Latest could not use. Latest has moved
// it to File+".corrupt", unless Err says that failed.
type Skipped struct {
	// File is the path the checkpoint had.
	File string
	// Err says why it was skipped. It never holds sealed or opened bytes.
	Err error
}

// Store keeps a pRuntime's checkpoints in one directory. It is safe for
// concurrent use; one Store per directory at a time, across all processes
// (see the package documentation).
type Store struct {
	dir  string
	keep int
	tee  tee.TEE

	mu sync.Mutex // serializes operations on dir
}

// Open validates cfg, creates Dir (mode 0700) if missing, removes temporary
// files a crashed Save left there, and returns the Store. Checkpoints are
// sealed and opened with t.
func Open(cfg Config, t tee.TEE) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errors.New("checkpoint: open: nil TEE")
	}
	if err := makeDir(cfg.Dir); err != nil {
		return nil, fmt.Errorf("checkpoint: open: %w", err)
	}
	if err := removeTemps(cfg.Dir); err != nil {
		return nil, fmt.Errorf("checkpoint: open: remove leftovers of a crash: %w", err)
	}
	return &Store{dir: cfg.Dir, keep: cfg.Keep, tee: t}, nil
}

// Save seals payload as the checkpoint for height and writes it atomically
// and durably: a temporary file in Dir is written, fsynced and renamed to the
// checkpoint's name, then Dir is fsynced. It then removes all but the newest
// Keep checkpoints.
//
// height must be above that of every checkpoint on disk (ErrNotNewer
// otherwise); after a restart, call Latest first so that corrupt newer ones
// are moved aside. payload may be at most MaxPayload bytes (ErrTooLarge).
//
// A nil error means the checkpoint is committed: Latest will return it, or a
// newer one, after any crash. An error wrapping ErrPrune means the same, and
// that old checkpoints linger until the next Save. After any other error the
// checkpoint may or may not be on disk; Latest decides.
func (s *Store) Save(height uint64, payload []byte) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("%w: save: payload of %d bytes exceeds %d", ErrTooLarge, len(payload), MaxPayload)
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	heights, err := s.list()
	if err != nil {
		return fmt.Errorf("checkpoint: save: %w", err)
	}
	if n := len(heights); n > 0 && height <= heights[n-1] {
		return fmt.Errorf("%w: save: height %d, newest on disk is %d", ErrNotNewer, height, heights[n-1])
	}

	plaintext := encode(height, payload)
	sealed, err := s.tee.Seal(protocol.ContextCheckpoint, plaintext)
	clear(plaintext)
	if err != nil {
		return fmt.Errorf("checkpoint: save height %d: %w", height, err)
	}
	if err := publish(s.dir, fileName(height), sealed); err != nil {
		return fmt.Errorf("checkpoint: save height %d: %w", height, err)
	}
	if err := s.prune(append(heights, height)); err != nil {
		return fmt.Errorf("%w: height %d: %w", ErrPrune, height, err)
	}
	return nil
}

// prune removes all but the newest Keep of heights (ascending), oldest
// first, so that a crash part-way leaves a superset of what should remain.
func (s *Store) prune(heights []uint64) error {
	if len(heights) <= s.keep {
		return nil
	}
	var errs []error
	for _, h := range heights[:len(heights)-s.keep] {
		err := os.Remove(filepath.Join(s.dir, fileName(h)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		hook("prune")
	}
	if err := syncDir(s.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RemoveBefore removes every checkpoint below height, whatever Keep says:
// once a key those checkpoints hold is erased, they must go, even though a
// corrupt newest checkpoint then has nothing to fall back to. Checkpoints
// moved aside as corrupt are removed too.
func (s *Store) RemoveBefore(height uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("checkpoint: remove before %d: %w", height, err)
	}
	var errs []error
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), corruptSuffix)
		h, ok := parseFileName(name)
		if !ok || h >= height {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := syncDir(s.dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("checkpoint: remove before %d: %w", height, err)
	}
	return nil
}

// Latest returns the newest checkpoint that opens under this Store's TEE,
// carries the format this package writes with an intact digest, and holds
// the height its file name claims.
//
// Every newer file that fails one of those checks, or cannot be read, is
// reported in skipped and renamed with a ".corrupt" suffix: it stays on
// disk for the operator and out of the way of later Saves and Latests.
// Checkpoints sealed by another measurement — another pRuntime version —
// are skipped likewise.
//
// With no usable checkpoint the error wraps ErrNoCheckpoint; an empty
// skipped then means a fresh start rather than lost state.
func (s *Store) Latest() (cp Checkpoint, skipped []Skipped, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	heights, err := s.list()
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint: latest: %w", err)
	}
	for _, h := range slices.Backward(heights) {
		path := filepath.Join(s.dir, fileName(h))
		payload, err := s.load(path, h)
		if err == nil {
			return Checkpoint{Height: h, Payload: payload, File: path}, skipped, nil
		}
		// Should the move be lost in a crash, the next Latest finds the
		// same file and moves it again.
		if qerr := atomicfile.MoveAside(path, path+corruptSuffix, atomicfile.Options{}); qerr != nil && !errors.Is(qerr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("checkpoint: could not move aside: %w", qerr))
		}
		skipped = append(skipped, Skipped{File: path, Err: err})
	}
	return Checkpoint{}, skipped, fmt.Errorf("%w in %s (%d skipped)", ErrNoCheckpoint, s.dir, len(skipped))
}

// load reads, opens and checks the checkpoint at path, which claims height.
func (s *Store) load(path string, height uint64) ([]byte, error) {
	sealed, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	plaintext, err := s.tee.Unseal(protocol.ContextCheckpoint, sealed)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	sealedHeight, payload, err := decode(plaintext)
	switch {
	case err != nil:
	case sealedHeight != height:
		err = fmt.Errorf("%w: sealed height %d, file name says %d", ErrHeightMismatch, sealedHeight, height)
	default:
		return payload, nil
	}
	clear(plaintext)
	return nil, err
}

// readBounded reads a checkpoint file of at most maxSealedLen bytes.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("checkpoint: not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > int64(maxSealedLen) {
		return nil, fmt.Errorf("%w: file of %d bytes exceeds %d", ErrTooLarge, fi.Size(), maxSealedLen)
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("checkpoint: read %d bytes: %w", len(b), err)
	}
	return b, nil
}

// List returns the heights of the checkpoint files in Dir, ascending,
// without opening them.
func (s *Store) List() ([]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	heights, err := s.list()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: list: %w", err)
	}
	return heights, nil
}

func (s *Store) list() ([]uint64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var heights []uint64
	for _, e := range entries {
		if h, ok := parseFileName(e.Name()); ok {
			heights = append(heights, h)
		}
	}
	slices.Sort(heights)
	return heights, nil
}
