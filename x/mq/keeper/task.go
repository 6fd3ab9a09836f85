package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// PushGatekeeperTask asks the gatekeepers for one gatekeeper-origin message
// and returns the sequence it must carry. It allocates the next sequence of
// the gatekeeper channel, records that the answer at that sequence must be on
// replyTopic, and appends protocol.GatekeeperTask{seq, body} on taskTopic to
// the ingress log.
//
// The chain, not the gatekeepers, numbers the channel: the quorum needs
// byte-identical messages at one sequence, and a gatekeeper that joined
// later, or restarted from a snapshot, cannot know how many messages the
// others have sent. Reading the task gives every one of them the same number.
//
// Both topics must belong to module, and replyTopic must be routed and take
// gatekeeper-origin messages; otherwise the task could never be answered and
// would stall the channel.
func (k *Keeper) PushGatekeeperTask(ctx context.Context, module, taskTopic, replyTopic string, body []byte) (uint64, error) {
	if protocol.TopicModule(taskTopic) != module {
		return 0, errorsmod.Wrapf(types.ErrNotIngressOrigin, "module %q cannot send on topic %q", module, taskTopic)
	}
	if protocol.TopicModule(replyTopic) != module {
		return 0, errorsmod.Wrapf(types.ErrInvalidTopic, "module %q cannot ask for a reply on topic %q", module, replyTopic)
	}
	switch routed, allowed := k.router.Accepts(replyTopic, protocol.OriginGatekeeper); {
	case !routed:
		return 0, errorsmod.Wrapf(types.ErrInvalidTopic, "reply topic %q has no handler", replyTopic)
	case !allowed:
		return 0, errorsmod.Wrapf(types.ErrInvalidTopic, "reply topic %q does not take gatekeeper messages", replyTopic)
	}
	seq, err := k.nextTask(ctx)
	if err != nil {
		return 0, err
	}
	if err := k.Tasks.Set(ctx, seq, replyTopic); err != nil {
		return 0, err
	}
	if err := k.NextTask.Set(ctx, seq+1); err != nil {
		return 0, err
	}
	if _, err := k.PushIngress(ctx, module, taskTopic, protocol.GatekeeperTask{Seq: seq, Body: body}.Encode()); err != nil {
		return 0, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventTaskPushed,
		sdk.NewAttribute(types.AttributeSeq, fmt.Sprint(seq)),
		sdk.NewAttribute(types.AttributeTopic, taskTopic),
		sdk.NewAttribute(types.AttributeReply, replyTopic),
	))
	return seq, nil
}

// nextTask returns the sequence the next task gets. It is never below the
// channel's next sequence, so a state whose counter lags the channel (a
// genesis written before tasks existed) cannot hand out stale sequences.
func (k *Keeper) nextTask(ctx context.Context) (uint64, error) {
	next, err := getOrZero(ctx, k.NextTask)
	if err != nil {
		return 0, err
	}
	head, err := k.nextSeq(ctx, protocol.GatekeeperOrigin())
	if err != nil {
		return 0, err
	}
	return max(next, head), nil
}

// checkTask requires a task at m's sequence whose reply topic is m's topic.
func (k *Keeper) checkTask(ctx context.Context, m protocol.Message) error {
	reply, err := k.Tasks.Get(ctx, m.Seq)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return errorsmod.Wrapf(types.ErrNoTask, "gatekeeper message on %q at seq %d answers no task", m.Topic, m.Seq)
	case err != nil:
		return err
	case reply != m.Topic:
		return errorsmod.Wrapf(types.ErrInvalidTopic, "gatekeeper task at seq %d wants its answer on %q, got %q", m.Seq, reply, m.Topic)
	}
	return nil
}
