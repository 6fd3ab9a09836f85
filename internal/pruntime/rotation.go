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
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
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

func (r *Runtime) onRotationStart(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeRotationStart(payload)
	if err != nil {
		return err
	}
	if !tx.Next.IsGatekeeper(r.self()) {
		return nil
	}
	rs := state.NewRotation(p.From, p.To, r.height())
	for _, g := range p.Gatekeepers {
		rs.Members = append(rs.Members, bytes.Clone(g.Identity))
		rs.ReceiveKeys = append(rs.ReceiveKeys, bytes.Clone(g.ReceiveKey))
	}
	tx.Next.Rotation = rs
	r.log.Info("master key rotation started", "from", p.From, "to", p.To, "gatekeepers", len(rs.Members),
		"member", rs.Member(r.self()) >= 0)
	return nil
}

// proposalDue reports whether this gatekeeper should propose now, at the
// synced height.
func (r *Runtime) proposalDue(s *state.State, height int64) bool {
	rs := s.Rotation
	if rs == nil || rs.Phase != state.RotationProposing || rs.Copy != state.CopyNone || !s.GK.Live || uint32(len(s.MasterPubKeys)) != rs.To {
		return false
	}
	rank := rs.ProposerRank(r.self())
	return rank >= 0 && height >= rs.ClockHeight+int64(rank)*r.cfg.RotationProposeBlocks
}

// maybePropose proposes version To if it is this gatekeeper's turn. A v+1
// sealed by an earlier attempt whose proposal never committed is reused.
func (r *Runtime) maybePropose(tx *state.Tx) error {
	if !r.proposalDue(&tx.Next, r.height()) {
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
			Context: protocol.ContextMasterKeyTransfer, ChainID: r.id.ChainID,
			Recipient: rk, What: protocol.MasterKeyCopyWhat(rs.To, 1),
		}, plain)
		if err != nil {
			return fmt.Errorf("pruntime: sealing rotation copy: %w", err)
		}
		p.Copies = append(p.Copies, sealed)
	}
	if err := rs.Propose(); err != nil {
		return err // proposalDue checked the phase
	}
	r.log.Info("proposing master key version", "version", rs.To, "master_pubkey", hex.EncodeToString(k.PublicKey()))
	return r.emit(&tx.Next, protocol.TopicRotationProposal, p.Encode())
}

func (r *Runtime) onRotationProposed(tx *state.Tx, payload []byte) error {
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
	i := rs.Member(r.self())
	if i < 0 || !tx.Next.GK.Live {
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
		tx.Master.Drop(rs.To)
		if err := rs.Fault(); err != nil {
			return r.invalidTransition(protocol.TopicRotationProposed, err)
		}
		return r.emit(&tx.Next, protocol.TopicKeyFault, protocol.KeyFault{
			Sender: p.Proposer, Kind: protocol.FaultMasterKeyCopy, Version: rs.To,
		}.Encode())
	}
	if err := rs.Ack(); err != nil {
		return r.invalidTransition(protocol.TopicRotationProposed, err)
	}
	tx.Master.Set(k)
	r.log.Info("sealed proposed master key version; acknowledging", "version", rs.To,
		"proposer", hex.EncodeToString(p.Proposer), "master_pubkey", hex.EncodeToString(p.PublicKey))
	return r.emit(&tx.Next, protocol.TopicRotationAck, protocol.EncodeU32(rs.To))
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

func (r *Runtime) onRotationRejected(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeRotationRejected(payload)
	if err != nil {
		return err
	}
	rs := tx.Next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	if err := rs.Reject(p.Proposer, r.height()); err != nil {
		return r.invalidTransition(protocol.TopicRotationProposalRejected, err)
	}
	if uint32(len(tx.Next.MasterPubKeys)) <= rs.To && tx.Master.Get(rs.To) != nil {
		tx.Master.Drop(rs.To)
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
func (r *Runtime) onActivated(tx *state.Tx, v uint32, pub []byte) error {
	if !tx.Next.GK.Live || !tx.Next.IsGatekeeper(r.self()) {
		return nil
	}
	k := tx.Master.Get(v)
	if k != nil && subtle.ConstantTimeCompare(k.PublicKey(), pub) == 1 {
		r.log.Info("master key version active", "version", v, "master_pubkey", hex.EncodeToString(pub))
		return nil
	}
	tx.Master.Drop(v)
	tx.Next.GK.Live = false
	r.log.Error("master key version activated on chain that this gatekeeper does not hold; no longer live", "version", v)
	if rs := tx.Next.Rotation; rs != nil && rs.To == v && rs.Copy == state.CopyFaulted {
		return nil // the chain asks for its history itself (refetchFaulted)
	}
	// It missed the proposal (a bootstrap past it): ask for the history.
	return r.emit(&tx.Next, protocol.TopicMasterKeyRefetch, protocol.EncodeU32(v+1))
}

// noteClusterTask tracks the cluster keys of version To the chain asked
// for; noteClusterKey those it published.
func (r *Runtime) noteClusterTask(tx *state.Tx, payload []byte) {
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

func (r *Runtime) noteClusterKey(tx *state.Tx, payload []byte) error {
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
		rs.ClustersHeight = r.height()
	}
	return nil
}

func (r *Runtime) onReencryptStart(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeReencryptStart(payload)
	if err != nil {
		return err
	}
	rs := tx.Next.Rotation
	if rs == nil || p.To != rs.To {
		return nil
	}
	i := rs.Member(r.self())
	if err := rs.StartReencrypt(p.Ranges, i, r.height()); err != nil {
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
func (r *Runtime) onReencryptSweep(tx *state.Tx, payload []byte) error {
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
	r.log.Info("re-encryption sweep: every cluster member holds the new version", "to", p.ToVersion,
		"sweep_height", p.SweepHeight, "ranges_reopened", reopened)
	if reopened > 0 {
		r.wakeReencrypt()
	}
	return nil
}

// onReencryptReassigned follows a stalled range to its new assignee: this
// gatekeeper adopts it, or stops working on its own range.
func (r *Runtime) onReencryptReassigned(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeReencryptReassigned(payload)
	if err != nil {
		return err
	}
	rs := tx.Next.Rotation
	if rs == nil || p.ToVersion != rs.To {
		return nil
	}
	self := r.self()
	own := rs.Reencrypts() && p.Range == rs.Range
	switch {
	case bytes.Equal(p.Assignee, self) && own:
		if err := rs.RegainRange(); err != nil {
			return r.invalidTransition(protocol.TopicReencryptReassigned, err)
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
			return r.invalidTransition(protocol.TopicReencryptReassigned, err)
		}
	default:
		rs.Adopted = slices.DeleteFunc(rs.Adopted, func(a state.AdoptedRange) bool { return a.Range == p.Range })
		return nil
	}
	r.log.Info("re-encryption range reassigned", "to", p.ToVersion, "range", p.Range,
		"assignee", hex.EncodeToString(p.Assignee), "previous", hex.EncodeToString(p.Previous), "mine", bytes.Equal(p.Assignee, self))
	r.wakeReencrypt()
	return nil
}

func (r *Runtime) onMasterKeyRetired(tx *state.Tx, payload []byte) error {
	p, err := protocol.DecodeMasterKeyRetired(payload)
	if err != nil {
		return err
	}
	if rs := tx.Next.Rotation; rs != nil && rs.From == p.Version {
		if err := rs.Retire(p.EraseHeight); err != nil {
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
func (r *Runtime) onMasterKeyErase(tx *state.Tx, payload []byte) error {
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
	r.log.Info("erased master key version", "version", v, "master_key_held", held, "cluster_keys_dropped", dropped)
	return nil
}
