package rotation

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// Core is what the rotation role needs from the rest of the enclave.
type Core interface {
	// Log is the enclave's logger.
	Log() *slog.Logger
	// Self is this pRuntime's identity key; ChainID its chain's.
	Self() []byte
	ChainID() string
	// Height is the synced height.
	Height() int64
	// Emit signs a worker egress message with the next sequence into next.
	Emit(next *state.State, topic string, payload []byte) error
	// OpenSealed opens a transfer sealed to this pRuntime's receive key.
	OpenSealed(context string, what, sealed []byte) ([]byte, error)
	// InvalidTransition counts and logs an entry the state machine cannot
	// take in its phase; the entry is moved past (it returns nil).
	InvalidTransition(topic string, err error) error
	// KeyFault counts a key copy that failed verification.
	KeyFault(kind string)
	// WakeReencrypt tells the re-encryption loop a job may be ready.
	WakeReencrypt()
	// ProposeBlocks is each proposer's turn in blocks
	// (Config.RotationProposeBlocks).
	ProposeBlocks() int64
}

// Role is the rotation role.
type Role struct {
	core Core
	// rand draws a proposed master key version (crypto/rand).
	rand io.Reader
}

// New returns the rotation role on core; rand is the randomness of a
// proposed key.
func New(core Core, rand io.Reader) *Role {
	return &Role{core: core, rand: rand}
}

// Routes are the role's rows of the topic table.
func (r *Role) Routes() []ingress.Route {
	keys := ingress.Keys
	return []ingress.Route{
		{Topic: protocol.TopicRotationStart, Role: ingress.RoleRotation, Handle: keys(r.onRotationStart)},
		{Topic: protocol.TopicRotationProposed, Role: ingress.RoleRotation, Handle: keys(r.onRotationProposed)},
		{Topic: protocol.TopicRotationProposalRejected, Role: ingress.RoleRotation, Handle: keys(r.onRotationRejected)},
		{Topic: protocol.TopicReencryptStart, Role: ingress.RoleRotation, Handle: keys(r.onReencryptStart)},
		{Topic: protocol.TopicReencryptSweep, Role: ingress.RoleRotation, Handle: keys(r.onReencryptSweep)},
		{Topic: protocol.TopicReencryptReassigned, Role: ingress.RoleRotation, Handle: keys(r.onReencryptReassigned)},
		{Topic: protocol.TopicMasterKeyRetired, Role: ingress.RoleRotation, Handle: keys(r.onMasterKeyRetired)},
		{Topic: protocol.TopicMasterKeyErase, Role: ingress.RoleRotation, Handle: keys(r.onMasterKeyErase)},
	}
}

func (r *Role) onRotationStart(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeRotationStart(payload)
	if err != nil {
		return err
	}
	if !tx.Next.IsGatekeeper(r.core.Self()) {
		return nil
	}
	rs := state.NewRotation(p.From, p.To, r.core.Height())
	for _, g := range p.Gatekeepers {
		rs.Members = append(rs.Members, bytes.Clone(g.Identity))
		rs.ReceiveKeys = append(rs.ReceiveKeys, bytes.Clone(g.ReceiveKey))
	}
	tx.Next.Rotation = rs
	r.core.Log().Info("master key rotation started", "from", p.From, "to", p.To, "gatekeepers", len(rs.Members),
		"member", rs.Member(r.core.Self()) >= 0)
	return nil
}

// ProposalDue reports whether this gatekeeper should propose now, at the
// synced height.
func (r *Role) ProposalDue(s *state.State, height int64) bool {
	rs := s.Rotation
	if rs == nil || rs.Phase != state.RotationProposing || rs.Copy != state.CopyNone || !s.GK.Live || uint32(len(s.MasterPubKeys)) != rs.To {
		return false
	}
	rank := rs.ProposerRank(r.core.Self())
	return rank >= 0 && height >= rs.ClockHeight+int64(rank)*r.core.ProposeBlocks()
}

// MaybePropose proposes version To if it is this gatekeeper's turn. A v+1
// sealed by an earlier attempt whose proposal never committed is reused.
func (r *Role) MaybePropose(tx *state.Tx) error {
	if !r.ProposalDue(&tx.Next, r.core.Height()) {
		return nil
	}
	rs := tx.Next.Rotation
	k := tx.Master.Get(rs.To)
	if k == nil {
		var err error
		if k, err = crypto.GenerateMasterKey(r.rand, rs.To); err != nil {
			return err
		}
		tx.Master.Set(k)
	}
	plain, err := crypto.EncodeSecrets([]*crypto.MasterKey{k})
	if err != nil {
		return err
	}
	defer clear(plain)
	p := protocol.RotationProposal{ToVersion: rs.To, PublicKey: k.PublicKey()}
	for _, rk := range rs.ReceiveKeys {
		sealed, err := crypto.SealTo(rk, crypto.Info{
			Context: protocol.ContextMasterKeyTransfer, ChainID: r.core.ChainID(),
			Recipient: rk, What: protocol.MasterKeyCopyWhat(rs.To, 1),
		}, plain)
		if err != nil {
			return fmt.Errorf("rotation: sealing rotation copy: %w", err)
		}
		p.Copies = append(p.Copies, sealed)
	}
	if err := rs.Propose(); err != nil {
		return err // ProposalDue checked the phase
	}
	r.core.Log().Info("proposing master key version", "version", rs.To, "master_pubkey", hex.EncodeToString(k.PublicKey()))
	return r.core.Emit(&tx.Next, protocol.TopicRotationProposal, p.Encode())
}

func (r *Role) onRotationProposed(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeRotationProposed(payload)
	if err != nil {
		return err
	}
	rs := tx.Next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	// A bootstrap learns a taken proposal from its record, without the
	// copies: the entry, when still retained, is replayed to open its copy.
	// Any other proposal while one is taken is such a replay too (the
	// chain takes one per round), with nothing left to do.
	if err := rs.Take(p.Proposer, p.PublicKey); errors.Is(err, state.ErrRotationNotProposing) {
		return nil
	} else if err != nil {
		return err
	}
	i := rs.Member(r.core.Self())
	if i < 0 || !tx.Next.GK.Live {
		return nil
	}
	if i >= len(p.Copies) {
		return fmt.Errorf("rotation: proposal has %d copies, this gatekeeper is member %d", len(p.Copies), i)
	}
	k, err := r.openRotationCopy(rs.To, p.PublicKey, p.Copies[i])
	if err != nil {
		r.core.KeyFault("master")
		r.core.Log().Warn("rotation copy failed verification; reporting the proposer, not acknowledging",
			"proposer", hex.EncodeToString(p.Proposer), "version", rs.To, "err", err)
		// A v+1 of this gatekeeper's own proposal, not taken, goes too.
		tx.Master.Drop(rs.To)
		if err := rs.Fault(); err != nil {
			return r.core.InvalidTransition(protocol.TopicRotationProposed, err)
		}
		return r.core.Emit(&tx.Next, protocol.TopicKeyFault, protocol.KeyFault{
			Sender: p.Proposer, Kind: protocol.FaultMasterKeyCopy, Version: rs.To,
		}.Encode())
	}
	if err := rs.Ack(); err != nil {
		return r.core.InvalidTransition(protocol.TopicRotationProposed, err)
	}
	tx.Master.Set(k)
	r.core.Log().Info("sealed proposed master key version; acknowledging", "version", rs.To,
		"proposer", hex.EncodeToString(p.Proposer), "master_pubkey", hex.EncodeToString(p.PublicKey))
	return r.core.Emit(&tx.Next, protocol.TopicRotationAck, protocol.EncodeU32(rs.To))
}

// openRotationCopy opens this gatekeeper's copy of a proposal: the
// MasterKeyCopy format for the single version to, checked against pub.
func (r *Role) openRotationCopy(to uint32, pub, sealed []byte) (*crypto.MasterKey, error) {
	plain, err := r.core.OpenSealed(protocol.ContextMasterKeyTransfer, protocol.MasterKeyCopyWhat(to, 1), sealed)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	keys, err := crypto.DecodeSecrets(to, plain, [][]byte{pub})
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

func (r *Role) onRotationRejected(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeRotationRejected(payload)
	if err != nil {
		return err
	}
	rs := tx.Next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	if err := rs.Reject(p.Proposer, r.core.Height()); err != nil {
		return r.core.InvalidTransition(protocol.TopicRotationProposalRejected, err)
	}
	if uint32(len(tx.Next.MasterPubKeys)) <= rs.To && tx.Master.Get(rs.To) != nil {
		tx.Master.Drop(rs.To)
		r.core.Log().Warn("the chain rejected the proposal of this rotation; dropped the sealed version", "version", rs.To,
			"proposer", hex.EncodeToString(p.Proposer))
	}
	return nil
}

// OnActivated checks, when version v is recorded on chain after the launch,
// that this live gatekeeper sealed that very key. One that did not (its
// copy was bad, yet a quorum acknowledged; or it bootstrapped past the
// proposal) cannot answer for v and stops being live rather than fail on
// every task; unless the chain already refetches its history (a reported
// bad copy), it asks for it (registry/master_key_refetch).
func (r *Role) OnActivated(tx *state.Tx, v uint32, pub []byte) error {
	if !tx.Next.GK.Live || !tx.Next.IsGatekeeper(r.core.Self()) {
		return nil
	}
	k := tx.Master.Get(v)
	if k != nil && subtle.ConstantTimeCompare(k.PublicKey(), pub) == 1 {
		r.core.Log().Info("master key version active", "version", v, "master_pubkey", hex.EncodeToString(pub))
		return nil
	}
	tx.Master.Drop(v)
	tx.Next.GK.Live = false
	r.core.Log().Error("master key version activated on chain that this gatekeeper does not hold; no longer live", "version", v)
	if rs := tx.Next.Rotation; rs != nil && rs.To == v && rs.Copy == state.CopyFaulted {
		return nil // the chain asks for its history itself (refetchFaulted)
	}
	// It missed the proposal (a bootstrap past it): ask for the history.
	return r.core.Emit(&tx.Next, protocol.TopicMasterKeyRefetch, protocol.EncodeU32(v+1))
}

// NoteClusterTask tracks the cluster keys of version To the chain asked
// for; NoteClusterKey those it published.
func (r *Role) NoteClusterTask(tx *state.Tx, payload []byte) {
	rs := tx.Next.Rotation
	if rs == nil {
		return
	}
	t, err := protocol.DecodeGatekeeperTask(payload)
	if err != nil {
		return // onTask reports it
	}
	id, err := protocol.DecodeClusterKeyID(t.Body)
	if err != nil || id.Version != rs.To || slices.Contains(rs.PendingClusters, id.Cluster) {
		return
	}
	rs.PendingClusters = append(rs.PendingClusters, id.Cluster)
}

func (r *Role) NoteClusterKey(tx *state.Tx, payload []byte) error {
	rs := tx.Next.Rotation
	if rs == nil {
		return nil
	}
	c, err := protocol.DecodeClusterPublicKey(payload)
	if err != nil {
		return err
	}
	if i := slices.Index(rs.PendingClusters, c.Cluster); i >= 0 && c.Version == rs.To {
		rs.PendingClusters = slices.Delete(rs.PendingClusters, i, i+1)
		rs.ClustersHeight = r.core.Height()
	}
	return nil
}

func (r *Role) onReencryptStart(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeReencryptStart(payload)
	if err != nil {
		return err
	}
	rs := tx.Next.Rotation
	if rs == nil || p.To != rs.To {
		return nil
	}
	i := rs.Member(r.core.Self())
	if err := rs.StartReencrypt(p.Ranges, i, r.core.Height()); err != nil {
		return r.core.InvalidTransition(protocol.TopicReencryptStart, err)
	}
	if i >= 0 && uint32(i) < p.Ranges {
		r.core.Log().Info("re-encryption assigned", "from", p.From, "to", p.To, "range", i, "ranges", p.Ranges,
			"waiting_for_cluster_keys", len(rs.PendingClusters))
		r.core.WakeReencrypt()
	}
	return nil
}

// onReencryptSweep reopens the ranges this gatekeeper finished: every
// cluster member now holds the new version, and a verify pass that began
// before the sweep may have missed a blob a lagging member saved under the
// old one.
func (r *Role) onReencryptSweep(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeReencryptSweep(payload)
	if err != nil {
		return err
	}
	rs := tx.Next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	rs.SweepHeight = max(rs.SweepHeight, int64(min(p.SweepHeight, 1<<62)))
	reopened := 0
	if rs.RangeState == state.RangeAssigned && rs.Finished {
		rs.Finished = false
		reopened++
	}
	for i := range rs.Adopted {
		if rs.Adopted[i].Finished {
			rs.Adopted[i].Finished = false
			reopened++
		}
	}
	r.core.Log().Info("re-encryption sweep: every cluster member holds the new version", "to", p.ToVersion,
		"sweep_height", p.SweepHeight, "ranges_reopened", reopened)
	if reopened > 0 {
		r.core.WakeReencrypt()
	}
	return nil
}

// onReencryptReassigned follows a stalled range to its new assignee: this
// gatekeeper adopts it, or stops working on its own range.
func (r *Role) onReencryptReassigned(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeReencryptReassigned(payload)
	if err != nil {
		return err
	}
	rs := tx.Next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	self := r.core.Self()
	own := rs.Reencrypts() && p.Range == rs.Range
	switch {
	case bytes.Equal(p.Assignee, self) && own:
		if err := rs.RegainRange(); err != nil {
			return r.core.InvalidTransition(protocol.TopicReencryptReassigned, err)
		}
	case bytes.Equal(p.Assignee, self):
		i := slices.IndexFunc(rs.Adopted, func(a state.AdoptedRange) bool { return a.Range == p.Range })
		if i < 0 {
			rs.Adopted = append(rs.Adopted, state.AdoptedRange{Range: p.Range})
		} else {
			rs.Adopted[i] = state.AdoptedRange{Range: p.Range}
		}
	case own:
		if err := rs.LoseRange(); err != nil {
			return r.core.InvalidTransition(protocol.TopicReencryptReassigned, err)
		}
	default:
		rs.Adopted = slices.DeleteFunc(rs.Adopted, func(a state.AdoptedRange) bool { return a.Range == p.Range })
		return nil
	}
	r.core.Log().Info("re-encryption range reassigned", "to", p.ToVersion, "range", p.Range,
		"assignee", hex.EncodeToString(p.Assignee), "previous", hex.EncodeToString(p.Previous), "mine", bytes.Equal(p.Assignee, self))
	r.core.WakeReencrypt()
	return nil
}

func (r *Role) onMasterKeyRetired(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeMasterKeyRetired(payload)
	if err != nil {
		return err
	}
	if rs := tx.Next.Rotation; rs != nil && rs.From == p.Version {
		if err := rs.Retire(p.EraseHeight); err != nil {
			return r.core.InvalidTransition(protocol.TopicMasterKeyRetired, err)
		}
	}
	r.core.Log().Info("master key version retired", "version", p.Version, "erase_height", p.EraseHeight)
	return nil
}

// onMasterKeyErase erases version v everywhere this pRuntime keeps it: the
// sealed master key history of a gatekeeper (commitIngress rewrites it
// before the state is committed) and the cluster keys of a worker, which
// live in the checkpoint (commitIngress removes the older checkpoints once
// the new one is written). Versions below v were erased by earlier
// rotations; they go too, should this pRuntime have missed that.
func (r *Role) onMasterKeyErase(tx *state.Tx, payload []byte) error {
	v, err := protocol.DecodeU32("version", payload)
	if err != nil {
		return err
	}
	next := &tx.Next
	next.MasterErasedBelow = max(next.MasterErasedBelow, v+1)
	held := tx.Master.EraseBelow(v + 1)
	dropped := 0
	if c := next.Cluster; c != nil {
		n := len(c.Keys)
		c.Keys = slices.DeleteFunc(c.Keys, func(k state.ClusterKey) bool { return k.Version <= v })
		dropped = n - len(c.Keys)
	}
	if rs := next.Rotation; rs != nil && rs.From <= v {
		next.Rotation = nil
		tx.RotationDone = true
	}
	tx.Erased = true
	r.core.Log().Info("erased master key version", "version", v, "master_key_held", held, "cluster_keys_dropped", dropped)
	return nil
}
