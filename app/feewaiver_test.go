package app_test

import (
	"testing"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// TestFeeWaiver runs zero-fee transactions through CheckTx of a node with a
// minimum gas price: only a transaction made solely of valid, fresh
// gatekeeper votes skips the fee; stale and duplicate votes get their x/mq
// error, not a waiver; anything else pays. The subtests are steps on one
// chain (three gatekeepers, quorum two) and run in order.
func TestFeeWaiver(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := apptest.NewWithOptions(t, apptest.Options{
		Accounts:     5,
		MinGasPrices: "0.001" + app.BondDenom,
		Routes:       []apptest.Route{rec.route()},
	})
	op, relayer, other := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	gk1, gk2, gk3 := c.RegisterWorker(op), c.RegisterWorker(op), c.RegisterWorker(op)
	worker := c.RegisterWorker(op) // registered, never a gatekeeper
	c.AddGatekeepers(gk1, gk2, gk3)
	pushTestTasks(c, 2)

	vote := func(gk *apptest.Worker, seq uint64) mqtypes.SignedMessage { return c.Sign(gk, gkMsg(seq, "payout")) }
	send := &banktypes.MsgSend{FromAddress: relayer.Address.String(), ToAddress: other.Address.String(),
		Amount: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))}

	// rejected runs a zero-fee tx of msgs through CheckTx and requires the
	// error want and an untouched check state.
	rejected := func(t *testing.T, want *errorsmod.Error, msgs ...sdk.Msg) {
		t.Helper()
		before := viewOf(t, c, c.Context(), relayer)
		res := c.CheckTx(c.Tx(relayer, 0, msgs...))
		relayer.Seq--
		requireCode(t, "CheckTx", res.Code, res.Codespace, res.Log, want)
		requireSameView(t, "check state", before, viewOf(t, c, c.Context(), relayer))
	}

	// Control: a worker's message pays; without a fee it is refused.
	t.Run("worker message without fee", func(t *testing.T) {
		rejected(t, sdkerrors.ErrInsufficientFee, apptest.SyncMsg(relayer, c.Sign(worker, endpointMsg(worker, 0))))
	})
	t.Run("worker message with fee", func(t *testing.T) {
		requireOK(t, "CheckTx", c.CheckTx(c.Tx(relayer, 10_000, apptest.SyncMsg(relayer, c.Sign(worker, endpointMsg(worker, 0))))).Code, "")
		c.NextBlock() // drop the check state; the tx is not needed in a block
		relayer.Seq--
	})
	t.Run("fresh gatekeeper vote mixed with a worker message", func(t *testing.T) {
		rejected(t, sdkerrors.ErrInsufficientFee, apptest.SyncMsg(relayer, vote(gk1, 0), c.Sign(worker, endpointMsg(worker, 0))))
	})
	t.Run("fresh gatekeeper vote mixed with a bank send", func(t *testing.T) {
		rejected(t, sdkerrors.ErrInsufficientFee, apptest.SyncMsg(relayer, vote(gk1, 0)), send)
	})
	t.Run("vote signed by a worker that is not a gatekeeper", func(t *testing.T) {
		rejected(t, mqtypes.ErrUnknownSender, apptest.SyncMsg(relayer, vote(worker, 0)))
	})

	t.Run("fresh gatekeeper vote is free", func(t *testing.T) {
		paid := balance(c, c.CommittedContext(), relayer)
		tx := c.Tx(relayer, 0, apptest.SyncMsg(relayer, vote(gk1, 0)))
		res := c.CheckTx(tx)
		requireOK(t, "CheckTx", res.Code, res.Log)
		results := c.NextBlock(tx)
		requireOK(t, "deliver", results[0].Code, results[0].Log)
		if got := balance(c, c.CommittedContext(), relayer); !got.Equal(paid) {
			t.Fatalf("relayer balance %s, was %s: a fee was charged", got, paid)
		}
		if n := len(events(results[0].Events, mqtypes.EventVoteRecorded)); n != 1 {
			t.Fatalf("%d votes recorded, want 1", n)
		}
	})
	t.Run("duplicate gatekeeper vote is not waived", func(t *testing.T) {
		rejected(t, mqtypes.ErrDuplicateVote, apptest.SyncMsg(relayer, vote(gk1, 0)))
	})
	t.Run("conflicting gatekeeper vote is not waived", func(t *testing.T) {
		rejected(t, mqtypes.ErrConflictingVote, apptest.SyncMsg(relayer, c.Sign(gk1, gkMsg(0, "other payout"))))
	})
	t.Run("second vote reaches quorum for free", func(t *testing.T) {
		paid := balance(c, c.CommittedContext(), relayer)
		tx := c.Tx(relayer, 0, apptest.SyncMsg(relayer, vote(gk2, 0)))
		requireOK(t, "CheckTx", c.CheckTx(tx).Code, "")
		results := c.NextBlock(tx)
		requireOK(t, "deliver", results[0].Code, results[0].Log)
		if got := balance(c, c.CommittedContext(), relayer); !got.Equal(paid) {
			t.Fatalf("relayer balance %s, was %s: a fee was charged", got, paid)
		}
		if len(rec.got) != 1 {
			t.Fatalf("%d gatekeeper messages delivered, want 1", len(rec.got))
		}
	})
	t.Run("stale gatekeeper vote is not waived", func(t *testing.T) {
		rejected(t, mqtypes.ErrStaleSequence, apptest.SyncMsg(relayer, vote(gk3, 0)))
	})
	if n := nextSeq(t, c, c.CommittedContext(), protocol.GatekeeperOrigin()); n != 1 {
		t.Fatalf("gatekeeper next seq = %d, want 1", n)
	}

	// The waiver lifts the minimum gas price, nothing else: a fee the tx
	// carries is paid, in CheckTx as in its block, so a tx that passes
	// CheckTx cannot then fail in the block's ante for nothing.
	t.Run("waived vote pays the fee it carries", func(t *testing.T) {
		const fee = 5_000 // below the 10_000 the minimum gas price asks
		was := balance(c, c.CommittedContext(), relayer)
		tx := c.Tx(relayer, fee, apptest.SyncMsg(relayer, vote(gk1, 1)))
		requireOK(t, "CheckTx", c.CheckTx(tx).Code, "")
		if got := balance(c, c.Context(), relayer); !got.Equal(was.SubAmount(sdkmath.NewInt(fee))) {
			t.Fatalf("check state balance %s, want %s less %d", got, was, fee)
		}
		res := c.NextBlock(tx)
		requireOK(t, "deliver", res[0].Code, res[0].Log)
		if got := balance(c, c.CommittedContext(), relayer); !got.Equal(was.SubAmount(sdkmath.NewInt(fee))) {
			t.Fatalf("balance %s, want %s less %d", got, was, fee)
		}
	})
	t.Run("waived vote with a fee above the balance", func(t *testing.T) {
		poor := c.Accounts[3]
		have := balance(c, c.CommittedContext(), poor)
		res := c.NextBlock(c.Tx(poor, 100_000, &banktypes.MsgSend{FromAddress: poor.Address.String(), ToAddress: other.Address.String(),
			Amount: sdk.NewCoins(sdk.NewCoin(app.BondDenom, have.Amount.SubRaw(100_000+1_000)))}))
		requireOK(t, "drain", res[0].Code, res[0].Log)
		before := viewOf(t, c, c.Context(), poor)
		check := c.CheckTx(c.Tx(poor, 1_000_000, apptest.SyncMsg(poor, vote(gk2, 1))))
		poor.Seq--
		requireCode(t, "CheckTx", check.Code, check.Codespace, check.Log, sdkerrors.ErrInsufficientFunds)
		requireSameView(t, "check state", before, viewOf(t, c, c.Context(), poor))
	})
	t.Run("waived vote with a fee granter", func(t *testing.T) {
		before := viewOf(t, c, c.Context(), relayer)
		check := c.CheckTx(c.TxWith(relayer, 0, func(b client.TxBuilder) { b.SetFeeGranter(other.Address) },
			apptest.SyncMsg(relayer, vote(gk2, 1))))
		relayer.Seq--
		requireCode(t, "CheckTx", check.Code, check.Codespace, check.Log, sdkerrors.ErrInvalidRequest)
		requireSameView(t, "check state", before, viewOf(t, c, c.Context(), relayer))
	})
}
