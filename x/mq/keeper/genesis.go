package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// InitGenesis loads a validated genesis.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	first := gs.NextIngressIndex
	if len(gs.Ingress) > 0 {
		first = gs.Ingress[0].Index
	}
	for _, e := range gs.Ingress {
		if err := k.Ingress.Set(ctx, e.Index, encodeEntry(e)); err != nil {
			return err
		}
	}
	if err := k.FirstIngress.Set(ctx, first); err != nil {
		return err
	}
	if err := k.NextIngress.Set(ctx, gs.NextIngressIndex); err != nil {
		return err
	}
	// The heads are derived state and not exported: an imported log's
	// chain starts from the seed at its first entry, as a migrated one does.
	// A pRuntime re-initializes on a new genesis anyway (its trust root
	// names the old one).
	if err := k.IngressHeads.Clear(ctx, nil); err != nil {
		return err
	}
	if err := k.chainIngressHeads(ctx, first, gs.NextIngressIndex, protocol.IngressHeadSeed()); err != nil {
		return err
	}
	for _, s := range gs.Sequences {
		if err := k.Sequences.Set(ctx, s.Origin, s.NextSeq); err != nil {
			return err
		}
	}
	if err := k.NextTask.Set(ctx, gs.NextTask); err != nil {
		return err
	}
	for _, t := range gs.Tasks {
		if routed, allowed := k.router.Accepts(t.ReplyTopic, protocol.OriginGatekeeper); !routed || !allowed {
			return fmt.Errorf("%w: gatekeeper task at seq %d wants a reply on %q, which no module takes from the gatekeepers", types.ErrInvalidGenesis, t.Seq, t.ReplyTopic)
		}
		if err := k.Tasks.Set(ctx, t.Seq, t.ReplyTopic); err != nil {
			return err
		}
	}
	for _, v := range gs.Votes {
		m, err := protocol.DecodeMessage(v.Body)
		if err != nil {
			return err
		}
		if _, ok := k.router.Route(m.Topic); !ok {
			return fmt.Errorf("%w: vote at seq %d is on topic %q, which no module handles", types.ErrInvalidGenesis, v.Seq, m.Topic)
		}
		if err := k.Votes.Set(ctx, voteKey(m.Origin, v.Seq, v.Signer), v.Body); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis dumps the whole store in key order.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if gs.NextIngressIndex, err = k.nextIngress(ctx); err != nil {
		return nil, err
	}
	err = k.Ingress.Walk(ctx, nil, func(index uint64, raw []byte) (bool, error) {
		e, err := decodeEntry(index, raw)
		gs.Ingress = append(gs.Ingress, e)
		return false, err
	})
	if err != nil {
		return nil, err
	}
	err = k.Sequences.Walk(ctx, nil, func(origin []byte, next uint64) (bool, error) {
		gs.Sequences = append(gs.Sequences, types.SenderSequence{Origin: origin, NextSeq: next})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Votes.Walk(ctx, nil, func(key collections.Triple[[]byte, uint64, []byte], body []byte) (bool, error) {
		gs.Votes = append(gs.Votes, types.GatekeeperVote{Seq: key.K2(), Signer: key.K3(), Body: body})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if gs.NextTask, err = getOrZero(ctx, k.NextTask); err != nil {
		return nil, err
	}
	err = k.Tasks.Walk(ctx, nil, func(seq uint64, reply string) (bool, error) {
		gs.Tasks = append(gs.Tasks, types.GatekeeperTask{Seq: seq, ReplyTopic: reply})
		return false, nil
	})
	return gs, err
}
