package keeper

import (
	"context"
	"errors"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

type msgServer struct{ k *Keeper }

// NewMsgServerImpl returns the Msg service.
func NewMsgServerImpl(k *Keeper) types.MsgServer { return msgServer{k: k} }

var _ types.MsgServer = msgServer{}

// SyncMessages delivers a batch of egress messages in order. A message that
// another transaction in the same block already delivered is skipped (the
// ante handler keeps such duplicates out of the mempool); any other invalid
// message fails the whole transaction.
func (s msgServer) SyncMessages(goCtx context.Context, msg *types.MsgSyncMessages) (*types.MsgSyncMessagesResponse, error) {
	ctx := sdk.UnwrapSDKContext(goCtx)
	if _, err := s.k.addressCodec.StringToBytes(msg.Submitter); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSubmission, "submitter: %v", err)
	}
	if err := s.k.CheckBatchSize(ctx, len(msg.Messages)); err != nil {
		return nil, err
	}
	var resp types.MsgSyncMessagesResponse
	batch := s.k.VerifyBatch(ctx, msg.Messages)
	for i := range batch.Len() {
		c, err := s.k.Check(ctx, batch, i)
		if errors.Is(err, types.ErrStaleSequence) || errors.Is(err, types.ErrDuplicateVote) {
			resp.Skipped++
			continue
		}
		if err != nil {
			return nil, errorsmod.Wrapf(err, "message %d", i)
		}
		delivered, err := s.k.Advance(ctx, c)
		if err != nil {
			return nil, err
		}
		if c.Message.Origin.Kind == protocol.OriginGatekeeper {
			ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventVoteRecorded,
				sdk.NewAttribute(types.AttributeSeq, sdkUint(c.Message.Seq)),
				sdk.NewAttribute(types.AttributeSigner, hexString(c.Signer)),
			))
			if len(delivered) == 0 {
				resp.Voted++
			}
		}
		for _, m := range delivered {
			s.k.Deliver(ctx, m)
			resp.Accepted++
		}
	}
	return &resp, nil
}

// UpdateParams replaces the params. A gk_quorum above the current
// gatekeeper set is refused (ErrQuorumUnreachable): it could never deliver.
// A lower quorum takes effect for votes already stored at the end of the
// block (RecheckQuorum).
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != s.k.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", s.k.authority, msg.Authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := s.k.checkQuorumReachable(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := s.k.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}

// CheckBatchSize rejects an empty batch or one above max_messages_per_tx.
func (k *Keeper) CheckBatchSize(ctx context.Context, n int) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return errorsmod.Wrap(types.ErrInvalidSubmission, "no messages")
	}
	if n > int(params.MaxMessagesPerTx) {
		return errorsmod.Wrapf(types.ErrTooManyMessages, "%d messages, limit %d", n, params.MaxMessagesPerTx)
	}
	return nil
}
