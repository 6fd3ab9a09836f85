package pruntime

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// IdentityFile is the sealed identity's file name in the data dir.
const IdentityFile = "identity.sealed"

// Identity is the pRuntime's long-term keys and what they were created for.
// It never leaves the enclave unsealed.
type Identity struct {
	Signing   ed25519.PrivateKey
	Receive   hpke.PrivateKey
	ChainID   string
	Operator  string
	TrustRoot protocol.TrustRoot
}

// sealedIdentity is the JSON inside the seal.
type sealedIdentity struct {
	Version     int    `json:"version"`
	SigningSeed []byte `json:"signing_seed"`
	Receive     []byte `json:"receive"`
	ChainID     string `json:"chain_id"`
	Operator    string `json:"operator"`
	TrustHeight uint64 `json:"trust_height"`
	TrustHash   []byte `json:"trust_hash"`
}

// loadOrCreateIdentity unseals the identity in dir, or creates, seals and
// writes a new one. An existing identity for another chain, operator or trust
// root is an error: the enclave never silently re-keys.
// OpenIdentity unseals the identity in cfg.DataDir, or creates and seals
// it at first start; `pruntime attest` uses it to attest exactly as the
// running pRuntime would.
func OpenIdentity(cfg Config, t tee.TEE) (*Identity, error) {
	id, _, err := loadOrCreateIdentity(cfg.DataDir, t, cfg)
	return id, err
}

func loadOrCreateIdentity(dir string, t tee.TEE, cfg Config) (*Identity, bool, error) {
	path := filepath.Join(dir, IdentityFile)
	sealed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		// What is sealed now can never change: check it first, whoever
		// the caller (Config.Validate checks it too).
		if err := ValidateOperator(cfg.Operator); err != nil {
			return nil, false, err
		}
		id, err := newIdentity(cfg)
		if err != nil {
			return nil, false, err
		}
		raw, err := id.marshal()
		if err != nil {
			return nil, false, err
		}
		out, err := t.Seal(protocol.ContextIdentity, raw)
		if err != nil {
			return nil, false, fmt.Errorf("pruntime: sealing identity: %w", err)
		}
		if err := atomicfile.Write(path, out, 0o600); err != nil {
			return nil, false, err
		}
		return id, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pruntime: identity: %w", err)
	}
	raw, err := t.Unseal(protocol.ContextIdentity, sealed)
	if err != nil {
		return nil, false, fmt.Errorf("pruntime: %s does not unseal (another TEE or measurement?): %w", path, err)
	}
	id, err := unmarshalIdentity(raw)
	if err != nil {
		return nil, false, err
	}
	switch {
	case id.ChainID != cfg.ChainID:
		return nil, false, fmt.Errorf("pruntime: identity in %s is for chain %q, not %q", dir, id.ChainID, cfg.ChainID)
	case id.Operator != cfg.Operator:
		return nil, false, fmt.Errorf("pruntime: identity in %s is for operator %s, not %s", dir, id.Operator, cfg.Operator)
	case id.TrustRoot.Height != cfg.TrustRoot.Height || !bytes.Equal(id.TrustRoot.Hash, cfg.TrustRoot.Hash):
		return nil, false, fmt.Errorf("pruntime: identity in %s was created with another trust root", dir)
	}
	return id, false, nil
}

func newIdentity(cfg Config) (*Identity, error) {
	_, signing, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pruntime: identity key: %w", err)
	}
	recv, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("pruntime: receive key: %w", err)
	}
	return &Identity{Signing: signing, Receive: recv, ChainID: cfg.ChainID, Operator: cfg.Operator, TrustRoot: cfg.TrustRoot}, nil
}

func (id *Identity) marshal() ([]byte, error) {
	recv, err := id.Receive.Bytes()
	if err != nil {
		return nil, fmt.Errorf("pruntime: receive key: %w", err)
	}
	return json.Marshal(sealedIdentity{
		Version: 1, SigningSeed: id.Signing.Seed(), Receive: recv, ChainID: id.ChainID,
		Operator: id.Operator, TrustHeight: id.TrustRoot.Height, TrustHash: id.TrustRoot.Hash,
	})
}

func unmarshalIdentity(raw []byte) (*Identity, error) {
	var s sealedIdentity
	if err := json.Unmarshal(raw, &s); err != nil || s.Version != 1 || len(s.SigningSeed) != ed25519.SeedSize {
		return nil, errors.New("pruntime: sealed identity has an unknown format")
	}
	recv, err := hpke.MLKEM768X25519().NewPrivateKey(s.Receive)
	if err != nil {
		return nil, errors.New("pruntime: sealed identity holds an invalid receive key")
	}
	return &Identity{
		Signing: ed25519.NewKeyFromSeed(s.SigningSeed), Receive: recv, ChainID: s.ChainID, Operator: s.Operator,
		TrustRoot: protocol.TrustRoot{Height: s.TrustHeight, Hash: s.TrustHash},
	}, nil
}

// PublicKey returns the identity key.
func (id *Identity) PublicKey() ed25519.PublicKey { return id.Signing.Public().(ed25519.PublicKey) }

// RegistrationInfo returns what the pRuntime attests to.
func (id *Identity) RegistrationInfo(version string) protocol.RegistrationInfo {
	return protocol.RegistrationInfo{
		ChainID:     id.ChainID,
		IdentityKey: id.PublicKey(),
		ReceiveKey:  id.Receive.PublicKey().Bytes(),
		Operator:    id.Operator,
		Version:     version,
		TrustRoot:   id.TrustRoot,
	}
}

// MasterKeysFile is the sealed master key history's file name in the data
// dir (package state keeps the history).
const MasterKeysFile = state.MasterKeysFile
