// Package migration is state migration to a new pRuntime version (DESIGN §6, issue 5 point 6;
// docs/gatekeepers.md "State migration"; the payloads are in
// internal/protocol/migration.go). The chain pairs each successor pRuntime
// (the new measurement, started with --predecessor) with the pRuntime it
// replaces. The predecessor seals what no chain read can give its successor
// — the master key history if it is a gatekeeper, and its cluster keys — to
// the successor's attested receive key; the successor checks every key
// against the chain before it keeps anything, then reports ready. At the
// activation height the successor takes the predecessor's place and the
// predecessor, whose measurement the chain no longer accepts, erases its
// keys and stops. A sealing key is bound to the measurement, so nothing
// sealed by one version opens in the other: the handover is the only way
// across.
package migration

import (
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// Core is what the migration role needs from the rest of the enclave.
type Core interface {
	// Log is the enclave's logger.
	Log() *slog.Logger
	// Self is this pRuntime's identity key; ChainID its chain's.
	Self() []byte
	ChainID() string
	// Predecessor is the pRuntime this one succeeds (Config.Predecessor),
	// empty unless it is a migration's successor.
	Predecessor() []byte
	// TEEKind and Measurement are this pRuntime's TEE's.
	TEEKind() string
	Measurement() []byte
	// Emit signs a worker egress message with the next sequence into next.
	Emit(next *state.State, topic string, payload []byte) error
	// OpenSealed opens a transfer sealed to this pRuntime's receive key.
	OpenSealed(context string, what, sealed []byte) ([]byte, error)
	// KeyFault counts a key copy that failed verification.
	KeyFault(kind string)
}

// Gatekeeper is what the migration role needs from the gatekeeper role.
type Gatekeeper interface {
	// GoLive makes a designated gatekeeper that holds every master key
	// version live and answers its queued tasks.
	GoLive(tx *state.Tx) error
}

// Role is the migration role.
type Role struct {
	core       Core
	gatekeeper Gatekeeper
}

// New returns the migration role on core and the gatekeeper role.
func New(core Core, gatekeeper Gatekeeper) *Role { return &Role{core: core, gatekeeper: gatekeeper} }

// Routes are the role's rows of the topic table.
func (r *Role) Routes() []ingress.Route {
	return []ingress.Route{
		{Topic: protocol.TopicMigrationScheduled, Role: ingress.RoleMigration, Handle: ingress.NoKeys(r.onMigrationScheduled)},
		{Topic: protocol.TopicMigrationHandoverRequest, Role: ingress.RoleMigration, Handle: r.onHandoverRequest},
		{Topic: protocol.TopicMigrationHandover, Role: ingress.RoleMigration, Handle: r.onHandover},
		{Topic: protocol.TopicMigrationActivated, Role: ingress.RoleMigration, Handle: r.onMigrationActivated},
		{Topic: protocol.TopicMigrationCancelled, Role: ingress.RoleMigration, Handle: r.onMigrationCancelled},
	}
}

func (r *Role) onMigrationScheduled(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeMigrationScheduled(payload)
	if err != nil {
		return err
	}
	old := false
	if p.TEEKind == r.core.TEEKind() {
		own := r.core.Measurement()
		old = slices.ContainsFunc(p.Replaced, func(m []byte) bool { return bytes.Equal(m, own) })
	}
	ms := state.NewMigration(p.ID, p.ActivationHeight, p.Measurement, old)
	tx.Next.Migration = ms
	if ms.Old {
		r.core.Log().Info("pRuntime migration scheduled: this version is replaced", "id", p.ID, "activation_height", p.ActivationHeight,
			"successor_measurement", hex.EncodeToString(p.Measurement))
	}
	return nil
}

// onHandoverRequest: the predecessor seals its keys to its successor.
func (r *Role) onHandoverRequest(tx *state.Tx, payload []byte) (bool, error) {
	p, err := protocol.DecodeMigrationHandoverRequest(payload)
	if err != nil {
		return false, err
	}
	ms := tx.Next.Migration
	if !bytes.Equal(p.Predecessor, r.core.Self()) {
		return false, nil
	}
	switch {
	case ms == nil || ms.ID != p.ID || !ms.Old:
		r.core.Log().Warn("handover request for a migration this pRuntime is not replaced by; ignored", "id", p.ID)
		return false, nil
	case !bytes.Equal(p.Measurement, ms.Measurement):
		// The chain checks this too; a pRuntime hands its keys only to the
		// measurement governance scheduled.
		r.core.Log().Warn("handover request for a successor of another measurement; ignored", "id", p.ID,
			"successor_measurement", hex.EncodeToString(p.Measurement))
		return false, nil
	}
	bundle, err := r.handoverBundle(tx)
	if err != nil {
		return false, err
	}
	defer clear(bundle)
	parts := splitParts(bundle, maxHandoverPart)
	for i, part := range parts {
		sealed, err := crypto.SealTo(p.ReceiveKey, crypto.Info{
			Context: protocol.ContextMigrationHandover, ChainID: r.core.ChainID(),
			Recipient: p.ReceiveKey, What: protocol.MigrationHandoverWhat(p.ID, uint16(i), uint16(len(parts))),
		}, part)
		if err != nil {
			return false, fmt.Errorf("migration: sealing handover: %w", err)
		}
		h := protocol.MigrationHandover{ID: p.ID, Successor: p.Successor, Index: uint16(i), Count: uint16(len(parts)), Sealed: sealed}
		if err := r.core.Emit(&tx.Next, protocol.TopicMigrationHandover, h.Encode()); err != nil {
			return false, err
		}
	}
	r.core.Log().Info("handed over to the successor", "id", p.ID, "successor", hex.EncodeToString(p.Successor),
		"master_versions", tx.Master.Count(), "parts", len(parts))
	return true, nil
}

// maxHandoverPart is the plaintext of one part: a sealed part must fit
// protocol.MaxHandoverSealedLen.
const maxHandoverPart = protocol.MaxHandoverSealedLen - crypto.SealOverhead

func splitParts(b []byte, n int) [][]byte {
	var parts [][]byte
	for len(b) > n {
		parts = append(parts, b[:n])
		b = b[n:]
	}
	return append(parts, b)
}

// The handover bundle, inside HPKE:
//
//	u8 version (1)
//	u32 first master version || u32 count || count × master secret (32)
//	u64 cluster (0: none) || u16 n || n × (u32 version || cluster key (32))
//
// big-endian. A gatekeeper hands over the master versions not erased; a
// worker none. Cluster keys are the ones this worker holds.
const handoverBundleVersion = 1

func (r *Role) handoverBundle(tx *state.Tx) ([]byte, error) {
	var b []byte
	b = append(b, handoverBundleVersion)
	first, count := uint32(0), 0
	var secrets []byte
	if tx.Next.IsGatekeeper(r.core.Self()) && tx.Next.GK.Live {
		first = tx.Next.MasterErasedBelow
		count = len(tx.Next.MasterPubKeys) - int(first)
		keys := make([]*crypto.MasterKey, count)
		for i := range keys {
			if keys[i] = tx.Master.Get(first + uint32(i)); keys[i] == nil {
				return nil, fmt.Errorf("migration: live gatekeeper lacks master key version %d", first+uint32(i))
			}
		}
		var err error
		if secrets, err = crypto.EncodeSecrets(keys); err != nil {
			return nil, err
		}
		defer clear(secrets)
	}
	b = binary.BigEndian.AppendUint32(b, first)
	b = binary.BigEndian.AppendUint32(b, uint32(count))
	b = append(b, secrets...)
	c := tx.Next.Cluster
	var held []state.ClusterKey
	if c != nil {
		for _, k := range c.Keys {
			if len(k.Key) == crypto.KeySize {
				held = append(held, k)
			}
		}
	}
	if len(held) == 0 {
		b = binary.BigEndian.AppendUint64(b, 0)
		return binary.BigEndian.AppendUint16(b, 0), nil
	}
	b = binary.BigEndian.AppendUint64(b, c.ID)
	b = binary.BigEndian.AppendUint16(b, uint16(len(held)))
	for _, k := range held {
		b = binary.BigEndian.AppendUint32(b, k.Version)
		b = append(b, k.Key...)
	}
	return b, nil
}

// handoverBundle is a decoded bundle.
type handoverBundle struct {
	first   uint32
	secrets []byte // count × MasterSecretSize
	cluster uint64
	keys    []state.ClusterKey // Version and Key
}

func (h *handoverBundle) clear() {
	clear(h.secrets)
	for _, k := range h.keys {
		clear(k.Key)
	}
}

// Bounds of a decoded bundle.
const (
	maxHandoverMasterVersions = 1 << 16
	maxHandoverClusterKeys    = 1 << 12
)

var errBundle = errors.New("migration: malformed handover bundle")

// decodeHandoverBundle parses the bundle strictly: known version, bounded
// counts, exact length.
func decodeHandoverBundle(b []byte) (handoverBundle, error) {
	var h handoverBundle
	if len(b) < 1+8 || b[0] != handoverBundleVersion {
		return h, fmt.Errorf("%w: %d bytes or unknown version", errBundle, len(b))
	}
	h.first = binary.BigEndian.Uint32(b[1:])
	count := binary.BigEndian.Uint32(b[5:])
	b = b[9:]
	if count > maxHandoverMasterVersions || uint64(count)*crypto.MasterSecretSize > uint64(len(b)) {
		return h, fmt.Errorf("%w: %d master versions in %d bytes", errBundle, count, len(b))
	}
	n := int(count) * crypto.MasterSecretSize
	h.secrets, b = bytes.Clone(b[:n]), b[n:]
	if len(b) < 8+2 {
		return h, fmt.Errorf("%w: cluster section truncated", errBundle)
	}
	h.cluster = binary.BigEndian.Uint64(b)
	nk := int(binary.BigEndian.Uint16(b[8:]))
	b = b[10:]
	switch {
	case nk > maxHandoverClusterKeys || len(b) != nk*(4+crypto.KeySize):
		return h, fmt.Errorf("%w: %d cluster keys in %d bytes", errBundle, nk, len(b))
	case h.cluster == 0 && nk != 0:
		return h, fmt.Errorf("%w: cluster keys without a cluster", errBundle)
	}
	for i := range nk {
		k := state.ClusterKey{Version: binary.BigEndian.Uint32(b), Key: bytes.Clone(b[4 : 4+crypto.KeySize])}
		if i > 0 && k.Version <= h.keys[i-1].Version {
			return h, fmt.Errorf("%w: cluster key versions out of order", errBundle)
		}
		h.keys = append(h.keys, k)
		b = b[4+crypto.KeySize:]
	}
	return h, nil
}

// onHandover: the successor collects the parts; with all of them it opens,
// checks and keeps, or reports a fault and keeps nothing.
func (r *Role) onHandover(tx *state.Tx, payload []byte) (bool, error) {
	rel, err := protocol.DecodeRelayed(payload)
	if err != nil {
		return false, err
	}
	h, err := protocol.DecodeMigrationHandover(rel.Body)
	if err != nil {
		return false, err
	}
	ms := tx.Next.Migration
	if !bytes.Equal(h.Successor, r.core.Self()) || ms == nil || ms.ID != h.ID || !bytes.Equal(rel.Sender, r.core.Predecessor()) {
		return false, nil
	}
	complete, err := ms.AddPart(h.Index, h.Count, h.Sealed)
	if errors.Is(err, state.ErrMigrationReady) {
		return false, nil // a handover sent again after this one verified
	} else if err != nil || !complete {
		return false, err
	}
	bundle, err := r.openHandover(ms, h.Count)
	ms.Parts = nil
	ref := protocol.MigrationPairRef{ID: h.ID, Predecessor: rel.Sender}.Encode()
	var (
		handed *state.MemberCluster
		wasGK  bool
	)
	if err == nil {
		handed, wasGK, err = r.acceptHandover(tx, bundle)
		bundle.clear()
	}
	if err == nil {
		err = ms.Ready(wasGK, handed)
	}
	if err != nil {
		r.core.KeyFault("migration")
		r.core.Log().Warn("migration handover failed verification; reporting it, keeping nothing", "id", h.ID,
			"predecessor", hex.EncodeToString(rel.Sender), "err", err)
		return false, r.core.Emit(&tx.Next, protocol.TopicMigrationFault, ref)
	}
	r.core.Log().Info("migration handover verified and sealed; ready", "id", h.ID, "predecessor", hex.EncodeToString(rel.Sender),
		"master_versions", tx.Master.Count(), "gatekeeper", ms.WasGK)
	return true, r.core.Emit(&tx.Next, protocol.TopicMigrationReady, ref)
}

func (r *Role) openHandover(ms *state.Migration, count uint16) (handoverBundle, error) {
	var plain []byte
	defer func() { clear(plain) }()
	for i, sealed := range ms.Parts {
		part, err := r.core.OpenSealed(protocol.ContextMigrationHandover, protocol.MigrationHandoverWhat(ms.ID, uint16(i), count), sealed)
		if err != nil {
			return handoverBundle{}, fmt.Errorf("migration: handover part %d: %w", i, err)
		}
		plain = append(plain, part...)
		clear(part)
	}
	return decodeHandoverBundle(plain)
}

// acceptHandover checks every key against the chain and keeps them: the
// master versions in the sealed history (written before the state that
// reports ready commits), the cluster keys in the migration state until
// activation.
func (r *Role) acceptHandover(tx *state.Tx, b handoverBundle) (handed *state.MemberCluster, wasGK bool, err error) {
	// Check everything first, keep after: a bad cluster key must not leave
	// verified master keys behind.
	var keys []*crypto.MasterKey
	if count := len(b.secrets) / crypto.MasterSecretSize; count > 0 {
		pubs := tx.Next.MasterPubKeys
		if uint64(b.first)+uint64(count) != uint64(len(pubs)) || b.first != tx.Next.MasterErasedBelow {
			return nil, false, fmt.Errorf("migration: master versions %d+%d, the chain has %d from %d", b.first, count, len(pubs), tx.Next.MasterErasedBelow)
		}
		if keys, err = crypto.DecodeSecrets(b.first, b.secrets, pubs[b.first:]); err != nil {
			return nil, false, err
		}
	}
	if b.cluster != 0 {
		handed = &state.MemberCluster{ID: b.cluster}
		for _, k := range b.keys {
			var ck [crypto.KeySize]byte
			copy(ck[:], k.Key)
			pub := crypto.ClusterPublicKey(ck)
			clear(ck[:])
			i := slices.IndexFunc(tx.Next.KnownClusterKeys, func(c state.KnownClusterKey) bool { return c.Cluster == b.cluster && c.Version == k.Version })
			if i < 0 {
				return nil, false, fmt.Errorf("migration: cluster %d key version %d has no public key on chain that this pRuntime saw", b.cluster, k.Version)
			}
			if subtle.ConstantTimeCompare(pub, tx.Next.KnownClusterKeys[i].PublicKey) != 1 {
				return nil, false, fmt.Errorf("migration: cluster %d key version %d does not match its public key on chain", b.cluster, k.Version)
			}
			handed.Keys = append(handed.Keys, state.ClusterKey{Version: k.Version, PublicKey: pub, Key: bytes.Clone(k.Key)})
		}
	}
	for _, k := range keys {
		tx.Master.Set(k)
	}
	return handed, len(keys) > 0, nil
}

// onMigrationActivated applies the pairs: every pRuntime swaps successors
// for predecessors in the gatekeeper set; a replaced pRuntime erases its
// keys and stops; a successor takes over what it was handed.
func (r *Role) onMigrationActivated(tx *state.Tx, payload []byte) (bool, error) {
	p, err := protocol.DecodeMigrationActivated(payload)
	if err != nil {
		return false, err
	}
	next := &tx.Next
	self := r.core.Self()
	ms := next.Migration
	var mine *protocol.MigrationPair
	for i, pair := range p.Pairs {
		if next.IsGatekeeper(pair.Predecessor) {
			next.RemoveGatekeeper(pair.Predecessor)
			next.AddGatekeeper(pair.Successor)
		}
		if bytes.Equal(pair.Successor, self) {
			mine = &p.Pairs[i]
		}
	}
	next.Migration = nil
	if ms != nil && ms.ID == p.ID && ms.Old {
		r.core.Log().Info("migration activated: this pRuntime's version is replaced; erasing its keys and stopping", "id", p.ID)
		next.Retired = true
		next.GK = state.Gatekeeper{}
		next.Rotation = nil
		next.Cluster = nil
		tx.Master.Erase()
		tx.Erased = true // the older checkpoints hold the cluster keys
		return true, nil
	}
	if mine == nil || ms == nil || ms.ID != p.ID || ms.TakeOver() != nil {
		if len(r.core.Predecessor()) > 0 && (tx.Master.Count() > 0 || (ms != nil && ms.Handed != nil)) {
			tx.Master.Erase() // handed keys of a pair that did not make it
			tx.Erased = true
		}
		return false, nil
	}
	next.KnownClusterKeys = nil
	if ms.Handed != nil {
		next.Cluster = ms.Handed
	}
	r.core.Log().Info("migration activated: this pRuntime took its predecessor's place", "id", p.ID,
		"predecessor", hex.EncodeToString(mine.Predecessor), "gatekeeper", next.IsGatekeeper(self))
	if next.IsGatekeeper(self) && tx.Master.HoldsAll(next.MasterErasedBelow, len(next.MasterPubKeys)) {
		return true, r.gatekeeper.GoLive(tx)
	}
	return true, nil
}

// onMigrationCancelled: the old version stays; a successor erases what it
// was handed.
func (r *Role) onMigrationCancelled(tx *state.Tx, payload []byte) (bool, error) {
	p, err := protocol.DecodeMigrationCancelled(payload)
	if err != nil {
		return false, err
	}
	ms := tx.Next.Migration
	if ms == nil || ms.ID != p.ID {
		return false, nil
	}
	tx.Next.Migration = nil
	if len(r.core.Predecessor()) == 0 {
		return false, nil
	}
	r.core.Log().Info("migration cancelled; erasing what the predecessor handed over", "id", p.ID, "reason", p.Reason)
	tx.Next.KnownClusterKeys = nil
	tx.Master.Erase()
	tx.Erased = true // the older checkpoints hold the handed cluster keys
	return true, nil
}
