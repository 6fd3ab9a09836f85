package app_test

import (
	"errors"
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestMalformedMsgRefusedBeforeFee sends, with a fee, one malformed message
// of each module's operator-facing kinds: CheckTx refuses it with the
// module's error naming the fault, and a proposer that includes it anyway
// gets the same error in the block with the sender's balance and sequence
// untouched (no fee taken). Before the Msgs had ValidateBasic, each passed
// CheckTx and failed in the block after the fee was paid.
func TestMalformedMsgRefusedBeforeFee(t *testing.T) {
	t.Parallel()
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 2, MinGasPrices: "0.001" + app.BondDenom})
	op := c.Accounts[0]
	w := c.RegisterWorker(op)
	owner := op.Address.String()
	stake := sdk.NewInt64Coin(app.BondDenom, 1000)

	cases := []struct {
		name string
		msg  sdk.Msg
		want *errorsmod.Error
	}{
		{"cluster with a malformed worker key", &gatekeepertypes.MsgCreateCluster{Owner: owner, Workers: []string{w.Hex(), "zz"}}, gatekeepertypes.ErrInvalidKey},
		{"cluster listing a worker twice", &gatekeepertypes.MsgCreateCluster{Owner: owner, Workers: []string{w.Hex(), w.Hex()}}, gatekeepertypes.ErrInvalidCluster},
		{"cluster with no workers", &gatekeepertypes.MsgCreateCluster{Owner: owner}, gatekeepertypes.ErrInvalidCluster},
		{"join cluster 0", &gatekeepertypes.MsgJoinCluster{Operator: owner, ClusterId: 0, Worker: w.Hex()}, gatekeepertypes.ErrClusterNotFound},
		{"invite a malformed key", &gatekeepertypes.MsgInviteClusterWorker{Owner: owner, ClusterId: 1, Worker: "00"}, gatekeepertypes.ErrInvalidKey},
		{"remove a malformed key", &gatekeepertypes.MsgRemoveClusterWorker{Signer: owner, ClusterId: 1, Worker: ""}, gatekeepertypes.ErrInvalidKey},
		{"start computing on a malformed key", &computationtypes.MsgStartComputing{Operator: owner, Worker: "not a key", Stake: stake}, computationtypes.ErrInvalidKey},
		{"start computing with no stake", &computationtypes.MsgStartComputing{Operator: owner, Worker: w.Hex(), Stake: sdk.Coin{Denom: app.BondDenom, Amount: sdkmath.ZeroInt()}}, computationtypes.ErrInvalidStake},
		{"stop computing on a malformed key", &computationtypes.MsgStopComputing{Operator: owner, Worker: "zz"}, computationtypes.ErrInvalidKey},
		{"register garbage info", &registrytypes.MsgRegisterWorker{Operator: owner, Info: []byte("garbage"), Attestation: registrytypes.Attestation{TeeKind: "sim", Quote: w.Quote}}, registrytypes.ErrMalformedInfo},
		{"register with an empty quote", &registrytypes.MsgRegisterWorker{Operator: owner, Info: w.Info, Attestation: registrytypes.Attestation{TeeKind: "sim"}}, registrytypes.ErrMalformedAttestation},
		{"sync no messages", &mqtypes.MsgSyncMessages{Submitter: owner}, mqtypes.ErrInvalidSubmission},
		{"sync a malformed message", apptest.SyncMsg(op, mqtypes.SignedMessage{Body: []byte{1, 2, 3}, Signer: w.PublicKey(), Signature: make([]byte, 64)}), mqtypes.ErrMalformedMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := viewOf(t, c, c.CommittedContext(), op)
			tx := c.Tx(op, 10_000, tc.msg)
			res := c.CheckTx(tx)
			requireCode(t, "CheckTx", res.Code, res.Codespace, res.Log, tc.want)
			// A proposer may include it anyway: it fails before the ante
			// handler, so no fee is taken and the sequence is not used.
			results := c.NextBlock(tx)
			requireCode(t, "deliver", results[0].Code, results[0].Codespace, results[0].Log, tc.want)
			op.Seq--
			requireSameView(t, "state after the block", before, viewOf(t, c, c.CommittedContext(), op))
		})
	}

	// Gov runs the same checks when a proposal is submitted, so a malformed
	// governance message is refused before its deposit and voting period.
	t.Run("proposal with a malformed gatekeeper key", func(t *testing.T) {
		msg := &gatekeepertypes.MsgAddGatekeeper{Authority: c.App.RegistryKeeper.Authority(), IdentityKey: "zz"}
		_, err := c.App.GovKeeper.SubmitProposal(c.Context(), []sdk.Msg{msg}, "", "add", "add a gatekeeper", op.Address, false)
		// gov wraps the text of ValidateBasic's error, not the error.
		if !errors.Is(err, govtypes.ErrInvalidProposalMsg) || !strings.Contains(err.Error(), gatekeepertypes.ErrInvalidKey.Error()) {
			t.Fatalf("SubmitProposal: got %v, want %v naming %v", err, govtypes.ErrInvalidProposalMsg, gatekeepertypes.ErrInvalidKey)
		}
	})
}
