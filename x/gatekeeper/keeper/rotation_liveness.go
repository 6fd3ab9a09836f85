package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// Two liveness rules of re-encryption (issue 12 points 4 and 5;
// docs/gatekeepers.md "Rotation", "Nothing lost at erasure" and "Stalled
// ranges").
//
// Nothing lost at erasure. A worker that lags behind ingress has not seen
// its grant of the new cluster key version and keeps saving blobs under the
// old one, possibly after the gatekeepers verified their ranges. So every
// cluster member acknowledges the new version on chain
// (registry/cluster_key_ack, sent in the pRuntime commit that stores the
// key: from then on it writes only under the new version). The block whose
// end finds every member acknowledged is the rotation's sweep_height; a
// range counts as finished only if its verify pass began at or after it
// (the gatekeeper reports the synced height it began at), and ranges
// verified before it are reopened and swept again
// (registry/reencrypt_sweep). A member that never acknowledges (a dead
// worker) holds retirement back, in plain view (the query lists it); its
// operator or cluster owner removes it from its cluster, and the next block
// no longer waits for it. Nothing is dropped silently.
//
// Stalled ranges. A range whose assignee reported no progress for
// reencrypt_stall_blocks (counted from activation, its last report, its
// last reassignment or the sweep that reopened it, whichever is latest) goes to the next
// gatekeeper of the snapshot after the current assignee, in key order,
// that holds the new version (acknowledged, not faulted), is live on chain
// and is not itself the assignee of a stalled range
// (registry/reencrypt_reassigned). The new assignee resumes the range: the
// reported counts stay on chain, and the engine only checks, never
// rewrites, objects already under the new version. Only the assignee's
// reports count. A range whose job completed with failed objects is not
// stalled: it waits for those objects' apps (see "Faults"), and another
// gatekeeper would fail on them too.

// HandleClusterKeyAck is the x/mq handler of protocol.TopicClusterKeyAck: a
// cluster member holds a key version of its cluster. During a rotation to
// that version it is recorded while re-encryption runs; otherwise (a new
// cluster, a new member, an old version, a retired rotation) it is
// accepted and changes nothing.
func (k *Keeper) HandleClusterKeyAck(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	id, err := protocol.DecodeClusterKeyID(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	cid, ok, err := k.clusterOf(ctx, sender)
	if err != nil {
		return err
	}
	if !ok || cid != id.Cluster {
		return errorsmod.Wrapf(types.ErrNotClusterMember, "registry: worker %x acknowledged a key of cluster %d", sender, id.Cluster)
	}
	c, err := k.Clusters.Get(ctx, cid)
	if err != nil {
		return err
	}
	if id.Version > c.KeyVersion {
		return errorsmod.Wrapf(types.ErrInvalidClusterKeyAck, "registry: worker %x acknowledged key version %d of cluster %d, whose newest is %d",
			sender, id.Version, cid, c.KeyVersion)
	}
	r, running, err := k.runningRotation(ctx)
	if err != nil || !running || id.Version != r.ToVersion || r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		return err // nothing waits for it
	}
	at, found := slices.BinarySearchFunc(r.WorkerAcks, sender, bytes.Compare)
	if found {
		return errorsmod.Wrapf(types.ErrInvalidClusterKeyAck, "registry: worker %x already acknowledged v%d", sender, id.Version)
	}
	r.WorkerAcks = slices.Insert(r.WorkerAcks, at, bytes.Clone(sender))
	if _, err := k.maybeSweep(ctx, &r); err != nil {
		return err
	}
	if r.Retirable() {
		if err := k.retire(ctx, &r); err != nil {
			return err
		}
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventClusterKeyAck,
		sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(r.ToVersion)),
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(sender)),
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(cid)),
		sdk.NewAttribute(types.AttributeWorkerAcks, fmt.Sprint(len(r.WorkerAcks)))))
	return k.Rotations.Set(ctx, r.ToVersion, r)
}

// UnackedWorkers returns the cluster members that have not acknowledged
// the rotation's new version, in key order.
func (k *Keeper) UnackedWorkers(ctx context.Context, r types.Rotation) ([][]byte, error) {
	var out [][]byte
	err := k.WorkerCluster.Walk(ctx, nil, func(w []byte, _ uint64) (bool, error) {
		if !r.WorkerAcked(w) {
			out = append(out, w)
		}
		return false, nil
	})
	return out, err
}

// reencryptEndBlock runs at the end of every block of a REENCRYPTING
// rotation: it sets the sweep height once every member acknowledged the new
// version (reopening ranges verified before it), reassigns stalled ranges,
// and retires the old version when that became possible (a member removed
// from its cluster, say, or a report this block).
func (k *Keeper) reencryptEndBlock(ctx sdk.Context, r *types.Rotation, params types.Params) error {
	changed, err := k.maybeSweep(ctx, r)
	if err != nil {
		return err
	}
	moved, err := k.reassignStalled(ctx, r, params)
	if err != nil {
		return err
	}
	changed = changed || moved
	if r.Retirable() {
		if err := k.retire(ctx, r); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return k.Rotations.Set(ctx, r.ToVersion, *r)
}

// maybeSweep sweeps (below) once no cluster member owes an
// acknowledgement of the new version; it reports whether it did.
func (k *Keeper) maybeSweep(ctx sdk.Context, r *types.Rotation) (bool, error) {
	if r.SweepHeight != 0 || r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		return false, nil
	}
	unacked, err := k.UnackedWorkers(ctx, *r)
	if err != nil || len(unacked) != 0 {
		return false, err
	}
	return true, k.sweep(ctx, r)
}

// sweep records this block as the sweep height and reopens every range
// whose finished verify pass began before it.
func (k *Keeper) sweep(ctx sdk.Context, r *types.Rotation) error {
	h := ctx.BlockHeight()
	r.SweepHeight = h
	reopened := 0
	for i := range r.Gatekeepers {
		row := &r.Gatekeepers[i]
		if row.Finished && row.VerifiedHeight < h {
			// Its stall clock restarts here: the assignee has had no
			// chance to verify again yet.
			row.Finished, row.VerifiedHeight, row.ProgressHeight = false, 0, h
			reopened++
		}
	}
	// Announced even when nothing was reopened: a range whose verify pass is
	// running now began before h, and its gatekeeper must know h to verify
	// again instead of reporting a pass the chain will not count (seen in
	// TestDevnetRotationCrash: a gatekeeper restarted behind the chain began
	// its pass at its stale synced height, and the rotation never retired).
	sw := protocol.ReencryptSweep{ToVersion: r.ToVersion, SweepHeight: uint64(h)}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicReencryptSweep, sw.Encode()); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventReencryptSweep,
		sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(r.ToVersion)),
		sdk.NewAttribute(types.AttributeSweep, fmt.Sprint(h)),
		sdk.NewAttribute(types.AttributeWorkerAcks, fmt.Sprint(len(r.WorkerAcks))),
		sdk.NewAttribute(types.AttributeReopened, fmt.Sprint(reopened))))
	return nil
}

// rangeOpen reports whether range row still owes a finished report that
// counts: not finished, or finished by a verify pass before the sweep.
func rangeOpen(r types.Rotation, row types.RotationGatekeeper) bool {
	return !row.Finished || (r.SweepHeight != 0 && row.VerifiedHeight < r.SweepHeight)
}

// waitingForApps reports whether the range's job completed with failed
// objects: it waits for their apps, not for its assignee.
func waitingForApps(row types.RotationGatekeeper) bool {
	return row.Failed != 0 && row.Total != 0 && row.Done+row.Failed == row.Total
}

// stalledFor is how many blocks range row has gone without progress.
func stalledFor(r types.Rotation, row types.RotationGatekeeper, height int64) int64 {
	last := max(r.ActivatedHeight, row.ProgressHeight, row.AssignedHeight)
	return height - last
}

// reassignStalled moves every stalled range to the next eligible
// gatekeeper (see the comment at the top of this file). It reports whether
// it moved any.
func (k *Keeper) reassignStalled(ctx sdk.Context, r *types.Rotation, params types.Params) (bool, error) {
	h := ctx.BlockHeight()
	stall := int64(params.ReencryptStallBlocks) // ≤ MaxKeyRetention
	var stalled []int
	for i, row := range r.Gatekeepers {
		if rangeOpen(*r, row) && !waitingForApps(row) && stalledFor(*r, row, h) >= stall {
			stalled = append(stalled, i)
		}
	}
	if len(stalled) == 0 {
		return false, nil
	}
	// A gatekeeper that holds a stalled range is not given another.
	busy := func(key []byte) bool {
		for _, i := range stalled {
			if bytes.Equal(r.Gatekeepers[i].RangeAssignee(), key) {
				return true
			}
		}
		return false
	}
	moved := false
	for _, i := range stalled {
		row := &r.Gatekeepers[i]
		prev := row.RangeAssignee()
		from := r.Member(prev)
		n := len(r.Gatekeepers)
		var next []byte
		for j := 1; j < n && next == nil; j++ {
			c := r.Gatekeepers[(from+j)%n]
			if c.AckedHeight == 0 || c.FaultedHeight != 0 || busy(c.IdentityKey) {
				continue
			}
			gk, err := k.currentGatekeeper(ctx, c.IdentityKey)
			if err != nil {
				return false, err // the set is locked while the rotation runs
			}
			if gk.LiveHeight != 0 {
				next = c.IdentityKey
			}
		}
		if next == nil {
			continue // nobody can take it yet; tried again next block
		}
		stalledBlocks := stalledFor(*r, *row, h)
		row.Assignee, row.AssignedHeight = bytes.Clone(next), h
		row.Reassignments++
		if bytes.Equal(next, row.IdentityKey) {
			row.Assignee = nil // back to its own gatekeeper
		}
		msg := protocol.ReencryptReassigned{ToVersion: r.ToVersion, Range: uint32(i), Assignee: next, Previous: prev}
		if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicReencryptReassigned, msg.Encode()); err != nil {
			return false, err
		}
		ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventReencryptReassigned,
			sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(r.ToVersion)),
			sdk.NewAttribute(types.AttributeRange, fmt.Sprint(i)),
			sdk.NewAttribute(types.AttributePrevious, hex.EncodeToString(prev)),
			sdk.NewAttribute(types.AttributeAssignee, hex.EncodeToString(next)),
			sdk.NewAttribute(types.AttributeStalledFor, fmt.Sprint(stalledBlocks)),
			sdk.NewAttribute(types.AttributeDone, fmt.Sprint(row.Done)),
			sdk.NewAttribute(types.AttributeTotal, fmt.Sprint(row.Total))))
		moved = true
	}
	return moved, nil
}
