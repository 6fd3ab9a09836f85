package migration

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// pRuntime migration, the chain's side (DESIGN §6 "State migration";
// docs/gatekeepers.md "State migration"). One Migration record per
// migration, in Store.Migrations by id; the pending one is the last. Its phases:
//
//	SCHEDULED  MsgScheduleMigration (governance) allowed the successor
//	           measurement and scheduled the x/upgrade plan
//	           pruntime-migration-<id> at the activation height. Successors
//	           register naming a predecessor and are paired
//	           (registry/migration_handover_request); predecessors hand over
//	           (registry/migration_handover, relayed); successors report
//	           ready (registry/migration_ready) or a bad handover
//	           (registry/migration_fault, which asks again).
//	DONE       the plan ran: every ready successor took its predecessor's
//	           place, every worker of a replaced measurement was
//	           deregistered, the replaced measurements were removed
//	           (registry/migration_activated).
//	CANCELLED  the plan was cancelled, replaced or skipped before it ran,
//	           or at the activation height too few gatekeepers would have
//	           been live after it (registry/migration_cancelled).
//
// Why x/upgrade. The activation is a one-off state transition at a height
// fixed in advance, on every node at the same block, before any
// transaction of that block: exactly what an x/upgrade plan is. Scheduling
// it as a plan also makes the migration visible to every tool that watches
// upgrades (`gkd q upgrade plan`, cosmovisor), keeps it cancellable by
// governance the standard way (MsgCancelUpgrade, which this module notices
// and turns into a cancellation), and makes a node that does not know the
// plan (an old gkd without this handler) halt at the height instead of
// forking. The plan carries no binary: the handler is part of gkd; the app
// registers it only at the plan's height (x/upgrade refuses a handler
// registered earlier) and, at start, for the last applied plan (x/upgrade
// requires it then). See app/migration.go.

// Schedule schedules a migration of msg.TeeKind's pRuntimes to
// msg.Measurement at msg.ActivationHeight: the measurement is allowed at
// once (successors can register), the kind's other allowed measurements
// are recorded as the ones it replaces, and the x/upgrade plan that
// activates it is scheduled. Nothing changes if it fails.
func (k *Keeper) Schedule(ctx context.Context, msg *types.MsgScheduleMigration) (types.Migration, error) {
	if err := k.checkAuthority(msg.Authority); err != nil {
		return types.Migration{}, err
	}
	measurement, err := k.registry.ParseMeasurement(msg.TeeKind, msg.Measurement)
	if err != nil {
		return types.Migration{}, err
	}
	if len(msg.Description) > types.MaxMigrationDescriptionLen {
		return types.Migration{}, errorsmod.Wrapf(types.ErrInvalidMigration, "description longer than %d bytes", types.MaxMigrationDescriptionLen)
	}
	if k.upgrade == nil {
		return types.Migration{}, errorsmod.Wrap(types.ErrInvalidMigration, "this chain has no x/upgrade keeper wired")
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	if msg.ActivationHeight < height+types.MinMigrationLeadBlocks {
		return types.Migration{}, errorsmod.Wrapf(types.ErrInvalidMigration, "activation height %d, want at least %d (%d blocks ahead of %d)",
			msg.ActivationHeight, height+types.MinMigrationLeadBlocks, types.MinMigrationLeadBlocks, height)
	}
	if has, err := k.registry.HasMeasurement(ctx, msg.TeeKind, measurement); err != nil {
		return types.Migration{}, err
	} else if has {
		return types.Migration{}, errorsmod.Wrapf(types.ErrMeasurementExists, "%s %s: a migration needs a new measurement", msg.TeeKind, msg.Measurement)
	}
	if m, ok, err := k.PendingMigration(ctx); err != nil {
		return types.Migration{}, err
	} else if ok {
		return types.Migration{}, m.BlocksErr("cannot schedule another")
	}
	if r, ok, err := k.gatekeepers.RunningRotation(ctx); err != nil {
		return types.Migration{}, err
	} else if ok {
		return types.Migration{}, errorsmod.Wrapf(types.ErrRotationInProgress, "cannot schedule a migration while the rotation to v%d is in phase %s",
			r.ToVersion, types.PhaseName(r.Phase))
	}
	if plan, err := k.upgrade.GetUpgradePlan(ctx); err == nil {
		return types.Migration{}, errorsmod.Wrapf(types.ErrUpgradePending, "plan %q at height %d: scheduling would replace it", plan.Name, plan.Height)
	} else if !errors.Is(err, upgradetypes.ErrNoUpgradePlanFound) {
		return types.Migration{}, err
	}
	replaced, err := k.registry.MeasurementsOfKind(ctx, msg.TeeKind, protocol.MaxReplacedMeasurements)
	if err != nil {
		return types.Migration{}, err
	}
	if len(replaced) == 0 || len(replaced) > protocol.MaxReplacedMeasurements {
		return types.Migration{}, errorsmod.Wrapf(types.ErrInvalidMigration, "%s has %d allowed measurements, a migration replaces 1-%d",
			msg.TeeKind, len(replaced), protocol.MaxReplacedMeasurements)
	}
	id := uint64(1)
	if last, ok, err := k.records.lastMigration(ctx); err != nil {
		return types.Migration{}, err
	} else if ok {
		id = last.Id + 1
	}
	m := types.Migration{
		Id: id, TeeKind: msg.TeeKind, Measurement: measurement, Description: msg.Description,
		ReplacedMeasurements: replaced, ActivationHeight: msg.ActivationHeight, Phase: types.MIGRATION_PHASE_SCHEDULED,
		ScheduledHeight: height, PlanName: types.MigrationPlanName(id),
	}
	if err := k.registry.AllowMeasurement(ctx, registrytypes.Measurement{TeeKind: msg.TeeKind, Measurement: measurement,
		Description: msg.Description, AddedHeight: height}); err != nil {
		return types.Migration{}, err
	}
	if err := k.upgrade.ScheduleUpgrade(ctx, migrationPlan(m)); err != nil {
		return types.Migration{}, errorsmod.Wrap(types.ErrInvalidMigration, err.Error())
	}
	if err := k.records.Migrations.Set(ctx, id, m); err != nil {
		return types.Migration{}, err
	}
	announce := protocol.MigrationScheduled{ID: id, ActivationHeight: uint64(m.ActivationHeight), TEEKind: m.TeeKind,
		Measurement: m.Measurement, Replaced: m.ReplacedMeasurements}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMigrationScheduled, announce.Encode()); err != nil {
		return types.Migration{}, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(registrytypes.EventMeasurementAdded,
		sdk.NewAttribute(types.AttributeTEEKind, m.TeeKind), sdk.NewAttribute(types.AttributeMeasurement, hex.EncodeToString(m.Measurement))))
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventMigrationScheduled,
		sdk.NewAttribute(types.AttributeMigrationID, fmt.Sprint(id)),
		sdk.NewAttribute(types.AttributeTEEKind, m.TeeKind),
		sdk.NewAttribute(types.AttributeMeasurement, hex.EncodeToString(m.Measurement)),
		sdk.NewAttribute(types.AttributeReplaced, fmt.Sprint(len(replaced))),
		sdk.NewAttribute(types.AttributeActivation, fmt.Sprint(m.ActivationHeight)),
		sdk.NewAttribute(types.AttributePlan, m.PlanName)))
	return m, nil
}

// PairSuccessor implements x/registry's GatekeeperProtocol: it pairs a
// registering successor with the predecessor its attested registration
// info names, and asks the predecessor to hand over. RegisterWorker calls
// it after every check of the registration passed and the worker was
// recorded. It requires a pending migration whose kind and
// measurement the successor's attestation has, a predecessor that is a
// registered worker of that kind with a replaced measurement and the
// successor's operator, and that neither has a pair yet.
func (k *Keeper) PairSuccessor(goCtx context.Context, succ registrytypes.Worker, predecessor []byte) error {
	ctx := sdk.UnwrapSDKContext(goCtx)
	m, ok, err := k.PendingMigration(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errorsmod.Wrapf(types.ErrNoMigration, "worker %x names predecessor %x", succ.IdentityKey, predecessor)
	}
	if succ.TeeKind != m.TeeKind || !bytes.Equal(succ.Measurement, m.Measurement) {
		return errorsmod.Wrapf(types.ErrInvalidSuccessor, "%s measurement %x; migration %d succeeds %s pRuntimes with measurement %x",
			succ.TeeKind, succ.Measurement, m.Id, m.TeeKind, m.Measurement)
	}
	pred, err := k.registry.GetWorker(ctx, predecessor)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidPredecessor, "%x is not a registered worker", predecessor)
	}
	if pred.TeeKind != m.TeeKind || !m.Replaces(pred.Measurement) {
		return errorsmod.Wrapf(types.ErrInvalidPredecessor, "worker %x runs %s measurement %x, which migration %d does not replace",
			predecessor, pred.TeeKind, pred.Measurement, m.Id)
	}
	if pred.Operator != succ.Operator {
		return errorsmod.Wrapf(types.ErrInvalidPredecessor, "worker %x is operated by %s, the successor by %s", predecessor, pred.Operator, succ.Operator)
	}
	if i := m.PairOfPredecessor(predecessor); i >= 0 {
		return errorsmod.Wrapf(types.ErrAlreadyPaired, "worker %x has successor %x since height %d", predecessor, m.Pairs[i].Successor, m.Pairs[i].PairedHeight)
	}
	if i := m.PairOfSuccessor(succ.IdentityKey); i >= 0 {
		return errorsmod.Wrapf(types.ErrAlreadyPaired, "successor %x already succeeds %x", succ.IdentityKey, m.Pairs[i].Predecessor)
	}
	if len(m.Pairs) >= protocol.MaxMigrationPairs {
		return errorsmod.Wrapf(types.ErrTooManyPairs, "migration %d has %d pairs", m.Id, len(m.Pairs))
	}
	m.Pairs = append(m.Pairs, types.MigrationPair{Predecessor: predecessor, Successor: succ.IdentityKey, PairedHeight: ctx.BlockHeight()})
	if err := k.records.Migrations.Set(ctx, m.Id, m); err != nil {
		return err
	}
	if err := k.requestHandover(ctx, m, succ); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMigrationPaired,
		sdk.NewAttribute(types.AttributeMigrationID, fmt.Sprint(m.Id)),
		sdk.NewAttribute(types.AttributePredecessor, hex.EncodeToString(predecessor)),
		sdk.NewAttribute(types.AttributeSuccessor, hex.EncodeToString(succ.IdentityKey))))
	return nil
}

// requestHandover asks succ's predecessor for its handover.
func (k *Keeper) requestHandover(ctx context.Context, m types.Migration, succ registrytypes.Worker) error {
	i := m.PairOfSuccessor(succ.IdentityKey)
	req := protocol.MigrationHandoverRequest{ID: m.Id, Predecessor: m.Pairs[i].Predecessor, Successor: succ.IdentityKey,
		ReceiveKey: succ.ReceiveKey, Measurement: succ.Measurement}
	_, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMigrationHandoverRequest, req.Encode())
	return err
}

// pendingPair returns the pending migration id and the index of the pair
// of predecessor in it, after the checks every pair message shares.
func (k *Keeper) pendingPair(ctx context.Context, id uint64, predecessor []byte, what string) (types.Migration, int, error) {
	m, ok, err := k.PendingMigration(ctx)
	if err != nil {
		return types.Migration{}, 0, err
	}
	if !ok || m.Id != id {
		return types.Migration{}, 0, errorsmod.Wrapf(types.ErrNoMigration, "%s for migration %d", what, id)
	}
	i := m.PairOfPredecessor(predecessor)
	if i < 0 {
		return types.Migration{}, 0, errorsmod.Wrapf(types.ErrNotPaired, "%s: %x has no successor in migration %d", what, predecessor, id)
	}
	return m, i, nil
}

// HandleMigrationHandover is the x/mq handler of
// protocol.TopicMigrationHandover: a predecessor sends its successor a part
// of its handover, sealed to the successor's receive key. The chain relays
// it on ingress (Relayed{predecessor, part}) only from a predecessor to its
// own successor, while the pair is not ready; it never looks inside.
func (k *Keeper) HandleMigrationHandover(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	p, err := protocol.DecodeMigrationHandover(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	mig, i, err := k.pendingPair(ctx, p.ID, sender, "handover")
	if err != nil {
		return err
	}
	pair := &mig.Pairs[i]
	if !bytes.Equal(pair.Successor, p.Successor) {
		return errorsmod.Wrapf(types.ErrNotPaired, "handover from %x to %x; its successor is %x", sender, p.Successor, pair.Successor)
	}
	if pair.ReadyHeight != 0 {
		return errorsmod.Wrapf(types.ErrPairReady, "successor %x reported ready at height %d", pair.Successor, pair.ReadyHeight)
	}
	pair.HandoverParts++
	pair.HandoverHeight = ctx.BlockHeight()
	if err := k.records.Migrations.Set(ctx, mig.Id, mig); err != nil {
		return err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMigrationHandover, protocol.Relayed{Sender: sender, Body: m.Payload}.Encode()); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMigrationHandover,
		sdk.NewAttribute(types.AttributeMigrationID, fmt.Sprint(mig.Id)),
		sdk.NewAttribute(types.AttributePredecessor, hex.EncodeToString(sender)),
		sdk.NewAttribute(types.AttributeSuccessor, hex.EncodeToString(p.Successor)),
		sdk.NewAttribute(types.AttributePart, fmt.Sprintf("%d/%d", p.Index, p.Count))))
	return nil
}

// successorPair decodes a successor's MigrationPairRef and returns its
// pair, which must be the sender's and not ready.
func (k *Keeper) successorPair(ctx sdk.Context, m protocol.Message, what string) (types.Migration, int, error) {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return types.Migration{}, 0, err
	}
	ref, err := protocol.DecodeMigrationPairRef(m.Payload)
	if err != nil {
		return types.Migration{}, 0, errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	mig, i, err := k.pendingPair(ctx, ref.ID, ref.Predecessor, what)
	if err != nil {
		return types.Migration{}, 0, err
	}
	pair := mig.Pairs[i]
	if !bytes.Equal(pair.Successor, m.Origin.ID) {
		return types.Migration{}, 0, errorsmod.Wrapf(types.ErrNotPaired, "%s from %x, but %x succeeds %x", what, m.Origin.ID, pair.Successor, ref.Predecessor)
	}
	if pair.ReadyHeight != 0 {
		return types.Migration{}, 0, errorsmod.Wrapf(types.ErrPairReady, "successor %x reported ready at height %d", pair.Successor, pair.ReadyHeight)
	}
	if pair.HandoverParts == 0 {
		return types.Migration{}, 0, errorsmod.Wrapf(types.ErrNoHandover, "%s from %x: no handover part relayed since the last request", what, pair.Successor)
	}
	return mig, i, nil
}

// HandleMigrationReady is the x/mq handler of protocol.TopicMigrationReady:
// a successor verified and sealed its predecessor's handover. At
// activation it takes the predecessor's place.
func (k *Keeper) HandleMigrationReady(ctx sdk.Context, m protocol.Message) error {
	mig, i, err := k.successorPair(ctx, m, "ready")
	if err != nil {
		return err
	}
	pair := &mig.Pairs[i]
	pair.ReadyHeight = ctx.BlockHeight()
	if err := k.records.Migrations.Set(ctx, mig.Id, mig); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMigrationReady,
		sdk.NewAttribute(types.AttributeMigrationID, fmt.Sprint(mig.Id)),
		sdk.NewAttribute(types.AttributePredecessor, hex.EncodeToString(pair.Predecessor)),
		sdk.NewAttribute(types.AttributeSuccessor, hex.EncodeToString(pair.Successor)),
		sdk.NewAttribute(types.AttributeReady, fmt.Sprintf("%d/%d", mig.Ready(), len(mig.Pairs)))))
	return nil
}

// HandleMigrationFault is the x/mq handler of protocol.TopicMigrationFault:
// a successor could not open or verify its predecessor's handover. The
// fault is counted on the pair (and, as evidence, on the predecessor if it
// is a gatekeeper, like a bad key copy), and the predecessor is asked
// again. Like a key fault it is an unproven claim: it costs the successor
// its own readiness, nothing else.
func (k *Keeper) HandleMigrationFault(ctx sdk.Context, m protocol.Message) error {
	mig, i, err := k.successorPair(ctx, m, "fault")
	if err != nil {
		return err
	}
	pair := &mig.Pairs[i]
	pair.Faults++
	pair.HandoverParts = 0
	if err := k.records.Migrations.Set(ctx, mig.Id, mig); err != nil {
		return err
	}
	if err := k.gatekeepers.CountFault(ctx, pair.Predecessor); err != nil {
		return err
	}
	succ, err := k.registry.GetWorker(ctx, pair.Successor)
	if err != nil {
		return err
	}
	if err := k.requestHandover(ctx, mig, succ); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMigrationFault,
		sdk.NewAttribute(types.AttributeMigrationID, fmt.Sprint(mig.Id)),
		sdk.NewAttribute(types.AttributePredecessor, hex.EncodeToString(pair.Predecessor)),
		sdk.NewAttribute(types.AttributeSuccessor, hex.EncodeToString(pair.Successor)),
		sdk.NewAttribute(types.AttributeFaults, fmt.Sprint(pair.Faults))))
	return nil
}

// MigrationUpgradeHandler returns the x/upgrade handler of migration id's
// plan, or false if id is not the pending migration or its plan is not
// for height: the app then leaves the plan without a handler and x/upgrade
// halts the chain at it, as for any plan this binary does not know.
func (k *Keeper) MigrationUpgradeHandler(ctx context.Context, planName string, height int64) (upgradetypes.UpgradeHandler, bool, error) {
	id, ok := types.ParseMigrationPlanName(planName)
	if !ok {
		return nil, false, nil
	}
	m, err := k.records.Migrations.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	// A migration that already took effect keeps its handler: x/upgrade
	// requires one for the last applied plan when a node starts.
	if m.Phase == types.MIGRATION_PHASE_DONE || m.Pending() && m.ActivationHeight == height {
		return k.migrationHandler(id), true, nil
	}
	return nil, false, nil
}

func (k *Keeper) migrationHandler(id uint64) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, vm module.VersionMap) (module.VersionMap, error) {
		return vm, k.ActivateMigration(sdk.UnwrapSDKContext(ctx), id)
	}
}

// ActivateMigration applies pending migration id at its activation height
// (its x/upgrade handler calls it, in the block's pre-blocker):
//
//  1. If a master key exists and fewer gatekeepers would be live after it
//     than the old set's quorum (x/mq's rule), it is cancelled instead: the
//     old version stays, nothing else changes (cancelIfTooFewLive).
//  2. Every ready pair's successor takes its predecessor's place: in the
//     gatekeeper set (live if the predecessor was: a ready successor holds
//     the verified history), as launcher, in its cluster (retireWorkers).
//  3. Every worker of a replaced measurement is deregistered, so it can no
//     longer send; a gatekeeper among them without a ready successor is
//     lost (event gatekeeper_lost, registry/gatekeeper_removed)
//     (retireWorkers, announceActivation).
//  4. The replaced measurements are removed, the migration is DONE, and
//     registry/migration_activated tells every pRuntime
//     (removeReplacedMeasurements, finishMigration, announceActivation).
func (k *Keeper) ActivateMigration(ctx sdk.Context, id uint64) error {
	m, err := k.activatableMigration(ctx, id)
	if err != nil {
		return err
	}
	ready, err := k.readySuccessors(ctx, m)
	if err != nil {
		return err
	}
	retirees, err := k.replacedWorkers(ctx, m)
	if err != nil {
		return err
	}
	versions, err := k.gatekeepers.MasterKeyCount(ctx)
	if err != nil {
		return err
	}
	if cancelled, err := k.cancelIfTooFewLive(ctx, m, versions, retirees, ready); err != nil || cancelled {
		return err
	}
	launcher, err := k.gatekeepers.CurrentLauncher(ctx)
	if err != nil {
		return err
	}
	res, err := k.retireWorkers(ctx, &m, versions, launcher, retirees, ready)
	if err != nil {
		return err
	}
	if err := k.removeReplacedMeasurements(ctx, m); err != nil {
		return err
	}
	if err := k.finishMigration(ctx, m, len(retirees), res.lost); err != nil {
		return err
	}
	return k.announceActivation(ctx, m, launcher, retirees, res)
}

// activatableMigration returns migration id if it is pending and activates
// at this block's height.
func (k *Keeper) activatableMigration(ctx sdk.Context, id uint64) (types.Migration, error) {
	m, err := k.records.Migrations.Get(ctx, id)
	if err != nil {
		return types.Migration{}, fmt.Errorf("migration: activating migration %d: %w", id, err)
	}
	if height := ctx.BlockHeight(); !m.Pending() || m.ActivationHeight != height {
		return types.Migration{}, errorsmod.Wrapf(types.ErrInvalidMigration, "migration %d is %s with activation height %d, activating at %d",
			id, types.MigrationPhaseName(m.Phase), m.ActivationHeight, height)
	}
	return m, nil
}

// readySuccessors maps each predecessor (as a string) to its successor, for
// every pair whose successor reported ready and is still registered.
// Successors of predecessors that are gone or changed, or that are gone
// themselves, replace nobody.
func (k *Keeper) readySuccessors(ctx context.Context, m types.Migration) (map[string][]byte, error) {
	ready := make(map[string][]byte)
	for _, p := range m.Pairs {
		if p.ReadyHeight == 0 {
			continue
		}
		if ok, err := k.registry.IsWorker(ctx, p.Successor); err != nil {
			return nil, err
		} else if ok {
			ready[string(p.Predecessor)] = p.Successor
		}
	}
	return ready, nil
}

// replacedWorkers returns, in key order, the identity keys of every worker
// that runs a measurement m replaces.
func (k *Keeper) replacedWorkers(ctx context.Context, m types.Migration) ([][]byte, error) {
	var retirees [][]byte
	err := k.registry.WalkWorkers(ctx, func(w registrytypes.Worker) (bool, error) {
		if w.TeeKind == m.TeeKind && m.Replaces(w.Measurement) {
			retirees = append(retirees, w.IdentityKey)
		}
		return false, nil
	})
	return retirees, err
}

// isRetiree reports whether key is among retirees (sorted).
func isRetiree(retirees [][]byte, key []byte) bool {
	_, found := slices.BinarySearchFunc(retirees, key, bytes.Compare)
	return found
}

// cancelIfTooFewLive cancels m, and reports so, if a master key exists and
// fewer gatekeepers would be live after it than the current set's quorum.
func (k *Keeper) cancelIfTooFewLive(ctx context.Context, m types.Migration, versions uint32, retirees [][]byte, ready map[string][]byte) (bool, error) {
	gks, err := k.gatekeepers.AllGatekeepers(ctx)
	if err != nil {
		return false, err
	}
	if versions == 0 || len(gks) == 0 {
		return false, nil
	}
	liveAfter := 0
	for _, g := range gks {
		if g.LiveHeight == 0 {
			continue
		}
		if !isRetiree(retirees, g.IdentityKey) || ready[string(g.IdentityKey)] != nil {
			liveAfter++
		}
	}
	q, err := k.gatekeepers.GatekeeperQuorum(ctx, len(gks))
	if err != nil {
		return false, err
	}
	if liveAfter >= q {
		return false, nil
	}
	return true, k.cancelMigration(ctx, m, protocol.CancelTooFewGatekeepers,
		fmt.Sprintf("%d gatekeepers would be live after it, the set of %d needs %d", liveAfter, len(gks), q))
}

// retirement is what retireWorkers did, for announceActivation.
type retirement struct {
	activated protocol.MigrationActivated
	lost      [][]byte               // gatekeepers retired without a ready successor
	requests  []registrytypes.Worker // successors of gatekeepers that were not live yet
	newLaunch []byte                 // the launcher's successor, if it has one
}

// retireWorkers deregisters every retiree and puts its ready successor, if
// any, in its place in the gatekeeper set and its cluster. It records on
// m's pairs what each predecessor was.
func (k *Keeper) retireWorkers(ctx sdk.Context, m *types.Migration, versions uint32, launcher []byte, retirees [][]byte, ready map[string][]byte) (retirement, error) {
	res := retirement{activated: protocol.MigrationActivated{ID: m.Id}}
	for _, r := range retirees {
		succ := ready[string(r)]
		isGK, err := k.replaceGatekeeper(ctx, r, succ, versions, &res)
		if err != nil {
			return retirement{}, err
		}
		if bytes.Equal(launcher, r) && succ != nil {
			res.newLaunch = succ
		}
		cluster, inCluster, err := k.gatekeepers.ReplaceClusterMember(ctx, r, succ)
		if err != nil {
			return retirement{}, err
		}
		if err := k.registry.DeregisterWorker(ctx, r); err != nil {
			return retirement{}, err
		}
		if i := m.PairOfPredecessor(r); i >= 0 {
			p := &m.Pairs[i]
			p.Gatekeeper, p.Replaced = isGK, succ != nil
			if inCluster {
				p.ClusterId = cluster
			}
		}
		if succ != nil {
			res.activated.Pairs = append(res.activated.Pairs, protocol.MigrationPair{Predecessor: r, Successor: succ})
		}
	}
	return res, nil
}

// replaceGatekeeper puts retiree r's successor succ (if any) in its place
// in the gatekeeper set, if r is a gatekeeper; a successor that must be
// sent the master key is recorded in res, a gatekeeper without a successor
// as lost. It reports whether r was a gatekeeper.
func (k *Keeper) replaceGatekeeper(ctx sdk.Context, r, succ []byte, versions uint32, res *retirement) (bool, error) {
	isGK, needsKey, err := k.gatekeepers.ReplaceGatekeeper(ctx, r, succ, versions)
	if err != nil || !isGK {
		return false, err
	}
	if succ == nil {
		res.lost = append(res.lost, r)
	}
	if needsKey {
		w, err := k.registry.GetWorker(ctx, succ)
		if err != nil {
			return false, err
		}
		res.requests = append(res.requests, w)
	}
	return true, nil
}

// removeReplacedMeasurements removes the measurements m replaces from the
// allow-list.
func (k *Keeper) removeReplacedMeasurements(ctx sdk.Context, m types.Migration) error {
	for _, meas := range m.ReplacedMeasurements {
		if err := k.registry.DisallowMeasurement(ctx, m.TeeKind, meas); err != nil {
			return err
		}
		ctx.EventManager().EmitEvent(sdk.NewEvent(registrytypes.EventMeasurementRemoved,
			sdk.NewAttribute(types.AttributeTEEKind, m.TeeKind), sdk.NewAttribute(types.AttributeMeasurement, hex.EncodeToString(meas))))
	}
	return nil
}

// finishMigration records m as DONE at this height.
func (k *Keeper) finishMigration(ctx sdk.Context, m types.Migration, retired int, lost [][]byte) error {
	m.Phase, m.ActivatedHeight = types.MIGRATION_PHASE_DONE, ctx.BlockHeight()
	m.RetiredWorkers, m.LostGatekeepers = uint32(retired), lost
	return k.records.Migrations.Set(ctx, m.Id, m)
}

// announceActivation tells every pRuntime the migration activated, then
// that the lost gatekeepers left; hands the launch to the launcher's
// successor (or, without one, as if the launcher were removed); and asks
// for the master key for the successors of gatekeepers that were not live.
func (k *Keeper) announceActivation(ctx sdk.Context, m types.Migration, launcher []byte, retirees [][]byte, res retirement) error {
	// migration_activated first: every pRuntime applies the pairs before
	// anything that follows refers to the new set.
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMigrationActivated, res.activated.Encode()); err != nil {
		return err
	}
	for _, g := range res.lost {
		if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicGatekeeperRemoved, g); err != nil {
			return err
		}
		ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventGatekeeperLost,
			sdk.NewAttribute(types.AttributeMigrationID, fmt.Sprint(m.Id)),
			sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(g))))
	}
	if launcher != nil && isRetiree(retirees, launcher) {
		// The launcher is set only while no master key exists.
		if err := k.gatekeepers.HandOverLaunch(ctx, launcher, res.newLaunch); err != nil {
			return err
		}
	}
	for _, w := range res.requests {
		if err := k.gatekeepers.RequestMasterKey(ctx, w.IdentityKey, w.ReceiveKey); err != nil {
			return err
		}
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMigrationActivated,
		sdk.NewAttribute(types.AttributeMigrationID, fmt.Sprint(m.Id)),
		sdk.NewAttribute(types.AttributePairs, fmt.Sprint(len(res.activated.Pairs))),
		sdk.NewAttribute(types.AttributeRetired, fmt.Sprint(len(retirees))),
		sdk.NewAttribute(types.AttributeLost, fmt.Sprint(len(res.lost)))))
	return nil
}

// cancelMigration ends a pending migration without effect: the successor
// measurement it allowed is removed again (successors stay registered
// workers, as when governance removes a measurement), and every pRuntime is
// told, so successors erase what they were handed.
func (k *Keeper) cancelMigration(ctx context.Context, m types.Migration, reason uint8, why string) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if has, err := k.registry.HasMeasurement(ctx, m.TeeKind, m.Measurement); err != nil {
		return err
	} else if has {
		if err := k.registry.DisallowMeasurement(ctx, m.TeeKind, m.Measurement); err != nil {
			return err
		}
		sdkCtx.EventManager().EmitEvent(sdk.NewEvent(registrytypes.EventMeasurementRemoved,
			sdk.NewAttribute(types.AttributeTEEKind, m.TeeKind), sdk.NewAttribute(types.AttributeMeasurement, hex.EncodeToString(m.Measurement))))
	}
	m.Phase, m.CancelledHeight, m.CancelReason = types.MIGRATION_PHASE_CANCELLED, sdkCtx.BlockHeight(), uint32(reason)
	if err := k.records.Migrations.Set(ctx, m.Id, m); err != nil {
		return err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMigrationCancelled,
		protocol.MigrationCancelled{ID: m.Id, Reason: reason}.Encode()); err != nil {
		return err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventMigrationCancelled,
		sdk.NewAttribute(types.AttributeMigrationID, fmt.Sprint(m.Id)),
		sdk.NewAttribute(types.AttributeReason, why)))
	return nil
}

// EndBlock cancels a pending migration whose x/upgrade plan is no
// longer the pending plan: governance cancelled it (MsgCancelUpgrade) or
// replaced it (a later MsgSoftwareUpgrade overwrites the plan), or the node
// skipped its height. At the activation height the plan ran in the
// pre-blocker, so a migration still pending here lost its plan.
func (k *Keeper) EndBlock(ctx context.Context) error {
	m, ok, err := k.PendingMigration(ctx)
	if err != nil || !ok {
		return err
	}
	pending, err := k.planPending(ctx, m)
	if err != nil || pending {
		return err
	}
	return k.cancelMigration(ctx, m, protocol.CancelPlanGone, fmt.Sprintf("x/upgrade plan %q is no longer pending", m.PlanName))
}

// planPending reports whether m's plan is the chain's pending x/upgrade plan.
func (k *Keeper) planPending(ctx context.Context, m types.Migration) (bool, error) {
	if k.upgrade == nil {
		return false, nil
	}
	plan, err := k.upgrade.GetUpgradePlan(ctx)
	switch {
	case errors.Is(err, upgradetypes.ErrNoUpgradePlanFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return plan.Name == m.PlanName && plan.Height == m.ActivationHeight, nil
}

// migrationPlan is the x/upgrade plan that activates m.
func migrationPlan(m types.Migration) upgradetypes.Plan {
	return upgradetypes.Plan{Name: m.PlanName, Height: m.ActivationHeight,
		Info: fmt.Sprintf("pRuntime migration %d: %s to measurement %x (x/registry)", m.Id, m.TeeKind, m.Measurement)}
}
