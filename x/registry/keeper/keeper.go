package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Keeper owns the "registry" store.
type Keeper struct {
	authority    string
	addressCodec address.Codec
	ingress      types.IngressQueue
	verifiers    map[string]attest.Verifier

	Schema       collections.Schema
	Params       collections.Item[types.Params]
	Measurements collections.Map[collections.Pair[string, []byte], types.Measurement]
	// Workers holds the records with Endpoint empty: read workers through
	// GetWorker and WalkWorkers, which fill it in from Endpoints.
	Workers collections.Map[[]byte, types.Worker]
	// Endpoints holds each worker's announced endpoint.
	Endpoints collections.Map[[]byte, string]
	// Collaterals holds vendor collateral by (tee kind, platform id).
	Collaterals collections.Map[collections.Pair[string, string], types.Collateral]

	// observeRegistration, when set, hears the outcome of each
	// registration executed in a block (SetRegistrationObserver).
	observeRegistration func(err error)
}

// SetRegistrationObserver makes observe hear the outcome of each
// MsgRegisterWorker executed in a block (nil: accepted), for metrics. It is
// off consensus: CheckTx and simulations are not reported, and observe must
// not touch state.
func (k *Keeper) SetRegistrationObserver(observe func(err error)) { k.observeRegistration = observe }

// NewKeeper returns a keeper. authority may change params and measurements
// (the gov module account by default). verifiers are the quote verifiers of
// the TEE kinds this chain knows, one per kind.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec,
	authority string, ingress types.IngressQueue, verifiers ...attest.Verifier,
) (*Keeper, error) {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		return nil, fmt.Errorf("registry: invalid authority %q: %w", authority, err)
	}
	vs := make(map[string]attest.Verifier, len(verifiers))
	for _, v := range verifiers {
		if _, dup := vs[v.Kind()]; dup {
			return nil, fmt.Errorf("registry: two verifiers for TEE kind %q", v.Kind())
		}
		vs[v.Kind()] = v
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := &Keeper{
		authority:    authority,
		addressCodec: addressCodec,
		ingress:      ingress,
		verifiers:    vs,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Measurements: collections.NewMap(sb, types.MeasurementPrefix, "measurements",
			collections.PairKeyCodec(collections.StringKey, collections.BytesKey), codec.CollValue[types.Measurement](cdc)),
		Workers:   collections.NewMap(sb, types.WorkerPrefix, "workers", collections.BytesKey, codec.CollValue[types.Worker](cdc)),
		Endpoints: collections.NewMap(sb, types.EndpointPrefix, "endpoints", collections.BytesKey, collections.StringValue),
		Collaterals: collections.NewMap(sb, types.CollateralPrefix, "collaterals",
			collections.PairKeyCodec(collections.StringKey, collections.StringKey), codec.CollValue[types.Collateral](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		return nil, fmt.Errorf("registry: building schema: %w", err)
	}
	k.Schema = schema
	return k, nil
}

// Authority returns the governance account.
func (k *Keeper) Authority() string { return k.authority }

// IsWorker implements x/mq's SenderRegistry.
func (k *Keeper) IsWorker(ctx context.Context, identityKey []byte) (bool, error) {
	return k.Workers.Has(ctx, identityKey)
}

// GetWorker returns a registered worker.
func (k *Keeper) GetWorker(ctx context.Context, identityKey []byte) (types.Worker, error) {
	w, err := k.Workers.Get(ctx, identityKey)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Worker{}, errorsmod.Wrapf(types.ErrWorkerNotFound, "%x", identityKey)
	}
	if err != nil {
		return types.Worker{}, err
	}
	return k.withEndpoint(ctx, w)
}

// withEndpoint fills in w's endpoint from Endpoints.
func (k *Keeper) withEndpoint(ctx context.Context, w types.Worker) (types.Worker, error) {
	e, err := k.Endpoints.Get(ctx, w.IdentityKey)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		w.Endpoint = ""
	case err != nil:
		return types.Worker{}, err
	default:
		w.Endpoint = e
	}
	return w, nil
}

// setWorker stores w's record without its endpoint, and the endpoint (if
// any) in Endpoints.
func (k *Keeper) setWorker(ctx context.Context, w types.Worker) error {
	if w.Endpoint != "" {
		if err := k.Endpoints.Set(ctx, w.IdentityKey, w.Endpoint); err != nil {
			return err
		}
		w.Endpoint = ""
	}
	return k.Workers.Set(ctx, w.IdentityKey, w)
}

func (k *Keeper) checkAuthority(authority string) error {
	if authority != k.authority {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", k.authority, authority)
	}
	return nil
}

// maxKindInError bounds how much of an unknown TEE kind an error repeats: the
// string comes from a transaction and could be as large as the tx.
const maxKindInError = 32

func unknownKind(kind string) error {
	if len(kind) > maxKindInError {
		return errorsmod.Wrapf(types.ErrUnknownTEEKind, "%q… (%d bytes)", kind[:maxKindInError], len(kind))
	}
	return errorsmod.Wrapf(types.ErrUnknownTEEKind, "%q", kind)
}
