package sim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
)

// keyLen is the size of both key files: an ed25519 seed and an AES-256 root.
const keyLen = 32

// loadOrCreateKey returns the key stored in dir/name, creating it from
// crypto/rand if the file does not exist. An existing file of any other size,
// or that is not a regular file, is an error: regenerating would orphan
// everything sealed or attested under the old key.
func loadOrCreateKey(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	key, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, keyLen)
	rand.Read(key) // never fails since Go 1.24
	switch err := publishFile(dir, name, key); {
	case errors.Is(err, fs.ErrExist):
		// A concurrent Open on the same Dir won the race; use its key.
		clear(key)
		return readKey(path)
	case err != nil:
		clear(key)
		return nil, err
	}
	return key, nil
}

// readKey reads a key file. Error messages name the file, never its contents.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tee/sim: key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("tee/sim: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("tee/sim: key file %s: not a regular file", path)
	}
	if fi.Size() != keyLen {
		return nil, fmt.Errorf("tee/sim: key file %s: %d bytes, want %d; refusing to replace it", path, fi.Size(), keyLen)
	}
	key := make([]byte, keyLen)
	if _, err := io.ReadFull(f, key); err != nil {
		return nil, fmt.Errorf("tee/sim: key file %s: %w", path, err)
	}
	return key, nil
}

// publishFile creates dir/name holding data so that the name, once visible,
// refers to the complete, durable contents (atomicfile.Create: a temporary
// file, fsynced, linked into place, the directory fsynced). It links rather
// than renames so that an existing dir/name — a key another Open created a
// moment ago — is never replaced; then it returns an error wrapping
// fs.ErrExist.
func publishFile(dir, name string, data []byte) error {
	opts := atomicfile.Options{TempPattern: "." + name + ".tmp-*"} // mode 0600
	if err := atomicfile.Create(filepath.Join(dir, name), data, opts); err != nil {
		return fmt.Errorf("tee/sim: create %s: %w", name, err)
	}
	return nil
}

// syncDir makes directory entry changes in dir durable.
func syncDir(dir string) error {
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("tee/sim: sync %s: %w", dir, err)
	}
	return nil
}
