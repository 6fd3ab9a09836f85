package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// Master key rotation, the chain's side (DESIGN §6 "Rotation";
// docs/gatekeepers.md "Rotation"). One Rotation record per rotation, in
// Rotations by to_version; the running one is the last. Its phases:
//
//	PROPOSING     started (MsgRotateMasterKey or rotation_interval); the
//	              snapshot of the gatekeeper set is fixed; waiting for the
//	              first valid registry/rotation_proposal.
//	ACKING        a proposal taken; waiting for a quorum of the snapshot's
//	              registry/rotation_ack. A proposal so many snapshot
//	              gatekeepers report faulty that no quorum can acknowledge
//	              it is dropped: back to PROPOSING, its proposer barred.
//	REENCRYPTING  to_version recorded and republished, every cluster moved
//	              to key version to_version, re-encryption ranges assigned;
//	              waiting for every range to finish without failures
//	              (registry/reencrypt_progress).
//	RETIRING      from_version retired; erased at the end of erase_height.
//	DONE          from_version erased; the record is history, and its
//	              start_height times the next automatic rotation.
//
// The gatekeeper set is locked from PROPOSING to REENCRYPTING, so the
// snapshot is the current set throughout: no snapshot gatekeeper can be
// removed while it holds a range, and no gatekeeper can join that the
// proposal has no copy for.

// lastRotation returns the newest rotation record, running or not.
func (k *Keeper) lastRotation(ctx context.Context) (types.Rotation, bool, error) {
	it, err := k.Rotations.Iterate(ctx, new(collections.Range[uint32]).Descending())
	if err != nil {
		return types.Rotation{}, false, err
	}
	defer it.Close()
	if !it.Valid() {
		return types.Rotation{}, false, nil
	}
	r, err := it.Value()
	return r, err == nil, err
}

// runningRotation returns the rotation in progress, if any.
func (k *Keeper) runningRotation(ctx context.Context) (types.Rotation, bool, error) {
	r, ok, err := k.lastRotation(ctx)
	if err != nil || !ok || !r.Running() {
		return types.Rotation{}, false, err
	}
	return r, true, nil
}

// requireGatekeeperSetUnlocked refuses gatekeeper-set changes while a
// rotation is before retirement.
func (k *Keeper) requireGatekeeperSetUnlocked(ctx context.Context) error {
	r, ok, err := k.runningRotation(ctx)
	if err != nil || !ok || !r.LocksGatekeeperSet() {
		return err
	}
	return errorsmod.Wrapf(types.ErrRotationInProgress, "gatekeeper set is locked while master key rotation to v%d is in phase %s",
		r.ToVersion, types.PhaseName(r.Phase))
}

// gatekeeperQuorum is how many of a gatekeeper set of n make a quorum: the
// rule x/mq applies to gatekeeper-origin messages (param gk_quorum, or a
// majority).
func (k *Keeper) gatekeeperQuorum(ctx context.Context, n int) (int, error) {
	p, err := k.ingress.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	return p.Quorum(n), nil
}

// StartRotation starts a rotation of the master key from the newest version
// v to v+1: it snapshots the gatekeeper set and announces it
// (registry/rotation_start). It fails, changing nothing, unless a master key
// exists, no rotation is running, no pRuntime migration is pending, the set
// has at most
// protocol.MaxRotationGatekeepers members and a quorum of them is live.
func (k *Keeper) StartRotation(ctx context.Context, byGovernance bool) (types.Rotation, error) {
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return types.Rotation{}, err
	}
	if n == 0 {
		return types.Rotation{}, errorsmod.Wrap(types.ErrNoMasterKey, "nothing to rotate")
	}
	if n == math.MaxUint32 {
		return types.Rotation{}, errorsmod.Wrapf(types.ErrUnknownKeyVersion, "master key v%d is the last version there can be", n-1)
	}
	if r, ok, err := k.runningRotation(ctx); err != nil {
		return types.Rotation{}, err
	} else if ok {
		return types.Rotation{}, errorsmod.Wrapf(types.ErrRotationInProgress, "the rotation to v%d is in phase %s", r.ToVersion, types.PhaseName(r.Phase))
	}
	if err := k.requireNoMigration(ctx, "cannot rotate the master key"); err != nil {
		return types.Rotation{}, err
	}
	var snapshot []types.RotationGatekeeper
	var members []protocol.RotationMember
	live := 0
	err = k.Gatekeepers.Walk(ctx, nil, func(key []byte, g types.Gatekeeper) (bool, error) {
		if g.LiveHeight != 0 {
			live++
		}
		snapshot = append(snapshot, types.RotationGatekeeper{IdentityKey: key})
		return len(snapshot) > protocol.MaxRotationGatekeepers, nil
	})
	if err != nil {
		return types.Rotation{}, err
	}
	if len(snapshot) > protocol.MaxRotationGatekeepers {
		return types.Rotation{}, errorsmod.Wrapf(types.ErrTooManyGatekeepers, "more than %d gatekeepers (one rotation proposal carries a copy for each)", protocol.MaxRotationGatekeepers)
	}
	q, err := k.gatekeeperQuorum(ctx, len(snapshot))
	if err != nil {
		return types.Rotation{}, err
	}
	if live < q {
		return types.Rotation{}, errorsmod.Wrapf(types.ErrQuorumNotLive, "%d of %d gatekeepers live, a rotation needs a quorum of %d", live, len(snapshot), q)
	}
	for _, g := range snapshot {
		w, err := k.registry.GetWorker(ctx, g.IdentityKey)
		if err != nil {
			return types.Rotation{}, err
		}
		members = append(members, protocol.RotationMember{Identity: g.IdentityKey, ReceiveKey: w.ReceiveKey})
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	r := types.Rotation{
		FromVersion: n - 1, ToVersion: n, Phase: types.ROTATION_PHASE_PROPOSING,
		ByGovernance: byGovernance, StartHeight: sdkCtx.BlockHeight(), Gatekeepers: snapshot,
	}
	if err := k.Rotations.Set(ctx, r.ToVersion, r); err != nil {
		return types.Rotation{}, err
	}
	start := protocol.RotationStart{From: r.FromVersion, To: r.ToVersion, Gatekeepers: members}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicRotationStart, start.Encode()); err != nil {
		return types.Rotation{}, err
	}
	trigger := "interval"
	if byGovernance {
		trigger = "governance"
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventRotationStarted,
		sdk.NewAttribute(types.AttributeFromVersion, fmt.Sprint(r.FromVersion)),
		sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(r.ToVersion)),
		sdk.NewAttribute(types.AttributeTrigger, trigger),
		sdk.NewAttribute(types.AttributeGatekeepers, fmt.Sprint(len(snapshot))),
		sdk.NewAttribute(types.AttributeQuorum, fmt.Sprint(q))))
	return r, nil
}

// rotationEndBlock erases a retired version at its erase height and starts
// the automatic rotation when rotation_interval has passed. The automatic
// trigger waits, without an error, while a rotation may not start.
func (k *Keeper) rotationEndBlock(ctx context.Context, params types.Params) error {
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	r, running, err := k.runningRotation(ctx)
	if err != nil {
		return err
	}
	if running && r.Phase == types.ROTATION_PHASE_REENCRYPTING {
		if err := k.reencryptEndBlock(sdk.UnwrapSDKContext(ctx), &r, params); err != nil {
			return err
		}
	}
	if running && r.Phase == types.ROTATION_PHASE_RETIRING && height >= r.EraseHeight {
		if err := k.erase(ctx, r); err != nil {
			return err
		}
		running = false
	}
	if running || params.RotationInterval == 0 {
		return nil
	}
	next, ok, err := k.nextAutomaticRotation(ctx, params)
	if err != nil || !ok || height < next {
		return err
	}
	_, err = k.StartRotation(ctx, false)
	switch {
	case errors.Is(err, types.ErrQuorumNotLive), errors.Is(err, types.ErrTooManyGatekeepers), errors.Is(err, types.ErrMigrationPending),
		errors.Is(err, types.ErrNoMasterKey), errors.Is(err, types.ErrUnknownKeyVersion):
		return nil
	}
	return err
}

// nextAutomaticRotation is the first height at which rotation_interval
// starts a rotation: the last rotation's start, or before the first the
// newest master key's height, plus the interval. ok is false while the
// interval is off or there is no master key.
func (k *Keeper) nextAutomaticRotation(ctx context.Context, params types.Params) (int64, bool, error) {
	if params.RotationInterval == 0 {
		return 0, false, nil
	}
	var since int64
	if r, ok, err := k.lastRotation(ctx); err != nil {
		return 0, false, err
	} else if ok {
		since = r.StartHeight
	} else {
		n, err := k.MasterKeyCount(ctx)
		if err != nil || n == 0 {
			return 0, false, err
		}
		mk, err := k.MasterKeys.Get(ctx, n-1)
		if err != nil {
			return 0, false, err
		}
		since = mk.Height
	}
	if params.RotationInterval > uint64(math.MaxInt64-since) {
		return 0, false, nil
	}
	return since + int64(params.RotationInterval), true, nil
}

// rotationOf returns the running rotation to version and the sender's index
// in its snapshot, after the checks every rotation message shares.
func (k *Keeper) rotationOf(ctx context.Context, sender []byte, version uint32, what string) (types.Rotation, int, error) {
	r, ok, err := k.runningRotation(ctx)
	if err != nil {
		return types.Rotation{}, 0, err
	}
	if !ok {
		return types.Rotation{}, 0, errorsmod.Wrapf(types.ErrNoRotation, "%s of version %d", what, version)
	}
	if version != r.ToVersion {
		return types.Rotation{}, 0, errorsmod.Wrapf(types.ErrKeyVersionMismatch, "%s of version %d, the rotation is to v%d", what, version, r.ToVersion)
	}
	i := r.Member(sender)
	if i < 0 {
		return types.Rotation{}, 0, errorsmod.Wrapf(types.ErrNotGatekeeper, "%s from %x, which is not a gatekeeper of the rotation to v%d", what, sender, r.ToVersion)
	}
	return r, i, nil
}

// HandleRotationProposal is the x/mq handler of
// protocol.TopicRotationProposal: a live gatekeeper of the snapshot proposes
// the new version. The first valid proposal is taken and republished with
// its proposer (registry/rotation_proposed); the chain checks its shape and
// public key, never the sealed copies (the receivers do, and report a bad
// one as a key fault against the proposer).
func (k *Keeper) HandleRotationProposal(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	p, err := protocol.DecodeRotationProposal(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	r, _, err := k.rotationOf(ctx, sender, p.ToVersion, "proposal")
	if err != nil {
		return err
	}
	if r.Phase != types.ROTATION_PHASE_PROPOSING {
		return errorsmod.Wrapf(types.ErrProposalTaken, "the rotation to v%d took the proposal of %x at height %d (phase %s)",
			r.ToVersion, r.Proposer, r.ProposedHeight, types.PhaseName(r.Phase))
	}
	if err := k.requireLive(ctx, sender); err != nil {
		return err
	}
	for _, rej := range r.RejectedProposers {
		if bytes.Equal(rej, sender) {
			return errorsmod.Wrapf(types.ErrProposerRejected, "gatekeeper %x, rotation to v%d", sender, r.ToVersion)
		}
	}
	if len(p.Copies) != len(r.Gatekeepers) {
		return errorsmod.Wrapf(types.ErrInvalidProposal, "%d copies, the snapshot has %d gatekeepers (one copy each, in key order)", len(p.Copies), len(r.Gatekeepers))
	}
	if err := crypto.ValidateMasterPublicKey(p.PublicKey); err != nil {
		return errorsmod.Wrap(types.ErrInvalidMasterKey, err.Error())
	}
	var reused error
	if err := k.MasterKeys.Walk(ctx, nil, func(v uint32, mk types.MasterKey) (bool, error) {
		if bytes.Equal(mk.PublicKey, p.PublicKey) {
			reused = errorsmod.Wrapf(types.ErrInvalidMasterKey, "the public key of version %d proposed again", v)
		}
		return reused != nil, nil
	}); err != nil {
		return err
	}
	if reused != nil {
		return reused
	}
	r.Phase = types.ROTATION_PHASE_ACKING
	r.Proposer, r.PublicKey, r.ProposedHeight = sender, p.PublicKey, ctx.BlockHeight()
	if err := k.Rotations.Set(ctx, r.ToVersion, r); err != nil {
		return err
	}
	proposed := protocol.RotationProposed{Proposer: sender, RotationProposal: p}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicRotationProposed, proposed.Encode()); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventRotationProposed,
		sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(r.ToVersion)),
		sdk.NewAttribute(types.AttributeProposer, hex.EncodeToString(sender)),
		sdk.NewAttribute(types.AttributePublicKey, hex.EncodeToString(p.PublicKey))))
	return nil
}

// HandleRotationAck is the x/mq handler of protocol.TopicRotationAck: a live
// gatekeeper of the snapshot sealed the proposed version. At a quorum of the
// snapshot the version activates. Acknowledgements after activation are
// still recorded: the query shows who holds the new version.
func (k *Keeper) HandleRotationAck(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	v, err := protocol.DecodeU32("to version", m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	r, i, err := k.rotationOf(ctx, sender, v, "acknowledgement")
	if err != nil {
		return err
	}
	if r.Phase == types.ROTATION_PHASE_PROPOSING {
		return errorsmod.Wrapf(types.ErrRotationPhase, "acknowledgement of v%d from %x, but no proposal is taken yet", v, sender)
	}
	if err := k.requireLive(ctx, sender); err != nil {
		return err
	}
	row := &r.Gatekeepers[i]
	if row.AckedHeight != 0 {
		return errorsmod.Wrapf(types.ErrDuplicateAck, "gatekeeper %x acknowledged v%d at height %d", sender, v, row.AckedHeight)
	}
	row.AckedHeight = ctx.BlockHeight()
	q, err := k.gatekeeperQuorum(ctx, len(r.Gatekeepers))
	if err != nil {
		return err
	}
	acks := r.Acks()
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventRotationAck,
		sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(v)),
		sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(sender)),
		sdk.NewAttribute(types.AttributeAcks, fmt.Sprint(acks)),
		sdk.NewAttribute(types.AttributeQuorum, fmt.Sprint(q))))
	if r.Phase == types.ROTATION_PHASE_ACKING && acks >= q {
		if err := k.activate(ctx, &r); err != nil {
			return err
		}
	}
	return k.Rotations.Set(ctx, r.ToVersion, r)
}

// activate makes the proposed version the newest master key: recorded and
// republished as v0 was; every cluster moves to the new key version through
// a cluster task (the gatekeepers publish its public key, then the chain
// grants the members); the snapshot gatekeepers get a re-encryption range
// each, range i for the i-th.
func (k *Keeper) activate(ctx sdk.Context, r *types.Rotation) error {
	if err := k.recordMasterKey(ctx, r.ToVersion, r.PublicKey, r.Proposer); err != nil {
		return err
	}
	var clusters []types.Cluster
	if err := k.Clusters.Walk(ctx, nil, func(_ uint64, c types.Cluster) (bool, error) {
		clusters = append(clusters, c)
		return false, nil
	}); err != nil {
		return err
	}
	for _, c := range clusters {
		c.KeyVersion, c.PublicKey = r.ToVersion, nil
		if err := k.Clusters.Set(ctx, c.Id, c); err != nil {
			return err
		}
		if _, err := k.requestClusterKey(ctx, c); err != nil {
			return err
		}
	}
	if err := k.refetchFaulted(ctx, r); err != nil {
		return err
	}
	start := protocol.ReencryptStart{From: r.FromVersion, To: r.ToVersion, Ranges: uint32(len(r.Gatekeepers))}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicReencryptStart, start.Encode()); err != nil {
		return err
	}
	r.Phase, r.ActivatedHeight = types.ROTATION_PHASE_REENCRYPTING, ctx.BlockHeight()
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMasterKeyActivated,
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(r.ToVersion)),
		sdk.NewAttribute(types.AttributePublicKey, hex.EncodeToString(r.PublicKey)),
		sdk.NewAttribute(types.AttributeProposer, hex.EncodeToString(r.Proposer)),
		sdk.NewAttribute(types.AttributeClusters, fmt.Sprint(len(clusters))),
		sdk.NewAttribute(types.AttributeRanges, fmt.Sprint(len(r.Gatekeepers)))))
	return nil
}

// refetchFaulted handles, at activation, the snapshot gatekeepers that
// reported the taken proposal's copy to them faulty while a quorum
// acknowledged it: they do not hold the new version, and their pRuntimes
// stop being live when it is recorded. The chain marks them not live and
// asks the live gatekeepers for their history, as for a joiner; a good copy
// makes them live again (registry/gatekeeper_live). A gatekeeper that only
// acknowledges late (it was offline) is left alone: it seals the version
// from the proposal when it catches up.
func (k *Keeper) refetchFaulted(ctx sdk.Context, r *types.Rotation) error {
	for _, g := range r.Gatekeepers {
		if g.FaultedHeight == 0 || g.AckedHeight != 0 {
			continue
		}
		if err := k.refetch(ctx, g.IdentityKey, r.ToVersion); err != nil {
			return err
		}
	}
	return nil
}

// refetch marks gatekeeper key not live and asks the live gatekeepers for
// its master key history.
func (k *Keeper) refetch(ctx sdk.Context, key []byte, version uint32) error {
	gk, err := k.currentGatekeeper(ctx, key)
	if err != nil {
		return err // the set is locked while the rotation runs
	}
	gk.LiveHeight = 0
	if err := k.Gatekeepers.Set(ctx, key, gk); err != nil {
		return err
	}
	w, err := k.registry.GetWorker(ctx, key)
	if err != nil {
		return err
	}
	if err := k.requestMasterKey(ctx, key, w.ReceiveKey); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMasterKeyRefetch,
		sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(key)),
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(version))))
	return nil
}

// proposalFault records a master key fault against the proposal a rotation
// is acknowledging, reported by a snapshot gatekeeper that has not
// acknowledged it. When so many report it that the rest can no longer make
// a quorum, the proposal is dropped and the rotation proposes again without
// that proposer: a gatekeeper that proposes garbage cannot stall a rotation
// (and with it the locked gatekeeper set) for good. Faults about anything
// else only count against the sender, as before. A fault reported after
// activation (a gatekeeper that was behind) marks it and refetches its
// history at once, as activation does for the faults before it.
func (k *Keeper) proposalFault(ctx sdk.Context, reporter []byte, f protocol.KeyFault) error {
	r, ok, err := k.runningRotation(ctx)
	if err != nil || !ok || f.Version != r.ToVersion || !bytes.Equal(f.Sender, r.Proposer) {
		return err
	}
	activated := r.Phase == types.ROTATION_PHASE_REENCRYPTING || r.Phase == types.ROTATION_PHASE_RETIRING
	if r.Phase != types.ROTATION_PHASE_ACKING && !activated {
		return nil
	}
	i := r.Member(reporter)
	if i < 0 || r.Gatekeepers[i].AckedHeight != 0 || r.Gatekeepers[i].FaultedHeight != 0 {
		return nil
	}
	r.Gatekeepers[i].FaultedHeight = ctx.BlockHeight()
	if activated {
		if err := k.refetch(ctx, reporter, r.ToVersion); err != nil {
			return err
		}
		return k.Rotations.Set(ctx, r.ToVersion, r)
	}
	faulted := 0
	for _, g := range r.Gatekeepers {
		if g.FaultedHeight != 0 && g.AckedHeight == 0 {
			faulted++
		}
	}
	q, err := k.gatekeeperQuorum(ctx, len(r.Gatekeepers))
	if err != nil {
		return err
	}
	if len(r.Gatekeepers)-faulted < q {
		rejected := protocol.RotationRejected{ToVersion: r.ToVersion, Proposer: r.Proposer}
		if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicRotationProposalRejected, rejected.Encode()); err != nil {
			return err
		}
		ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventRotationProposalRejected,
			sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(r.ToVersion)),
			sdk.NewAttribute(types.AttributeProposer, hex.EncodeToString(r.Proposer)),
			sdk.NewAttribute(types.AttributeFaults, fmt.Sprint(faulted))))
		r.RejectedProposers = append(r.RejectedProposers, r.Proposer)
		r.Phase, r.Proposer, r.PublicKey, r.ProposedHeight = types.ROTATION_PHASE_PROPOSING, nil, nil, 0
		for j := range r.Gatekeepers {
			r.Gatekeepers[j].AckedHeight, r.Gatekeepers[j].FaultedHeight = 0, 0
		}
	}
	return k.Rotations.Set(ctx, r.ToVersion, r)
}

// HandleReencryptProgress is the x/mq handler of
// protocol.TopicReencryptProgress: the gatekeeper a range is assigned to
// reports its progress. When every range finished without failures the old
// version retires.
func (k *Keeper) HandleReencryptProgress(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	p, err := protocol.DecodeReencryptProgress(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	r, i, err := k.rotationOf(ctx, sender, p.ToVersion, "re-encryption progress")
	if err != nil {
		return err
	}
	if r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		return errorsmod.Wrapf(types.ErrRotationPhase, "re-encryption progress of v%d in phase %s", p.ToVersion, types.PhaseName(r.Phase))
	}
	if p.Range >= uint32(len(r.Gatekeepers)) {
		return errorsmod.Wrapf(types.ErrNotAssignee, "range %d, the rotation to v%d has %d ranges", p.Range, r.ToVersion, len(r.Gatekeepers))
	}
	row := &r.Gatekeepers[p.Range]
	if assignee := row.RangeAssignee(); !bytes.Equal(assignee, sender) {
		if row.AssignedHeight != 0 {
			return errorsmod.Wrapf(types.ErrNotAssignee, "range %d was reassigned to %x at height %d after it stalled, not %x",
				p.Range, assignee, row.AssignedHeight, sender)
		}
		return errorsmod.Wrapf(types.ErrNotAssignee, "range %d is assigned to %x, not %x (whose range is %d)", p.Range, assignee, sender, i)
	}
	if err := types.ValidateProgress(p.Done, p.Total, p.Failed, p.Finished, p.FailedNames); err != nil {
		return err
	}
	if row.Finished && (!p.Finished || p.Done < row.Done) {
		return errorsmod.Wrapf(types.ErrInvalidProgress, "range %d was reported finished with %d done; a report may not go back to %d done, finished %t",
			p.Range, row.Done, p.Done, p.Finished)
	}
	row.Done, row.Total, row.Failed, row.FailedNames, row.Finished = p.Done, p.Total, p.Failed, p.FailedNames, p.Finished
	row.VerifiedHeight = 0
	if p.Finished {
		// The assignee's TEE code reports it as it reports done and
		// finished; it is bounded only to fit the record.
		row.VerifiedHeight = int64(min(p.VerifiedHeight, math.MaxInt64))
	}
	row.ProgressHeight = ctx.BlockHeight()
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventReencryptProgress,
		sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(r.ToVersion)),
		sdk.NewAttribute(types.AttributeRange, fmt.Sprint(p.Range)),
		sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(sender)),
		sdk.NewAttribute(types.AttributeDone, fmt.Sprint(p.Done)),
		sdk.NewAttribute(types.AttributeTotal, fmt.Sprint(p.Total)),
		sdk.NewAttribute(types.AttributeFailed, fmt.Sprint(p.Failed)),
		sdk.NewAttribute(types.AttributeFinished, fmt.Sprint(p.Finished))))
	if _, err := k.maybeSweep(ctx, &r); err != nil {
		return err
	}
	if r.Retirable() {
		if err := k.retire(ctx, &r); err != nil {
			return err
		}
	}
	return k.Rotations.Set(ctx, r.ToVersion, r)
}

// retire marks the old version retired and schedules its erasure
// key_retention blocks later.
func (k *Keeper) retire(ctx sdk.Context, r *types.Rotation) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	height := ctx.BlockHeight()
	mk, err := k.MasterKeys.Get(ctx, r.FromVersion)
	if err != nil {
		return err
	}
	mk.RetiredHeight = height
	if err := k.MasterKeys.Set(ctx, mk.Version, mk); err != nil {
		return err
	}
	// key_retention ≤ types.MaxKeyRetention, so this cannot overflow.
	r.Phase, r.RetiredHeight, r.EraseHeight = types.ROTATION_PHASE_RETIRING, height, height+int64(params.KeyRetention)
	retired := protocol.MasterKeyRetired{Version: r.FromVersion, EraseHeight: uint64(r.EraseHeight)}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMasterKeyRetired, retired.Encode()); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMasterKeyRetired,
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(r.FromVersion)),
		sdk.NewAttribute(types.AttributeEraseHeight, fmt.Sprint(r.EraseHeight))))
	return nil
}

// erase orders the retired version erased, marks its record, and ends the
// rotation.
func (k *Keeper) erase(ctx context.Context, r types.Rotation) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	mk, err := k.MasterKeys.Get(ctx, r.FromVersion)
	if err != nil {
		return err
	}
	mk.ErasedHeight = height
	if err := k.MasterKeys.Set(ctx, mk.Version, mk); err != nil {
		return err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMasterKeyErase, protocol.EncodeU32(r.FromVersion)); err != nil {
		return err
	}
	r.Phase, r.ErasedHeight = types.ROTATION_PHASE_DONE, height
	if err := k.Rotations.Set(ctx, r.ToVersion, r); err != nil {
		return err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventMasterKeyErase,
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(r.FromVersion)),
		sdk.NewAttribute(types.AttributeToVersion, fmt.Sprint(r.ToVersion))))
	return nil
}

// requireNotErased refuses a master key copy of versions [first,
// first+count) if any of them was erased: after erasure no live gatekeeper
// holds it, and none may hand it to anybody.
func (k *Keeper) requireNotErased(ctx context.Context, first, count uint32) error {
	// The caller checked first+count ≤ the number of versions, a uint32.
	rng := new(collections.Range[uint32]).StartInclusive(first).EndExclusive(first + count)
	var erased error
	err := k.MasterKeys.Walk(ctx, rng, func(v uint32, mk types.MasterKey) (bool, error) {
		if mk.ErasedHeight != 0 {
			erased = errorsmod.Wrapf(types.ErrKeyErased, "copy of versions %d-%d includes version %d, erased at height %d", first, uint64(first)+uint64(count)-1, v, mk.ErasedHeight)
		}
		return erased != nil, nil
	})
	if err != nil {
		return err
	}
	return erased
}
