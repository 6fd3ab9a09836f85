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

// maxPrunePerBlock bounds the work EndBlock spends on pruning.
const maxPrunePerBlock = 1_000

// PushIngress appends a message from module to the ingress log and returns
// its index. The topic must belong to the module. Entries are immutable once
// written; pRuntimes read them in index order and prove each one.
func (k *Keeper) PushIngress(ctx context.Context, module, topic string, payload []byte) (uint64, error) {
	if protocol.TopicModule(topic) != module {
		return 0, errorsmod.Wrapf(types.ErrNotIngressOrigin, "module %q cannot send on topic %q", module, topic)
	}
	index, err := k.nextIngress(ctx)
	if err != nil {
		return 0, err
	}
	m := protocol.Message{Origin: protocol.ModuleOrigin(module), Topic: topic, Seq: index, Payload: payload}
	body, err := m.Encode()
	if err != nil {
		return 0, errorsmod.Wrap(types.ErrMalformedMessage, err.Error())
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	head, err := k.IngressHead(ctx, index)
	if err != nil {
		return 0, err
	}
	raw := protocol.IngressEntry{Height: uint64(sdkCtx.BlockHeight()), Message: body}.Encode()
	if err := k.Ingress.Set(ctx, index, raw); err != nil {
		return 0, err
	}
	next := head.Next(raw)
	if err := k.IngressHeads.Set(ctx, index+1, next[:]); err != nil {
		return 0, err
	}
	if err := k.NextIngress.Set(ctx, index+1); err != nil {
		return 0, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventIngressAppended,
		sdk.NewAttribute(types.AttributeIndex, fmt.Sprint(index)),
		sdk.NewAttribute(types.AttributeOrigin, m.Origin.String()),
		sdk.NewAttribute(types.AttributeTopic, topic),
	))
	return index, nil
}

// PruneIngress deletes entries older than the retention window, oldest first,
// at most maxPrunePerBlock per call.
func (k *Keeper) PruneIngress(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if params.IngressRetentionBlocks == 0 {
		return nil
	}
	height := uint64(sdk.UnwrapSDKContext(ctx).BlockHeight())
	if height <= params.IngressRetentionBlocks {
		return nil
	}
	cutoff := height - params.IngressRetentionBlocks
	first, err := k.firstIngress(ctx)
	if err != nil {
		return err
	}
	next, err := k.nextIngress(ctx)
	if err != nil {
		return err
	}
	pruned := 0
	for ; first < next && pruned < maxPrunePerBlock; first++ {
		raw, err := k.Ingress.Get(ctx, first)
		if err != nil {
			return fmt.Errorf("mq: ingress entry %d: %w", first, err)
		}
		e, _, err := protocol.DecodeIngressEntry(raw)
		if err != nil {
			return fmt.Errorf("mq: ingress entry %d: %w", first, err)
		}
		if e.Height >= cutoff {
			break
		}
		if err := k.Ingress.Remove(ctx, first); err != nil {
			return err
		}
		// The head at first+1, which commits to this entry, stays: it is
		// the base a pRuntime starts from at the new first index.
		if err := k.IngressHeads.Remove(ctx, first); err != nil {
			return err
		}
		pruned++
	}
	if pruned == 0 {
		return nil
	}
	return k.FirstIngress.Set(ctx, first)
}

// IngressHead returns the ingress head at n, which the chain keeps for
// every n from the first retained index to the next index. The head at 0 of
// a log that never had an entry is the seed.
func (k *Keeper) IngressHead(ctx context.Context, n uint64) (protocol.IngressHead, error) {
	raw, err := k.IngressHeads.Get(ctx, n)
	if errors.Is(err, collections.ErrNotFound) && n == 0 {
		return protocol.IngressHeadSeed(), nil
	}
	if err != nil {
		return protocol.IngressHead{}, fmt.Errorf("mq: ingress head at %d: %w", n, err)
	}
	return protocol.ParseIngressHead(raw)
}

// chainIngressHeads stores the heads at first+1 … next, from base at first,
// over the stored entries [first, next).
func (k *Keeper) chainIngressHeads(ctx context.Context, first, next uint64, base protocol.IngressHead) error {
	if err := k.IngressHeads.Set(ctx, first, base[:]); err != nil {
		return err
	}
	var c protocol.IngressHeadChain
	c.Reset(base)
	for i := first; i < next; i++ {
		raw, err := k.Ingress.Get(ctx, i)
		if err != nil {
			return fmt.Errorf("mq: ingress entry %d: %w", i, err)
		}
		c.Add(raw)
		h := c.Head()
		if err := k.IngressHeads.Set(ctx, i+1, h[:]); err != nil {
			return err
		}
	}
	return nil
}

func (k *Keeper) nextIngress(ctx context.Context) (uint64, error) {
	return getOrZero(ctx, k.NextIngress)
}

func (k *Keeper) firstIngress(ctx context.Context) (uint64, error) {
	return getOrZero(ctx, k.FirstIngress)
}

func getOrZero(ctx context.Context, item collections.Item[uint64]) (uint64, error) {
	v, err := item.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return v, err
}
