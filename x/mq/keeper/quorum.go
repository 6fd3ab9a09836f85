package keeper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// quorumBasisContext separates the quorum fingerprint from any other hash.
const quorumBasisContext = "gatekeeper/mq/quorum-basis/v1"

// quorumBasis fingerprints everything the gatekeeper quorum depends on:
// gk_quorum and the gatekeeper keys (in the registry's key order). Two
// states with the same basis deliver exactly the same stored votes.
func quorumBasis(gkQuorum uint32, gks [][]byte) []byte {
	h := sha256.New()
	h.Write([]byte(quorumBasisContext))
	h.Write(binary.BigEndian.AppendUint32(nil, gkQuorum))
	for _, g := range gks {
		// Length-prefixed, so that no two key lists hash alike.
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(g))))
		h.Write(g)
	}
	return h.Sum(nil)
}

// RecheckQuorum is x/mq's EndBlock step for the gatekeeper channel. Votes
// are tallied when they arrive; but the tally also depends on the
// gatekeeper set and gk_quorum, which change without a vote (governance
// adds or removes a gatekeeper or lowers gk_quorum, a pRuntime migration
// swaps keys, genesis). When the live gatekeepers have filled the vote
// window, no further vote can arrive, so without this step stored votes
// that now meet the quorum would never be delivered.
//
// Rather than hook every path that can change the set, it compares a
// fingerprint of (gk_quorum, gatekeeper keys) with the one of the last
// check: when it differs, every channel that holds votes is re-tallied and
// its ready messages delivered in order, and EventQuorumClamped is emitted
// if the set is now smaller than gk_quorum. Its cost in an unchanged block
// is one walk of the gatekeeper set and one read.
func (k *Keeper) RecheckQuorum(ctx sdk.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	gks, err := k.senders.GatekeeperKeys(ctx)
	if err != nil {
		return err
	}
	basis := quorumBasis(params.GkQuorum, gks)
	prev, err := k.QuorumBasis.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return err
	case bytes.Equal(prev, basis):
		return nil
	}
	if err := k.QuorumBasis.Set(ctx, basis); err != nil {
		return err
	}
	if params.Clamped(len(gks)) {
		k.logger(ctx).Info("gatekeeper set smaller than gk_quorum: every gatekeeper must sign",
			"gk_quorum", params.GkQuorum, "gatekeepers", len(gks))
		ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventQuorumClamped,
			sdk.NewAttribute(types.AttributeGkQuorum, strconv.FormatUint(uint64(params.GkQuorum), 10)),
			sdk.NewAttribute(types.AttributeGatekeepers, strconv.Itoa(len(gks))),
			sdk.NewAttribute(types.AttributeQuorum, strconv.Itoa(params.Quorum(len(gks)))),
		))
	}
	origins, err := k.votedChannels(ctx)
	if err != nil {
		return err
	}
	for _, o := range origins {
		delivered, err := k.deliverReady(ctx, o)
		if err != nil {
			return err
		}
		for _, m := range delivered {
			k.Deliver(ctx, m)
		}
	}
	return nil
}

// votedChannels returns the gatekeeper channels (task channel and lanes)
// that hold votes, in store key order. The vote store is bounded by the
// pending window per channel, and this runs only when the basis changed.
func (k *Keeper) votedChannels(ctx context.Context) ([]protocol.Origin, error) {
	var (
		keys    [][]byte
		origins []protocol.Origin
	)
	err := k.Votes.Walk(ctx, nil, func(key collections.Triple[[]byte, uint64, []byte], _ []byte) (bool, error) {
		if n := len(keys); n > 0 && bytes.Equal(keys[n-1], key.K1()) {
			return false, nil
		}
		o, err := protocol.OriginFromKey(key.K1())
		if err != nil {
			return true, fmt.Errorf("mq: stored vote under bad origin key %x: %w", key.K1(), err)
		}
		keys = append(keys, key.K1())
		origins = append(origins, o)
		return false, nil
	})
	return origins, err
}

// checkQuorumReachable refuses a gk_quorum that the current gatekeeper set
// cannot reach (0, a majority, always can).
func (k *Keeper) checkQuorumReachable(ctx context.Context, p types.Params) error {
	if p.GkQuorum == 0 {
		return nil
	}
	gks, err := k.senders.GatekeeperKeys(ctx)
	if err != nil {
		return err
	}
	if int(p.GkQuorum) > len(gks) {
		return errorsmod.Wrapf(types.ErrQuorumUnreachable, "mq: gk_quorum %d, but there are %d gatekeepers: add gatekeepers first",
			p.GkQuorum, len(gks))
	}
	return nil
}
