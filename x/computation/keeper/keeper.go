// Package keeper implements x/computation: computing sessions with escrowed
// stakes, the workers' benchmarks, every block closed for the tokenomic
// engine while sessions exist, and the application of the gatekeepers'
// quorum settlements from their computation lane (payouts, treasury, V,
// unresponsive and recovered workers).
package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

// Keeper owns the "computation" store.
type Keeper struct {
	authority    string
	addressCodec address.Codec
	ingress      types.IngressQueue
	registry     types.Registry
	bank         types.BankKeeper

	Schema     collections.Schema
	Params     collections.Item[types.Params]
	Benchmarks collections.Map[[]byte, types.Benchmark]
	Sessions   collections.Map[[]byte, types.Session]
	// NextSessionID is the id the next session gets; absent means
	// types.FirstSessionID.
	NextSessionID collections.Item[uint64]
	// Cooldowns indexes COOLING_DOWN sessions by (cooldown end height, worker).
	Cooldowns collections.KeySet[collections.Pair[uint64, []byte]]
	// ActiveSessions counts COMPUTING and UNRESPONSIVE sessions.
	ActiveSessions collections.Item[uint64]
	// LastChangeHeight is the height of the latest start or stop.
	LastChangeHeight collections.Item[uint64]
	// ParamsPublished records that the params are on the ingress log.
	ParamsPublished collections.Item[bool]
	// LastClosedHeight is the last block closed for the engine;
	// LastOutputHeight the block of the last settlement delivered.
	LastClosedHeight collections.Item[uint64]
	LastOutputHeight collections.Item[uint64]
}

// NewKeeper returns a keeper. authority may change the params (the gov
// module account).
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec, authority string,
	ingress types.IngressQueue, registry types.Registry, bank types.BankKeeper,
) (*Keeper, error) {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		return nil, fmt.Errorf("computation: invalid authority %q: %w", authority, err)
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := &Keeper{
		authority:     authority,
		addressCodec:  addressCodec,
		ingress:       ingress,
		registry:      registry,
		bank:          bank,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Benchmarks:    collections.NewMap(sb, types.BenchmarkPrefix, "benchmarks", collections.BytesKey, codec.CollValue[types.Benchmark](cdc)),
		Sessions:      collections.NewMap(sb, types.SessionPrefix, "sessions", collections.BytesKey, codec.CollValue[types.Session](cdc)),
		NextSessionID: collections.NewItem(sb, types.NextSessionIDKey, "next_session_id", collections.Uint64Value),
		Cooldowns: collections.NewKeySet(sb, types.CooldownPrefix, "cooldowns",
			collections.PairKeyCodec(collections.Uint64Key, collections.BytesKey)),
		ActiveSessions:   collections.NewItem(sb, types.ActiveSessionsKey, "active_sessions", collections.Uint64Value),
		LastChangeHeight: collections.NewItem(sb, types.LastChangeHeightKey, "last_change_height", collections.Uint64Value),
		ParamsPublished:  collections.NewItem(sb, types.ParamsPublishedKey, "params_published", collections.BoolValue),
		LastClosedHeight: collections.NewItem(sb, types.LastClosedHeightKey, "last_closed_height", collections.Uint64Value),
		LastOutputHeight: collections.NewItem(sb, types.LastOutputHeightKey, "last_output_height", collections.Uint64Value),
	}
	schema, err := sb.Build()
	if err != nil {
		return nil, fmt.Errorf("computation: building schema: %w", err)
	}
	k.Schema = schema
	return k, nil
}

// Authority returns the governance account.
func (k *Keeper) Authority() string { return k.authority }

// GetParams returns the params.
func (k *Keeper) GetParams(ctx context.Context) (types.Params, error) { return k.Params.Get(ctx) }

// GetSession returns a worker's current session.
func (k *Keeper) GetSession(ctx context.Context, worker []byte) (types.Session, bool, error) {
	s, err := k.Sessions.Get(ctx, worker)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Session{}, false, nil
	}
	return s, err == nil, err
}

// publishParams appends the engine params to the ingress log, for every
// pRuntime to apply from the next block closed on.
func (k *Keeper) publishParams(ctx context.Context, p types.Params) error {
	e, err := p.Engine()
	if err != nil {
		return err
	}
	b, err := e.MarshalBinary()
	if err != nil {
		return err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicComputationParams, b); err != nil {
		return err
	}
	return k.ParamsPublished.Set(ctx, true)
}

func getOr[V any](ctx context.Context, item collections.Item[V], def V) (V, error) {
	v, err := item.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return def, nil
	}
	return v, err
}

func (k *Keeper) logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}
