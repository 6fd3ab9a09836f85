// Package keeper implements x/mq: the ingress log that pRuntimes read and
// prove, and the egress path that accepts signed pRuntime messages.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// Keeper owns the "mq" store.
type Keeper struct {
	authority    string
	addressCodec address.Codec
	senders      types.SenderRegistry
	router       *Router
	sigs         *sigCache

	Schema       collections.Schema
	Params       collections.Item[types.Params]
	Ingress      collections.Map[uint64, []byte]
	NextIngress  collections.Item[uint64]
	FirstIngress collections.Item[uint64]
	// IngressHeads holds the ingress head at each retained index n (the
	// hash chain over the entries before n) and at the next index.
	IngressHeads collections.Map[uint64, []byte]
	Sequences    collections.Map[[]byte, uint64]
	Votes        collections.Map[collections.Triple[[]byte, uint64, []byte], []byte]
	NextTask     collections.Item[uint64]
	Tasks        collections.Map[uint64, string]
	// QuorumBasis is the fingerprint of gk_quorum and the gatekeeper set
	// that EndBlock last checked the gatekeeper channels under.
	QuorumBasis collections.Item[[]byte]
}

// NewKeeper returns a keeper. authority is the account allowed to change
// params (the gov module account). SetSenderRegistry must be called before the
// app serves transactions.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec, authority string) (*Keeper, error) {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		return nil, fmt.Errorf("mq: invalid authority %q: %w", authority, err)
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := &Keeper{
		authority:    authority,
		addressCodec: addressCodec,
		router:       NewRouter(),
		sigs:         newSigCache(sigCacheSize),
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Ingress:      collections.NewMap(sb, types.IngressPrefix, "ingress", collections.Uint64Key, collections.BytesValue),
		NextIngress:  collections.NewItem(sb, types.NextIngressKey, "next_ingress", collections.Uint64Value),
		FirstIngress: collections.NewItem(sb, types.FirstIngressKey, "first_ingress", collections.Uint64Value),
		IngressHeads: collections.NewMap(sb, types.IngressHeadPrefix, "ingress_heads", collections.Uint64Key, collections.BytesValue),
		Sequences:    collections.NewMap(sb, types.SequencePrefix, "sequences", collections.BytesKey, collections.Uint64Value),
		Votes: collections.NewMap(sb, types.VotePrefix, "votes",
			collections.TripleKeyCodec(collections.BytesKey, collections.Uint64Key, collections.BytesKey), collections.BytesValue),
		NextTask:    collections.NewItem(sb, types.NextTaskKey, "next_task", collections.Uint64Value),
		Tasks:       collections.NewMap(sb, types.TaskPrefix, "tasks", collections.Uint64Key, collections.StringValue),
		QuorumBasis: collections.NewItem(sb, types.QuorumBasisKey, "quorum_basis", collections.BytesValue),
	}
	schema, err := sb.Build()
	if err != nil {
		return nil, fmt.Errorf("mq: building schema: %w", err)
	}
	k.Schema = schema
	return k, nil
}

// SetSenderRegistry wires the module that knows workers and gatekeepers.
// x/registry depends on x/mq for ingress, so this is set after both exist.
func (k *Keeper) SetSenderRegistry(r types.SenderRegistry) { k.senders = r }

// Router returns the topic router; modules add their egress handlers to it
// while the app is wired.
func (k *Keeper) Router() *Router { return k.router }

// Authority returns the account allowed to change params.
func (k *Keeper) Authority() string { return k.authority }

// GetParams returns the params.
func (k *Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

func (k *Keeper) logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}
