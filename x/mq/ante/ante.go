// Package ante holds x/mq's ante decorators: they keep invalid, stale and
// gapped egress messages out of the mempool, and waive the fee of
// transactions made only of valid, fresh gatekeeper messages.
package ante

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

type feeWaivedKey struct{}

// EgressDecorator checks every MsgSyncMessages message in CheckTx (and in
// simulation) exactly as delivery will, so that forged, stale, gapped and
// duplicate messages are rejected before they enter a block and cost nobody a
// fee. In CheckTx it also records the sequence advances in the check state, so
// that a relayer's next transaction is checked against them.
//
// In block execution it does nothing: the Msg service checks again, because a
// message valid at CheckTx may have been delivered by another transaction
// earlier in the block.
type EgressDecorator struct{ k *keeper.Keeper }

// NewEgressDecorator returns the decorator.
func NewEgressDecorator(k *keeper.Keeper) EgressDecorator { return EgressDecorator{k: k} }

// AnteHandle implements sdk.AnteDecorator.
func (d EgressDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if !ctx.IsCheckTx() && !simulate {
		return next(ctx, tx, simulate)
	}
	msgs := tx.GetMsgs()
	checkCtx := ctx
	if simulate {
		// Simulation then runs the Msg service, which must see the same state.
		checkCtx, _ = ctx.CacheContext()
	}
	// max_messages_per_tx bounds the whole transaction, not each
	// MsgSyncMessages in it (the Msg service can only see the latter).
	total := 0
	for _, msg := range msgs {
		if sync, ok := msg.(*types.MsgSyncMessages); ok {
			total += len(sync.Messages)
		}
	}
	if total > 0 {
		if err := d.k.CheckBatchSize(checkCtx, total); err != nil {
			return ctx, err
		}
	}
	onlyGatekeeper := len(msgs) > 0
	for _, msg := range msgs {
		sync, ok := msg.(*types.MsgSyncMessages)
		if !ok {
			onlyGatekeeper = false
			continue
		}
		if err := d.k.CheckBatchSize(checkCtx, len(sync.Messages)); err != nil {
			return ctx, err
		}
		var batch keeper.Batch
		if !ctx.IsReCheckTx() {
			batch = d.k.VerifyBatch(checkCtx, sync.Messages)
		}
		for i, sm := range sync.Messages {
			var (
				c   keeper.Checked
				err error
			)
			if ctx.IsReCheckTx() {
				c, err = d.k.RecheckEgress(checkCtx, sm) // verified when first checked; bytes unchanged
			} else {
				c, err = d.k.Check(checkCtx, batch, i)
			}
			if err != nil {
				return ctx, errorsmod.Wrapf(err, "message %d", i)
			}
			if c.Message.Origin.Kind != protocol.OriginGatekeeper {
				onlyGatekeeper = false
			}
			if _, err := d.k.Advance(checkCtx, c); err != nil {
				return ctx, err
			}
		}
	}
	if onlyGatekeeper {
		ctx = ctx.WithValue(feeWaivedKey{}, true)
	}
	return next(ctx, tx, simulate)
}

// FeeWaiverDecorator runs inner (the SDK's fee decorator) without the node's
// minimum gas prices when EgressDecorator found the transaction to consist
// only of valid, fresh gatekeeper messages, so such a transaction may carry
// no fee. Gatekeepers' relayers all submit the same quorum messages; charging
// each would make running a gatekeeper a cost centre, as the reference
// network's operators report. The waiver cannot be farmed: a stale or
// duplicate vote is rejected before this point.
//
// Everything else inner checks still runs: a fee the transaction does carry
// is deducted, and the fee payer and granter rules apply. Block execution runs
// inner in full (minimum gas prices are a CheckTx-only setting), so a
// transaction that passes CheckTx pays the same fee in its block; skipping
// inner in CheckTx alone would admit transactions that then fail in the block
// for nothing (say, a fee above the balance) and can be sent again.
type FeeWaiverDecorator struct{ inner sdk.AnteDecorator }

// NewFeeWaiverDecorator wraps the fee decorator.
func NewFeeWaiverDecorator(inner sdk.AnteDecorator) FeeWaiverDecorator {
	return FeeWaiverDecorator{inner: inner}
}

// AnteHandle implements sdk.AnteDecorator.
func (d FeeWaiverDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if waived, _ := ctx.Value(feeWaivedKey{}).(bool); waived {
		minGasPrices := ctx.MinGasPrices()
		return d.inner.AnteHandle(ctx.WithMinGasPrices(nil), tx, simulate, func(ctx sdk.Context, tx sdk.Tx, simulate bool) (sdk.Context, error) {
			return next(ctx.WithMinGasPrices(minGasPrices), tx, simulate)
		})
	}
	return d.inner.AnteHandle(ctx, tx, simulate, next)
}

// FeeWaived reports whether the fee of the transaction in ctx was waived.
func FeeWaived(ctx sdk.Context) bool {
	waived, _ := ctx.Value(feeWaivedKey{}).(bool)
	return waived
}
