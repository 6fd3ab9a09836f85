package pruntime

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Master key rotation, the enclave's side (DESIGN §6 "Rotation",
// docs/gatekeepers.md "Rotation"). The chain runs the state machine; a
// gatekeeper of the rotation's snapshot follows it on ingress:
//
//	rotation_start            record the snapshot; the proposer whose turn
//	                          it is (below) generates v+1, seals it into
//	                          its history, and proposes it
//	rotation_proposed         open its own copy, check it against the
//	                          proposal's public key, seal it, acknowledge;
//	                          a bad copy is reported as a key fault
//	rotation_proposal_rejected forget the unacknowledged v+1
//	master_key (v+1)          v+1 is active (it was sealed already)
//	cluster_task / cluster_key (v+1) the new cluster keys reach the chain
//	reencrypt_start           re-encrypt range i of n (reencrypt.go)
//	master_key_retired        v is retired
//	master_key_erase          erase v from the sealed history (and, on a
//	                          worker, the cluster keys of v), durably,
//	                          before the state that applied it is committed
//
// Sealing before announcing: the history holding v+1 is written to disk in
// commitIngress before the state whose egress carries the proposal or the
// acknowledgement, as at the launch. A crash between the two leaves v+1
// sealed and unannounced; the entries are applied again after the restart,
// and a proposer reuses the v+1 it sealed instead of drawing another, so it
// never proposes two different keys.
//
// Who proposes: every gatekeeper computes the same order, the snapshot's
// members in key order without those the chain barred. The first proposes
// as soon as it sees the start; each next one proposes when
// RotationProposeBlocks more blocks passed without a taken proposal (since
// the start, or since the last rejection, as this pRuntime saw it). The
// chain takes the first valid proposal and refuses the rest, so a proposer
// that is down costs a few blocks, not the rotation.

// rotationState is a gatekeeper's view of the running rotation; it is part
// of the checkpointed state. It holds no secret: v+1 lives only in the
// sealed master key history.
type rotationState struct {
	From uint32 `json:"from"`
	To   uint32 `json:"to"`
	// Members and ReceiveKeys are the snapshot, in key order.
	Members     [][]byte `json:"members"`
	ReceiveKeys [][]byte `json:"receive_keys"`
	// ClockHeight is the synced height at which this pRuntime saw the start
	// or the last rejection: the proposers' turns count from it.
	ClockHeight int64 `json:"clock_height"`
	// Rejected are the proposers the chain barred in this rotation.
	Rejected [][]byte `json:"rejected,omitempty"`
	// Phase is where the rotation stands (rotation_phase.go); Copy is this
	// gatekeeper's part in the current proposal round.
	Phase RotationPhase `json:"phase"`
	Copy  CopyState     `json:"copy,omitempty"`
	// Proposer and PublicKey are the taken proposal's (phase acking on).
	Proposer  []byte `json:"proposer,omitempty"`
	PublicKey []byte `json:"public_key,omitempty"`
	// PendingClusters are the clusters whose key version To the chain asked
	// for and has not published yet; ClustersHeight is the synced height at
	// which the last of them was published (or re-encryption started).
	PendingClusters []uint64 `json:"pending_clusters,omitempty"`
	ClustersHeight  int64    `json:"clusters_height,omitempty"`
	// RangeState: whether this gatekeeper re-encrypts range Range of Ranges
	// (or lost it to another).
	RangeState RangeState `json:"range_state,omitempty"`
	Range      uint32     `json:"range,omitempty"`
	Ranges     uint32     `json:"ranges,omitempty"`
	// Done, Total, Failed and Finished are what it last reported.
	Done     uint64 `json:"done,omitempty"`
	Total    uint64 `json:"total,omitempty"`
	Failed   uint64 `json:"failed,omitempty"`
	Finished bool   `json:"finished,omitempty"`
	// EraseHeight: From is retired (phase retiring) and will be erased then.
	EraseHeight uint64 `json:"erase_height,omitempty"`
	// SweepHeight is the chain's sweep height (registry/reencrypt_sweep):
	// a finished report counts only if its verify pass began at or above
	// it, so one that began below runs again.
	SweepHeight int64 `json:"sweep_height,omitempty"`
	// Adopted are other gatekeepers' ranges reassigned to this one.
	Adopted []adoptedRange `json:"adopted,omitempty"`
}

// adoptedRange is a stalled range the chain reassigned to this gatekeeper
// (registry/reencrypt_reassigned), with what it last reported of it.
type adoptedRange struct {
	Range    uint32 `json:"range"`
	Done     uint64 `json:"done,omitempty"`
	Total    uint64 `json:"total,omitempty"`
	Failed   uint64 `json:"failed,omitempty"`
	Finished bool   `json:"finished,omitempty"`
}

func (s *rotationState) clone() *rotationState {
	c := *s
	c.Members = slices.Clone(s.Members)
	c.ReceiveKeys = slices.Clone(s.ReceiveKeys)
	c.Rejected = slices.Clone(s.Rejected)
	c.PendingClusters = slices.Clone(s.PendingClusters)
	c.Adopted = slices.Clone(s.Adopted)
	return &c
}

// member returns key's index in the snapshot, or -1.
func (s *rotationState) member(key []byte) int {
	return slices.IndexFunc(s.Members, func(m []byte) bool { return bytes.Equal(m, key) })
}

func (s *rotationState) rejected(key []byte) bool {
	return slices.ContainsFunc(s.Rejected, func(m []byte) bool { return bytes.Equal(m, key) })
}

// proposerRank is key's turn among the members the chain did not bar, or
// -1 if it may not propose.
func (s *rotationState) proposerRank(key []byte) int {
	rank := 0
	for _, m := range s.Members {
		if s.rejected(m) {
			continue
		}
		if bytes.Equal(m, key) {
			return rank
		}
		rank++
	}
	return -1
}

func (r *Runtime) onRotationStart(tx *ingressTx, payload []byte) error {
	p, err := protocol.DecodeRotationStart(payload)
	if err != nil {
		return err
	}
	if !tx.next.isGatekeeper(r.self()) {
		return nil
	}
	rs := newRotation(p.From, p.To, r.height())
	for _, g := range p.Gatekeepers {
		rs.Members = append(rs.Members, bytes.Clone(g.Identity))
		rs.ReceiveKeys = append(rs.ReceiveKeys, bytes.Clone(g.ReceiveKey))
	}
	tx.next.Rotation = rs
	r.log.Info("master key rotation started", "from", p.From, "to", p.To, "gatekeepers", len(rs.Members),
		"member", rs.member(r.self()) >= 0)
	return nil
}

// proposalDue reports whether this gatekeeper should propose now, at the
// synced height.
func (r *Runtime) proposalDue(s *state, height int64) bool {
	rs := s.Rotation
	if rs == nil || rs.Phase != RotationProposing || rs.Copy != CopyNone || !s.GK.Live || uint32(len(s.MasterPubKeys)) != rs.To {
		return false
	}
	rank := rs.proposerRank(r.self())
	return rank >= 0 && height >= rs.ClockHeight+int64(rank)*r.cfg.RotationProposeBlocks
}

// maybePropose proposes version To if it is this gatekeeper's turn. A v+1
// sealed by an earlier attempt whose proposal never committed is reused.
func (r *Runtime) maybePropose(tx *ingressTx) error {
	if !r.proposalDue(&tx.next, r.height()) {
		return nil
	}
	rs := tx.next.Rotation
	k := tx.master.get(rs.To)
	if k == nil {
		var err error
		if k, err = crypto.GenerateMasterKey(r.rand, rs.To); err != nil {
			return err
		}
		tx.master.set(k)
	}
	plain, err := crypto.EncodeSecrets([]*crypto.MasterKey{k})
	if err != nil {
		return err
	}
	defer clear(plain)
	p := protocol.RotationProposal{ToVersion: rs.To, PublicKey: k.PublicKey()}
	for _, rk := range rs.ReceiveKeys {
		sealed, err := crypto.SealTo(rk, crypto.Info{
			Context: protocol.ContextMasterKeyTransfer, ChainID: r.id.ChainID,
			Recipient: rk, What: protocol.MasterKeyCopyWhat(rs.To, 1),
		}, plain)
		if err != nil {
			return fmt.Errorf("pruntime: sealing rotation copy: %w", err)
		}
		p.Copies = append(p.Copies, sealed)
	}
	if err := rs.propose(); err != nil {
		return err // proposalDue checked the phase
	}
	r.log.Info("proposing master key version", "version", rs.To, "master_pubkey", hex.EncodeToString(k.PublicKey()))
	return r.emit(&tx.next, protocol.TopicRotationProposal, p.Encode())
}

func (r *Runtime) onRotationProposed(tx *ingressTx, payload []byte) error {
	p, err := protocol.DecodeRotationProposed(payload)
	if err != nil {
		return err
	}
	rs := tx.next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	// A bootstrap learns a taken proposal from its record, without the
	// copies: the entry, when still retained, is replayed to open its copy.
	// Any other proposal while one is taken is such a replay too (the
	// chain takes one per round), with nothing left to do.
	if err := rs.take(p.Proposer, p.PublicKey); errors.Is(err, ErrRotationNotProposing) {
		return nil
	} else if err != nil {
		return err
	}
	i := rs.member(r.self())
	if i < 0 || !tx.next.GK.Live {
		return nil
	}
	if i >= len(p.Copies) {
		return fmt.Errorf("proposal has %d copies, this gatekeeper is member %d", len(p.Copies), i)
	}
	k, err := r.openRotationCopy(rs.To, p.PublicKey, p.Copies[i])
	if err != nil {
		r.metrics.keyFaults.WithLabelValues("master").Inc()
		r.log.Warn("rotation copy failed verification; reporting the proposer, not acknowledging",
			"proposer", hex.EncodeToString(p.Proposer), "version", rs.To, "err", err)
		// A v+1 of this gatekeeper's own proposal, not taken, goes too.
		tx.master.drop(rs.To)
		if err := rs.fault(); err != nil {
			return r.invalidTransition(protocol.TopicRotationProposed, err)
		}
		return r.emit(&tx.next, protocol.TopicKeyFault, protocol.KeyFault{
			Sender: p.Proposer, Kind: protocol.FaultMasterKeyCopy, Version: rs.To,
		}.Encode())
	}
	if err := rs.ack(); err != nil {
		return r.invalidTransition(protocol.TopicRotationProposed, err)
	}
	tx.master.set(k)
	r.log.Info("sealed proposed master key version; acknowledging", "version", rs.To,
		"proposer", hex.EncodeToString(p.Proposer), "master_pubkey", hex.EncodeToString(p.PublicKey))
	return r.emit(&tx.next, protocol.TopicRotationAck, protocol.EncodeU32(rs.To))
}

// openRotationCopy opens this gatekeeper's copy of a proposal: the
// MasterKeyCopy format for the single version to, checked against pub.
func (r *Runtime) openRotationCopy(to uint32, pub, sealed []byte) (*crypto.MasterKey, error) {
	plain, err := crypto.Open(r.id.Receive, crypto.Info{
		Context: protocol.ContextMasterKeyTransfer, ChainID: r.id.ChainID,
		Recipient: r.id.Receive.PublicKey().Bytes(), What: protocol.MasterKeyCopyWhat(to, 1),
	}, sealed)
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

func (r *Runtime) onRotationRejected(tx *ingressTx, payload []byte) error {
	p, err := protocol.DecodeRotationRejected(payload)
	if err != nil {
		return err
	}
	rs := tx.next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	if err := rs.reject(p.Proposer, r.height()); err != nil {
		return r.invalidTransition(protocol.TopicRotationProposalRejected, err)
	}
	if uint32(len(tx.next.MasterPubKeys)) <= rs.To && tx.master.get(rs.To) != nil {
		tx.master.drop(rs.To)
		r.log.Warn("the chain rejected the proposal of this rotation; dropped the sealed version", "version", rs.To,
			"proposer", hex.EncodeToString(p.Proposer))
	}
	return nil
}

// onActivated checks, when version v is recorded on chain after the launch,
// that this live gatekeeper sealed that very key. One that did not (its
// copy was bad, yet a quorum acknowledged; or it bootstrapped past the
// proposal) cannot answer for v and stops being live rather than fail on
// every task; unless the chain already refetches its history (a reported
// bad copy), it asks for it (registry/master_key_refetch).
func (r *Runtime) onActivated(tx *ingressTx, v uint32, pub []byte) error {
	if !tx.next.GK.Live || !tx.next.isGatekeeper(r.self()) {
		return nil
	}
	k := tx.master.get(v)
	if k != nil && subtle.ConstantTimeCompare(k.PublicKey(), pub) == 1 {
		r.log.Info("master key version active", "version", v, "master_pubkey", hex.EncodeToString(pub))
		return nil
	}
	tx.master.drop(v)
	tx.next.GK.Live = false
	r.log.Error("master key version activated on chain that this gatekeeper does not hold; no longer live", "version", v)
	if rs := tx.next.Rotation; rs != nil && rs.To == v && rs.Copy == CopyFaulted {
		return nil // the chain asks for its history itself (refetchFaulted)
	}
	// It missed the proposal (a bootstrap past it): ask for the history.
	return r.emit(&tx.next, protocol.TopicMasterKeyRefetch, protocol.EncodeU32(v+1))
}

// noteClusterTask tracks the cluster keys of version To the chain asked
// for; noteClusterKey those it published.
func (r *Runtime) noteClusterTask(tx *ingressTx, payload []byte) {
	rs := tx.next.Rotation
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

func (r *Runtime) noteClusterKey(tx *ingressTx, payload []byte) error {
	rs := tx.next.Rotation
	if rs == nil {
		return nil
	}
	c, err := protocol.DecodeClusterPublicKey(payload)
	if err != nil {
		return err
	}
	if i := slices.Index(rs.PendingClusters, c.Cluster); i >= 0 && c.Version == rs.To {
		rs.PendingClusters = slices.Delete(rs.PendingClusters, i, i+1)
		rs.ClustersHeight = r.height()
	}
	return nil
}

func (r *Runtime) onReencryptStart(tx *ingressTx, payload []byte) error {
	p, err := protocol.DecodeReencryptStart(payload)
	if err != nil {
		return err
	}
	rs := tx.next.Rotation
	if rs == nil || p.To != rs.To {
		return nil
	}
	i := rs.member(r.self())
	if err := rs.startReencrypt(p.Ranges, i, r.height()); err != nil {
		return r.invalidTransition(protocol.TopicReencryptStart, err)
	}
	if i >= 0 && uint32(i) < p.Ranges {
		r.log.Info("re-encryption assigned", "from", p.From, "to", p.To, "range", i, "ranges", p.Ranges,
			"waiting_for_cluster_keys", len(rs.PendingClusters))
		r.wakeReencrypt()
	}
	return nil
}

// onReencryptSweep reopens the ranges this gatekeeper finished: every
// cluster member now holds the new version, and a verify pass that began
// before the sweep may have missed a blob a lagging member saved under the
// old one.
func (r *Runtime) onReencryptSweep(tx *ingressTx, payload []byte) error {
	p, err := protocol.DecodeReencryptSweep(payload)
	if err != nil {
		return err
	}
	rs := tx.next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	rs.SweepHeight = max(rs.SweepHeight, int64(min(p.SweepHeight, 1<<62)))
	reopened := 0
	if rs.RangeState == RangeAssigned && rs.Finished {
		rs.Finished = false
		reopened++
	}
	for i := range rs.Adopted {
		if rs.Adopted[i].Finished {
			rs.Adopted[i].Finished = false
			reopened++
		}
	}
	r.log.Info("re-encryption sweep: every cluster member holds the new version", "to", p.ToVersion,
		"sweep_height", p.SweepHeight, "ranges_reopened", reopened)
	if reopened > 0 {
		r.wakeReencrypt()
	}
	return nil
}

// onReencryptReassigned follows a stalled range to its new assignee: this
// gatekeeper adopts it, or stops working on its own range.
func (r *Runtime) onReencryptReassigned(tx *ingressTx, payload []byte) error {
	p, err := protocol.DecodeReencryptReassigned(payload)
	if err != nil {
		return err
	}
	rs := tx.next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	self := r.self()
	own := rs.reencrypts() && p.Range == rs.Range
	switch {
	case bytes.Equal(p.Assignee, self) && own:
		if err := rs.regainRange(); err != nil {
			return r.invalidTransition(protocol.TopicReencryptReassigned, err)
		}
	case bytes.Equal(p.Assignee, self):
		i := slices.IndexFunc(rs.Adopted, func(a adoptedRange) bool { return a.Range == p.Range })
		if i < 0 {
			rs.Adopted = append(rs.Adopted, adoptedRange{Range: p.Range})
		} else {
			rs.Adopted[i] = adoptedRange{Range: p.Range}
		}
	case own:
		if err := rs.loseRange(); err != nil {
			return r.invalidTransition(protocol.TopicReencryptReassigned, err)
		}
	default:
		rs.Adopted = slices.DeleteFunc(rs.Adopted, func(a adoptedRange) bool { return a.Range == p.Range })
		return nil
	}
	r.log.Info("re-encryption range reassigned", "to", p.ToVersion, "range", p.Range,
		"assignee", hex.EncodeToString(p.Assignee), "previous", hex.EncodeToString(p.Previous), "mine", bytes.Equal(p.Assignee, self))
	r.wakeReencrypt()
	return nil
}

func (r *Runtime) onMasterKeyRetired(tx *ingressTx, payload []byte) error {
	p, err := protocol.DecodeMasterKeyRetired(payload)
	if err != nil {
		return err
	}
	if rs := tx.next.Rotation; rs != nil && rs.From == p.Version {
		if err := rs.retire(p.EraseHeight); err != nil {
			return r.invalidTransition(protocol.TopicMasterKeyRetired, err)
		}
	}
	r.log.Info("master key version retired", "version", p.Version, "erase_height", p.EraseHeight)
	return nil
}

// onMasterKeyErase erases version v everywhere this pRuntime keeps it: the
// sealed master key history of a gatekeeper (commitIngress rewrites it
// before the state is committed) and the cluster keys of a worker, which
// live in the checkpoint (commitIngress removes the older checkpoints once
// the new one is written). Versions below v were erased by earlier
// rotations; they go too, should this pRuntime have missed that.
func (r *Runtime) onMasterKeyErase(tx *ingressTx, payload []byte) error {
	v, err := protocol.DecodeU32("version", payload)
	if err != nil {
		return err
	}
	next := &tx.next
	next.MasterErasedBelow = max(next.MasterErasedBelow, v+1)
	held := tx.master.eraseBelow(v + 1)
	dropped := 0
	if c := next.Cluster; c != nil {
		n := len(c.Keys)
		c.Keys = slices.DeleteFunc(c.Keys, func(k clusterKey) bool { return k.Version <= v })
		dropped = n - len(c.Keys)
	}
	if rs := next.Rotation; rs != nil && rs.From <= v {
		next.Rotation = nil
		tx.rotationDone = true
	}
	tx.erased = true
	r.log.Info("erased master key version", "version", v, "master_key_held", held, "cluster_keys_dropped", dropped)
	return nil
}
