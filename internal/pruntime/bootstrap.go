package pruntime

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// Bootstrap from proven state, the parts beyond the registration and the
// master key versions (issue 12 point 6). The ingress entries a pRuntime
// missed are pruned; what they would have told it is read, with proofs, from
// x/registry at the proof height:
//
//   - the rotations to the newest master key version n and to n+1: whether
//     a rotation runs (its snapshot, the taken proposal, this gatekeeper's
//     acknowledgement and range with the progress the chain recorded), and
//     which versions were erased meanwhile (the last rotation that ended);
//   - while the running rotation is not activated, its snapshot's worker
//     records, whose receive keys a proposal seals its copies to;
//   - the cluster this worker is in, with the key version it uses and that
//     version's public key.
//
// What it cannot read it asks for: a member that does not hold its
// cluster's current key asks for a grant again (registry/
// cluster_key_request), a gatekeeper that does not hold every version on
// chain asks for its history (registry/master_key_refetch). A gatekeeper
// whose rotation copy was in a pruned proposal gets the new version that way
// once it is activated (onActivated asks then).
//
// Entries the chain still retains from before the proof height are replayed
// over this state (the pRuntime continues from the first retained index), so
// every handler they reach takes a repeat of what the proven state already
// says: onMasterKey ignores a recorded version, onRotationProposed opens a
// taken proposal this gatekeeper has not acknowledged.

// bootstrapView is what the proven reads of a bootstrap say beyond the
// first ingress index, the pRuntime's own records and the master keys.
type bootstrapView struct {
	// rotation is the running rotation (phase before DONE), or nil.
	rotation *rotationRecord
	// receiveKeys are its snapshot's receive keys, in its order, while it
	// is not activated (a proposal is sealed to them); nil after.
	receiveKeys [][]byte
	// erasedBelow: versions below it were erased.
	erasedBelow uint32
	// cluster is the cluster this worker is in, or nil.
	cluster *clusterRecord
	// egressSeq is the chain's next expected sequence of this worker origin.
	egressSeq uint64
}

// provenState is everything a bootstrap verified.
type provenState struct {
	// first is the oldest ingress index the chain retains.
	first uint64
	// registered and gatekeeper: this pRuntime's records exist.
	registered, gatekeeper bool
	// masterPubKeys are the master key versions it did not know.
	masterPubKeys [][]byte
	view          bootstrapView
}

// bootstrapper carries a pRuntime past the chain's ingress retention from
// proven reads.
type bootstrapper struct {
	r *Runtime
}

// bootstrapFrom commits the state p proves; the caller holds mu and has
// verified p against the latest verified header.
func (bt *bootstrapper) bootstrapFrom(p provenState) error {
	self := bt.r.self()
	tx := &state.Tx{Next: bt.r.st.Clone(), Master: bt.r.master.Clone()}
	next := &tx.Next
	next.MasterPubKeys = append(next.MasterPubKeys, p.masterPubKeys...)
	next.NextIngress = p.first
	// The head at first is proven with the first range after it.
	next.IngressHead = nil
	// After a lost checkpoint the sequences up to the chain's are used: a
	// message signed at one of them would be taken for accepted and dropped.
	next.NextEgressSeq = max(next.NextEgressSeq, p.view.egressSeq)
	next.Gatekeepers = nil
	if p.gatekeeper {
		next.AddGatekeeper(self)
	} else if bt.r.st.IsGatekeeper(self) {
		bt.r.gatekeeper.OnGatekeeperRemoved(tx)
	}
	if p.registered && !next.Registered {
		if err := bt.r.dispatch.becomeRegistered(next); err != nil {
			return err
		}
	}
	next.Registered = p.registered
	if err := bt.applyBootstrap(tx, p.view); err != nil {
		return err
	}
	bt.r.log.Info("bootstrapped from proven state", "next_ingress", p.first, "registered", p.registered, "gatekeeper", p.gatekeeper,
		"master_versions", len(next.MasterPubKeys))
	return bt.r.commitIngress(tx, true)
}

// rotationReadVersions are the to_versions whose rotation records a
// bootstrap proves when the chain has n master key versions: n (a rotation
// not activated yet) and n-1 (one activated, or the last that ended).
// Version 0 is never a rotation's.
func rotationReadVersions(n uint32) []uint32 {
	var tos []uint32
	if n >= 1 {
		tos = append(tos, n)
	}
	if n >= 2 {
		tos = append(tos, n-1)
	}
	return tos
}

// verifyBootstrapView checks the proven reads of req beyond the first
// ingress, the own records and the master keys; n is the number of master
// key versions on chain at the proof height.
func (bt *bootstrapper) verifyBootstrapView(req api.BootstrapRequest, n uint32) (bootstrapView, error) {
	var v bootstrapView
	tos := rotationReadVersions(n)
	if len(req.Rotations) != len(tos) {
		return v, fmt.Errorf("%w: rotations: %d reads, want %d (to versions %v)", ErrBadRequest, len(req.Rotations), len(tos), tos)
	}
	recs := make([]*rotationRecord, len(tos))
	for i, to := range tos {
		present, err := bt.r.prover.verifyRead(protocol.GatekeeperStoreName, protocol.RotationKey(to), req.Rotations[i])
		if err != nil {
			return v, fmt.Errorf("rotation to %d: %w", to, err)
		}
		if !present {
			continue
		}
		rec, err := parseRotationRecord(req.Rotations[i].Value, to)
		if err != nil {
			return v, err
		}
		recs[i] = &rec
	}
	var err error
	if v.rotation, v.erasedBelow, err = runningRotation(recs, n); err != nil {
		return v, err
	}
	want := 0
	if v.rotation != nil && v.rotation.Phase <= rotationAcking {
		want = len(v.rotation.Gatekeepers)
	}
	if len(req.RotationWorkers) != want {
		return v, fmt.Errorf("%w: rotation workers: %d reads, want %d", ErrBadRequest, len(req.RotationWorkers), want)
	}
	for i := range want {
		id := v.rotation.Gatekeepers[i].Identity
		present, err := bt.r.prover.verifyRead(protocol.RegistryStoreName, protocol.WorkerKey(id), req.RotationWorkers[i])
		if err == nil && !present {
			err = fmt.Errorf("%w: absent", ErrBadRequest)
		}
		if err != nil {
			return v, fmt.Errorf("worker record of rotation gatekeeper %d: %w", i, err)
		}
		rk, err := parseWorkerReceiveKey(req.RotationWorkers[i].Value, id)
		if err != nil {
			return v, err
		}
		v.receiveKeys = append(v.receiveKeys, rk)
	}
	c, member, err := bt.verifyBootstrapCluster(req)
	if err != nil {
		return v, err
	}
	if member {
		v.cluster = &c
	}
	v.egressSeq, err = bt.r.prover.provenSeq(protocol.WorkerOrigin(bt.r.self()), req.EgressSeq)
	return v, err
}

// runningRotation derives, from the rotation records to versions
// rotationReadVersions(n) (nil: proven absent), the running rotation and
// the versions erased. Version n does not exist (the master key reads proved
// it absent), so a rotation to n is not activated and one to n-1 is; a
// rotation runs until it erased its old version, so the rotation before a
// running one has ended.
func runningRotation(recs []*rotationRecord, n uint32) (running *rotationRecord, erasedBelow uint32, err error) {
	switch {
	case len(recs) > 0 && recs[0] != nil:
		if recs[0].Phase > rotationAcking {
			return nil, 0, fmt.Errorf("%w: rotation to %d is in phase %d, but version %d is not on chain", ErrBadRequest, n, recs[0].Phase, n)
		}
		if len(recs) > 1 && recs[1] != nil {
			if recs[1].Phase != rotationDone {
				return nil, 0, fmt.Errorf("%w: rotations to %d and %d both run", ErrBadRequest, n-1, n)
			}
			erasedBelow = n - 1
		}
		return recs[0], erasedBelow, nil
	case len(recs) > 1 && recs[1] != nil:
		switch recs[1].Phase {
		case rotationDone:
			return nil, n - 1, nil
		case rotationReencrypting, rotationRetiring:
			return recs[1], n - 2, nil
		default:
			return nil, 0, fmt.Errorf("%w: rotation to %d is in phase %d, but version %d is on chain", ErrBadRequest, n-1, recs[1].Phase, n-1)
		}
	}
	return nil, 0, nil
}

// verifyBootstrapCluster checks the proven read of this worker's cluster
// membership and, if it is a member, of the cluster's record; member
// reports whether it is one.
func (bt *bootstrapper) verifyBootstrapCluster(req api.BootstrapRequest) (c clusterRecord, member bool, err error) {
	present, err := bt.r.prover.verifyRead(protocol.GatekeeperStoreName, protocol.WorkerClusterKey(bt.r.self()), req.WorkerCluster)
	if err != nil {
		return c, false, fmt.Errorf("worker cluster: %w", err)
	}
	if !present {
		if req.Cluster != nil {
			return c, false, fmt.Errorf("%w: a cluster record of a worker in no cluster", ErrBadRequest)
		}
		return c, false, nil
	}
	id, err := parseWorkerCluster(req.WorkerCluster.Value)
	if err != nil {
		return c, false, err
	}
	if req.Cluster == nil {
		return c, false, fmt.Errorf("%w: worker is in cluster %d but its record is missing", ErrBadRequest, id)
	}
	present, err = bt.r.prover.verifyRead(protocol.GatekeeperStoreName, protocol.ClusterKey(id), *req.Cluster)
	if err == nil && !present {
		err = fmt.Errorf("%w: absent", ErrBadRequest)
	}
	if err != nil {
		return c, false, fmt.Errorf("cluster %d: %w", id, err)
	}
	if c, err = parseClusterRecord(req.Cluster.Value, id); err != nil {
		return c, false, err
	}
	return c, true, nil
}

// applyBootstrap brings tx up to the proven view: erasures it missed, the
// cluster it is in, and, for a gatekeeper, the running rotation and its
// liveness. Registration and the gatekeeper set are applied before.
func (bt *bootstrapper) applyBootstrap(tx *state.Tx, v bootstrapView) error {
	next := &tx.Next
	if v.erasedBelow > next.MasterErasedBelow {
		// What onMasterKeyErase would have done, for every version missed.
		next.MasterErasedBelow = v.erasedBelow
		held := tx.Master.EraseBelow(v.erasedBelow)
		if c := next.Cluster; c != nil {
			c.Keys = slices.DeleteFunc(c.Keys, func(k state.ClusterKey) bool { return k.Version < v.erasedBelow })
		}
		tx.Erased = true
		bt.r.log.Info("bootstrap: erased master key versions the chain erased meanwhile", "below", v.erasedBelow, "master_key_held", held)
	}
	if err := bt.bootstrapCluster(tx, v.cluster); err != nil {
		return err
	}
	if !next.IsGatekeeper(bt.r.self()) {
		return nil
	}
	if rs := next.Rotation; rs != nil && (v.rotation == nil || v.rotation.To != rs.To) {
		// The rotation it knew ended while it was away.
		next.Rotation = nil
		tx.RotationDone = true
	}
	if v.rotation != nil {
		bt.bootstrapRotation(tx, v)
	}
	n := uint32(len(next.MasterPubKeys))
	if n == 0 {
		return nil // the launch is still ahead
	}
	if !bt.holdsOnChainHistory(tx) {
		// Its copies were in pruned entries: ask for them again.
		next.GK.Live = false
		bt.r.log.Warn("bootstrap: this gatekeeper lacks master key versions on chain; asking for its history", "versions", n,
			"erased_below", next.MasterErasedBelow, "held", tx.Master.Count())
		return bt.r.sign.emit(next, protocol.TopicMasterKeyRefetch, protocol.EncodeU32(n))
	}
	if !next.GK.Live {
		// It holds and verified (when it sealed them) every version: the
		// copies that would have made it live were pruned, not refused.
		if err := bt.r.gatekeeper.GoLive(tx); err != nil {
			return err
		}
	}
	return bt.bootstrapAck(tx)
}

// holdsOnChainHistory reports whether the sealed history holds every
// version not erased, each the key the chain recorded. A version that does
// not match (a proposal of its own the chain never took, while another
// activated) is dropped, to be fetched again.
func (bt *bootstrapper) holdsOnChainHistory(tx *state.Tx) bool {
	next := &tx.Next
	all := true
	for v := next.MasterErasedBelow; v < uint32(len(next.MasterPubKeys)); v++ {
		k := tx.Master.Get(v)
		if k != nil && subtle.ConstantTimeCompare(k.PublicKey(), next.MasterPubKeys[v]) != 1 {
			bt.r.log.Warn("bootstrap: the sealed master key version is not the one on chain; dropping it", "version", v)
			tx.Master.Drop(v)
			k = nil
		}
		all = all && k != nil
	}
	return all
}

// bootstrapCluster applies this worker's proven cluster membership: a
// member expects its cluster's current key version and, if it does not
// hold it, asks for a grant; a worker in no cluster keeps no cluster key.
func (bt *bootstrapper) bootstrapCluster(tx *state.Tx, c *clusterRecord) error {
	next := &tx.Next
	if c == nil {
		if next.Cluster != nil {
			bt.r.log.Info("bootstrap: no longer in a cluster; dropping its keys", "cluster", next.Cluster.ID)
			next.Cluster = nil
		}
		return nil
	}
	if next.Cluster == nil || next.Cluster.ID != c.ID {
		next.Cluster = &state.MemberCluster{ID: c.ID}
	}
	if len(c.PublicKey) == 0 {
		return nil // the chain grants every member once the gatekeepers publish it
	}
	id := protocol.ClusterKeyID{Cluster: c.ID, Version: c.Version}
	next.ExpectClusterKey(id, c.PublicKey)
	if slot := next.ClusterKeySlot(id); len(slot.Key) > 0 {
		return nil
	}
	bt.r.log.Info("bootstrap: this worker lacks its cluster's current key; asking for a grant", "cluster", c.ID, "version", c.Version)
	return bt.r.sign.emit(next, protocol.TopicClusterKeyRequest, id.Encode())
}

// bootstrapRotation rebuilds this gatekeeper's view of the running rotation
// from its record: what onRotationStart, onRotationProposed,
// onRotationRejected, onReencryptStart and onMasterKeyRetired would have
// recorded.
func (bt *bootstrapper) bootstrapRotation(tx *state.Tx, v bootstrapView) {
	rec := v.rotation
	prev := tx.Next.Rotation
	rs := &state.Rotation{From: rec.From, To: rec.To, ReceiveKeys: v.receiveKeys, ClockHeight: bt.r.height(), Rejected: rec.Rejected}
	for _, g := range rec.Gatekeepers {
		rs.Members = append(rs.Members, bytes.Clone(g.Identity))
	}
	// The record's phase is a chain phase; a running rotation is never
	// done (runningRotation), so it is one of the enclave's phases too.
	rs.Phase = min(state.RotationPhase(rec.Phase), state.RotationRetiring)
	if prev != nil && prev.To == rec.To && rec.Phase == rotationProposing && prev.Copy == state.CopyProposed {
		rs.Copy = state.CopyProposed
	}
	if rec.Phase >= rotationAcking {
		rs.Proposer, rs.PublicKey = rec.Proposer, rec.PublicKey
	}
	i := rs.Member(bt.r.self())
	if i >= 0 && rec.Phase >= rotationAcking {
		switch row := rec.Gatekeepers[i]; {
		case row.AckedHeight != 0:
			rs.Copy = state.CopyAcked
		case row.FaultedHeight != 0:
			rs.Copy = state.CopyFaulted
		}
	}
	if rec.Phase >= rotationReencrypting {
		rs.Ranges = uint32(len(rec.Gatekeepers))
		// The cluster tasks of the new version may have been pruned: wait
		// ReencryptDelayBlocks from here, as from the last publication.
		rs.ClustersHeight = bt.r.height()
		self := bt.r.self()
		if i >= 0 {
			row := rec.Gatekeepers[i]
			rs.RangeState, rs.Range = state.RangeAssigned, uint32(i)
			rs.Done, rs.Total, rs.Failed, rs.Finished = row.Done, row.Total, row.Failed, row.Finished
			if len(row.Assignee) > 0 && !bytes.Equal(row.Assignee, self) {
				rs.RangeState = state.RangeLost // the chain moved it to another gatekeeper (it stalled)
			}
			bt.r.reencWork.wakeReencrypt()
		}
		// Ranges the chain moved to this gatekeeper, with the progress the
		// chain holds, as onReencryptReassigned would have adopted them.
		for j, row := range rec.Gatekeepers {
			if j != i && bytes.Equal(row.Assignee, self) {
				rs.Adopted = append(rs.Adopted, state.AdoptedRange{Range: uint32(j), Done: row.Done, Total: row.Total, Failed: row.Failed, Finished: row.Finished})
				bt.r.reencWork.wakeReencrypt()
			}
		}
	}
	if rec.Phase == rotationRetiring {
		rs.EraseHeight = rec.EraseHeight
	}
	tx.Next.Rotation = rs
	bt.r.log.Info("bootstrap: master key rotation running", "from", rs.From, "to", rs.To, "phase", rs.Phase.String(),
		"member", i >= 0, "acked", rs.Copy == state.CopyAcked, "range", rs.Range, "reencrypt", rs.Reencrypts())
}

// bootstrapAck acknowledges a taken proposal this gatekeeper sealed but
// whose acknowledgement the chain has not recorded (its checkpoint was lost
// after the seal): the sealed history is the proof it holds the version.
func (bt *bootstrapper) bootstrapAck(tx *state.Tx) error {
	rs := tx.Next.Rotation
	if rs == nil || !rs.Taken() || rs.Copy == state.CopyAcked || rs.Member(bt.r.self()) < 0 {
		return nil
	}
	k := tx.Master.Get(rs.To)
	if k == nil || subtle.ConstantTimeCompare(k.PublicKey(), rs.PublicKey) != 1 {
		return nil
	}
	if err := rs.Ack(); err != nil {
		return err // checked above
	}
	bt.r.log.Info("bootstrap: holding the proposed master key version; acknowledging", "version", rs.To)
	return bt.r.sign.emit(&tx.Next, protocol.TopicRotationAck, protocol.EncodeU32(rs.To))
}
