package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// MasterKeysFile is the sealed master key history's file name in the data
// dir. Only gatekeepers have one. It is written before a version's public
// Key is ever announced and before the state that says the history is held
// is checkpointed, so a crash never leaves a gatekeeper claiming a key it
// did not keep.
const MasterKeysFile = "master_keys.sealed"

const (
	masterFileVersion = 1
	// maxMasterVersions bounds the history a sealed file may hold.
	maxMasterVersions = 1 << 20
)

// MasterHistory is the master key versions a gatekeeper holds, by version;
// a nil entry is a version not (yet) received. It is a value with copy on
// write: a sync call stages changes on a clone and the runtime keeps it
// only once the new history is sealed to disk and the state committed.
type MasterHistory struct {
	keys  []*crypto.MasterKey
	Dirty bool
}

func (h MasterHistory) Clone() MasterHistory {
	return MasterHistory{keys: slices.Clone(h.keys)}
}

// Get returns version v, or nil.
func (h *MasterHistory) Get(v uint32) *crypto.MasterKey {
	if uint64(v) >= uint64(len(h.keys)) {
		return nil
	}
	return h.keys[v]
}

func (h *MasterHistory) Set(k *crypto.MasterKey) {
	for uint64(len(h.keys)) <= uint64(k.Version) {
		h.keys = append(h.keys, nil)
	}
	h.keys[k.Version] = k
	h.Dirty = true
}

// HoldsAll reports whether every version in [first, n) is held (and n >
// first): the versions on chain that were not erased.
func (h *MasterHistory) HoldsAll(first uint32, n int) bool {
	if n <= int(first) || len(h.keys) < n {
		return false
	}
	for _, k := range h.keys[first:n] {
		if k == nil {
			return false
		}
	}
	return true
}

// Lowest is the oldest version held (0 when none is).
func (h *MasterHistory) Lowest() uint32 {
	for v, k := range h.keys {
		if k != nil {
			return uint32(v)
		}
	}
	return 0
}

// Drop forgets version v (a proposed version that was not kept).
func (h *MasterHistory) Drop(v uint32) {
	if h.Get(v) != nil {
		h.keys[v] = nil
		h.Dirty = true
	}
}

// EraseBelow forgets every version below n (versions the chain ordered
// erased) and reports whether it held any of them.
func (h *MasterHistory) EraseBelow(n uint32) bool {
	erased := false
	for v := range min(uint64(n), uint64(len(h.keys))) {
		if h.keys[v] != nil {
			h.keys[v] = nil
			erased = true
		}
	}
	h.Dirty = h.Dirty || erased
	return erased
}

// Count is the number of versions held.
func (h *MasterHistory) Count() int {
	n := 0
	for _, k := range h.keys {
		if k != nil {
			n++
		}
	}
	return n
}

// Erase forgets every version.
func (h *MasterHistory) Erase() {
	if len(h.keys) > 0 {
		h.keys = nil
		h.Dirty = true
	}
}

// Encode is the sealed plaintext:
//
//	u8 format (1) || u32 n || n × (u32 version || 32-byte secret)
//
// The caller clears it after sealing.
func (h *MasterHistory) Encode() []byte {
	n := h.Count()
	b := make([]byte, 0, 5+n*(4+crypto.MasterSecretSize))
	b = append(b, masterFileVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for _, k := range h.keys {
		if k == nil {
			continue
		}
		b = binary.BigEndian.AppendUint32(b, k.Version)
		s := k.Secret()
		b = append(b, s...)
		clear(s)
	}
	return b
}

func DecodeMasterHistory(b []byte) (MasterHistory, error) {
	const entry = 4 + crypto.MasterSecretSize
	if len(b) < 5 || b[0] != masterFileVersion {
		return MasterHistory{}, errors.New("state: master key history: unknown format")
	}
	n := binary.BigEndian.Uint32(b[1:5])
	if n > maxMasterVersions || uint64(len(b)-5) != uint64(n)*entry {
		return MasterHistory{}, fmt.Errorf("state: master key history: %d bytes for %d versions", len(b)-5, n)
	}
	var h MasterHistory
	for i := range int(n) {
		e := b[5+i*entry : 5+(i+1)*entry]
		v := binary.BigEndian.Uint32(e[:4])
		if h.Get(v) != nil || (i > 0 && v <= binary.BigEndian.Uint32(b[5+(i-1)*entry:])) {
			return MasterHistory{}, fmt.Errorf("state: master key history: version %d out of order", v)
		}
		k, err := crypto.MasterKeyFromSecret(v, e[4:])
		if err != nil {
			return MasterHistory{}, fmt.Errorf("state: master key history: version %d: %w", v, err)
		}
		h.Set(k)
	}
	h.Dirty = false
	return h, nil
}

// LoadMasterHistory unseals the history in dir; none is an empty history.
func LoadMasterHistory(dir string, t tee.TEE) (MasterHistory, error) {
	sealed, err := os.ReadFile(filepath.Join(dir, MasterKeysFile))
	if errors.Is(err, fs.ErrNotExist) {
		return MasterHistory{}, nil
	}
	if err != nil {
		return MasterHistory{}, fmt.Errorf("%w: master key history: %w", ErrStorage, err)
	}
	raw, err := t.Unseal(protocol.ContextMasterKeyHistory, sealed)
	if err != nil {
		return MasterHistory{}, fmt.Errorf("state: master key history: %w", err)
	}
	defer clear(raw)
	return DecodeMasterHistory(raw)
}

// SaveMasterHistory seals h to dir atomically, or removes the file when h
// is empty (a removed gatekeeper erases its keys).
func SaveMasterHistory(dir string, t tee.TEE, h *MasterHistory) error {
	path := filepath.Join(dir, MasterKeysFile)
	if h.Count() == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: erasing master key history: %w", ErrStorage, err)
		}
		return nil
	}
	raw := h.Encode()
	defer clear(raw)
	sealed, err := t.Seal(protocol.ContextMasterKeyHistory, raw)
	if err != nil {
		return fmt.Errorf("state: sealing master key history: %w", err)
	}
	if err := atomicfile.Write(path, sealed, 0o600); err != nil {
		return fmt.Errorf("%w: master key history: %w", ErrStorage, err)
	}
	return nil
}
